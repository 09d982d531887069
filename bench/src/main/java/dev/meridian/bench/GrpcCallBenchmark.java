package dev.meridian.bench;

import dev.meridian.core.Locality;
import dev.meridian.grpc.MeridianAttributes;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A whole unary call over loopback, through a real Netty channel, with each load-balancing policy
 * over the same nine servers (one per locality of {@link MeshTopology}, the caller in {@code r1/z1}):
 * what the policy's pick and outcome recording add to the cost of a call. {@code pick_first} is the
 * floor (no choice at all), {@code round_robin} grpc-java's usual choice, {@code meridian_locality}
 * Meridian's policy with Istio's outlier detection on (so every call also records its outcome and
 * least request's count through a stream tracer).
 *
 * <p>All three read the same addresses from one static name resolver; only the service config
 * differs. The servers answer at once with a fixed payload.
 *
 * <p>Not thread-safe itself: a JMH state built and torn down on one thread; the benchmark thread
 * only makes calls.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class GrpcCallBenchmark {

    @Param({"pick_first", "round_robin", "meridian_locality"})
    public String policy;

    private static final String SCHEME = "bench-static";
    private static final Map<String, List<EquivalentAddressGroup>> TARGETS = new ConcurrentHashMap<>();
    private static final AtomicInteger TRIALS = new AtomicInteger();
    private static final StaticResolverProvider RESOLVER = new StaticResolverProvider();

    static {
        NameResolverRegistry.getDefaultRegistry().register(RESOLVER);
    }

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private static final MethodDescriptor<byte[], byte[]> GET = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("reviews.Reviews/Get")
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();

    private static final byte[] REQUEST = new byte[16];
    private static final byte[] RESPONSE = new byte[64];

    private final List<Server> servers = new ArrayList<>();
    private ManagedChannel channel;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder("reviews.Reviews")
                .addMethod(GET, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(RESPONSE);
                    response.onCompleted();
                }))
                .build();
        List<EquivalentAddressGroup> groups = new ArrayList<>();
        for (int r = 1; r <= MeshTopology.REGIONS; r++) {
            for (int z = 1; z <= MeshTopology.ZONES_PER_REGION; z++) {
                Server s = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                        .addService(service).build().start();
                servers.add(s);
                String locality = "r" + r + "/z" + z;
                groups.add(new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", s.getPort()),
                        Attributes.newBuilder()
                                .set(MeridianAttributes.LOCALITY, Locality.parse(locality))
                                .set(EquivalentAddressGroup.ATTR_LOCALITY_NAME, locality)
                                .build()));
            }
        }
        String name = "trial-" + TRIALS.incrementAndGet();
        TARGETS.put(name, groups);
        Map<String, ?> config = switch (policy) {
            case "meridian_locality" -> Map.of(
                    "callerLocality", MeshTopology.CALLER_REGION + "/" + MeshTopology.CALLER_ZONE,
                    "loadBalancer", Map.of("simple", "ROUND_ROBIN"),
                    "outlierDetection", Map.of("consecutive5xxErrors", 5.0, "maxEjectionPercent", 100.0));
            case "pick_first", "round_robin" -> Map.of();
            default -> throw new IllegalArgumentException("policy: unknown '" + policy + "'");
        };
        channel = NettyChannelBuilder.forTarget(SCHEME + ":///" + name)
                .usePlaintext()
                .defaultServiceConfig(Map.of("loadBalancingConfig", List.of(Map.of(policy, config))))
                .build();
        byte[] first = ClientCalls.blockingUnaryCall(channel, GET,
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), REQUEST);
        if (first.length != RESPONSE.length) {
            throw new IllegalStateException(policy + ": unexpected response of " + first.length + " bytes");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        for (Server s : servers) {
            s.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        servers.clear();
    }

    /** One unary call, start to finish, as an application makes it. */
    @Benchmark
    public byte[] unaryCall() {
        return ClientCalls.blockingUnaryCall(channel, GET, CallOptions.DEFAULT, REQUEST);
    }

    /** Resolves {@code bench-static:///NAME} to the address groups a trial registered under NAME. */
    static final class StaticResolverProvider extends NameResolverProvider {
        @Override
        protected boolean isAvailable() {
            return true;
        }

        @Override
        protected int priority() {
            return 5;
        }

        @Override
        public String getDefaultScheme() {
            return SCHEME;
        }

        @Override
        public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
            return List.of(InetSocketAddress.class);
        }

        @Override
        public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
            if (!SCHEME.equals(targetUri.getScheme())) {
                return null;
            }
            List<EquivalentAddressGroup> groups = TARGETS.get(targetUri.getPath().substring(1));
            return new NameResolver() {
                @Override
                public String getServiceAuthority() {
                    return "reviews";
                }

                @Override
                public void start(Listener2 listener) {
                    listener.onResult(ResolutionResult.newBuilder().setAddresses(groups).build());
                }

                @Override
                public void shutdown() {
                }
            };
        }
    }
}
