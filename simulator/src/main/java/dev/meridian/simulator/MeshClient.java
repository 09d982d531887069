package dev.meridian.simulator;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LoadBalancer;
import dev.meridian.lb.ZoneAwareConfig;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.LocalOriginResult;
import dev.meridian.outlier.OutlierDetector;
import dev.meridian.outlier.OutlierFailover;
import dev.meridian.topology.Caller;
import dev.meridian.topology.PriorityAssignment;
import java.util.List;
import dev.meridian.core.NanoClock;

/**
 * One caller's view of one destination, wired from the real library classes exactly as an
 * embedding application wires them: Istio locality priorities ({@code topology}) produce the
 * endpoint table, the {@code lb} load balancer picks from it, and, when the destination has outlier
 * detection, an {@code outlier} detector fed with request outcomes ejects hosts into the balancer's
 * health ({@link OutlierFailover}).
 *
 * <p>Not thread-safe as a whole: {@link #setEndpoints} and {@link #runDueSweeps} must come from one
 * thread; {@link #pick} and {@link #record} may be called from many threads, as the underlying
 * classes allow.
 */
public final class MeshClient {
    private final DestinationPolicy policy;
    private final Caller caller;
    private final LoadBalancer lb;
    private final OutlierFailover failover;
    private PriorityAssignment assignment;

    MeshClient(DestinationPolicy policy, Caller caller, List<Endpoint> endpoints, NanoClock clock, RandomSource random,
               EjectionListener listener, ZoneAwareConfig zoneAware) {
        this.policy = policy;
        this.caller = caller;
        this.assignment = assign(endpoints);
        // Zone-aware routing applies only where locality-weighted balancing does not (Envoy's rule).
        LbConfig config = policy.lb().toBuilder().localityWeighted(assignment.localityWeighted())
                .zoneAware(zoneAware).build();
        this.lb = LoadBalancer.create(config, assignment.toTable(), random, clock);
        this.failover = policy.outlier() == null ? null
                : OutlierFailover.bind(lb, policy.outlier(), random, clock, listener);
    }

    private PriorityAssignment assign(List<Endpoint> endpoints) {
        return policy.assign(endpoints, caller);
    }

    /** The caller this client picks for. */
    public Caller caller() {
        return caller;
    }

    /** The current locality priority assignment (why each endpoint sits where it does). */
    public PriorityAssignment assignment() {
        return assignment;
    }

    /** The load balancer (for its plan). */
    public LoadBalancer loadBalancer() {
        return lb;
    }

    /** The outlier detector, or null when the destination has no outlier detection. */
    public OutlierDetector detector() {
        return failover == null ? null : failover.detector();
    }

    /** The current endpoint table; host ids index into it. */
    public EndpointTable table() {
        return lb.table();
    }

    /** Picks a host id, or {@link LoadBalancer#NO_ENDPOINT}. */
    public int pick(long hash) {
        return lb.pick(hash);
    }

    /**
     * Tells least request that a request to the host has started; pair it with
     * {@link #requestFinished}. Allocation-free; a no-op for other policies' choices.
     */
    public void requestStarted(int hostId) {
        lb.requestStarted(hostId);
    }

    /** Tells least request that a request to the host has finished. */
    public void requestFinished(int hostId) {
        lb.requestFinished(hostId);
    }

    /** Records a response's HTTP status for a host; a no-op without outlier detection. */
    public void record(int hostId, int httpStatus) {
        if (failover != null) {
            failover.detector().record(hostId, httpStatus);
        }
    }

    /** Records an outcome the caller saw itself (connect failure, timeout, reset). */
    public void recordLocalOrigin(int hostId, LocalOriginResult result) {
        if (failover != null) {
            failover.detector().recordLocalOrigin(hostId, result);
        }
    }

    /** Runs the outlier sweep if its interval has come on the injected clock. */
    public void runDueSweeps() {
        if (failover != null) {
            failover.detector().sweepIfDue();
        }
    }

    /** When the next outlier sweep is due, or {@link Long#MAX_VALUE} without outlier detection. */
    public long nextSweepAtNanos() {
        return failover == null ? Long.MAX_VALUE : failover.detector().nextSweepAtNanos();
    }

    /** The final priority of a host. */
    public int priority(int hostId) {
        return lb.table().priority(hostId);
    }

    /** Whether a host is ejected now. */
    public boolean ejected(int hostId) {
        return failover != null && failover.detector().isEjected(hostId);
    }

    /** When an ejected host may return, or {@link OutlierDetector#NOT_EJECTED}. */
    public long ejectedUntilNanos(int hostId) {
        return failover == null ? OutlierDetector.NOT_EJECTED : failover.detector().ejectedUntilNanos(hostId);
    }

    /**
     * Replaces the endpoint set (scale to zero, scale up): priorities are recomputed, the balancer
     * publishes a new snapshot and the detector keeps its state for endpoints that stay, by address.
     * Cold path.
     */
    public void setEndpoints(List<Endpoint> endpoints) {
        assignment = assign(endpoints);
        EndpointTable table = assignment.toTable();
        if (failover != null) {
            failover.update(table);
        } else {
            lb.update(table);
        }
    }
}
