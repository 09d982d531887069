package dev.meridian.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.PriorityAssignment;
import dev.meridian.xds.AdsClient;
import dev.meridian.xds.XdsWarning;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Meridian's own ADS client, fed by this server, decides as Meridian's direct path does for the same
 * caller: {@code DestinationPolicy.assign} and {@code lbFor} straight into a {@link Cluster}. The
 * server's translation to Envoy's resources and the client's translation back lose nothing that
 * changes a pick: the same load plan, and with the same random seed the same hosts in the same order.
 */
class RoundTripTest {

    static final String CLUSTER = "outbound|9080||reviews.prod.svc.cluster.local";
    static final int PICKS = 2000;

    /** Four endpoints in three zones, outlier detection, and a mesh failover rule, so Istio weights localities. */
    static final String MESH = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews, namespace: prod}
            spec:
              hosts: [reviews.prod.svc.cluster.local]
              ports: [{number: 9080, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints:
              - {address: 10.0.1.1, locality: us-east/us-east-1a, labels: {version: v1}, weight: 2}
              - {address: 10.0.1.2, locality: us-east/us-east-1a, labels: {version: v2}}
              - {address: 10.0.1.3, locality: us-east/us-east-1b, labels: {version: v2}, weight: 3}
              - {address: 10.0.2.1, locality: us-west/us-west-1a, labels: {version: v3}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: prod}
            spec:
              host: reviews.prod.svc.cluster.local
              trafficPolicy:
                loadBalancer: {simple: RANDOM}
                outlierDetection: {consecutive5xxErrors: 3, interval: 5s, baseEjectionTime: 1m, minHealthPercent: 20}
            ---
            apiVersion: install.istio.io/v1alpha1
            kind: IstioOperator
            spec:
              tag: 1.24.1
              meshConfig:
                localityLbSetting:
                  enabled: true
                  failover: [{from: us-east, to: us-west}]
            """;

    @TempDir
    Path dir;

    @Test
    void theAdsClientFedByThisServerDecidesAsTheDirectPath() throws Exception {
        roundTrip(false);
    }

    @Test
    void theIncrementalAdsClientFedByThisServerDecidesAsTheDirectPath() throws Exception {
        roundTrip(true);
    }

    private void roundTrip(boolean incremental) throws Exception {
        Files.writeString(dir.resolve("mesh.yaml"), MESH, StandardCharsets.UTF_8);
        MeshModel model = MeshDirectory.read(dir);
        Caller caller = new Caller(Locality.of("us-east", "us-east-1a", ""), Map.of("app", "productpage"));

        // The direct path, as the simulator's MeshClient builds it, applied as commands the way the
        // ADS client applies its updates, so both clusters publish the same number of snapshots
        // (each publication draws from the random source).
        MeshCluster mc = model.cluster(CLUSTER);
        PriorityAssignment a = mc.policy().assign(mc.endpoints(), caller, mc.service().kubernetesService(),
                model.release());
        assertThat(a.localityWeighted()).isTrue();
        LbConfig lb = mc.policy().lbFor(mc.service().kubernetesService(), model.release()).toBuilder()
                .localityWeighted(a.localityWeighted()).build();
        Cluster direct = Cluster.builder(LbConfig.defaults()).random(RandomSource.seeded(7)).build();
        direct.configure(lb);
        direct.configure(mc.policy().outlier());
        direct.update(a.toTable());

        Cluster viaXds = Cluster.builder(LbConfig.defaults()).random(RandomSource.seeded(7)).build();
        BlockingQueue<String> accepted = new LinkedBlockingQueue<>();
        List<String> rejected = new ArrayList<>();
        try (SidecarXdsServer server = SidecarXdsServer.builder().model(model).build().start()) {
            ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
                    InsecureChannelCredentials.create()).build();
            Node node = MeshFixtures.node("sidecar~10.1.0.1~productpage-1.prod~prod.svc.cluster.local", "us-east",
                    "us-east-1a", Map.of("app", "productpage"));
            try (AdsClient client = AdsClient.builder(channel).node(node).watch(CLUSTER, viaXds)
                    .incremental(incremental)
                    .envoyRelease(model.release().envoyMinor())
                    .listener(new AdsClient.Listener() {
                        @Override
                        public void onAccepted(String typeUrl, String version, List<XdsWarning> warnings) {
                            accepted.add(typeUrl);
                        }

                        @Override
                        public void onRejected(String typeUrl, String version, String reason,
                                               List<XdsWarning> warnings) {
                            rejected.add(typeUrl + ": " + reason);
                        }
                    }).build()) {
                client.start();
                String type;
                do {
                    type = accepted.poll(30, TimeUnit.SECONDS);
                    assertThat(type).as("an accepted update within 30 s").isNotNull();
                } while (!type.equals(AdsClient.ENDPOINT_TYPE_URL));
            } finally {
                channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
            assertThat(server.groups()).containsExactly(new SidecarGroup(caller.locality(), caller.labels()));
        }
        assertThat(rejected).isEmpty();
        direct.drain();
        viaXds.drain();

        assertThat(viaXds.table().size()).isEqualTo(direct.table().size());
        for (int h = 0; h < direct.table().size(); h++) {
            assertThat(viaXds.table().endpoint(h).address()).isEqualTo(direct.table().endpoint(h).address());
            assertThat(viaXds.table().priority(h)).isEqualTo(direct.table().priority(h));
            assertThat(viaXds.table().localityWeight(h)).isEqualTo(direct.table().localityWeight(h));
        }
        assertThat(viaXds.publications()).isEqualTo(direct.publications());
        assertThat(viaXds.plan()).isEqualTo(direct.plan());
        assertThat(picks(viaXds)).isEqualTo(picks(direct));
        // minHealthPercent 20 becomes the panic threshold; failover rules turn locality weighting on.
        assertThat(viaXds.plan().panicThreshold()).isEqualTo(20);
    }

    private static Map<String, Integer> picks(Cluster cluster) {
        Map<String, Integer> byAddress = new TreeMap<>();
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < PICKS; i++) {
            Host h = cluster.pick();
            byAddress.merge(h.address(), 1, Integer::sum);
            if (i < 50) {
                order.append(h.address()).append(' ');
            }
        }
        byAddress.put("order:" + order, 0);
        return byAddress;
    }
}
