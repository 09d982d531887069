package dev.meridian.bench;

import dev.meridian.core.Locality;
import dev.meridian.grpc.MeridianAttributes;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ChannelLogger;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * grpc-java's client-side balancers, driven exactly as a channel drives them but with fake
 * subchannels that turn READY as soon as they are asked to connect: no network, no name resolver,
 * no xDS control plane. What is measured is {@code SubchannelPicker.pickSubchannel}, the call a
 * channel makes for every RPC.
 *
 * <ul>
 *   <li>{@code round_robin} (grpc-util): strict rotation over every endpoint; no weights, no
 *       localities, no priorities.
 *   <li>{@code weighted_round_robin} (grpc-xds): the stride scheduler fed by ORCA load reports.
 *       With no reports every weight is equal, so this is its cost at uniform weight; each pick
 *       also wraps its result with a per-call load-report listener, as it does in production.
 *   <li>{@code wrr_locality} (grpc-xds): the xDS path for locality-weighted round robin:
 *       {@code wrr_locality} turns per-address locality weights into a {@code weighted_target}
 *       (a weighted random choice of locality) whose children are {@code round_robin}. The 9
 *       localities all take part, with the same locality weights Meridian is given. gRPC's
 *       {@code priority} policy above it picks a priority when connectivity changes, not per
 *       call, so it adds nothing per pick and is left out; so is {@code cluster_impl}'s
 *       drop and call-counting wrapper, which needs an xDS client to build.
 *   <li>{@code meridian_locality} (meridian-grpc): Meridian's policy as the channel's top-level
 *       balancer, over the same endpoints tagged with their localities, for a caller in
 *       {@code r1/z1} with Istio's outlier detection (so locality failover applies) and round robin:
 *       a {@code Cluster} pick plus one identity-map lookup of the prebuilt {@code PickResult}.
 * </ul>
 *
 * <p>The xDS attribute keys and the address path filter that the xDS resolver would set are
 * package-private in grpc-xds; they are reached by reflection once, at setup.
 *
 * <p>Not thread-safe itself: a JMH state whose setup runs on one thread; the benchmark threads only
 * call the balancer under test, which is built to be shared.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GrpcBenchmark {

    @Param({"10", "100", "1000", "10000"})
    public int endpoints;

    @Param({"round_robin", "weighted_round_robin", "wrr_locality", "meridian_locality"})
    public String policy;

    private ScheduledExecutorService timer;
    private LoadBalancer balancer;
    private FakeHelper helper;
    private LoadBalancer.SubchannelPicker picker;
    private final LoadBalancer.PickSubchannelArgs args = new FixedArgs();

    @Setup
    public void setUp() throws Exception {
        MeshTopology mesh = MeshTopology.of(endpoints);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "grpc-bench-timer");
            t.setDaemon(true);
            return t;
        });
        helper = new FakeHelper(timer);
        List<EquivalentAddressGroup> groups = new ArrayList<>(endpoints);
        Object config;
        LoadBalancerProvider provider = LoadBalancerRegistry.getDefaultRegistry().getProvider(
                policy.equals("wrr_locality") ? "wrr_locality_experimental" : policy);
        if (provider == null) {
            throw new IllegalStateException("grpc policy not registered: " + policy);
        }
        switch (policy) {
            case "round_robin", "weighted_round_robin" -> {
                for (int i = 0; i < endpoints; i++) {
                    groups.add(new EquivalentAddressGroup(address(mesh, i)));
                }
                config = provider.parseLoadBalancingPolicyConfig(Map.of()).getConfig();
            }
            case "wrr_locality" -> {
                Attributes.Key<Integer> localityWeightKey = staticField("io.grpc.xds.XdsAttributes",
                        "ATTR_LOCALITY_WEIGHT");
                Method setPathFilter = Class.forName("io.grpc.xds.AddressFilter")
                        .getDeclaredMethod("setPathFilter", EquivalentAddressGroup.class, List.class);
                setPathFilter.setAccessible(true);
                for (int i = 0; i < endpoints; i++) {
                    String locality = mesh.region(i) + "/" + mesh.zone(i);
                    Attributes attrs = Attributes.newBuilder()
                            .set(EquivalentAddressGroup.ATTR_LOCALITY_NAME, locality)
                            .set(localityWeightKey, mesh.localityWeight(i))
                            .build();
                    EquivalentAddressGroup eag = new EquivalentAddressGroup(List.of(address(mesh, i)), attrs);
                    groups.add((EquivalentAddressGroup) setPathFilter.invoke(null, eag, List.of(locality)));
                }
                Map<String, ?> raw = Map.of("childPolicy", List.of(Map.of("round_robin", Map.of())));
                var parsed = provider.parseLoadBalancingPolicyConfig(raw);
                if (parsed.getError() != null) {
                    throw new IllegalStateException("wrr_locality config: " + parsed.getError());
                }
                config = parsed.getConfig();
            }
            case "meridian_locality" -> {
                for (int i = 0; i < endpoints; i++) {
                    String locality = mesh.region(i) + "/" + mesh.zone(i);
                    Attributes attrs = Attributes.newBuilder()
                            .set(MeridianAttributes.LOCALITY, Locality.parse(locality))
                            .set(EquivalentAddressGroup.ATTR_LOCALITY_NAME, locality)
                            .set(MeridianAttributes.WEIGHT, mesh.weight(i))
                            .build();
                    groups.add(new EquivalentAddressGroup(List.of(address(mesh, i)), attrs));
                }
                var parsed = provider.parseLoadBalancingPolicyConfig(Map.of(
                        "callerLocality", MeshTopology.CALLER_REGION + "/" + MeshTopology.CALLER_ZONE,
                        "loadBalancer", Map.of("simple", "ROUND_ROBIN"),
                        "outlierDetection", Map.of("consecutive5xxErrors", 5.0, "maxEjectionPercent", 100.0)));
                if (parsed.getError() != null) {
                    throw new IllegalStateException("meridian_locality config: " + parsed.getError());
                }
                config = parsed.getConfig();
            }
            default -> throw new IllegalArgumentException("policy: unknown '" + policy + "'");
        }
        balancer = provider.newLoadBalancer(helper);
        LoadBalancer.ResolvedAddresses resolved = LoadBalancer.ResolvedAddresses.newBuilder()
                .setAddresses(groups)
                .setLoadBalancingPolicyConfig(config)
                .build();
        helper.syncContext.execute(() -> {
            Status status = balancer.acceptResolvedAddresses(resolved);
            if (!status.isOk()) {
                throw new IllegalStateException("grpc " + policy + " rejected the addresses: " + status);
            }
        });
        picker = helper.picker;
        if (helper.state != ConnectivityState.READY || picker == null) {
            throw new IllegalStateException("grpc " + policy + " is not READY but " + helper.state);
        }
        LoadBalancer.PickResult first = picker.pickSubchannel(args);
        if (first.getSubchannel() == null) {
            throw new IllegalStateException("grpc " + policy + " picked no subchannel: " + first);
        }
    }

    @TearDown
    public void tearDown() {
        helper.syncContext.execute(balancer::shutdown);
        timer.shutdownNow();
    }

    /** One pick, as a channel makes it for each RPC. */
    @Benchmark
    public LoadBalancer.Subchannel pick() {
        return picker.pickSubchannel(args).getSubchannel();
    }

    /** The same from two threads sharing one picker. */
    @Benchmark
    @Threads(2)
    public LoadBalancer.Subchannel pick2Threads() {
        return picker.pickSubchannel(args).getSubchannel();
    }

    private static InetSocketAddress address(MeshTopology mesh, int i) {
        var e = mesh.endpoint(i);
        return InetSocketAddress.createUnresolved(e.host(), e.port());
    }

    @SuppressWarnings("unchecked")
    private static <T> T staticField(String className, String name) throws ReflectiveOperationException {
        Field f = Class.forName(className).getDeclaredField(name);
        f.setAccessible(true);
        return (T) f.get(null);
    }

    /** The channel side, minus the network. Used from the synchronization context only. */
    static final class FakeHelper extends LoadBalancer.Helper {
        final SynchronizationContext syncContext = new SynchronizationContext((t, e) -> {
            throw new IllegalStateException("grpc balancer failed", e);
        });
        private final ScheduledExecutorService timer;
        volatile ConnectivityState state;
        volatile LoadBalancer.SubchannelPicker picker;

        FakeHelper(ScheduledExecutorService timer) {
            this.timer = timer;
        }

        @Override
        public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
            return new FakeSubchannel(args, syncContext);
        }

        @Override
        public ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
            throw new UnsupportedOperationException("no out-of-band channels in a benchmark");
        }

        @Override
        public void updateBalancingState(ConnectivityState newState, LoadBalancer.SubchannelPicker newPicker) {
            state = newState;
            picker = newPicker;
        }

        @Override
        public SynchronizationContext getSynchronizationContext() {
            return syncContext;
        }

        @Override
        public ScheduledExecutorService getScheduledExecutorService() {
            return timer;
        }

        @Override
        public String getAuthority() {
            return "reviews.default.svc";
        }

        @Override
        public String getChannelTarget() {
            return "dns:///reviews.default.svc";
        }

        @Override
        public ChannelLogger getChannelLogger() {
            return QuietLogger.INSTANCE;
        }

        @Override
        public void refreshNameResolution() {
        }

        @Override
        public NameResolver.Args getNameResolverArgs() {
            throw new UnsupportedOperationException("no name resolution in a benchmark");
        }
    }

    /** A subchannel whose connection succeeds at once. */
    static final class FakeSubchannel extends LoadBalancer.Subchannel {
        private final LoadBalancer.CreateSubchannelArgs args;
        private final SynchronizationContext syncContext;
        private LoadBalancer.SubchannelStateListener listener;
        private boolean ready;

        FakeSubchannel(LoadBalancer.CreateSubchannelArgs args, SynchronizationContext syncContext) {
            this.args = args;
            this.syncContext = syncContext;
        }

        @Override
        public void start(LoadBalancer.SubchannelStateListener stateListener) {
            listener = stateListener;
        }

        @Override
        public void requestConnection() {
            if (!ready) {
                ready = true;
                syncContext.executeLater(() -> listener.onSubchannelState(
                        ConnectivityStateInfo.forNonError(ConnectivityState.READY)));
            }
        }

        @Override
        public void shutdown() {
        }

        @Override
        public List<EquivalentAddressGroup> getAllAddresses() {
            return args.getAddresses();
        }

        @Override
        public Attributes getAttributes() {
            return args.getAttributes();
        }

        @Override
        public ChannelLogger getChannelLogger() {
            return QuietLogger.INSTANCE;
        }
    }

    static final class QuietLogger extends ChannelLogger {
        static final QuietLogger INSTANCE = new QuietLogger();

        @Override
        public void log(ChannelLogLevel level, String message) {
        }

        @Override
        public void log(ChannelLogLevel level, String messageFormat, Object... args) {
        }
    }

    /** The per-call arguments of one unary method, built once: a channel builds them per call. */
    static final class FixedArgs extends LoadBalancer.PickSubchannelArgs {
        private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(byte[] value) {
                return new ByteArrayInputStream(value);
            }

            @Override
            public byte[] parse(InputStream stream) {
                return new byte[0];
            }
        };
        private static final MethodDescriptor<byte[], byte[]> METHOD = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName("reviews.Reviews/Get")
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .build();
        private final Metadata headers = new Metadata();

        @Override
        public CallOptions getCallOptions() {
            return CallOptions.DEFAULT;
        }

        @Override
        public Metadata getHeaders() {
            return headers;
        }

        @Override
        public MethodDescriptor<?, ?> getMethodDescriptor() {
            return METHOD;
        }
    }
}
