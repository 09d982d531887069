package dev.meridian.xds.server;

import static dev.meridian.xds.server.MeshFixtures.replace;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Endpoint;
import dev.meridian.core.IstioRelease;
import dev.meridian.core.Locality;
import dev.meridian.istio.MeshConfigs;
import dev.meridian.lb.LbPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory of Istio YAML read as istiod reads the same resources: ServiceEntry endpoints and
 * WorkloadEntry selection ({@code pilot/pkg/serviceregistry/serviceentry/conversion.go}), cluster
 * names ({@code model.BuildSubsetKey}), DestinationRule merging ({@code mergeDestinationRule} in
 * {@code pilot/pkg/model/destination_rule.go}) and host matching ({@code MostSpecificHostMatch} in
 * {@code pilot/pkg/model/config.go}).
 */
class MeshDirectoryTest {

    static final String REVIEWS = MeshFixtures.REVIEWS_ENTRY;

    static final String REVIEWS_RULE = MeshFixtures.REVIEWS_RULE + """
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v3, labels: {version: v3}}
            """;

    static final String MESH = """
            apiVersion: install.istio.io/v1alpha1
            kind: IstioOperator
            spec:
              tag: 1.22.3-distroless
              meshConfig:
                localityLbSetting:
                  enabled: true
                  failover: [{from: us-east, to: us-west}]
            """;

    @TempDir
    Path dir;

    static void write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    @Test
    void readsServicesClustersRulesAndTheMeshAcrossFilesAndDocuments() throws IOException {
        write(dir.resolve("reviews.yaml"), REVIEWS + "---\n" + REVIEWS_RULE);
        write(dir.resolve("mesh.yml"), MESH);
        write(dir.resolve("notes.txt"), "not yaml: [");
        write(dir.resolve(".hidden.yaml"), "not yaml: [");

        MeshModel model = MeshDirectory.read(dir);

        assertThat(model.release()).isEqualTo(new IstioRelease(1, 22));
        assertThat(model.meshLocality().failover()).hasSize(1);
        assertThat(model.services()).hasSize(1);
        MeshService reviews = model.services().get(0);
        assertThat(reviews.clusterName()).isEqualTo("outbound|9080||reviews.prod.svc.cluster.local");
        assertThat(reviews.namespace()).isEqualTo("prod");
        assertThat(reviews.destinationRule().name()).isEqualTo("reviews");
        assertThat(reviews.endpoints()).extracting(Endpoint::address)
                .containsExactly("10.0.1.1:9080", "10.0.1.2:9080", "10.0.2.1:9080");
        assertThat(reviews.endpoints().get(2).locality()).isEqualTo(Locality.of("us-west", "us-west-1a", ""));
        assertThat(reviews.endpoints().get(0).labels()).isEqualTo(Map.of("version", "v1"));

        assertThat(model.clusters()).extracting(MeshCluster::name).containsExactly(
                "outbound|9080||reviews.prod.svc.cluster.local",
                "outbound|9080|v1|reviews.prod.svc.cluster.local",
                "outbound|9080|v3|reviews.prod.svc.cluster.local");
        MeshCluster v3 = model.cluster("outbound|9080|v3|reviews.prod.svc.cluster.local");
        assertThat(v3.subset()).isEqualTo("v3");
        assertThat(v3.endpoints()).extracting(Endpoint::address).containsExactly("10.0.2.1:9080");
        assertThat(v3.policy().lb().policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        assertThat(v3.policy().outlier()).isNotNull();
        assertThat(v3.policy().release()).isEqualTo(new IstioRelease(1, 22));
    }

    @Test
    void withoutAMeshConfigIstiosDefaultsApply() throws IOException {
        write(dir.resolve("reviews.yaml"), REVIEWS);
        MeshModel model = MeshDirectory.read(dir);
        assertThat(model.meshLocality()).isEqualTo(MeshConfigs.MESH_DEFAULT);
        assertThat(model.release()).isEqualTo(IstioRelease.LATEST);
        assertThat(model.services().get(0).destinationRule()).isNull();
        // No rule: Istio's default policy, LEAST_REQUEST since 1.14.
        assertThat(model.clusters().get(0).policy().lb().policy()).isEqualTo(LbPolicy.LEAST_REQUEST);
    }

    @Test
    void theMostSpecificRuleAppliesAndRulesForOneHostMerge() throws IOException {
        write(dir.resolve("reviews.yaml"), REVIEWS);
        write(dir.resolve("rules.yaml"), """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: all}
                spec:
                  host: "*.svc.cluster.local"
                  trafficPolicy: {loadBalancer: {simple: RANDOM}}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: b-prod}
                spec:
                  host: "*.prod.svc.cluster.local"
                  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
                  subsets: [{name: v1, labels: {version: v1}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: a-prod}
                spec:
                  host: "*.prod.svc.cluster.local"
                  subsets: [{name: v2, labels: {version: v2}}, {name: v1, labels: {version: v2}}]
                """);
        MeshModel model = MeshDirectory.read(dir);
        // *.prod... is longer than *.svc..., so it wins; a-prod sorts first, so its v1 is kept and the
        // traffic policy comes from b-prod, the first that has one.
        MeshService reviews = model.services().get(0);
        assertThat(reviews.destinationRule().name()).isEqualTo("a-prod");
        assertThat(reviews.destinationRule().subsets()).extracting(s -> s.name()).containsExactly("v2", "v1");
        assertThat(model.cluster("outbound|9080|v1|reviews.prod.svc.cluster.local").endpoints())
                .extracting(Endpoint::address).containsExactly("10.0.1.2:9080");
        assertThat(model.clusters().get(0).policy().lb().policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        assertThat(model.warnings()).anyMatch(w -> w.contains("subset v1") && w.contains("Istio keeps the first"));
    }

    @Test
    void workloadSelectorSelectsWorkloadEntriesOfItsNamespaceByName() throws IOException {
        write(dir.resolve("vm.yaml"), """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: vm, namespace: prod}
                spec:
                  hosts: [vm.example.internal]
                  ports: [{number: 80, name: http, protocol: HTTP, targetPort: 8080}]
                  resolution: STATIC
                  workloadSelector: {labels: {app: vm}}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: vm-b, namespace: prod}
                spec: {address: 10.9.0.2, labels: {app: vm}, locality: eu/eu-1b, ports: {http: 9090}, weight: 4}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: vm-a, namespace: prod}
                spec: {address: 10.9.0.1, labels: {app: vm}, locality: eu/eu-1a}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: vm-c, namespace: other}
                spec: {address: 10.9.0.3, labels: {app: vm}}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: vm-d, namespace: prod}
                spec: {address: vm-d.example.com, labels: {app: vm}}
                """);
        MeshModel model = MeshDirectory.read(dir);
        List<Endpoint> endpoints = model.services().get(0).endpoints();
        assertThat(endpoints).extracting(Endpoint::address).containsExactly("10.9.0.1:8080", "10.9.0.2:9090");
        assertThat(endpoints.get(1).weight()).isEqualTo(4);
        assertThat(endpoints.get(1).locality()).isEqualTo(Locality.of("eu", "eu-1b", ""));
        assertThat(model.warnings()).anyMatch(w -> w.contains("vm-d.example.com") && w.contains("DNS ServiceEntries"));
    }

    @Test
    void reportsWhatItDoesNotServe() throws IOException {
        write(dir.resolve("other.yaml"), """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: ext}
                spec:
                  hosts: [api.example.com]
                  ports: [{number: 443, name: https, protocol: TLS}]
                  resolution: DNS
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: vs}
                spec: {hosts: [a]}
                """);
        MeshModel model = MeshDirectory.read(dir);
        assertThat(model.services()).isEmpty();
        assertThat(model.warnings()).containsExactly(
                dir.resolve("other.yaml") + "#2: kind: VirtualService is not read by Meridian's xDS server",
                dir.resolve("other.yaml") + "#1: spec.resolution: DNS: Envoy finds these endpoints itself, not over "
                        + "EDS, so the entry is not served");
    }

    @Test
    void invalidInputNamesTheFileThePathAndTheValue() throws IOException {
        write(dir.resolve("bad.yaml"), REVIEWS.replace("10.0.1.2", "10.0.1.x"));
        assertThatThrownBy(() -> MeshDirectory.read(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(dir.resolve("bad.yaml") + ": spec.endpoints[1].address: endpoint address is not a valid IP "
                        + "address, got '10.0.1.x'");
        write(dir.resolve("bad.yaml"), REVIEWS + "---\n" + REVIEWS.replace("name: reviews", "name: again"));
        assertThatThrownBy(() -> MeshDirectory.read(dir)).hasMessage(dir.resolve("bad.yaml")
                + "#2: spec.hosts: host reviews.prod.svc.cluster.local port 9080 is already declared by "
                + dir.resolve("bad.yaml") + "#1; Meridian reads one ServiceEntry per host and port");
        write(dir.resolve("bad.yaml"), MESH.replace("1.22.3-distroless", "latest"));
        assertThatThrownBy(() -> MeshDirectory.read(dir)).hasMessageStartingWith(dir.resolve("bad.yaml")
                + ": spec.tag: expected an Istio release such as 1.22.3, got 'latest'");
        write(dir.resolve("bad.yaml"), MESH + "---\n" + MESH);
        assertThatThrownBy(() -> MeshDirectory.read(dir)).hasMessage(dir.resolve("bad.yaml")
                + "#2: a second mesh config; " + dir.resolve("bad.yaml") + "#1 already gives one, keep one");
        Files.write(dir.resolve("bad.yaml"), new byte[] {'a', ':', ' ', (byte) 0xff});
        assertThatThrownBy(() -> MeshDirectory.read(dir)).hasMessage(dir.resolve("bad.yaml") + ": not UTF-8 text");
    }

    @Test
    void aFailedReloadKeepsTheLastGoodModel() throws IOException {
        write(dir.resolve("reviews.yaml"), REVIEWS);
        MeshDirectory mesh = new MeshDirectory(dir);
        assertThat(mesh.current()).isNull();
        MeshModel good = mesh.reload();
        write(dir.resolve("reviews.yaml"), REVIEWS.replace("resolution: STATIC", "resolution: [STATIC]"));
        assertThatThrownBy(mesh::reload).hasMessageStartingWith(dir.resolve("reviews.yaml") + ": spec.resolution: ");
        assertThat(mesh.current()).isSameAs(good);
    }

    @Test
    void theWatcherReloadsOnChangeAndReportsRejections() throws Exception {
        write(dir.resolve("reviews.yaml"), REVIEWS);
        MeshDirectory mesh = new MeshDirectory(dir);
        mesh.reload();
        BlockingQueue<MeshModel> changes = new LinkedBlockingQueue<>();
        BlockingQueue<IllegalArgumentException> rejections = new LinkedBlockingQueue<>();
        try (MeshDirectory.Watch watch = mesh.watch(changes::add, rejections::add)) {
            replace(dir.resolve("rule.yaml"), REVIEWS_RULE);
            MeshModel changed = changes.poll(30, TimeUnit.SECONDS);
            assertThat(changed).isNotNull();
            assertThat(changed.clusters()).hasSize(3);
            assertThat(mesh.current()).isSameAs(changed);

            replace(dir.resolve("rule.yaml"), "kind: [");
            IllegalArgumentException rejected = rejections.poll(30, TimeUnit.SECONDS);
            assertThat(rejected).hasMessageStartingWith(dir.resolve("rule.yaml") + ": invalid YAML");
            assertThat(mesh.current()).isSameAs(changed);
        }
    }

    @Test
    void callbacksThatThrowDoNotEndTheWatchAndCloseWaitsForItsThread() throws Exception {
        write(dir.resolve("reviews.yaml"), REVIEWS);
        MeshDirectory mesh = new MeshDirectory(dir);
        mesh.reload();
        BlockingQueue<MeshModel> changes = new LinkedBlockingQueue<>();
        BlockingQueue<IllegalArgumentException> rejections = new LinkedBlockingQueue<>();
        AtomicReference<Thread> watcher = new AtomicReference<>();
        MeshDirectory.Watch watch = mesh.watch(m -> {
            watcher.set(Thread.currentThread());
            changes.add(m);
            throw new IllegalStateException("the embedder's update failed");
        }, e -> {
            rejections.add(e);
            throw new IllegalStateException("the embedder's report failed");
        });
        try {
            replace(dir.resolve("rule.yaml"), REVIEWS_RULE);
            assertThat(changes.poll(30, TimeUnit.SECONDS)).isNotNull()
                    .satisfies(m -> assertThat(m.clusters()).hasSize(3));

            replace(dir.resolve("rule.yaml"), "kind: [");
            assertThat(rejections.poll(30, TimeUnit.SECONDS)).isNotNull()
                    .hasMessageStartingWith(dir.resolve("rule.yaml") + ": invalid YAML");

            // Both callbacks threw, and the watch still reads the next change.
            replace(dir.resolve("rule.yaml"), REVIEWS_RULE.replace("  - {name: v3, labels: {version: v3}}\n", ""));
            MeshModel fixed = changes.poll(30, TimeUnit.SECONDS);
            assertThat(fixed).isNotNull();
            assertThat(fixed.clusters()).hasSize(2);
            assertThat(mesh.current()).isSameAs(fixed);
        } finally {
            watch.close();
        }
        assertThat(watcher.get().isAlive()).as("the watcher thread, once close() returned").isFalse();
        watch.close();
    }
}
