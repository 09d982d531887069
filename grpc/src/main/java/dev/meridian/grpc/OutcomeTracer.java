package dev.meridian.grpc;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.outlier.LocalOriginResult;
import io.grpc.Attributes;
import io.grpc.ClientStreamTracer;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;

/**
 * Feeds one RPC's outcome on one host to the cluster's outlier detection and least request's
 * in-flight count, at the points where Envoy's router feeds them for a gRPC request:
 * <ul>
 *   <li>the stream is created on a connection: {@code LocalOriginConnectSuccess}
 *       ({@code UpstreamRequest::onPoolReady}, {@code source/common/router/upstream_request.cc});</li>
 *   <li>response headers arrive: their {@code :status}, 200 for gRPC
 *       ({@code Filter::onUpstreamHeaders}, {@code source/common/router/router.cc}); a status that the
 *       server then sends in trailers is not fed to outlier detection, as that function's comment
 *       says;</li>
 *   <li>a trailers-only response (the server closed the call before any headers, as gRPC servers
 *       do for an error): its gRPC status through {@code Grpc::Utility::grpcToHttpStatus}
 *       ({@link EnvoyGrpcStatus}), again in {@code onUpstreamHeaders};</li>
 *   <li>the stream ends without a status from the server (connection refused, reset or closed, a
 *       protocol error): {@code LocalOriginConnectFailed}, as {@code Filter::onUpstreamReset}
 *       reports every reset but a circuit-breaker overflow; a deadline that expires first:
 *       {@code LocalOriginTimeout} ({@code Filter::onPerTryTimeoutCommon}); the caller cancelling:
 *       nothing, as a downstream reset tells Envoy nothing about the upstream. grpc-java's retry
 *       layer closes an attempt whose call's deadline expired as CANCELLED, so a CANCELLED attempt
 *       past its deadline counts as the timeout it is.</li>
 * </ul>
 *
 * <p>One tracer per stream. gRPC calls a stream's tracer methods one after another, never
 * concurrently, but not always from one thread, so the flags are volatile.
 */
final class OutcomeTracer extends ClientStreamTracer {

    /** The per-host factory a prebuilt {@code PickResult} carries; immutable and thread-safe. */
    static final class Factory extends ClientStreamTracer.Factory {
        final Cluster cluster;
        final Host host;
        private final Runnable drainSoon;

        /**
         * @param drainSoon run when a recorded outcome completed a run of failures (any thread)
         */
        Factory(Cluster cluster, Host host, Runnable drainSoon) {
            this.cluster = cluster;
            this.host = host;
            this.drainSoon = drainSoon;
        }

        @Override
        public ClientStreamTracer newClientStreamTracer(StreamInfo info, Metadata headers) {
            return new OutcomeTracer(this, info.getCallOptions().getDeadline());
        }

        void record(int httpStatus) {
            if (cluster.record(host, httpStatus)) {
                drainSoon.run();
            }
        }

        void recordLocalOrigin(LocalOriginResult result) {
            if (cluster.recordLocalOrigin(host, result)) {
                drainSoon.run();
            }
        }
    }

    private final Factory factory;
    private final Deadline deadline;
    private volatile boolean started;
    private volatile boolean headers;
    private volatile boolean trailers;

    OutcomeTracer(Factory factory, Deadline deadline) {
        this.factory = factory;
        this.deadline = deadline;
    }

    @Override
    public void streamCreated(Attributes transportAttrs, Metadata headers) {
        started = true;
        factory.cluster.requestStarted(factory.host);
        factory.recordLocalOrigin(LocalOriginResult.CONNECT_SUCCESS);
    }

    @Override
    public void inboundHeaders() {
        headers = true;
        // A gRPC server answers with :status 200; the transport fails the call on any other.
        factory.record(200);
    }

    @Override
    public void inboundTrailers(Metadata trailers) {
        this.trailers = true;
    }

    @Override
    public void streamClosed(Status status) {
        if (started) {
            factory.cluster.requestFinished(factory.host);
        }
        if (trailers) {
            if (!headers) {
                factory.record(EnvoyGrpcStatus.toHttp(status.getCode()));
            }
            return;
        }
        switch (status.getCode()) {
            case OK -> {
                // Closed cleanly without trailers does not happen in gRPC; nothing to learn.
            }
            case CANCELLED -> {
                // With retries on (grpc-java's default) an expired deadline reaches the attempt as
                // CANCELLED ("thrown away because RetriableStream committed"): still a timeout. Any
                // other cancel is the caller giving up, which says nothing about the host.
                if (deadline != null && deadline.isExpired()) {
                    factory.recordLocalOrigin(LocalOriginResult.TIMEOUT);
                }
            }
            case DEADLINE_EXCEEDED -> factory.recordLocalOrigin(LocalOriginResult.TIMEOUT);
            default -> factory.recordLocalOrigin(LocalOriginResult.RESET);
        }
    }
}
