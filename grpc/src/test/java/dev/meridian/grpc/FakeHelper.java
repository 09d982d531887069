package dev.meridian.grpc;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ChannelLogger;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The channel side of a balancer without a network, for unit tests: subchannels whose connectivity
 * the test sets, and the last state and picker the balancer published. Used from the test thread;
 * everything the balancer does runs in the helper's synchronization context.
 */
final class FakeHelper extends LoadBalancer.Helper {

    final SynchronizationContext sync = new SynchronizationContext((t, e) -> {
        throw new AssertionError("balancer failed", e);
    });
    final Map<String, FakeSubchannel> subchannels = new LinkedHashMap<>();
    final List<ConnectivityState> states = new ArrayList<>();
    private final ScheduledExecutorService timer;
    volatile ConnectivityState state;
    volatile LoadBalancer.SubchannelPicker picker;

    FakeHelper(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    @Override
    public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
        FakeSubchannel s = new FakeSubchannel(args, this);
        subchannels.put(args.getAddresses().get(0).getAddresses().get(0).toString(), s);
        return s;
    }

    /** The subchannel of the endpoint at this port (the tests use one host and distinct ports). */
    FakeSubchannel port(int port) {
        for (Map.Entry<String, FakeSubchannel> e : subchannels.entrySet()) {
            if (e.getKey().endsWith(":" + port)) {
                return e.getValue();
            }
        }
        throw new AssertionError("no subchannel for port " + port + " in " + subchannels.keySet());
    }

    @Override
    public ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void updateBalancingState(ConnectivityState newState, LoadBalancer.SubchannelPicker newPicker) {
        state = newState;
        picker = newPicker;
        states.add(newState);
    }

    @Override
    public SynchronizationContext getSynchronizationContext() {
        return sync;
    }

    @Override
    public ScheduledExecutorService getScheduledExecutorService() {
        return timer;
    }

    @Override
    public String getAuthority() {
        return "reviews";
    }

    /** What the balancer logged, level and message. */
    final List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public ChannelLogger getChannelLogger() {
        return new ChannelLogger() {
            @Override
            public void log(ChannelLogLevel level, String message) {
                logged.add(level + " " + message);
            }

            @Override
            public void log(ChannelLogLevel level, String messageFormat, Object... args) {
            }
        };
    }

    /** One pick, as the channel makes it. */
    LoadBalancer.PickResult pick() {
        return picker.pickSubchannel(ARGS);
    }

    static final LoadBalancer.PickSubchannelArgs ARGS = new LoadBalancer.PickSubchannelArgs() {
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
            return ZoneServer.WHICH;
        }
    };

    /** A subchannel whose connectivity the test drives. */
    static final class FakeSubchannel extends LoadBalancer.Subchannel {
        private final LoadBalancer.CreateSubchannelArgs args;
        private final FakeHelper helper;
        private LoadBalancer.SubchannelStateListener listener;
        int connectionRequests;
        boolean shutdown;

        FakeSubchannel(LoadBalancer.CreateSubchannelArgs args, FakeHelper helper) {
            this.args = args;
            this.helper = helper;
        }

        @Override
        public void start(LoadBalancer.SubchannelStateListener stateListener) {
            listener = stateListener;
        }

        @Override
        public void requestConnection() {
            connectionRequests++;
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<EquivalentAddressGroup> getAllAddresses() {
            return args.getAddresses();
        }

        @Override
        public Attributes getAttributes() {
            return args.getAttributes();
        }

        void ready() {
            helper.sync.execute(() -> listener.onSubchannelState(ConnectivityStateInfo.forNonError(ConnectivityState.READY)));
        }

        void fail(String why) {
            helper.sync.execute(() -> listener.onSubchannelState(ConnectivityStateInfo.forTransientFailure(
                    Status.UNAVAILABLE.withDescription(why))));
        }

        void idle() {
            helper.sync.execute(() -> listener.onSubchannelState(ConnectivityStateInfo.forNonError(ConnectivityState.IDLE)));
        }
    }
}
