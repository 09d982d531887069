package dev.meridian.grpc;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.NanoClock;
import dev.meridian.istio.CallerProxy;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.istio.KubernetesService;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.PriorityAssignment;
import io.grpc.Attributes;
import io.grpc.ChannelLogger;
import io.grpc.ChannelLogger.ChannelLogLevel;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code meridian_locality}: one Meridian {@link Cluster} behind a gRPC channel, as its top-level
 * policy. It owns the cluster and is its control thread: every command ({@code update},
 * {@code configure}, {@code setHealth}) and every {@code drain()} runs in the channel's
 * {@link SynchronizationContext}; RPC threads only pick (through {@link HostPicker}) and record
 * outcomes (through {@link OutcomeTracer}), and a record that completes a run of failures asks for
 * a drain on the channel's timer, which runs it in the context.
 *
 * <p><b>Endpoints and priorities.</b> Each resolution's address groups become Meridian endpoints
 * (address, locality, weight, labels, reported health, explicit priority: {@link MeridianAttributes}).
 * With a caller (the config's {@code callerLocality} or the resolver's {@link MeridianAttributes#CALLER})
 * the priorities and locality weights are Istio's for that caller under the destination's policy
 * ({@link CallerProxy#SIDECAR}); without one, the priorities and locality weights the address groups
 * carry are used as Envoy uses EDS's. When the source decided the balancing
 * ({@link MeridianAttributes#LB_CONFIG}: a control plane's cluster), its priorities, locality weights,
 * balancing and outlier detection are run as sent, and no caller's priorities are computed.
 *
 * <p><b>Health from connectivity.</b> One subchannel per endpoint. Its connectivity is the health
 * checker Envoy would run ({@code source/common/upstream/upstream_impl.cc}): an endpoint added to a
 * running cluster starts unhealthy ({@code FAILED_ACTIVE_HC}, {@code updateDynamicHostList}) until
 * its subchannel is READY; TRANSIENT_FAILURE makes it unhealthy again; IDLE asks for a connection and
 * changes nothing; a control-plane status that is not healthy (EDS {@code health_status}) wins. The
 * first endpoint set is warmed as Envoy warms a cluster with health checks ({@code ClusterImplBase::onInitDone}
 * waits for each host's first check): until every subchannel has been READY or failed once, the
 * balancer is CONNECTING and calls wait.
 *
 * <p>Not thread-safe: grpc-java calls it in the synchronization context only; the pickers and
 * tracers it hands out are thread-safe.
 */
final class MeridianLocalityLoadBalancer extends LoadBalancer {

    private static final String NAME = MeridianLocalityLoadBalancerProvider.POLICY_NAME;
    private static final PickResult WARMING = PickResult.withNoResult(NAME + "-warming",
            "waiting for every endpoint's first connection attempt");
    /** grpc-xds's locality names: {@code {region="r", zone="z", sub_zone="s"}}. */
    private static final Pattern XDS_LOCALITY_NAME =
            Pattern.compile("\\{region=\"(.*)\", zone=\"(.*)\", sub_zone=\"(.*)\"}");

    private final Helper helper;
    private final SynchronizationContext sync;
    private final ChannelLogger logger;
    private final NanoClock clock;
    private final EjectionListener userListener;
    private final Runnable drainSoon = this::requestDrain;
    private final AtomicBoolean drainRequested = new AtomicBoolean();
    private final Map<String, EndpointChannel> channels = new LinkedHashMap<>();
    private final List<Runnable> heldEvents = new ArrayList<>();

    private Cluster cluster;
    private LbConfig lbConfig;
    private OutlierDetectionConfig outlierConfig;
    private LocalityPolicyConfig loggedConfig;
    private List<String> loggedWarnings = List.of();
    private String service;
    private boolean warming;
    private boolean shutdown;
    private SynchronizationContext.ScheduledHandle timedDrain;
    private long timedDrainAt;
    private long shownPublication = -1;

    MeridianLocalityLoadBalancer(Helper helper) {
        this.helper = helper;
        this.sync = helper.getSynchronizationContext();
        this.logger = helper.getChannelLogger();
        NameResolver.Args args = nameResolverArgs(helper);
        NanoClock c = args == null ? null : args.getArg(MeridianLocalityLoadBalancerProvider.CLOCK);
        this.clock = c == null ? Clocks.system() : c;
        EjectionListener l = args == null ? null : args.getArg(MeridianLocalityLoadBalancerProvider.EJECTION_LISTENER);
        this.userListener = l == null ? EjectionListener.none() : l;
        this.service = helper.getAuthority();
    }

    private static NameResolver.Args nameResolverArgs(Helper helper) {
        try {
            return helper.getNameResolverArgs();
        } catch (UnsupportedOperationException e) {
            // A helper outside a channel (tests, benchmarks) has none.
            return null;
        }
    }

    @Override
    public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
        if (shutdown) {
            return Status.OK;
        }
        Attributes attrs = resolved.getAttributes();
        String name = attrs.get(MeridianAttributes.SERVICE_NAME);
        service = name != null ? name : helper.getAuthority();
        LocalityPolicyConfig config = resolved.getLoadBalancingPolicyConfig() instanceof LocalityPolicyConfig c
                ? c : LocalityPolicyConfig.DEFAULT;
        if (config != loggedConfig) {
            loggedConfig = config;
            for (String w : config.warnings) {
                logger.log(ChannelLogLevel.WARNING, NAME + " config: " + w);
            }
        }
        List<EquivalentAddressGroup> groups = resolved.getAddresses();
        // grpc-java hands an empty list to a policy that overrides acceptResolvedAddresses; it must
        // fail calls with a status that says so, not leave them waiting for addresses.
        if (groups.isEmpty()) {
            return noEndpoints();
        }
        Plan plan;
        try {
            plan = plan(groups, attrs, config);
        } catch (IllegalArgumentException e) {
            // As a sidecar refusing a bad update: the last good state, if any, keeps serving.
            Status error = Status.UNAVAILABLE.withDescription(NAME + ": " + service + ": " + e.getMessage());
            logger.log(ChannelLogLevel.WARNING, error.getDescription());
            if (cluster == null || channels.isEmpty()) {
                helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE,
                        new FixedResultPicker(PickResult.withError(error)));
            }
            return error;
        }
        if (!plan.warnings.equals(loggedWarnings)) {
            loggedWarnings = plan.warnings;
            for (String w : plan.warnings) {
                logger.log(ChannelLogLevel.WARNING, NAME + ": " + service + ": " + w);
            }
        }
        boolean fresh = channels.isEmpty();
        reconcileSubchannels(plan);
        if (cluster == null) {
            cluster = Cluster.builder(plan.lb).endpoints(plan.table).outlierDetection(plan.outlier).clock(clock)
                    .listener(new HeldEvents()).build();
        } else {
            if (!plan.lb.equals(lbConfig)) {
                cluster.configure(plan.lb);
            }
            if (!Objects.equals(plan.outlier, outlierConfig)) {
                cluster.configure(plan.outlier);
            }
            cluster.update(plan.table);
        }
        lbConfig = plan.lb;
        outlierConfig = plan.outlier;
        // A first endpoint set (or one after an empty set) warms as a cluster with health checks does.
        warming = (fresh || warming) && anyUnchecked();
        for (EndpointChannel ch : channels.values()) {
            if (ch.state == ConnectivityState.IDLE) {
                ch.subchannel.requestConnection();
            }
        }
        drainNow(true);
        return Status.OK;
    }

    /** What one resolution turns into. */
    private record Plan(EndpointTable table, LbConfig lb, OutlierDetectionConfig outlier,
                        Map<String, EquivalentAddressGroup> groups, Map<String, HealthStatus> reported,
                        List<String> warnings) {
    }

    private Plan plan(List<EquivalentAddressGroup> groups, Attributes attrs, LocalityPolicyConfig config) {
        Map<String, EquivalentAddressGroup> byAddress = new LinkedHashMap<>();
        Map<String, Integer> localityWeights = new LinkedHashMap<>();
        Map<String, HealthStatus> reported = new LinkedHashMap<>();
        List<Endpoint> endpoints = new ArrayList<>(groups.size());
        List<String> warnings = new ArrayList<>();
        for (EquivalentAddressGroup g : groups) {
            Endpoint e = endpoint(g);
            if (byAddress.putIfAbsent(e.address(), g) != null) {
                warnings.add("address " + e.address() + " appears in more than one address group; the first is used");
                continue;
            }
            Integer lw = g.getAttributes().get(MeridianAttributes.LOCALITY_WEIGHT);
            localityWeights.put(e.address(), lw == null ? 0 : lw);
            reported.put(e.address(), e.health());
            endpoints.add(e);
        }
        LbConfig decided = attrs.get(MeridianAttributes.LB_CONFIG);
        if (decided != null) {
            // The source decided for its own caller, as a control plane does for an Envoy's node: run it
            // as sent (the simulator's control-plane mode, CallerMode.XDS, does the same).
            if (config.setsPolicyOrCaller()) {
                warnings.add("the source decided the priorities and the balancing (" + decided.policy()
                        + "); the service config's caller and policy fields do not apply");
            }
            return new Plan(withConnectivity(sentTable(endpoints, localityWeights)), decided,
                    attrs.get(MeridianAttributes.OUTLIER_DETECTION), byAddress, reported, List.copyOf(warnings));
        }
        DestinationPolicy policy = config.policy(attrs);
        KubernetesService k8s = attrs.get(MeridianAttributes.KUBERNETES_SERVICE);
        if (k8s == null) {
            k8s = KubernetesService.NONE;
        }
        Caller caller = config.caller != null ? config.caller : attrs.get(MeridianAttributes.CALLER);
        EndpointTable table;
        LbConfig lb;
        if (caller != null) {
            PriorityAssignment a = CallerProxy.SIDECAR.assign(policy, endpoints, caller, k8s, policy.release());
            table = a.toTable();
            lb = CallerProxy.SIDECAR.lbConfig(policy, a, k8s, policy.release());
            warnings.addAll(a.warnings());
        } else {
            table = sentTable(endpoints, localityWeights);
            boolean weighted = false;
            for (int h = 0; h < table.size() && !weighted; h++) {
                weighted = table.localityWeight(h) > 0;
            }
            lb = policy.lbFor(k8s, policy.release()).toBuilder().localityWeighted(weighted).build();
        }
        return new Plan(withConnectivity(table), lb, CallerProxy.SIDECAR.outlier(policy), byAddress, reported,
                List.copyOf(warnings));
    }

    /** The endpoints at the priorities and with the locality weights their address groups carry, as EDS sends them. */
    private static EndpointTable sentTable(List<Endpoint> endpoints, Map<String, Integer> localityWeights) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (Endpoint e : endpoints) {
            b.add(e, Math.max(0, e.priority()), localityWeights.get(e.address()));
        }
        return b.build();
    }

    private static Endpoint endpoint(EquivalentAddressGroup g) {
        SocketAddress first = g.getAddresses().get(0);
        if (!(first instanceof InetSocketAddress inet)) {
            throw new IllegalArgumentException("address " + first + ": " + NAME + " balances host:port endpoints "
                    + "(InetSocketAddress), got a " + first.getClass().getSimpleName());
        }
        Attributes a = g.getAttributes();
        Locality locality = a.get(MeridianAttributes.LOCALITY);
        if (locality == null) {
            locality = localityFromName(a.get(EquivalentAddressGroup.ATTR_LOCALITY_NAME));
        }
        Integer weight = a.get(MeridianAttributes.WEIGHT);
        Integer priority = a.get(MeridianAttributes.PRIORITY);
        return new Endpoint(inet.getHostString(), inet.getPort(), locality, a.get(MeridianAttributes.LABELS),
                weight == null ? 1 : weight, a.get(MeridianAttributes.HEALTH),
                priority == null ? Endpoint.NO_PRIORITY : priority);
    }

    /**
     * The table with each endpoint's health as the cluster should see it. Istio's choice of what to
     * send (and how to prioritise it) reads the control plane's health alone, so connectivity is
     * applied to the table that choice produced.
     */
    private EndpointTable withConnectivity(EndpointTable table) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int h = 0; h < table.size(); h++) {
            Endpoint e = table.endpoint(h);
            HealthStatus seen = health(e.address(), e.health());
            b.add(seen == e.health() ? e : e.withHealth(seen), table.priority(h), table.localityWeight(h));
        }
        return b.build();
    }

    /** A locality from grpc's name for it: Istio's {@code region/zone/subzone}, or grpc-xds's form; else unknown. */
    static Locality localityFromName(String name) {
        if (name == null || name.isEmpty()) {
            return Locality.UNKNOWN;
        }
        Matcher m = XDS_LOCALITY_NAME.matcher(name);
        try {
            return m.matches() ? Locality.of(m.group(1), m.group(2), m.group(3)) : Locality.parse(name);
        } catch (IllegalArgumentException e) {
            return Locality.UNKNOWN;
        }
    }

    /** The health the cluster should see for an address: the control plane's, unless the connection is down. */
    private HealthStatus health(String address, HealthStatus reported) {
        EndpointChannel ch = channels.get(address);
        boolean connected = ch != null && ch.connected;
        if (!connected && (reported.isHealthy() || reported.isDegraded())) {
            // Envoy's FAILED_ACTIVE_HC: a host not (yet) passing its check is unhealthy whatever EDS says.
            return HealthStatus.UNHEALTHY;
        }
        return reported;
    }

    private void reconcileSubchannels(Plan plan) {
        EndpointTable table = plan.table;
        Map<String, Boolean> wanted = new LinkedHashMap<>();
        for (int h = 0; h < table.size(); h++) {
            Endpoint e = table.endpoint(h);
            wanted.put(e.address(), Boolean.TRUE);
            EquivalentAddressGroup group = plan.groups.get(e.address());
            EndpointChannel ch = channels.get(e.address());
            if (ch == null) {
                ch = new EndpointChannel(e, group);
                ch.subchannel = helper.createSubchannel(CreateSubchannelArgs.newBuilder()
                        .setAddresses(group).setAttributes(group.getAttributes()).build());
                ch.subchannel.start(ch);
                channels.put(e.address(), ch);
            } else if (!ch.group.getAddresses().equals(group.getAddresses())) {
                ch.subchannel.updateAddresses(List.of(group));
            }
            ch.group = group;
            ch.endpoint = e;
            ch.reported = plan.reported.get(e.address());
        }
        for (Iterator<EndpointChannel> it = channels.values().iterator(); it.hasNext(); ) {
            EndpointChannel ch = it.next();
            if (!wanted.containsKey(ch.address)) {
                it.remove();
                ch.subchannel.shutdown();
            }
        }
    }

    private boolean anyUnchecked() {
        for (EndpointChannel ch : channels.values()) {
            if (!ch.checked) {
                return true;
            }
        }
        return false;
    }

    private Status noEndpoints() {
        for (EndpointChannel ch : channels.values()) {
            ch.subchannel.shutdown();
        }
        channels.clear();
        warming = false;
        Status none = Status.UNAVAILABLE.withDescription(NAME + ": " + service
                + " has no endpoints (the name resolver returned none)");
        if (cluster != null) {
            cluster.update(EndpointTable.empty());
            cluster.drain();
            shownPublication = cluster.publications();
            deliverHeldEvents();
        }
        helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE,
                new FixedResultPicker(PickResult.withError(none)));
        return Status.OK;
    }

    @Override
    public void handleNameResolutionError(Status error) {
        if (shutdown) {
            return;
        }
        if (cluster != null && !channels.isEmpty()) {
            // Keep the last good endpoints, as a sidecar keeps its last accepted EDS.
            logger.log(ChannelLogLevel.WARNING, NAME + ": name resolution failed, keeping the last endpoints: "
                    + error);
            return;
        }
        helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE,
                new FixedResultPicker(PickResult.withError(error)));
    }

    @Override
    public void requestConnection() {
        for (EndpointChannel ch : channels.values()) {
            if (ch.state == ConnectivityState.IDLE) {
                ch.subchannel.requestConnection();
            }
        }
    }

    @Override
    public void shutdown() {
        shutdown = true;
        if (timedDrain != null) {
            timedDrain.cancel();
            timedDrain = null;
        }
        for (EndpointChannel ch : channels.values()) {
            ch.subchannel.shutdown();
        }
        channels.clear();
    }

    // ---- connectivity as health (context only) ----

    private void onState(EndpointChannel ch, ConnectivityStateInfo info) {
        if (shutdown || channels.get(ch.address) != ch) {
            return;
        }
        ConnectivityState s = info.getState();
        if (s == ConnectivityState.SHUTDOWN) {
            return;
        }
        ch.state = s;
        switch (s) {
            case READY -> {
                ch.checked = true;
                ch.connected = true;
            }
            case TRANSIENT_FAILURE -> {
                ch.checked = true;
                ch.connected = false;
                ch.unreachable(info.getStatus());
            }
            case IDLE -> ch.subchannel.requestConnection();
            default -> {
                // CONNECTING: a check under way changes nothing.
            }
        }
        if (warming && !anyUnchecked()) {
            warming = false;
        }
        if (cluster != null) {
            cluster.setHealth(ch.address, health(ch.address, ch.reported));
            drainNow(true);
        }
    }

    // ---- draining (context only, except requestDrain) ----

    /** Any thread: a recorded outcome completed a run of failures; drain soon, in the context. */
    private void requestDrain() {
        if (drainRequested.compareAndSet(false, true)) {
            try {
                sync.schedule(() -> {
                    drainRequested.set(false);
                    drainNow(false);
                }, 0, TimeUnit.NANOSECONDS, helper.getScheduledExecutorService());
            } catch (RejectedExecutionException e) {
                // The channel is shutting down: nothing left to decide.
                drainRequested.set(false);
            }
        }
    }

    private void drainNow(boolean refreshPicker) {
        if (shutdown || cluster == null) {
            return;
        }
        cluster.drain();
        if (refreshPicker || cluster.publications() != shownPublication) {
            updatePicker();
        }
        deliverHeldEvents();
        scheduleTimedWork();
    }

    /** Sweeps and slow-start ends are timed commands: drain when the next one is due. */
    private void scheduleTimedWork() {
        long next = cluster.nextDeadlineNanos();
        if (next == Long.MAX_VALUE) {
            if (timedDrain != null) {
                timedDrain.cancel();
                timedDrain = null;
            }
            return;
        }
        if (timedDrain != null && timedDrain.isPending() && timedDrainAt == next) {
            return;
        }
        if (timedDrain != null) {
            timedDrain.cancel();
        }
        timedDrainAt = next;
        long delay = Math.max(0, next - clock.nanoTime());
        try {
            timedDrain = sync.schedule(() -> drainNow(false), delay, TimeUnit.NANOSECONDS,
                    helper.getScheduledExecutorService());
        } catch (RejectedExecutionException e) {
            timedDrain = null;
        }
    }

    private void updatePicker() {
        shownPublication = cluster.publications();
        if (warming) {
            helper.updateBalancingState(ConnectivityState.CONNECTING, new FixedResultPicker(WARMING));
            return;
        }
        List<Host> hosts = cluster.hosts();
        IdentityHashMap<Host, PickResult> results = new IdentityHashMap<>(hosts.size() * 2);
        EndpointTable table = cluster.table();
        int ready = 0;
        int connecting = 0;
        int healthy = 0;
        int ejected = 0;
        for (int h = 0; h < hosts.size(); h++) {
            Host host = hosts.get(h);
            EndpointChannel ch = channels.get(host.address());
            if (ch == null) {
                continue;
            }
            results.put(host, ch.result(host));
            switch (ch.state) {
                case READY -> ready++;
                case IDLE, CONNECTING -> connecting++;
                default -> {
                }
            }
            if (table.health(h).isHealthy() || table.health(h).isDegraded()) {
                healthy++;
            }
            if (host.isEjected()) {
                ejected++;
            }
        }
        ConnectivityState state = ready > 0 ? ConnectivityState.READY
                : connecting > 0 ? ConnectivityState.CONNECTING : ConnectivityState.TRANSIENT_FAILURE;
        Status none = Status.UNAVAILABLE.withDescription(NAME + ": no endpoint of " + service + " can take the call: "
                + hosts.size() + " endpoints, " + healthy + " healthy, " + ejected + " ejected by outlier detection"
                + (lbConfig.panicThreshold() == 0 ? ", and panic routing is off (panic threshold 0)" : ""));
        helper.updateBalancingState(state, new HostPicker(cluster, results, PickResult.withError(none)));
    }

    private void deliverHeldEvents() {
        if (heldEvents.isEmpty()) {
            return;
        }
        List<Runnable> batch = new ArrayList<>(heldEvents);
        heldEvents.clear();
        for (Runnable event : batch) {
            event.run();
        }
    }

    /**
     * The cluster's listener: runs inside {@code drain()}, before this balancer has published the
     * picker that shows the change, so it holds each event until then, and logs it.
     */
    private final class HeldEvents implements EjectionListener {
        @Override
        public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
            Endpoint e = table.endpoint(hostId);
            logger.log(ChannelLogLevel.INFO, NAME + ": " + service + ": ejected " + e.address() + " (" + e.locality()
                    + ") after " + type + " for " + TimeUnit.NANOSECONDS.toMillis(untilNanos - atNanos) + " ms");
            heldEvents.add(() -> userListener.onEjected(table, hostId, type, atNanos, untilNanos));
        }

        @Override
        public void onReturned(EndpointTable table, int hostId, long atNanos) {
            Endpoint e = table.endpoint(hostId);
            logger.log(ChannelLogLevel.INFO, NAME + ": " + service + ": returned " + e.address() + " (" + e.locality()
                    + ") to service");
            heldEvents.add(() -> userListener.onReturned(table, hostId, atNanos));
        }
    }

    /** One endpoint's subchannel and what the balancer knows of it. Context only. */
    private final class EndpointChannel implements SubchannelStateListener {
        final String address;
        Endpoint endpoint;
        /** The health the control plane reports; the cluster sees it unless the connection is down. */
        HealthStatus reported;
        EquivalentAddressGroup group;
        Subchannel subchannel;
        ConnectivityState state = ConnectivityState.IDLE;
        /** READY seen and no TRANSIENT_FAILURE since: the health check passes. */
        boolean connected;
        /** READY or TRANSIENT_FAILURE seen at least once: the first check is done. */
        boolean checked;
        private Host host;
        private PickResult ready;
        private PickResult unreachable;

        EndpointChannel(Endpoint endpoint, EquivalentAddressGroup group) {
            this.address = endpoint.address();
            this.endpoint = endpoint;
            this.reported = endpoint.health();
            this.group = group;
        }

        @Override
        public void onSubchannelState(ConnectivityStateInfo info) {
            onState(this, info);
        }

        void unreachable(Status failure) {
            unreachable = PickResult.withError(Status.UNAVAILABLE
                    .withDescription(NAME + ": " + address + " (" + endpoint.locality() + ") is unreachable: "
                            + failure.getCode() + (failure.getDescription() == null ? "" : " " + failure.getDescription()))
                    .withCause(failure.getCause()));
        }

        /** The prebuilt result for a pick of this endpoint's host handle. */
        PickResult result(Host h) {
            if (h != host) {
                // A new handle (the address left the set and came back): a new tracer factory.
                host = h;
                ready = PickResult.withSubchannel(subchannel, new OutcomeTracer.Factory(cluster, h, drainSoon));
            }
            return state == ConnectivityState.TRANSIENT_FAILURE && unreachable != null ? unreachable : ready;
        }

        @Override
        public String toString() {
            return address + " " + state + (connected ? " connected" : "");
        }
    }
}
