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
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.meridian.xds.AdsClient;
import dev.meridian.xds.XdsWarning;
import dev.meridian.xds.server.SidecarGroup;
import io.envoyproxy.envoy.config.core.v3.Node;
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
import io.netty.handler.timeout.IdleStateHandler;
import dev.meridian.core.EndpointTable;
import dev.meridian.lb.HostPlan;
import dev.meridian.lb.LoadPlan;
import dev.meridian.lb.PriorityPlan;
import dev.meridian.outlier.EjectionType;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
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
    /** Envoy's {@code max_request_headers_kb} default (60 KiB): larger request headers get a 431. */
    static final int MAX_HEADERS = 60 * 1024;
    private final AgentConfig config;
    private final Caller caller;
    private final Consumer<String> log;
    private final ScheduledExecutorService control;
    private final Transport transport;
    private final EventLoopGroup loops;
    private final List<Route> routes = new ArrayList<>();
    private final NanoClock clock;
    private final Duration controlPeriod;
    private MeshDirectory.Watch watch;
    private AdsClient ads;
    private ManagedChannel xdsChannel;
    private AdminEndpoint admin;
    private CompletableFuture<DrainReport> drained;

    private Agent(Builder b) {
        this.config = b.config;
        this.caller = new Caller(config.locality(), config.labels());
        this.log = b.log;
        this.clock = b.clock;
        this.controlPeriod = b.controlPeriod;
        this.control = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meridian-agent-control");
            t.setDaemon(true);
            return t;
        });
        this.transport = Transport.best();
        this.loops = new MultiThreadIoEventLoopGroup(config.threads(), transport.ioHandlers());
        for (AgentConfig.Listener l : config.listeners()) {
            Route[] route = new Route[1];
            EjectionListener forward = b.ejections;
            Cluster.Builder cb = Cluster.builder(LbConfig.builder().build()).clock(b.clock)
                    .listener(new EjectionListener() {
                        @Override
                        public void onEjected(EndpointTable table, int hostId, EjectionType type, long at, long until) {
                            route[0].ejections.incrementAndGet();
                            if (forward != null) {
                                forward.onEjected(table, hostId, type, at, until);
                            }
                        }

                        @Override
                        public void onReturned(EndpointTable table, int hostId, long at) {
                            if (forward != null) {
                                forward.onReturned(table, hostId, at);
                            }
                        }
                    });
            Route r = new Route(l, cb.build(), control);
            route[0] = r;
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
            AdsClient.Builder ab = AdsClient.builder(xdsChannel).node(node(node)).scheduler(control)
                    .listener(new XdsLog());
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
        if (config.adminHost() != null) {
            admin = new AdminEndpoint(this, config.adminHost(), config.adminPort());
        }
    }

    /**
     * The node the agent presents: its id, the VM's locality, and the VM's labels as Istio's proxies
     * send theirs ({@code metadata.LABELS}, {@code NodeMetadata.Labels} in istio's
     * {@code pkg/model/proxy.go}), so that a control plane applies {@code failoverPriority} to the VM
     * as to a pod with those labels.
     */
    private Node node(String id) {
        Node.Builder n = Node.newBuilder().setId(id);
        if (!config.locality().isUnknown()) {
            n.setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion(config.locality().region())
                    .setZone(config.locality().zone()).setSubZone(config.locality().subzone()));
        }
        if (!config.labels().isEmpty()) {
            Struct.Builder labels = Struct.newBuilder();
            new TreeMap<>(config.labels()).forEach((k, v) -> labels.putFields(k, Value.newBuilder().setStringValue(v).build()));
            n.setMetadata(Struct.newBuilder().putFields(SidecarGroup.METADATA_LABELS,
                    Value.newBuilder().setStructValue(labels).build()));
        }
        return n.build();
    }

    /**
     * Logs the xDS stream's life and each accepted or rejected response. An accepted response's
     * commands are drained at once on the control thread, before the line is logged, so that what
     * the line reports is already what requests see.
     */
    private final class XdsLog implements AdsClient.Listener {
        @Override
        public void onConnected() {
            log.accept("meridian agent: xDS: connected to " + config.xdsAddress());
        }

        @Override
        public void onDisconnected(Status status, Duration retryIn) {
            log.accept("meridian agent: xDS: stream to " + config.xdsAddress() + " ended (" + status.getCode()
                    + (status.getDescription() == null ? "" : ": " + status.getDescription()) + "); retrying in "
                    + retryIn.toMillis() + " ms");
        }

        @Override
        public void onAccepted(String typeUrl, String version, List<XdsWarning> warnings) {
            control.execute(() -> {
                for (Route r : routes) {
                    r.cluster.drain();
                }
                log.accept("meridian agent: xDS: applied " + shortType(typeUrl) + " version " + version
                        + (warnings.isEmpty() ? "" : "; " + warnings.size() + " warning(s): " + warnings));
            });
        }

        @Override
        public void onRejected(String typeUrl, String version, String reason, List<XdsWarning> warnings) {
            log.accept("meridian agent: xDS: rejected " + shortType(typeUrl) + " version " + version + ", the last good "
                    + "configuration stays: " + reason);
        }

        private static String shortType(String typeUrl) {
            return typeUrl.substring(typeUrl.lastIndexOf('.') + 1);
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
        ServerBootstrap b = new ServerBootstrap().group(loops).channel(transport.serverChannel())
                .childOption(ChannelOption.AUTO_READ, false)
                // a client's FIN is an event (ChannelInputShutdownEvent), not a close: TCP passes it on,
                // HTTP answers what it read before closing
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpForwarder.WATER_MARK)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        IdleStateHandler idle = new IdleStateHandler(0, 0, config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
                        if (r.listener.mode() == ForwardMode.TCP) {
                            ch.pipeline().addLast(idle, new TcpForwarder(r, config));
                        } else {
                            ch.pipeline().addLast(idle, new HttpForwarder(r, config));
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

    /**
     * The socket implementation the event loops run on: {@code epoll} (Linux, Netty's native
     * transport) or {@code nio} (elsewhere, or with {@code -Dio.netty.transport.noNative=true}).
     */
    public String transport() {
        return transport.name();
    }

    /** The event loops that forward; for tests that must let every loop run its pending tasks. */
    EventLoopGroup loops() {
        return loops;
    }

    /** Downstream channels listener {@code index} holds open now, counted by the channels themselves. */
    public int openChannels(int index) {
        return routes.get(index).downstreams.size();
    }

    /** Listener {@code index}'s route: for tests that watch its channels close. */
    Route route(int index) {
        return routes.get(index);
    }

    /** The admin endpoint's address, or null when {@code agent.yaml} names none. */
    public InetSocketAddress adminAddress() {
        return admin == null ? null : admin.address();
    }

    /**
     * True once every listener's cluster has published a snapshot with endpoints, until a drain starts:
     * what {@code GET /ready} answers 200 for.
     */
    public boolean ready() {
        if (isDraining()) {
            return false;
        }
        for (Route r : routes) {
            if (r.cluster.publications() == 0 || r.cluster.hosts().isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** True once a drain has started. */
    public synchronized boolean isDraining() {
        return drained != null;
    }

    /**
     * Starts a graceful drain, once; later calls return the same future. Every listener stops accepting
     * (its socket is closed, so new connections are refused), idle HTTP keep-alive connections close at
     * once, an HTTP request in flight gets its response with {@code Connection: close}, and a TCP
     * connection goes on until either side ends it. At {@code drainTimeout} on the agent's clock whatever
     * is left is closed and counted as cut. This is what Envoy does for the drain time (Envoy's
     * {@code --drain-time-s}; Istio's pilot-agent drains its Envoy for {@code terminationDrainDuration},
     * 5 s by default, on SIGTERM), except that Envoy spreads the closes over the drain time
     * ({@code --drain-strategy gradual}) where the agent lets every connection run to the end.
     *
     * @return completes with the report (also logged on one line) when nothing is left open
     */
    public synchronized CompletableFuture<DrainReport> drain() {
        if (drained != null) {
            return drained;
        }
        CompletableFuture<DrainReport> done = new CompletableFuture<>();
        drained = done;
        long start = clock.nanoTime();
        long deadline = start + config.drainTimeout().toNanos();
        for (Route r : routes) {
            r.draining = true;
            if (r.serverChannel != null) {
                // The JDK frees a socket registered with a selector when the selector next selects; a
                // connect racing with that is reset as the socket goes, never served.
                r.serverChannel.close().syncUninterruptibly();
            }
        }
        int tcp = 0;
        int http = 0;
        for (Route r : routes) {
            for (Channel ch : r.downstreams) {
                if (r.listener.mode() == ForwardMode.TCP) {
                    tcp++;
                } else if (Boolean.TRUE.equals(ch.attr(Route.IN_FLIGHT).get())) {
                    http++;
                }
                ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(Route.DRAIN));
            }
        }
        log.accept("meridian agent: draining for up to " + config.drainTimeout().toMillis() + " ms: " + tcp
                + " TCP connections and " + http + " HTTP requests in flight; listeners closed");
        int tcpAtStart = tcp;
        int httpAtStart = http;
        ScheduledFuture<?>[] check = new ScheduledFuture<?>[1];
        Runnable step = () -> {
            if (done.isDone()) {
                return;
            }
            boolean empty = routes.stream().allMatch(r -> r.downstreams.isEmpty());
            long now = clock.nanoTime();
            if (!empty && now - deadline < 0) {
                return;
            }
            int tcpCut = 0;
            int httpCut = 0;
            for (Route r : routes) {
                for (Channel ch : r.downstreams) {
                    if (r.listener.mode() == ForwardMode.TCP) {
                        tcpCut++;
                    } else if (Boolean.TRUE.equals(ch.attr(Route.IN_FLIGHT).get())) {
                        httpCut++;
                    }
                }
                r.downstreams.close().awaitUninterruptibly();
            }
            DrainReport report = new DrainReport(tcpAtStart, httpAtStart, tcpCut, httpCut,
                    Duration.ofNanos(Math.max(0, now - start)));
            log.accept(report.line());
            if (check[0] != null) {
                check[0].cancel(false);
            }
            done.complete(report);
        };
        try {
            check[0] = control.scheduleWithFixedDelay(step, 0, controlPeriod.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            step.run();
        }
        return done;
    }

    /**
     * The agent's metrics in Prometheus' text exposition format (version 0.0.4), named and labelled as
     * docs/agent.md lists them.
     */
    public String metrics() {
        StringBuilder m = new StringBuilder();
        String[][] upstream = {
            {"meridian_agent_upstream_requests_total", "counter",
                "HTTP requests and TCP connections sent to an upstream locality and priority."},
            {"meridian_agent_upstream_errors_total", "counter",
                "Of those, the ones that ended in a 5xx response or a local-origin failure (connect failure, reset, timeout)."},
            {"meridian_agent_upstream_active", "gauge",
                "HTTP requests and TCP connections in flight to an upstream locality and priority."},
        };
        for (int k = 0; k < upstream.length; k++) {
            m.append("# HELP ").append(upstream[k][0]).append(' ').append(upstream[k][2]).append('\n');
            m.append("# TYPE ").append(upstream[k][0]).append(' ').append(upstream[k][1]).append('\n');
            for (Route r : routes) {
                Map<String, Route.Counters> sorted = new TreeMap<>();
                r.counters.forEach((key, c) -> sorted.put(key.locality() + "\0" + key.priority(), c));
                for (Map.Entry<String, Route.Counters> e : sorted.entrySet()) {
                    String[] lp = e.getKey().split("\0");
                    Route.Counters c = e.getValue();
                    long v = k == 0 ? c.requests.sum() : k == 1 ? c.errors.sum() : c.active.get();
                    m.append(upstream[k][0]).append('{').append(listenerLabels(r)).append(",locality=\"")
                            .append(escape(lp[0])).append("\",priority=\"").append(lp[1]).append("\"} ").append(v)
                            .append('\n');
                }
            }
        }
        String[][] perListener = {
            {"meridian_agent_downstream_connections", "gauge", "Downstream connections a listener holds open."},
            {"meridian_agent_ejections_total", "counter", "Ejections the listener's outlier detection decided."},
        };
        for (int k = 0; k < perListener.length; k++) {
            m.append("# HELP ").append(perListener[k][0]).append(' ').append(perListener[k][2]).append('\n');
            m.append("# TYPE ").append(perListener[k][0]).append(' ').append(perListener[k][1]).append('\n');
            for (Route r : routes) {
                long v = k == 0 ? r.connections() : r.ejections.get();
                m.append(perListener[k][0]).append('{').append(listenerLabels(r)).append("} ").append(v).append('\n');
            }
        }
        return m.toString();
    }

    private static String listenerLabels(Route r) {
        return "listener=\"" + escape(r.listener.host() + ":" + r.listener.port()) + "\",service=\""
                + escape(r.listener.service()) + "\"";
    }

    /** Prometheus label value escaping: backslash, double quote and newline. */
    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /**
     * Per listener, what its cluster's published snapshot does ({@link Cluster#plan()}): priorities with
     * their load and panic, localities with their share, hosts with their share and ejected flag; the
     * JSON docs/agent.md shows.
     */
    public String planJson() {
        StringBuilder j = new StringBuilder("{\"listeners\":[");
        for (int i = 0; i < routes.size(); i++) {
            Route r = routes.get(i);
            LoadPlan plan = r.cluster.plan();
            EndpointTable table = r.cluster.table();
            j.append(i == 0 ? "" : ",").append("{\"listen\":").append(quote(r.listener.host() + ":" + r.listener.port()))
                    .append(",\"service\":").append(quote(r.listener.service()))
                    .append(",\"policy\":").append(quote(plan.policy().toString()))
                    .append(",\"overprovisioningFactor\":").append(plan.overprovisioningFactor())
                    .append(",\"panicThreshold\":").append(plan.panicThreshold())
                    .append(",\"priorities\":[");
            for (int p = 0; p < plan.priorities().size(); p++) {
                PriorityPlan pp = plan.priorities().get(p);
                j.append(p == 0 ? "" : ",").append("{\"priority\":").append(pp.priority())
                        .append(",\"hosts\":").append(pp.hosts()).append(",\"healthy\":").append(pp.healthy())
                        .append(",\"healthyLoad\":").append(pp.healthyLoad())
                        .append(",\"degradedLoad\":").append(pp.degradedLoad())
                        .append(",\"panic\":").append(pp.panic()).append(",\"localities\":[");
                for (int l = 0; l < pp.localities().size(); l++) {
                    dev.meridian.lb.LocalityPlan lp = pp.localities().get(l);
                    j.append(l == 0 ? "" : ",").append("{\"locality\":").append(quote(lp.locality().toString()))
                            .append(",\"share\":").append(lp.share()).append(",\"hosts\":[");
                    for (int h = 0; h < lp.hosts().size(); h++) {
                        HostPlan hp = lp.hosts().get(h);
                        String address = hp.hostId() < table.size() ? table.endpoint(hp.hostId()).address() : "?";
                        j.append(h == 0 ? "" : ",").append("{\"address\":").append(quote(address))
                                .append(",\"share\":").append(hp.share() == null ? "null" : hp.share().toString())
                                .append(",\"ejected\":").append(hp.ejected())
                                .append(",\"excluded\":").append(hp.excluded()).append('}');
                    }
                    j.append("]}");
                }
                j.append("]}");
            }
            j.append("]}");
        }
        return j.append("]}\n").toString();
    }

    private static String quote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        q.append(String.format("\\u%04x", (int) c));
                    } else {
                        q.append(c);
                    }
                }
            }
        }
        return q.append('"').toString();
    }

    /** The configuration this agent runs. */
    public AgentConfig config() {
        return config;
    }

    /** Stops listening, closes every connection and stops the watch, the xDS client and the control thread. */
    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
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
