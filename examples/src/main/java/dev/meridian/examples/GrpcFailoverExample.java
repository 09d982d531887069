package dev.meridian.examples;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.grpc.MeridianLocalityLoadBalancerProvider;
import dev.meridian.grpc.MeridianNameResolverProvider;
import dev.meridian.grpc.MeshDirectorySource;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.topology.Caller;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * A gRPC client on {@code meridian_locality}: three servers on loopback, one per zone ({@code r1/z1},
 * {@code r1/z2}, {@code r2/z1}), described by a directory of Istio YAML (a ServiceEntry with their
 * localities and a DestinationRule with outlier detection), and a channel for
 * {@code meridian:///reviews} whose caller runs in {@code r1/z1}. It sends calls in four phases and
 * prints how many each server answered: all up (the local zone takes everything); the local server
 * failing (ejected after three errors, its region's other zone takes over); healed (it returns after
 * its two-second ejection); both servers of {@code r1} stopped (the other region serves).
 *
 * <p>Run it with {@code mvn -B -q -pl examples -am package -DskipTests -Dexample=GrpcFailoverExample}.
 * Not an API; not thread-safe.
 */
public final class GrpcFailoverExample {

    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private static final MethodDescriptor<String, String> WHO = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("reviews.Reviews/Who")
            .setRequestMarshaller(TEXT)
            .setResponseMarshaller(TEXT)
            .build();

    private GrpcFailoverExample() {
    }

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    /** A server for one zone that answers with its zone's name, or fails every call while told to. */
    private static final class ZoneServer {
        final String zone;
        final Server server;
        final AtomicBoolean failing = new AtomicBoolean();

        ZoneServer(String zone) throws IOException {
            this.zone = zone;
            ServerServiceDefinition service = ServerServiceDefinition.builder("reviews.Reviews")
                    .addMethod(WHO, ServerCalls.asyncUnaryCall((request, response) -> {
                        if (failing.get()) {
                            response.onError(Status.UNAVAILABLE.withDescription(zone + " is failing").asRuntimeException());
                        } else {
                            response.onNext(zone);
                            response.onCompleted();
                        }
                    }))
                    .build();
            this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build()
                    .start();
        }

        void stop() throws InterruptedException {
            server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Runs the four phases and prints them.
     *
     * @return the answers per phase, each a map from zone (or "failed") to the number of calls
     */
    static List<Map<String, Integer>> run(PrintStream out) throws Exception {
        List<ZoneServer> servers = List.of(new ZoneServer("r1/z1"), new ZoneServer("r1/z2"), new ZoneServer("r2/z1"));
        Path dir = Files.createTempDirectory("meridian-mesh");
        ManagedChannel channel = null;
        try {
            Files.writeString(dir.resolve("reviews.yaml"), mesh(servers));
            out.println("Three reviews servers on loopback; the client runs in r1/z1. Mesh config: " + dir);
            for (ZoneServer s : servers) {
                out.printf("  %s  127.0.0.1:%d%n", s.zone, s.server.getPort());
            }

            BlockingQueue<String> events = new LinkedBlockingQueue<>();
            channel = ManagedChannelBuilder.forTarget("meridian:///reviews")
                    .usePlaintext()
                    .defaultLoadBalancingPolicy(MeridianLocalityLoadBalancerProvider.POLICY_NAME)
                    .setNameResolverArg(MeridianNameResolverProvider.SOURCE, MeshDirectorySource.read(dir))
                    .setNameResolverArg(MeridianNameResolverProvider.CALLER, Caller.at(Locality.parse("r1/z1")))
                    .setNameResolverArg(MeridianLocalityLoadBalancerProvider.EJECTION_LISTENER, new Printed(events))
                    .build();

            List<Map<String, Integer>> phases = new ArrayList<>();
            phases.add(phase(out, channel, "1. all servers up"));

            servers.get(0).failing.set(true);
            phases.add(phase(out, channel, "2. r1/z1 answers UNAVAILABLE"));
            out.println("   " + events.poll(30, TimeUnit.SECONDS));

            servers.get(0).failing.set(false);
            out.println("3. r1/z1 healed; waiting for its ejection to end...");
            out.println("   " + events.poll(30, TimeUnit.SECONDS));
            phases.add(phase(out, channel, "   after its return"));

            servers.get(0).stop();
            servers.get(1).stop();
            phases.add(phase(out, channel, "4. r1/z1 and r1/z2 stopped"));
            return phases;
        } finally {
            if (channel != null) {
                channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
            for (ZoneServer s : servers) {
                s.stop();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Sends 30 calls, one after another, and prints who answered. */
    private static Map<String, Integer> phase(PrintStream out, ManagedChannel channel, String title) {
        Map<String, Integer> answers = new LinkedHashMap<>();
        for (String zone : List.of("r1/z1", "r1/z2", "r2/z1")) {
            answers.put(zone, 0);
        }
        for (int i = 0; i < 30; i++) {
            try {
                String zone = ClientCalls.blockingUnaryCall(channel, WHO,
                        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "who");
                answers.merge(zone, 1, Integer::sum);
            } catch (StatusRuntimeException e) {
                answers.merge("failed", 1, Integer::sum);
            }
        }
        StringBuilder line = new StringBuilder(String.format("%-32s", title));
        answers.forEach((k, v) -> line.append(String.format("  %s=%-3d", k, v)));
        out.println(line.toString().stripTrailing());
        return answers;
    }

    /** The servers as Istio YAML: where each runs, and outlier detection that ejects after 3 errors for 2 s. */
    private static String mesh(List<ZoneServer> servers) {
        StringBuilder y = new StringBuilder("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews.default.svc.cluster.local]
                  ports: [{number: 9080, name: grpc, protocol: GRPC}]
                  resolution: STATIC
                  endpoints:
                """);
        for (ZoneServer s : servers) {
            y.append("  - {address: 127.0.0.1, ports: {grpc: ").append(s.server.getPort())
                    .append("}, locality: ").append(s.zone).append("}\n");
        }
        y.append("""
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews.default.svc.cluster.local
                  trafficPolicy:
                    loadBalancer: {simple: ROUND_ROBIN}
                    outlierDetection:
                      consecutive5xxErrors: 3
                      interval: 500ms
                      baseEjectionTime: 2s
                      maxEjectionPercent: 100
                """);
        return y.toString();
    }

    /** Turns ejections and returns into printable lines. */
    private record Printed(BlockingQueue<String> events) implements EjectionListener {
        @Override
        public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
            events.add(table.endpoint(hostId).locality() + " ejected (" + type + ") for "
                    + TimeUnit.NANOSECONDS.toMillis(untilNanos - atNanos) + " ms");
        }

        @Override
        public void onReturned(EndpointTable table, int hostId, long atNanos) {
            events.add(table.endpoint(hostId).locality() + " returned to service");
        }
    }
}
