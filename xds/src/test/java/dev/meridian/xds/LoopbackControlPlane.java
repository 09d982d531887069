package dev.meridian.xds;

import static org.assertj.core.api.Assertions.fail;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * java-control-plane's ADS server ({@code V3DiscoveryServer} over a {@code SimpleCache}) on a
 * loopback Netty port, started, stopped and restarted by the test; its callbacks record every
 * request so a test sees the ACKs and NACKs the server received.
 */
final class LoopbackControlPlane implements AutoCloseable {

    /** Every node in one group: the tests run one client per control plane. */
    static final String GROUP = "mesh";

    private final SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
    private final BlockingQueue<DiscoveryRequest> requests = new LinkedBlockingQueue<>();
    private final BlockingQueue<DeltaDiscoveryRequest> deltaRequests = new LinkedBlockingQueue<>();
    private final AtomicInteger streamsOpened = new AtomicInteger();
    private Server server;
    private int port;

    /** Starts on a free loopback port. */
    static LoopbackControlPlane start() throws IOException {
        LoopbackControlPlane cp = new LoopbackControlPlane();
        cp.listen(0);
        return cp;
    }

    private void listen(int onPort) throws IOException {
        DiscoveryServerCallbacks callbacks = new DiscoveryServerCallbacks() {
            @Override
            public void onStreamOpen(long streamId, String typeUrl) {
                streamsOpened.incrementAndGet();
            }

            @Override
            public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
                requests.add(request);
            }

            @Override
            public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
                deltaRequests.add(request);
            }
        };
        V3DiscoveryServer discovery = new V3DiscoveryServer(callbacks, cache);
        server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort))
                .addService(discovery.getAggregatedDiscoveryServiceImpl())
                .build()
                .start();
        port = server.getPort();
    }

    int port() {
        return port;
    }

    /** ADS streams opened on this control plane, across restarts. */
    int streamsOpened() {
        return streamsOpened.get();
    }

    /** Publishes clusters at one version and assignments at another, as a control plane pushes them. */
    void publish(List<Cluster> clusters, String clustersVersion, List<ClusterLoadAssignment> assignments,
                 String assignmentsVersion) {
        cache.setSnapshot(GROUP, Snapshot.create(clusters, clustersVersion, assignments, assignmentsVersion,
                List.of(), "", List.of(), "", List.of(), ""));
    }

    /** Stops the server and its streams, as a crash would; the cache (the control plane's state) stays. */
    void stop() throws InterruptedException {
        server.shutdownNow();
        if (!server.awaitTermination(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS)) {
            fail("control plane did not stop");
        }
    }

    /** Starts a new server on the same port, over the same cache (the restarted control plane). */
    void restart() throws IOException {
        listen(port);
    }

    /** Skips requests until one that matches, and returns it. */
    DiscoveryRequest awaitRequest(Predicate<DiscoveryRequest> matching) throws InterruptedException {
        while (true) {
            DiscoveryRequest r = requests.poll(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
            if (r == null) {
                fail("no matching DiscoveryRequest within " + RecordingListener.WAIT_SECONDS + " s");
            }
            if (matching.test(r)) {
                return r;
            }
        }
    }

    /** Skips incremental requests until one that matches, and returns it. */
    DeltaDiscoveryRequest awaitDeltaRequest(Predicate<DeltaDiscoveryRequest> matching) throws InterruptedException {
        while (true) {
            DeltaDiscoveryRequest r = deltaRequests.poll(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
            if (r == null) {
                fail("no matching DeltaDiscoveryRequest within " + RecordingListener.WAIT_SECONDS + " s");
            }
            if (matching.test(r)) {
                return r;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (server != null && !server.isTerminated()) {
            stop();
        }
    }
}
