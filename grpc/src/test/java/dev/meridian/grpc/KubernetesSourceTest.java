package dev.meridian.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.kubernetes.KubernetesEndpointSource;
import dev.meridian.topology.Caller;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link KubernetesSource} end to end over real sockets: fabric8's mock API server in CRUD mode on
 * loopback holds the Service {@code default/reviews} (port {@code grpc}, {@code trafficDistribution:
 * PreferClose}), one Node per zone with the topology labels, and one EndpointSlice per zone whose
 * endpoint is one of three Netty gRPC servers on loopback (127.0.0.1, each slice with its server's
 * port). A channel for {@code meridian:///reviews} with a source whose caller runs in r1/z1 sends
 * everything to its zone: Istio's {@code PreferClose} forces {@code failoverPriority} [network,
 * region, zone] even without outlier detection ({@code GetLocalityLbSetting},
 * {@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go}), so r1/z1 is priority 0, r1/z2
 * priority 1 and r2 priority 2. The zone's slice scaled to zero moves every call to r1/z2, the same
 * region, never to r2. Nothing sleeps: a change is awaited by calling until the server it moves calls
 * to answers.
 */
class KubernetesSourceTest {

    private static final String NS = "default";

    private ZoneServer z1;
    private ZoneServer z2;
    private ZoneServer r2;
    private KubernetesMockServer apiServer;
    private KubernetesClient client;
    private KubernetesSource source;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final ManualClock clock = new ManualClock();
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws IOException {
        z1 = ZoneServer.start("r1/z1");
        z2 = ZoneServer.start("r1/z2");
        r2 = ZoneServer.start("r2/z1");
        apiServer = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        apiServer.init();
        apiServer.expectCustomResource(new CustomResourceDefinitionContext.Builder().withGroup("networking.istio.io")
                .withVersion("v1").withKind("DestinationRule").withPlural("destinationrules").withScope("Namespaced")
                .build());
        client = apiServer.createClient();
        node("node-z1", "r1", "z1");
        node("node-z2", "r1", "z2");
        node("node-r2", "r2", "z1");
        client.services().inNamespace(NS).resource(service("reviews", "PreferClose")).create();
        putSlice(slice("reviews-z1", z1, endpoint("node-z1")));
        putSlice(slice("reviews-z2", z2, endpoint("node-z2")));
        putSlice(slice("reviews-r2", r2, endpoint("node-r2")));
        source = KubernetesSource.builder(client).caller(Caller.at(Locality.parse("r1/z1"))).build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        // The API server goes first: the mock's watch listener can block its event loop when a client
        // closes a watch while a send is queued (see the kubernetes module's MeshApiServer).
        apiServer.destroy();
        for (ManagedChannel c : channels) {
            c.shutdownNow();
            c.awaitTermination(30, TimeUnit.SECONDS);
        }
        client.close();
        for (ZoneServer s : List.of(z1, z2, r2)) {
            s.stop();
        }
    }

    // ---- resources ----

    private void node(String name, String region, String zone) {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name)
                .withLabels(Map.of("topology.kubernetes.io/region", region, "topology.kubernetes.io/zone", zone))
                .endMetadata().build()).create();
    }

    private static Service service(String name, String trafficDistribution) {
        return new ServiceBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withNewSpec().addNewPort().withName("grpc").withPort(9080).withNewTargetPort(8080)
                .withProtocol("TCP").endPort().withTrafficDistribution(trafficDistribution).endSpec().build();
    }

    /** A ready pod on 127.0.0.1 on a node; the slice gives it its server's port. */
    private static Endpoint endpoint(String nodeName) {
        return new EndpointBuilder().withAddresses("127.0.0.1").withNodeName(nodeName)
                .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
                .withNewTargetRef().withKind("Pod").withNamespace(NS).withName("reviews-" + nodeName).endTargetRef()
                .build();
    }

    private static EndpointSlice slice(String name, ZoneServer server, Endpoint... endpoints) {
        return new EndpointSliceBuilder().withNewMetadata().withName(name).withNamespace(NS)
                .addToLabels(KubernetesEndpointSource.LABEL_SERVICE_NAME, "reviews").endMetadata()
                .withAddressType("IPv4")
                .withPorts(new EndpointPortBuilder().withName("grpc").withPort(server.port()).withProtocol("TCP").build())
                .withEndpoints(new ArrayList<>(List.of(endpoints))).build();
    }

    private void putSlice(EndpointSlice s) {
        client.discovery().v1().endpointSlices().inNamespace(NS).resource(s).createOr(op -> op.update());
    }

    // ---- channels and calls ----

    private ManagedChannel channel(String target) {
        return channel(target, source);
    }

    private ManagedChannel channel(String target, MeridianSource from) {
        ManagedChannel c = NettyChannelBuilder.forTarget(target).usePlaintext()
                .defaultLoadBalancingPolicy(MeridianLocalityLoadBalancerProvider.POLICY_NAME)
                .setNameResolverArg(MeridianNameResolverProvider.SOURCE, from)
                .setNameResolverArg(MeridianLocalityLoadBalancerProvider.CLOCK, clock)
                .setNameResolverArg(MeridianLocalityLoadBalancerProvider.EJECTION_LISTENER,
                        new LocalityFailoverTest.Events(events))
                .build();
        channels.add(c);
        return c;
    }

    private static Map<String, Integer> calls(ManagedChannel c, int n) {
        Map<String, Integer> by = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            by.merge(ZoneServer.call(c), 1, Integer::sum);
        }
        return by;
    }

    private static Status failure(ManagedChannel c) {
        try {
            ZoneServer.call(c, 30_000);
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
        throw new AssertionError("the call succeeded");
    }

    // ---- tests ----

    @Test
    void theCallersZoneTakesEverythingAndItsSliceScaledToZeroMovesCallsToTheOtherZoneOfTheRegion() {
        ManagedChannel c = channel("meridian:///reviews");
        assertThat(calls(c, 20)).containsExactly(Map.entry("r1/z1", 20));
        assertThat(Map.of("r1/z1", z1.calls(), "r1/z2", z2.calls(), "r2/z1", r2.calls()))
                .isEqualTo(Map.of("r1/z1", 20, "r1/z2", 0, "r2/z1", 0));

        // The deployment in z1 scaled to zero: its slice has no endpoint left.
        putSlice(slice("reviews-z1", z1));
        int z1Calls = 0;
        for (int i = 0; !"r1/z2".equals(ZoneServer.call(c)); i++) {
            assertThat(i).as("calls before the update reached the channel").isLessThan(200);
            z1Calls++;
        }
        assertThat(z1.calls()).isEqualTo(20 + z1Calls);
        assertThat(calls(c, 20)).containsExactly(Map.entry("r1/z2", 20));
        assertThat(z1.calls()).isEqualTo(20 + z1Calls);
        assertThat(r2.calls()).isZero();
    }

    @Test
    void aDestinationRulesOutlierDetectionEjectsTheFailingZoneToTheOtherZoneOfTheRegion() throws Exception {
        client.services().inNamespace(NS).resource(service("reviews", null)).update();
        client.genericKubernetesResources(KubernetesEndpointSource.DESTINATION_RULES).inNamespace(NS)
                .resource(client.getKubernetesSerialization().unmarshal("""
                        apiVersion: networking.istio.io/v1
                        kind: DestinationRule
                        metadata: {name: reviews, namespace: default}
                        spec:
                          host: reviews
                          trafficPolicy:
                            loadBalancer: {simple: ROUND_ROBIN}
                            outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 100}
                        """, GenericKubernetesResource.class)).create();
        KubernetesSource withRules = KubernetesSource.builder(client).caller(Caller.at(Locality.parse("r1/z1")))
                .watchDestinationRules(true).build();
        ManagedChannel c = channel("meridian:///reviews", withRules);
        assertThat(calls(c, 10)).containsExactly(Map.entry("r1/z1", 10));

        // consecutive5xxErrors 3, translated by istiod's applyOutlierDetection: three UNAVAILABLE
        // (503) eject r1/z1, and its region's other zone, priority 1, takes everything. The rule sets
        // maxEjectionPercent 100: under Envoy's default 10 %, one host of three (33 %) is never ejected
        // (DetectorImpl::ejectHost from Envoy 1.27: (active + 1) / hosts must not exceed it).
        z1.fail(Status.UNAVAILABLE);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> ZoneServer.call(c)).isInstanceOf(StatusRuntimeException.class);
        }
        assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo("ejected r1/z1 CONSECUTIVE_5XX");
        assertThat(calls(c, 20)).containsExactly(Map.entry("r1/z2", 20));
        assertThat(r2.calls()).isZero();
    }

    @Test
    void everyNameFormReachesTheSameService() {
        for (String target : List.of("meridian:///reviews.default", "meridian:///reviews.default.svc:grpc",
                "meridian:///reviews.default.svc.cluster.local:9080",
                MeridianNameResolverProvider.target("outbound|9080||reviews.default.svc.cluster.local"))) {
            assertThat(calls(channel(target), 3)).as(target).containsExactly(Map.entry("r1/z1", 3));
        }
    }

    @Test
    void anUnknownServiceFailsCallsNamingIt() {
        Status s = failure(channel("meridian:///ratings"));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).startsWith("meridian: Kubernetes Service default/ratings ('ratings'): "
                + "services/default/ratings: not found");
    }

    @Test
    void aServiceWithoutEndpointsFailsCallsAtOnce() {
        client.services().inNamespace(NS).resource(service("details", null)).create();
        Status s = failure(channel("meridian:///details"));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).contains("details.default.svc.cluster.local").contains("has no endpoints");
    }

    @Test
    void aPortTheServiceDoesNotHaveFailsCallsNamingIt() {
        Status s = failure(channel("meridian:///reviews:http"));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).contains("services/default/reviews.spec.ports")
                .contains("no port named or numbered 'http'").contains("grpc=9080");
    }

    @Test
    void aNameThatIsNoServiceNameFailsCallsSayingWhatIsAccepted() {
        Status s = failure(channel("meridian:///reviews.default.cluster.local"));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).isEqualTo("meridian: 'reviews.default.cluster.local' is not a Kubernetes"
                + " Service name (NAME, NAME.NAMESPACE, NAME.NAMESPACE.svc or NAME.NAMESPACE.svc.cluster.local,"
                + " optionally with :PORT, or outbound|PORT||NAME.NAMESPACE.svc.cluster.local)");
        Status subset = failure(channel(MeridianNameResolverProvider.target(
                "outbound|9080|v1|reviews.default.svc.cluster.local")));
        assertThat(subset.getDescription()).contains("the Kubernetes source has no subsets (subset 'v1')");
    }
}
