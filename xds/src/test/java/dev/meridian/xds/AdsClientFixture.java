package dev.meridian.xds;

import static dev.meridian.xds.EnvoyResources.assignment;
import static dev.meridian.xds.EnvoyResources.edsCluster;
import static dev.meridian.xds.EnvoyResources.locality;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * What the ADS client's loopback tests share, whichever protocol variant they speak: a sidecar's
 * client in us-east-1a with a fast seeded backoff, seeded destinations, Istio's two-zone assignment,
 * pick counts, and the servers, channels and clients a test opened, closed after it in reverse order.
 */
abstract class AdsClientFixture {

    static final Locality CALLER = Locality.of("us-east", "us-east-1a", "");
    static final String REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
    static final int N = 1000;

    final RecordingListener events = new RecordingListener();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final boolean incremental;

    /** @param incremental whether the clients speak incremental ADS instead of state of the world */
    AdsClientFixture(boolean incremental) {
        this.incremental = incremental;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    <T extends AutoCloseable> T closing(T resource) {
        resources.add(resource);
        return resource;
    }

    ManagedChannel channel(int port) {
        ManagedChannel channel = NettyChannelBuilder
                .forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .usePlaintext()
                .build();
        closing(() -> {
            channel.shutdownNow();
            channel.awaitTermination(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
        });
        return channel;
    }

    static Cluster destination() {
        return Cluster.builder(LbConfig.defaults()).random(RandomSource.seeded(7)).build();
    }

    AdsClient.Builder client(Channel channel) {
        return AdsClient.builder(channel)
                .node("sidecar~10.0.0.9~productpage-v1.default~default.svc.cluster.local", "productpage.default", CALLER)
                .incremental(incremental)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .random(RandomSource.seeded(11))
                .listener(events);
    }

    /** Istio's view from us-east-1a: the local zone at priority 0, the next zone at priority 1. */
    static ClusterLoadAssignment twoZones(String name) {
        return assignment(name,
                locality("us-east", "us-east-1a", 0, "10.0.0.1:9080", "10.0.0.2:9080"),
                locality("us-east", "us-east-1b", 1, "10.0.1.1:9080", "10.0.1.2:9080"));
    }

    /** An EDS cluster the translation rejects: CLUSTER_PROVIDED cannot run outside Envoy's own cluster types. */
    static io.envoyproxy.envoy.config.cluster.v3.Cluster clusterProvided(String name) {
        return edsCluster(name, name).toBuilder()
                .setLbPolicy(io.envoyproxy.envoy.config.cluster.v3.Cluster.LbPolicy.CLUSTER_PROVIDED).build();
    }

    /** Counts of {@code n} picks by address, by priority and by zone. */
    record Picks(Map<String, Integer> byAddress, Map<Integer, Integer> byPriority, Map<String, Integer> byZone) {
    }

    static Picks pick(Cluster cluster, int n) {
        Map<String, Integer> byAddress = new TreeMap<>();
        Map<Integer, Integer> byPriority = new TreeMap<>();
        Map<String, Integer> byZone = new TreeMap<>();
        EndpointTable table = cluster.table();
        for (int i = 0; i < n; i++) {
            Host host = cluster.pick();
            assertThat(host).as("pick %d", i).isNotNull();
            byAddress.merge(host.address(), 1, Integer::sum);
            byPriority.merge(table.priority(table.indexOf(host.address())), 1, Integer::sum);
            byZone.merge(host.endpoint().locality().zone(), 1, Integer::sum);
        }
        return new Picks(byAddress, byPriority, byZone);
    }
}
