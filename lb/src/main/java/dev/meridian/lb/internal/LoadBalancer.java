package dev.meridian.lb.internal;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.LoadPlan;
import java.util.BitSet;
import dev.meridian.core.NanoClock;

/**
 * Picks upstream hosts as an Envoy sidecar would for the same endpoints, health, ejections and
 * configuration: first a priority by Envoy's priority load, then (when configured) a locality by
 * effective locality weight or by zone-aware routing, then a host by the configured policy.
 *
 * <p>Thread-safe: any number of threads may pick while one thread at a time updates. The state is
 * a copy-on-write snapshot held in a {@code volatile} field: {@link #update} and
 * {@link #setEjected} build a complete new snapshot and publish it with one volatile write, and
 * each pick reads the field once, so a pick concurrent with an update sees the old snapshot or the
 * new one, never a mix.
 *
 * <p>Envoy keeps one balancer per worker thread, each with its own EDF schedule. One Meridian
 * balancer is shared by all threads, so weighted round robin walks a low-discrepancy sequence over
 * a counter per host list: a pick takes the next counter value {@code s}, maps it to the point
 * {@code s × 2^64/φ mod 2^64} of a golden-ratio sequence, scales that onto the hosts' cumulative
 * weights and takes the host whose stretch holds it (one read of a table with the host at every
 * point when the weights average at most four per host, else a guide-table lookup with O(1)
 * expected steps). Shares equal Envoy's EDF shares (weight over total weight) with no rounding,
 * any N consecutive picks of one thread are within O(log N) picks of them, and a pick costs the
 * same however skewed the weights (one host at 10^6 among thousands at 1 costs the same as equal
 * weights). While slow start is in force a visited host is kept with its slow-start factor and
 * otherwise the next value is tried, on average at most 1 / (the smallest factor) visits (10 with
 * Envoy's 10% floor), at most 256. Equal weights fall back to plain rotation, as in Envoy.
 *
 * <p>The counters are striped by thread, much as Envoy's rotation is per worker: each thread takes
 * its values from one of a few counters per host list (chosen by a hash of its thread id, four per
 * processor, at most 64), each stripe starting at a different point. A value is taken with a plain
 * (opaque) read and write of the counter, not an atomic increment, since a stripe is meant for one
 * thread. Every stripe is on its own a complete rotation or golden-ratio walk, so long-run shares
 * stay exact per stripe and each thread's picks are smooth; the order is smooth per thread, not
 * globally, so two threads may pick the same host back to back. Two threads that hash to the same
 * stripe and pick at the same instant may take the same value, so that host is picked twice and the
 * stripe's rotation repeats a step; no host is ever skipped, and shares stay exact up to such
 * repeats.
 *
 * <p>When one priority takes all the load no random value is drawn for the priority, and a level
 * with one weighted locality takes no locality step. When, in addition, round robin ends in one
 * host list (the healthy case with one weighted locality or none), a pick reads that list's
 * counter and table straight from the snapshot: no priority, panic, locality or policy decision is
 * re-taken per pick.
 *
 * <p>Slow start switches itself off. The snapshot knows the clock reading at which the last ramp
 * ends; until then a round-robin or least-request pick reads the clock once and compares it with
 * that reading (no division), and the first pick at or after it clears a flag so that later picks
 * read neither the clock nor anything of slow start until the next {@link #update} or
 * {@link #setEjected}, which builds a snapshot without slow-start work. This balancer has no thread
 * of its own to rebuild the snapshot when the window ends, and that flag is the cheapest correct
 * way to stop paying for it; it assumes a clock that does not go back.
 */
public final class LoadBalancer {

    /** Returned by {@link #pick()} when no host can take the request. */
    public static final int NO_ENDPOINT = -1;

    private final LbConfig config;
    private final RandomSource random;
    private final NanoClock clock;
    private volatile Snapshot snapshot;

    private LoadBalancer(LbConfig config, RandomSource random, NanoClock clock, Snapshot snapshot) {
        this.config = config;
        this.random = random;
        this.clock = clock;
        this.snapshot = snapshot;
    }

    /**
     * Creates a balancer over a table. Hosts in the first table are not in slow start; hosts added
     * by a later {@link #update} are, from the moment they are first healthy.
     *
     * @throws IllegalArgumentException when an argument is null
     */
    public static LoadBalancer create(LbConfig config, EndpointTable table, RandomSource random, NanoClock clock) {
        if (config == null) {
            throw new IllegalArgumentException("config: must not be null");
        }
        if (table == null) {
            throw new IllegalArgumentException("table: must not be null");
        }
        if (random == null) {
            throw new IllegalArgumentException("random: must not be null");
        }
        if (clock == null) {
            throw new IllegalArgumentException("clock: must not be null");
        }
        int n = table.size();
        long[] since = new long[n];
        for (int h = 0; h < n; h++) {
            since[h] = table.health(h).isHealthy() ? Snapshot.ESTABLISHED : Snapshot.NOT_YET_HEALTHY;
        }
        Snapshot s = Snapshot.build(config, table, new boolean[n], ActiveRequests.striped(n), since, random,
                clock.nanoTime());
        return new LoadBalancer(config, random, clock, s);
    }

    /**
     * Picks a host: its id in {@link #table()} as it was when the pick began, or
     * {@link #NO_ENDPOINT}. Never throws; allocates nothing. The hash policies hash a random key.
     */
    public int pick() {
        return snapshot.pick(random, clock);
    }

    /**
     * Picks an endpoint, or null when there is none to pick (an empty set, or every host unhealthy
     * or ejected with panic disabled). Host and endpoint come from one snapshot, so an update that
     * lands between the pick and the lookup cannot hand out another host's endpoint, as
     * {@code table().endpoint(pick())} could. Never throws; allocates nothing.
     */
    public Endpoint pickEndpoint() {
        return snapshot.pickEndpoint(random, clock);
    }

    /** As {@link #pickEndpoint()}, for a hash key (see {@link #pick(long)}). */
    public Endpoint pickEndpoint(long hashKey) {
        Snapshot s = snapshot;
        int host = s.pick(hashKey, random, clock);
        return host < 0 ? null : s.endpoint(host);
    }

    /**
     * Picks a host for a hash key. The hash policies ({@link LbPolicy#RING_HASH},
     * {@link LbPolicy#MAGLEV}) choose the priority and the host from the key, as Envoy's
     * thread-aware balancers do; the other policies ignore the key.
     */
    public int pick(long hashKey) {
        return snapshot.pick(hashKey, random, clock);
    }

    /** The table of the current snapshot. */
    public EndpointTable table() {
        return snapshot.table();
    }

    /** The configuration this balancer was created with. */
    public LbConfig config() {
        return config;
    }

    /**
     * Publishes a new table. Ejections, active request counts and slow-start times carry over for
     * every address present in both tables; new addresses start with no ejection, no requests and,
     * when slow start is configured, a slow start from the moment they are first healthy.
     *
     * <p>Active request counts are copied last, in one pass over the new table just before the new
     * snapshot is published, so that picks need no lock. A {@link #requestStarted} or
     * {@link #requestFinished} that reaches the old snapshot's count for a host after that pass has
     * copied it is not carried over: a lost start leaves the host's new count one lower until the
     * count next falls to zero (a finish never takes it below zero), a lost finish leaves it one
     * higher for as long as the host stays. Only calls that overlap that pass are affected, at most one count per
     * such call; least request then under- or over-weights those hosts by that much.
     *
     * @throws IllegalArgumentException when the table is null
     */
    public synchronized void update(EndpointTable newTable) {
        if (newTable == null) {
            throw new IllegalArgumentException("table: must not be null");
        }
        Snapshot old = snapshot;
        EndpointTable oldTable = old.table();
        int n = newTable.size();
        boolean[] ejected = new boolean[n];
        long[] since = new long[n];
        int[] previousId = new int[n];
        for (int h = 0; h < n; h++) {
            int before = oldTable.idOf(newTable, h);
            previousId[h] = before;
            if (before >= 0) {
                ejected[h] = old.ejected(before);
                since[h] = old.slowStartSince(before);
            } else {
                since[h] = Snapshot.NOT_YET_HEALTHY;
            }
        }
        ActiveRequests.Striped active = ActiveRequests.striped(n);
        Snapshot next = Snapshot.build(config, newTable, ejected, active, since, random, clock.nanoTime());
        // Copied after the build, right before publishing, to keep the window in which a count
        // changed on the old snapshot is lost as short as one pass over the hosts.
        for (int h = 0; h < n; h++) {
            if (previousId[h] >= 0) {
                active.set(h, old.activeRequests(previousId[h]));
            }
        }
        snapshot = next;
    }

    /**
     * Replaces the set of ejected hosts. Ejected hosts count as unhealthy (Envoy's
     * {@code FAILED_OUTLIER_CHECK}): they leave the healthy and degraded sets and take traffic only
     * in panic.
     *
     * @param forTable the table the host ids refer to
     * @param ejectedHostIds the ejected host ids; ids outside the table are ignored
     * @return false, doing nothing, when {@code forTable} is not the current table
     */
    public synchronized boolean setEjected(EndpointTable forTable, BitSet ejectedHostIds) {
        Snapshot old = snapshot;
        if (forTable != old.table() || ejectedHostIds == null) {
            return false;
        }
        int n = forTable.size();
        boolean[] ejected = new boolean[n];
        long[] since = new long[n];
        for (int h = 0; h < n; h++) {
            ejected[h] = ejectedHostIds.get(h);
            since[h] = old.slowStartSince(h);
        }
        snapshot = Snapshot.build(config, forTable, ejected, old.activeCounts(), since, random, clock.nanoTime());
        return true;
    }

    /**
     * Counts a request started to a host of the current table, for least request. Allocation-free
     * and lock-free; an unknown id is ignored. Host ids refer to the current table: a caller that
     * holds an id across {@link #update} may count against the host that has that id afterwards.
     * A call that overlaps an {@link #update}'s copy of the counts may be lost, as
     * {@link #update} describes; {@link #setEjected} keeps the same counts and loses none.
     */
    public void requestStarted(int hostId) {
        ((ActiveRequests.Striped) snapshot.activeCounts()).started(hostId);
    }

    /**
     * Counts a request finished; see {@link #requestStarted}. The count never goes below zero: a
     * finish without a start counted on the current snapshot (one lost to an update, or a caller's
     * extra call) does nothing, so a later start counts from zero again.
     */
    public void requestFinished(int hostId) {
        ((ActiveRequests.Striped) snapshot.activeCounts()).finished(hostId);
    }

    /** Explains the current snapshot. Cold path: allocates. */
    public LoadPlan plan() {
        return Planner.plan(snapshot, clock.nanoTime());
    }

    @Override
    public String toString() {
        return "LoadBalancer[" + config.policy() + ", " + snapshot.table().size() + " hosts]";
    }
}
