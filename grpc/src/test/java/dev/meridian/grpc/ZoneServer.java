package dev.meridian.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One backend in one zone for the end-to-end tests: a Netty gRPC server on loopback (port 0) with
 * one unary method that answers with the server's name, counting the calls it receives, and told
 * how to behave: answer, fail with a status (trailers-only, as a gRPC server fails a call before any
 * response), hang until stopped (a slow peer), or answer bytes the client cannot parse (a malformed
 * message). Started and stopped by the test.
 */
final class ZoneServer {

    /** How the server answers. */
    enum Mode { ANSWER, FAIL, HANG, MALFORMED }

    /** The client's view of a response: the server's name, or a failure when the bytes are not one. */
    static final MethodDescriptor.Marshaller<String> NAMES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                String s = new String(stream.readAllBytes(), StandardCharsets.UTF_8);
                if (s.startsWith("\u0000")) {
                    throw new IllegalArgumentException("malformed response: " + s.length() + " bytes of garbage");
                }
                return s;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    static final MethodDescriptor<String, String> WHICH = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("meridian.test.Zones/Which")
            .setRequestMarshaller(NAMES)
            .setResponseMarshaller(NAMES)
            .build();

    final String name;
    private final Server server;
    private final AtomicInteger calls = new AtomicInteger();
    private final List<StreamObserver<String>> held = new CopyOnWriteArrayList<>();
    private volatile Mode mode = Mode.ANSWER;
    private volatile Status failure = Status.UNAVAILABLE;

    private ZoneServer(String name) throws IOException {
        this.name = name;
        ServerServiceDefinition service = ServerServiceDefinition.builder("meridian.test.Zones")
                .addMethod(WHICH, ServerCalls.asyncUnaryCall(this::which))
                .build();
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(service).build().start();
    }

    static ZoneServer start(String name) throws IOException {
        return new ZoneServer(name);
    }

    private void which(String request, StreamObserver<String> response) {
        calls.incrementAndGet();
        switch (mode) {
            case ANSWER -> {
                response.onNext(name);
                response.onCompleted();
            }
            case FAIL -> response.onError(failure.withDescription(name + " fails").asRuntimeException());
            case HANG -> held.add(response);
            case MALFORMED -> {
                response.onNext("\u0000\u0001\u0002");
                response.onCompleted();
            }
        }
    }

    int port() {
        return server.getPort();
    }

    /** Calls received so far, answered or not. */
    int calls() {
        return calls.get();
    }

    void answer() {
        mode = Mode.ANSWER;
    }

    void fail(Status status) {
        failure = status;
        mode = Mode.FAIL;
    }

    void hang() {
        mode = Mode.HANG;
    }

    void malformed() {
        mode = Mode.MALFORMED;
    }

    /** Stops at once: open connections are closed, held calls cancelled. */
    void stop() throws InterruptedException {
        server.shutdownNow();
        if (!server.awaitTermination(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " did not stop");
        }
    }

    /** One call, as a client makes it: fails fast (no wait for ready), with a deadline as a safety net. */
    static String call(Channel channel, long deadlineMillis) {
        return ClientCalls.blockingUnaryCall(channel, WHICH,
                CallOptions.DEFAULT.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS), "which");
    }

    static String call(Channel channel) {
        return call(channel, 20_000);
    }

    /**
     * Calls until one call is answered by {@code zone}, after servers were stopped: a call that
     * started on a connection the stopped server was closing may fail UNAVAILABLE, as it would
     * through a sidecar without retries, at most {@code maxFailed} of them; none may go astray.
     */
    static void awaitServedBy(Channel channel, String zone, int maxFailed) {
        int failed = 0;
        while (true) {
            try {
                org.assertj.core.api.Assertions.assertThat(call(channel)).isEqualTo(zone);
                return;
            } catch (io.grpc.StatusRuntimeException e) {
                org.assertj.core.api.Assertions.assertThat(e.getStatus().getCode())
                        .isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
                org.assertj.core.api.Assertions.assertThat(++failed)
                        .as("calls failed while the stopped servers' connections closed")
                        .isLessThanOrEqualTo(maxFailed);
            }
        }
    }

    @Override
    public String toString() {
        return name + "@" + port();
    }
}
