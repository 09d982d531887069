package dev.meridian.xds;

import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An ADS server on a loopback Netty port that answers only what the test tells it to: a peer that
 * never answers, or one that sends what no real control plane would (unreadable resources, a wrong
 * type URL, a state of the world that leaves a cluster out).
 */
final class ScriptedAdsServer implements AutoCloseable {

    private final BlockingQueue<DiscoveryRequest> requests = new LinkedBlockingQueue<>();
    private final AtomicReference<StreamObserver<DiscoveryResponse>> responses = new AtomicReference<>();
    private final BlockingQueue<DeltaDiscoveryRequest> deltaRequests = new LinkedBlockingQueue<>();
    private final AtomicReference<StreamObserver<DeltaDiscoveryResponse>> deltaResponses = new AtomicReference<>();
    private final Server server;

    ScriptedAdsServer() throws IOException {
        AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase service =
                new AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase() {
                    @Override
                    public StreamObserver<DiscoveryRequest> streamAggregatedResources(
                            StreamObserver<DiscoveryResponse> responseObserver) {
                        responses.set(responseObserver);
                        return new StreamObserver<>() {
                            @Override
                            public void onNext(DiscoveryRequest value) {
                                requests.add(value);
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                                responseObserver.onCompleted();
                            }
                        };
                    }

                    @Override
                    public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
                            StreamObserver<DeltaDiscoveryResponse> responseObserver) {
                        deltaResponses.set(responseObserver);
                        return new StreamObserver<>() {
                            @Override
                            public void onNext(DeltaDiscoveryRequest value) {
                                deltaRequests.add(value);
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                                responseObserver.onCompleted();
                            }
                        };
                    }
                };
        server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(service)
                .build()
                .start();
    }

    int port() {
        return server.getPort();
    }

    /** The next request the client sent, waiting for it. */
    DiscoveryRequest nextRequest() throws InterruptedException {
        DiscoveryRequest r = requests.poll(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
        if (r == null) {
            fail("no DiscoveryRequest within " + RecordingListener.WAIT_SECONDS + " s");
        }
        return r;
    }

    /** Requests received and not yet taken, without waiting. */
    List<DiscoveryRequest> pendingRequests() {
        List<DiscoveryRequest> out = new java.util.ArrayList<>();
        requests.drainTo(out);
        return out;
    }

    /** Sends a response on the current stream; call from the test thread only. */
    void respond(String typeUrl, String version, String nonce, List<Any> resources) {
        responses.get().onNext(DiscoveryResponse.newBuilder()
                .setTypeUrl(typeUrl)
                .setVersionInfo(version)
                .setNonce(nonce)
                .addAllResources(resources)
                .build());
    }

    /** The next incremental request the client sent, waiting for it. */
    DeltaDiscoveryRequest nextDeltaRequest() throws InterruptedException {
        DeltaDiscoveryRequest r = deltaRequests.poll(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
        if (r == null) {
            fail("no DeltaDiscoveryRequest within " + RecordingListener.WAIT_SECONDS + " s");
        }
        return r;
    }

    /** Sends an incremental response on the current stream; call from the test thread only. */
    void respondDelta(DeltaDiscoveryResponse response) {
        deltaResponses.get().onNext(response);
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
    }
}
