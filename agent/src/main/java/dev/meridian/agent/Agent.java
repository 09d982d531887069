package dev.meridian.agent;

import dev.meridian.cluster.Cluster;
import dev.meridian.core.Clocks;
import dev.meridian.core.NanoClock;
import dev.meridian.grpc.MeridianSource;
import dev.meridian.grpc.MeshDirectorySource;
import dev.meridian.grpc.ResolvedService;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.topology.Caller;
import dev.meridian.xds.AdsClient;
import dev.meridian.xds.server.MeshDirectory;
import dev.meridian.xds.server.MeshModel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The VM agent: one loopback listener per upstream service, each forwarding to the hosts its own
 * {@link Cluster} picks for the VM's locality. The mesh comes from a watched directory of Istio YAML
 * (read by {@link MeshDirectory}, resolved per service as {@link MeshDirectorySource} resolves
 * {@code meridian:///} targets, planned by {@link LocalityPlan}) or from an xDS server
 * ({@link AdsClient}, which feeds each cluster itself). One control thread drains every cluster,
 * periodically and at once when an outcome decides an ejection; a fixed number of Netty event loops
 * forward.
 *
 * <p>Thread-safe. A directory change is applied on the watcher's thread by queuing commands; an
 * invalid change is logged and the last good plan stays. Readers of {@link #plan} see the last plan
 * queued, which the cluster runs from its next drain on.
 */
public final class Agent implements AutoCloseable {
    private final AgentConfig config;
    private final Caller caller;
    private final Consumer<String> log;
    private final ScheduledExecutorService control;
    private final EventLoopGroup loops;
    private final List<Route> routes = new ArrayList<>();
    private MeshDirectory.Watch watch;
    private AdsClient ads;
    private ManagedChannel xdsChannel;

    private Agent(Builder b) {
        this.config = b.config;
        this.caller = new Caller(config.locality(), config.labels());
        this.log = b.log;
        this.control = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meridian-agent-control");
            t.setDaemon(true);
            return t;
        });
        this.loops = new MultiThreadIoEventLoopGroup(config.threads(), NioIoHandler.newFactory());
        for (AgentConfig.Listener l : config.listeners()) {
            Cluster.Builder cb = Cluster.builder(LbConfig.builder().build()).clock(b.clock);
            if (b.ejections != null) {
                cb.listener(b.ejections);
            }
            Route r = new Route(l, cb.build(), control);
            r.cluster.runOn(control, b.controlPeriod);
            routes.add(r);
        }
    }

    /** An agent for this configuration, to start. */
    public static Builder builder(AgentConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config: must not be null");
        }
        return new Builder(config);
    }

    private void start() throws InterruptedException {
        if (config.meshDirectory() != null) {
            MeshDirectory dir = new MeshDirectory(config.meshDirectory());
            MeshModel first = dir.reload();
            for (Route r : routes) {
                String problem = apply(r, first);
                if (problem != null) {
                    throw new IllegalArgumentException(problem);
                }
            }
            watch = dir.watch(this::changed, e -> log.accept("meridian: " + config.meshDirectory()
                    + " changed to invalid content, the last good configuration stays: " + e.getMessage()));
        } else {
            xdsChannel = ManagedChannelBuilder.forTarget(config.xdsAddress()).usePlaintext().build();
            String node = config.xdsNode() != null ? config.xdsNode()
                    : "sidecar~127.0.0.1~meridian-agent.default~default.svc.cluster.local";
            AdsClient.Builder ab = AdsClient.builder(xdsChannel).node(node, null, config.locality()).scheduler(control);
            for (Route r : routes) {
                ab.watch(r.listener.service(), r.cluster);
            }
            ads = ab.build();
            ads.start();
        }
        for (Route r : routes) {
            drainNow(r);
            r.serverChannel = bind(r);
        }
    }

    private void drainNow(Route r) throws InterruptedException {
        try {
            control.submit(r.cluster::drain).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("meridian: draining " + r.listener.service() + " failed", e.getCause());
        }
    }

    private void changed(MeshModel model) {
        for (Route r : routes) {
            String problem = apply(r, model);
            if (problem != null) {
                log.accept("meridian: " + config.meshDirectory() + ": " + problem + "; listener "
                        + r.listener.host() + ":" + r.listener.port() + " keeps its last good configuration");
            } else {
                try {
                    // Drained before the report, so whoever reads it sees the new plan in force.
                    drainNow(r);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                log.accept("meridian: " + config.meshDirectory() + ": applied to listener " + r.listener.host() + ":"
                        + r.listener.port() + " (" + r.listener.service() + "): "
                        + r.plan.service().endpoints().size() + " endpoints");
            }
        }
    }

    /** Resolves and plans one listener's service in a model and queues the change; the problem, or null. */
    private String apply(Route r, MeshModel model) {
        ResolvedService[] resolved = new ResolvedService[1];
        String[] error = new String[1];
        try (MeridianSource.Watch w = MeshDirectorySource.of(model).watch(r.listener.service(), new MeridianSource.Listener() {
            @Override
            public void onService(ResolvedService service) {
                resolved[0] = service;
            }

            @Override
            public void onError(Status status) {
                error[0] = status.getDescription();
            }
        })) {
            if (resolved[0] == null) {
                return error[0] == null ? "no service '" + r.listener.service() + "'" : strip(error[0]);
            }
        }
        LocalityPlan next;
        try {
            next = LocalityPlan.of(resolved[0], caller);
        } catch (IllegalArgumentException e) {
            return "service '" + r.listener.service() + "': " + strip(e.getMessage());
        }
        synchronized (r) {
            next.queueOn(r.cluster, r.plan);
            r.plan = next;
        }
        return null;
    }

    private static String strip(String message) {
        return message.startsWith("meridian: ") ? message.substring("meridian: ".length()) : message;
    }

    private Channel bind(Route r) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap().group(loops).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpForwarder.WATER_MARK)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        IdleStateHandler idle = new IdleStateHandler(0, 0, config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
                        if (r.listener.mode() == ForwardMode.TCP) {
                            ch.pipeline().addLast(idle, new TcpForwarder(r, config));
                        } else {
                            ch.pipeline().addLast(idle, new HttpServerCodec(),
                                    new HttpObjectAggregator(HttpUpstreamPool.MAX_BODY, true), new HttpForwarder(r, config));
                        }
                    }
                });
        try {
            return b.bind(r.listener.host(), r.listener.port()).sync().channel();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("listener " + r.listener.host() + ":" + r.listener.port()
                    + ": cannot listen: " + e.getMessage(), e);
        }
    }

    /** The address listener {@code index} (in {@code agent.yaml}'s order) is bound to. */
    public InetSocketAddress address(int index) {
        return (InetSocketAddress) routes.get(index).serverChannel.localAddress();
    }

    /** The cluster behind listener {@code index}; for inspection (its plan, hosts and ejections). */
    public Cluster cluster(int index) {
        return routes.get(index).cluster;
    }

    /** The plan last queued for listener {@code index}; null when the mesh comes from xDS. */
    public LocalityPlan plan(int index) {
        return routes.get(index).plan;
    }

    /** Downstream connections listener {@code index} holds now. */
    public int connections(int index) {
        return routes.get(index).connections();
    }

    /** The configuration this agent runs. */
    public AgentConfig config() {
        return config;
    }

    /** Stops listening, closes every connection and stops the watch, the xDS client and the control thread. */
    @Override
    public void close() {
        for (Route r : routes) {
            if (r.serverChannel != null) {
                r.serverChannel.close().syncUninterruptibly();
            }
        }
        if (watch != null) {
            watch.close();
        }
        if (ads != null) {
            ads.close();
        }
        if (xdsChannel != null) {
            xdsChannel.shutdownNow();
        }
        loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        control.shutdownNow();
    }

    @Override
    public String toString() {
        return "Agent[" + config.source() + ", " + config.locality() + ", " + routes.size() + " listeners]";
    }

    /** How an agent starts. Not thread-safe. */
    public static final class Builder {
        private final AgentConfig config;
        private NanoClock clock = Clocks.system();
        private EjectionListener ejections;
        private Consumer<String> log = line -> System.err.println(line);
        private Duration controlPeriod = Duration.ofMillis(100);

        private Builder(AgentConfig config) {
            this.config = config;
        }

        /** The clocks every cluster runs on (ejection times); the system clock by default. */
        public Builder clock(NanoClock clock) {
            if (clock == null) {
                throw new IllegalArgumentException("clock: must not be null");
            }
            this.clock = clock;
            return this;
        }

        /** Told of every ejection and return, on the control thread. */
        public Builder ejectionListener(EjectionListener listener) {
            this.ejections = listener;
            return this;
        }

        /** Where the agent's one-line reports go (rejected changes); standard error by default. */
        public Builder log(Consumer<String> log) {
            if (log == null) {
                throw new IllegalArgumentException("log: must not be null");
            }
            this.log = log;
            return this;
        }

        /** How often the control thread drains each cluster when nothing asks sooner (100 ms by default). */
        public Builder controlPeriod(Duration period) {
            if (period == null || period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("controlPeriod: must be positive, got " + period);
            }
            this.controlPeriod = period;
            return this;
        }

        /**
         * Reads the mesh, plans every listener, binds them and starts forwarding.
         *
         * @throws IllegalArgumentException on one line when the mesh is invalid, a listener's service
         *         is unknown or a port cannot be bound
         */
        public Agent start() {
            Agent a = new Agent(this);
            try {
                a.start();
                return a;
            } catch (InterruptedException e) {
                a.close();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("meridian: interrupted while starting the agent", e);
            } catch (RuntimeException e) {
                a.close();
                throw e;
            }
        }
    }
}
