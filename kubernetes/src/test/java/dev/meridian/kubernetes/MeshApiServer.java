package dev.meridian.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.TrafficDistribution;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A fabric8 mock API server in CRUD mode on loopback, started and stopped by the test, holding a small
 * mesh: the Service {@code shop/reviews} (port {@code http} 9080 to 8080) with two pods in each of
 * three zones over two regions, one EndpointSlice per zone, one Node per zone with the well-known
 * topology labels; a {@link Cluster} on a {@link ManualClock} with a seeded random source; and a
 * listener that queues what the source reports. The caller runs in r1/z1 on node {@code node-caller}.
 */
final class MeshApiServer implements AutoCloseable {
    static final String NS = "shop";
    static final String SERVICE = "reviews";
    static final Caller CALLER = new Caller(Locality.of("r1", "z1", ""),
            Map.of(TrafficDistribution.LABEL_HOSTNAME, "node-caller"));
    /** zone -> region. */
    static final Map<String, String> ZONES = new LinkedHashMap<>(Map.of("z1", "r1", "z2", "r1", "z3", "r2"));

    final KubernetesMockServer server;
    final KubernetesClient client;
    final Cluster cluster = Cluster.builder(LbConfig.defaults()).clock(new ManualClock())
            .random(RandomSource.seeded(42)).build();
    final BlockingQueue<EndpointUpdate> updates = new LinkedBlockingQueue<>();
    final BlockingQueue<KubernetesWarning> warnings = new LinkedBlockingQueue<>();
    /** The URIs of requests the client could not connect for, as its HTTP layer reports them. */
    final BlockingQueue<String> connectionFailures = new LinkedBlockingQueue<>();
    /** When set, the listener throws after recording each update and warning, as a broken embedder's would. */
    volatile boolean listenerThrows;
    final KubernetesSourceListener listener = new KubernetesSourceListener() {
        @Override
        public void onUpdate(EndpointUpdate update) {
            updates.add(update);
            if (listenerThrows) {
                throw new IllegalStateException("listener failed on update " + update.sequence());
            }
        }

        @Override
        public void onWarning(KubernetesWarning warning) {
            warnings.add(warning);
            if (listenerThrows) {
                throw new IllegalStateException("listener failed on " + warning.field());
            }
        }
    };
    private KubernetesEndpointSource source;
    private boolean serverUp;

    MeshApiServer() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        serverUp = true;
        server.expectCustomResource(new CustomResourceDefinitionContext.Builder().withGroup("networking.istio.io")
                .withVersion("v1").withKind("DestinationRule").withPlural("destinationrules").withScope("Namespaced")
                .build());
        client = server.createClient(b -> b.withHttpClientBuilderConsumer(http -> http.addOrReplaceInterceptor(
                "connection-failures", new Interceptor() {
                    @Override
                    public void afterConnectionFailure(HttpRequest request, Throwable failure) {
                        connectionFailures.add(request.uri().toString());
                    }
                })));
        ZONES.forEach((zone, region) -> client.nodes().resource(node("node-" + zone, Map.of(
                "topology.kubernetes.io/region", region, "topology.kubernetes.io/zone", zone))).create());
        client.services().inNamespace(NS).resource(service(null, Map.of())).create();
        for (String zone : ZONES.keySet()) {
            putSlice(slice(zone, ready(zone, 1), ready(zone, 2)));
        }
    }

    /** Starts a source built from the given builder, with this mesh's service, port, cluster and listener. */
    KubernetesEndpointSource start(KubernetesEndpointSource.Builder builder) throws Exception {
        source = builder.service(NS, SERVICE).port("http").target(cluster).listener(listener).build();
        source.start().get(30, TimeUnit.SECONDS);
        return source;
    }

    /**
     * Starts a source with this mesh's service and listener but no target and no port: only the
     * listener hears the updates, and the port is the Service's only one.
     */
    KubernetesEndpointSource startWithoutTarget(KubernetesEndpointSource.Builder builder) throws Exception {
        source = builder.service(NS, SERVICE).listener(listener).build();
        source.start().get(30, TimeUnit.SECONDS);
        return source;
    }

    KubernetesEndpointSource.Builder sourceBuilder() {
        return KubernetesEndpointSource.builder(client).caller(CALLER);
    }

    /** Waits for the first update that satisfies the condition, dropping the others. */
    EndpointUpdate awaitUpdate(Predicate<EndpointUpdate> condition) throws InterruptedException {
        while (true) {
            EndpointUpdate u = updates.poll(30, TimeUnit.SECONDS);
            assertThat(u).as("an update within 30 s").isNotNull();
            if (condition.test(u)) {
                return u;
            }
        }
    }

    /** Waits for the first warning whose field starts with the prefix, dropping the others. */
    KubernetesWarning awaitWarning(String fieldPrefix) throws InterruptedException {
        while (true) {
            KubernetesWarning w = warnings.poll(30, TimeUnit.SECONDS);
            assertThat(w).as("a warning on " + fieldPrefix + " within 30 s").isNotNull();
            if (w.field().startsWith(fieldPrefix)) {
                return w;
            }
        }
    }

    /** Waits for a failed connection attempt whose URI contains the text. */
    String awaitConnectionFailure(String uriPart) throws InterruptedException {
        while (true) {
            String uri = connectionFailures.poll(30, TimeUnit.SECONDS);
            assertThat(uri).as("a failed connection to " + uriPart + " within 30 s").isNotNull();
            if (uri.contains(uriPart)) {
                return uri;
            }
        }
    }

    /** Drains the cluster (the control thread's job), then counts n picks per zone ("none" for no host). */
    Map<String, Integer> picksPerZone(int n) {
        cluster.drain();
        Map<String, Integer> out = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            Host h = cluster.pick();
            out.merge(h == null ? "none" : h.endpoint().locality().zone(), 1, Integer::sum);
        }
        return out;
    }

    /** Drains, then counts n picks per address. */
    Map<String, Integer> picksPerAddress(int n) {
        cluster.drain();
        Map<String, Integer> out = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            Host h = cluster.pick();
            out.merge(h == null ? "none" : h.address(), 1, Integer::sum);
        }
        return out;
    }

    void stopServer() {
        server.destroy();
        serverUp = false;
    }

    @Override
    public void close() {
        // The server goes first: the mock's watch listener can block its event loop for seconds when a
        // client closes a watch while a send is queued (WatchEventsListener.onClosed awaits its executor,
        // whose send awaits the event loop), so the watches are ended from the server's side.
        if (serverUp) {
            server.destroy();
        }
        if (source != null) {
            source.close();
        }
        client.close();
    }

    // ------------------------------------------------------------------ resources

    static Node node(String name, Map<String, String> labels) {
        return new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build();
    }

    static Service service(String trafficDistribution, Map<String, String> labels) {
        return new ServiceBuilder().withNewMetadata().withName(SERVICE).withNamespace(NS).withLabels(labels)
                .endMetadata().withNewSpec().addNewPort().withName("http").withPort(9080).withNewTargetPort(8080)
                .withProtocol("TCP").endPort().withTrafficDistribution(trafficDistribution).endSpec().build();
    }

    void putService(Service s) {
        client.services().inNamespace(NS).resource(s).update();
    }

    /** The address of pod i in a zone: 10.&lt;zone number&gt;.0.i. */
    static String ip(String zone, int i) {
        return "10." + zone.substring(1) + ".0." + i;
    }

    /** A ready pod in a zone, on the zone's node, with the zone field set as the controller sets it. */
    static Endpoint ready(String zone, int i) {
        return pod(zone, i, true, true, false);
    }

    static Endpoint pod(String zone, int i, boolean ready, boolean serving, boolean terminating) {
        return new EndpointBuilder().withAddresses(ip(zone, i)).withNodeName("node-" + zone).withZone(zone)
                .withNewConditions().withReady(ready).withServing(serving).withTerminating(terminating).endConditions()
                .withNewTargetRef().withKind("Pod").withNamespace(NS).withName(SERVICE + "-" + zone + "-" + i)
                .endTargetRef().build();
    }

    /** The endpoint with the zone hint the EndpointSlice controller writes for PreferClose (its own zone). */
    static Endpoint hinted(Endpoint e) {
        return new EndpointBuilder(e).withHints(new EndpointHints(List.of(), List.of(new ForZone(e.getZone()))))
                .build();
    }

    static EndpointSlice slice(String zone, Endpoint... endpoints) {
        return sliceNamed(SERVICE + "-" + zone, endpoints);
    }

    static EndpointSlice sliceNamed(String name, Endpoint... endpoints) {
        return new EndpointSliceBuilder().withNewMetadata().withName(name).withNamespace(NS)
                .addToLabels(KubernetesEndpointSource.LABEL_SERVICE_NAME, SERVICE).endMetadata()
                .withAddressType("IPv4")
                .withPorts(new EndpointPortBuilder().withName("http").withPort(8080).withProtocol("TCP").build())
                .withEndpoints(new ArrayList<>(List.of(endpoints))).build();
    }

    void putSlice(EndpointSlice s) {
        client.discovery().v1().endpointSlices().inNamespace(NS).resource(s).createOr(op -> op.update());
    }

    /** Every zone's slice again, each endpoint carrying the zone hint PreferClose gives it, or none. */
    void hintAll(boolean hints) {
        for (String zone : ZONES.keySet()) {
            Endpoint a = ready(zone, 1);
            Endpoint b = ready(zone, 2);
            putSlice(hints ? slice(zone, hinted(a), hinted(b)) : slice(zone, a, b));
        }
    }

    GenericKubernetesResource destinationRule(String yaml) {
        return client.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class);
    }

    void putDestinationRule(String yaml) {
        client.genericKubernetesResources(KubernetesEndpointSource.DESTINATION_RULES).inNamespace(NS)
                .resource(destinationRule(yaml)).createOr(op -> op.update());
    }

    void deleteDestinationRule(String name) {
        client.genericKubernetesResources(KubernetesEndpointSource.DESTINATION_RULES).inNamespace(NS).withName(name)
                .delete();
    }
}
