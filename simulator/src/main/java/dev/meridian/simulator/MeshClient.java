package dev.meridian.simulator;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.LoadPlan;
import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import java.util.IdentityHashMap;
import dev.meridian.lb.ZoneAwareConfig;
import dev.meridian.core.IstioRelease;
import dev.meridian.istio.CallerProxy;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.istio.KubernetesService;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.LocalOriginResult;
import dev.meridian.outlier.OutlierDetector;
import dev.meridian.topology.Caller;
import dev.meridian.topology.PriorityAssignment;
import java.util.List;
import dev.meridian.core.NanoClock;

/**
 * One caller's view of one destination, wired from the public library exactly as an embedding
 * application wires it: the Istio policy ({@link DestinationPolicy}) gives the caller's locality
 * priorities and the balancing and outlier configuration (or, for {@link CallerMode#XDS}, a control
 * plane's assignment gives them as they are), and one {@link Cluster} owns the
 * endpoints, ejections and detector state. Requests pick a {@link Host} handle and record their
 * outcome on it; the simulator, being its own control thread, drains the cluster right after an
 * outcome that completed a run of failures, so an ejection takes effect before the next request as
 * it would on a sidecar's worker, and at each due sweep.
 *
 * <p>Not thread-safe: the simulator drives it from one thread on virtual time. Host ids are
 * positions in {@link #table()}, refreshed on every {@link #setEndpoints}.
 */
public final class MeshClient {
    private final DestinationPolicy policy;
    private final Caller caller;
    private final Cluster cluster;
    private final LbPolicy lbPolicy;
    private final KubernetesService service;
    private final CallerMode mode;
    private final IstioRelease release;
    private final Assignments shared;
    /** What the control plane sent, for {@link CallerMode#XDS}; null otherwise. */
    private final ControlPlaneAssignment controlPlane;
    private PriorityAssignment assignment;
    private EndpointTable assignedTable;
    private Host[] hosts;
    private final IdentityHashMap<Host, Integer> ids = new IdentityHashMap<>();
    /** Boxed host ids shared by every client, so a thousand clients do not each box ten thousand ids. */
    private static volatile Integer[] boxedIds = new Integer[0];

    MeshClient(DestinationPolicy policy, Caller caller, List<Endpoint> endpoints, NanoClock clock, RandomSource random,
               EjectionListener listener, ZoneAwareConfig zoneAware, KubernetesService service, CallerMode mode,
               IstioRelease release, EnvoySettings envoy, ControlPlaneAssignment controlPlane, Assignments shared) {
        this.shared = shared;
        this.policy = policy;
        this.caller = caller;
        this.service = service;
        this.mode = mode;
        this.release = release;
        this.controlPlane = controlPlane;
        this.assignment = assign(endpoints);
        LbConfig config;
        OutlierDetectionConfig outlier;
        if (controlPlane != null) {
            // The control plane decided: its cluster settings run as they are, with no Istio translation.
            config = controlPlane.lb();
            outlier = controlPlane.outlierDetection();
        } else {
            config = mode.proxy().lbConfig(policy, assignment, service, release);
            if (mode.proxy() == CallerProxy.SIDECAR) {
                // Zone-aware routing applies where locality-weighted balancing picks no locality (Envoy's
                // hostSourceToUse); the scenario's envoy: settings are what Istio does not write.
                config = envoy.applyTo(config.toBuilder().zoneAware(zoneAware).build());
            }
            outlier = mode.proxy().outlier(policy);
        }
        this.lbPolicy = config.policy();
        this.cluster = Cluster.builder(config).endpoints(assignedTable).outlierDetection(outlier)
                .clock(clock).random(random).listener(listener).build();
        refreshHosts();
    }

    private PriorityAssignment assign(List<Endpoint> endpoints) {
        Assignments.Entry known = shared == null ? null : shared.get(caller, endpoints);
        if (known != null) {
            assignedTable = known.table();
            return known.assignment();
        }
        PriorityAssignment a;
        if (controlPlane != null) {
            // Priorities and locality weights stay as sent, for the endpoints still present.
            assignedTable = controlPlane.narrowedTo(endpoints);
            a = controlPlane.describe(assignedTable);
        } else {
            a = mode.proxy().assign(policy, endpoints, caller, service, release);
            assignedTable = a.toTable();
        }
        if (shared != null) {
            shared.put(caller, endpoints, new Assignments.Entry(a, assignedTable));
        }
        return a;
    }

    /**
     * Priority assignments and their tables shared by the clients of one scenario: the assignment is a
     * function of the caller and the endpoint list, so callers at one locality with the same labels,
     * given the same list, share one immutable table instead of building a copy each. Not
     * thread-safe; one simulation's clients are built and updated on one thread.
     */
    static final class Assignments {
        record Entry(PriorityAssignment assignment, EndpointTable table) {
        }

        private List<Endpoint> endpoints;
        private final java.util.Map<Caller, Entry> byCaller = new java.util.HashMap<>();

        Entry get(Caller caller, List<Endpoint> forEndpoints) {
            return forEndpoints == endpoints ? byCaller.get(caller) : null;
        }

        void put(Caller caller, List<Endpoint> forEndpoints, Entry entry) {
            if (forEndpoints != endpoints) {
                // A new endpoint list (a fault changed the set): the old entries are of no more use.
                endpoints = forEndpoints;
                byCaller.clear();
            }
            byCaller.put(caller, entry);
        }
    }

    /** How this client reaches the destination. */
    public CallerMode mode() {
        return mode;
    }

    private void refreshHosts() {
        hosts = cluster.hosts().toArray(new Host[0]);
        ids.clear();
        Integer[] boxed = boxedIds;
        if (boxed.length < hosts.length) {
            boxed = new Integer[hosts.length];
            for (int h = 0; h < boxed.length; h++) {
                boxed[h] = h;
            }
            boxedIds = boxed;
        }
        for (int h = 0; h < hosts.length; h++) {
            ids.put(hosts[h], boxed[h]);
        }
    }

    /** The caller this client picks for. */
    public Caller caller() {
        return caller;
    }

    /** The current locality priority assignment (why each endpoint sits where it does). */
    public PriorityAssignment assignment() {
        return assignment;
    }

    /** The cluster behind this client. */
    public Cluster cluster() {
        return cluster;
    }

    /** The balancing policy in force. */
    public LbPolicy policy() {
        return lbPolicy;
    }

    /** Explains the cluster's published snapshot. */
    public LoadPlan plan() {
        return cluster.plan();
    }

    /** The outlier detector, or null when the destination has no outlier detection. */
    public OutlierDetector detector() {
        return cluster.detector();
    }

    /** The current endpoint table; host ids index into it. */
    public EndpointTable table() {
        return cluster.table();
    }

    /** Picks a host id, or -1 when there is no endpoint to pick. */
    public int pick(long hash) {
        Host h = cluster.pick(hash);
        if (h == null) {
            return -1;
        }
        Integer id = ids.get(h);
        return id == null ? -1 : id;
    }

    /** Tells least request that a request to the host has started; pair it with {@link #requestFinished}. */
    public void requestStarted(int hostId) {
        cluster.requestStarted(hosts[hostId]);
    }

    /** Tells least request that a request to the host has finished. */
    public void requestFinished(int hostId) {
        cluster.requestFinished(hosts[hostId]);
    }

    /** Records a response's HTTP status for a host; a no-op without outlier detection. */
    public void record(int hostId, int httpStatus) {
        if (cluster.record(hosts[hostId], httpStatus)) {
            cluster.drain();
        }
    }

    /** Records an outcome the caller saw itself (connect failure, timeout, reset). */
    public void recordLocalOrigin(int hostId, LocalOriginResult result) {
        if (cluster.recordLocalOrigin(hosts[hostId], result)) {
            cluster.drain();
        }
    }

    /** Runs the outlier sweep and the spill-over evaluation if their time has come on the injected clock. */
    public void runDueSweeps() {
        cluster.drain();
    }

    /**
     * When the next outlier sweep or spill-over evaluation is due, or {@link Long#MAX_VALUE} without
     * either.
     */
    public long nextSweepAtNanos() {
        OutlierDetector d = cluster.detector();
        long next = d == null ? Long.MAX_VALUE : d.nextSweepAtNanos();
        // Spill-over samples the load on the control thread's clock: its evaluations are timed work too.
        return cluster.spill() == null ? next : Math.min(next, cluster.nextDeadlineNanos());
    }

    /** The final priority of a host. */
    public int priority(int hostId) {
        return cluster.table().priority(hostId);
    }

    /** Whether a host is ejected now. */
    public boolean ejected(int hostId) {
        return hosts[hostId].isEjected();
    }

    /** When an ejected host may return, or {@link OutlierDetector#NOT_EJECTED}. */
    public long ejectedUntilNanos(int hostId) {
        OutlierDetector d = cluster.detector();
        return d == null ? OutlierDetector.NOT_EJECTED : d.ejectedUntilNanos(hostId);
    }

    /**
     * Replaces the endpoint set (scale to zero, scale up): priorities are recomputed and the cluster
     * publishes the new set at once, keeping each staying address's handle and detector state.
     * For {@link CallerMode#XDS} nothing is recomputed: each endpoint keeps the priority and locality
     * weight the control plane sent it with, as when it sends the same assignment without the
     * removed ones. Cold path.
     *
     * @throws IllegalArgumentException for {@link CallerMode#XDS}, when an endpoint is not one the
     *     control plane sent
     */
    public void setEndpoints(List<Endpoint> endpoints) {
        assignment = assign(endpoints);
        cluster.update(assignedTable);
        cluster.drain();
        refreshHosts();
    }
}
