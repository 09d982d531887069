package dev.meridian.cluster;

import dev.meridian.core.Clocks;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.NanoClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LoadPlan;
import dev.meridian.lb.SpillConfig;
import dev.meridian.lb.SpillState;
import dev.meridian.lb.internal.ActiveRequests;
import dev.meridian.lb.internal.Planner;
import dev.meridian.lb.internal.Snapshot;
import dev.meridian.lb.internal.SpillController;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.outlier.HostMonitor;
import dev.meridian.outlier.LocalOriginResult;
import dev.meridian.outlier.OutcomeRecorder;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.outlier.OutlierDetector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jctools.queues.MpscArrayQueue;
import org.jctools.queues.MpscUnboundedArrayQueue;

/**
 * One destination: its endpoints, its balancing and outlier-detection configuration, its ejections
 * and its detector state, with one writer. Request threads {@link #pick()} a {@link Host} and
 * {@link #record} the outcome on it; everything that changes the cluster is a command (an endpoint
 * set replaced, a host's health changed, a configuration changed, a run of failures completed, an
 * interval sweep, the end of a slow-start window) applied by the control thread in
 * {@link #drain()}, which publishes <b>one</b> immutable snapshot per batch, as Envoy's main
 * thread applies cluster updates and posts read-only copies to its workers.
 *
 * <p><b>Threads.</b> {@link #pick}, {@link #record}, {@link #recordLocalOrigin},
 * {@link #requestStarted}, {@link #requestFinished} and the read-only views are thread-safe,
 * lock-free and allocation-free: a pick reads the published snapshot once, so it sees the batch
 * before or the batch after an update, never a mix, and the handle it returns belongs to that
 * snapshot. The command methods ({@link #update}, {@link #setHealth}, {@link #configure}) may be
 * called from any thread; they queue the command and return at once, and it takes effect at the
 * next {@link #drain()}. {@link #drain()} may be called from any thread, but calls never overlap:
 * one that finds another under way returns 0 at once. Who calls it is the embedder's choice: an
 * Agrona {@code AgentRunner} (its agent's {@code doWork} returns {@code drain()}), a
 * {@link ScheduledExecutorService} ({@link #runOn}), or the caller itself on virtual time, as tests
 * and the simulator do.
 *
 * <p><b>Completed runs are never lost.</b> Recording only adds to the host's counters; the call
 * that completes a run of failures marks the host pending and offers the host to a bounded
 * lock-free queue (JCTools' {@code MpscArrayQueue}). When that queue is full the host stays marked
 * and the call raises an overflow flag instead; the next drain clears the flag and then scans every
 * host for marks, so a run completed at any moment is decided at the next drain or the one after,
 * whichever sees its mark. Since a host's counters stay with its address across updates, a run that
 * completes while the endpoint set is being replaced is decided on the new set.
 *
 * <p><b>Spill-over.</b> With {@link LbConfig#spill()} configured, the control thread also samples
 * the requests in flight on priority 0's hosts every evaluation interval (a timed action of
 * {@link #drain()}, due at {@link #nextDeadlineNanos()}) and decides the share of priority 0's picks
 * to divert to the next priority; it publishes that share with the snapshot, and a pick reads both
 * in its one read of the published state. {@link #spill()} shows the decision and the load behind
 * it. Without it, picks are Envoy's, draw for draw.
 */
public final class Cluster {

    /** {@code Snapshot.slowStartEndsAtNanos()} when no host is in slow start. */
    private static final long NO_DEADLINE = Long.MIN_VALUE;

    /** The default capacity of the queue of completed runs. */
    public static final int DEFAULT_COMPLETION_QUEUE_CAPACITY = 4096;

    private final NanoClock clock;
    private final RandomSource random;
    private final EjectionListener listener;
    private final MpscArrayQueue<Host> completions;
    private final MpscUnboundedArrayQueue<Command> commands = new MpscUnboundedArrayQueue<>(64);
    private final AtomicBoolean draining = new AtomicBoolean();
    private volatile boolean overflow;
    private volatile State state;

    // Owned by the control thread (whoever holds `draining`, or the constructor).
    private EndpointTable table;
    private Host[] hosts;
    private LbConfig lbConfig;
    private OutlierDetector detector;
    private final EventBuffer events = new EventBuffer();
    private long slowStartEndsAt = NO_DEADLINE;
    private long publications;
    /** Spill-over's control loop, or null when it is not configured. */
    private SpillController spill;

    /** What request threads read: one immutable snapshot of the whole cluster. */
    private static final class State {
        final Snapshot picker;
        final Host[] hosts;
        final OutcomeRecorder recorder;
        final long publication;
        /** The share of priority 0's picks to divert (0 without spill-over). */
        final double spill;
        /** The spill-over evaluation behind {@link #spill}, or null without spill-over. */
        final SpillState spillState;

        State(Snapshot picker, Host[] hosts, OutcomeRecorder recorder, long publication, double spill,
              SpillState spillState) {
            this.picker = picker;
            this.hosts = hosts;
            this.recorder = recorder;
            this.publication = publication;
            this.spill = spill;
            this.spillState = spillState;
        }
    }

    /** Least request's view of the in-flight counts kept on the handles. */
    private static final class HostCounts extends ActiveRequests {
        private final Host[] hosts;

        HostCounts(Host[] hosts) {
            this.hosts = hosts;
        }

        @Override
        public int get(int host) {
            return hosts[host].activeRequests();
        }
    }

    private Cluster(Builder b) {
        this.clock = b.clock;
        this.random = b.random;
        this.listener = b.listener == null ? EjectionListener.none() : b.listener;
        this.completions = new MpscArrayQueue<>(b.completionQueueCapacity);
        this.lbConfig = b.lbConfig;
        this.table = b.table;
        this.hosts = new Host[table.size()];
        for (int h = 0; h < hosts.length; h++) {
            // Hosts of the first set are not in slow start; hosts added later are (Envoy's rule).
            hosts[h] = new Host(table.endpoint(h),
                    table.health(h).isHealthy() ? Snapshot.ESTABLISHED : Snapshot.NOT_YET_HEALTHY);
        }
        if (b.outlier != null) {
            detector = OutlierDetector.create(b.outlier, table, monitors(hosts), random, clock, events);
            // The first snapshot below shows the detector's first table: nothing is left to publish.
            detector.takeChanged();
        }
        publish(clock.nanoTime());
        events.deliver(listener);
    }

    /**
     * Starts a cluster's configuration.
     *
     * @throws IllegalArgumentException when the balancing configuration is null
     */
    public static Builder builder(LbConfig lbConfig) {
        if (lbConfig == null) {
            throw new IllegalArgumentException("lbConfig: must not be null");
        }
        return new Builder(lbConfig);
    }

    // ============================================================== request threads

    /**
     * Picks a host for a request, or null when there is none to pick (an empty set, or every host
     * unhealthy or ejected with panic disabled, or panic with fail-traffic-on-panic). The hash
     * policies hash a random key. Never throws; allocates nothing.
     */
    public Host pick() {
        State s = state;
        int id = s.picker.pick(random, clock, s.spill);
        return id < 0 ? null : s.hosts[id];
    }

    /**
     * Picks a host for a hash key: the hash policies (ring hash, Maglev) choose the priority and the
     * host from the key, as Envoy's thread-aware balancers do; the other policies ignore it. Null
     * when there is none to pick. Never throws; allocates nothing.
     */
    public Host pick(long hashKey) {
        State s = state;
        int id = s.picker.pick(hashKey, random, clock, s.spill);
        return id < 0 ? null : s.hosts[id];
    }

    /**
     * Picks a host for a retry with the priorities already attempted excluded, as Envoy's
     * {@code previous_priorities} retry plugin has a retry pick: excluded priorities count as
     * unavailable and the load spills to the others by their health; when nothing outside them is
     * available the exclusion is dropped (Envoy then clears its attempted priorities, so a caller
     * that finds the returned host's {@link Host#priority()} among its excluded ones starts over).
     * The hash policies ignore the exclusion, as Envoy's do. Null when there is none to pick. Never
     * throws; allocates nothing.
     *
     * @param excludedPriorities bit {@code p} set for each priority {@code p} to exclude (0 to 63);
     *     0 picks as {@link #pick()}
     */
    public Host pickExcluding(long excludedPriorities) {
        State s = state;
        int id = s.picker.pickExcluding(excludedPriorities, random, clock, s.spill);
        return id < 0 ? null : s.hosts[id];
    }

    /**
     * Records a response's HTTP status for a host, for outlier detection (a no-op without it). See
     * {@link OutcomeRecorder#record} for what counts as a failure. Lock-free, allocation-free, never
     * throws; a null host is ignored. A call that completes a run of failures hands the host to the
     * control thread, which decides the ejection at its next drain.
     *
     * @return true when this call handed a completed run to the control thread (a caller that is its
     *     own control thread drains then)
     */
    public boolean record(Host host, int httpStatus) {
        OutcomeRecorder r = state.recorder;
        if (r != null && host != null && r.record(host.monitor, httpStatus)) {
            handOver(host);
            return true;
        }
        return false;
    }

    /** Records an outcome the caller observed itself (connect failure, timeout, reset, success); as {@link #record}. */
    public boolean recordLocalOrigin(Host host, LocalOriginResult result) {
        OutcomeRecorder r = state.recorder;
        if (r != null && host != null && r.recordLocalOrigin(host.monitor, result)) {
            handOver(host);
            return true;
        }
        return false;
    }

    private void handOver(Host host) {
        if (!completions.offer(host)) {
            // The host stays marked pending; the next drain scans for marks.
            overflow = true;
        }
    }

    /** Counts a request started on a host, for least request. Lock-free, allocation-free; null is ignored. */
    public void requestStarted(Host host) {
        if (host != null) {
            host.started();
        }
    }

    /**
     * Counts a request finished on a host. The count never goes below zero: a finish without a
     * start does nothing. Lock-free, allocation-free; null is ignored.
     */
    public void requestFinished(Host host) {
        if (host != null) {
            host.finished();
        }
    }

    // ============================================================== views (any thread, cold)

    /** The endpoint table of the published snapshot; host ids of the plan refer to it. */
    public EndpointTable table() {
        return state.picker.table();
    }

    /** The handles of the published snapshot, in host-id order. */
    public List<Host> hosts() {
        return Collections.unmodifiableList(Arrays.asList(state.hosts));
    }

    /** The handle for an address in the published snapshot, or null. Cold path. */
    public Host host(String address) {
        State s = state;
        int id = s.picker.table().indexOf(address);
        return id < 0 ? null : s.hosts[id];
    }

    /** Explains the published snapshot: priorities, loads, localities and per-host shares. Allocates. */
    public LoadPlan plan() {
        State s = state;
        return Planner.plan(s.picker, clock.nanoTime(), s.spillState);
    }

    /**
     * Capacity-aware spill-over's latest evaluation: whether it spills, the share of priority 0's
     * picks it diverts and the load that decided it; null when {@link LbConfig#spill()} is not
     * configured. Before the first evaluation, the state at rest. Any thread; allocates nothing.
     */
    public SpillState spill() {
        return state.spillState;
    }

    /** Snapshots published so far (one per batch that changed anything, plus the first). */
    public long publications() {
        return state.publication;
    }

    /**
     * The clock reading at which the control thread next has timed work (an outlier sweep, the end
     * of a slow-start window, a spill-over evaluation), or {@link Long#MAX_VALUE} when none is
     * scheduled. Read it on the control thread; a driver on virtual time advances the clock to it
     * and drains.
     */
    public long nextDeadlineNanos() {
        long next = Long.MAX_VALUE;
        if (detector != null) {
            next = detector.nextSweepAtNanos();
        }
        if (spill != null) {
            next = Math.min(next, spill.nextEvaluationNanos());
        }
        if (slowStartEndsAt != NO_DEADLINE) {
            next = Math.min(next, slowStartEndsAt);
        }
        return next;
    }

    /**
     * The outlier detector's view for the control thread (for explaining ejections), or null
     * without outlier detection. Its state changes only inside {@link #drain()}; read it on the
     * control thread.
     */
    public OutlierDetector detector() {
        return detector;
    }

    // ============================================================== commands (any thread)

    /**
     * Replaces the endpoint set at the next drain. Hosts whose address stays keep their handle,
     * counters, ejection and slow-start time; new addresses get a new handle in service and, when
     * slow start is configured, a slow start from when they are first healthy; removed hosts'
     * handles are dropped (outcomes recorded on them later are ignored).
     *
     * @throws IllegalArgumentException when the table is null
     */
    public void update(EndpointTable newTable) {
        if (newTable == null) {
            throw new IllegalArgumentException("table: must not be null");
        }
        commands.offer(new Replace(newTable));
    }

    /**
     * Changes one host's reported health at the next drain (ignored if the address is not in the
     * set then).
     *
     * @throws IllegalArgumentException when the address or the status is null
     */
    public void setHealth(String address, HealthStatus status) {
        if (address == null) {
            throw new IllegalArgumentException("address: must not be null");
        }
        if (status == null) {
            throw new IllegalArgumentException("status: must not be null");
        }
        commands.offer(new SetHealth(address, status));
    }

    /**
     * Replaces the balancing configuration at the next drain.
     *
     * @throws IllegalArgumentException when the config is null
     */
    public void configure(LbConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("lbConfig: must not be null");
        }
        commands.offer(new ConfigureLb(config));
    }

    /**
     * Replaces the outlier-detection configuration at the next drain; null turns detection off and
     * returns every ejected host. Turning it on starts a detector whose first sweep is one interval
     * later; changing it keeps runs, ejections and multipliers.
     */
    public void configure(OutlierDetectionConfig config) {
        commands.offer(new ConfigureOutlier(config));
    }

    // ============================================================== the control thread

    /**
     * Applies everything queued and everything due: commands in the order they were queued, then
     * the completed runs, then a sweep if one is due and the end of a slow-start window; publishes
     * one snapshot if any of it changed what picks see; then, when a spill-over evaluation is due,
     * samples priority 0's load on that snapshot and publishes the decision with it; then tells the
     * listener of the batch's ejections and returns, in the order they were decided, with the
     * snapshot already showing them. Allocation-free when there is nothing to do.
     *
     * @return the number of commands, completed runs and timed actions applied (0 when idle, or
     *     when another thread is draining)
     */
    public int drain() {
        if (!draining.compareAndSet(false, true)) {
            return 0;
        }
        try {
            return drainOwned();
        } finally {
            draining.set(false);
        }
    }

    private int drainOwned() {
        int work = 0;
        boolean rebuild = false;
        Command c;
        while ((c = commands.poll()) != null) {
            rebuild |= apply(c);
            work++;
        }
        Host h;
        while ((h = completions.poll()) != null) {
            if (detector != null) {
                detector.applyPending(h.monitor);
            }
            work++;
        }
        if (overflow) {
            overflow = false;
            if (detector != null) {
                detector.applyAllPending();
            }
            work++;
        }
        long now = clock.nanoTime();
        if (detector != null && now - detector.nextSweepAtNanos() >= 0) {
            detector.sweep();
            work++;
        }
        if (slowStartEndsAt != NO_DEADLINE && now - slowStartEndsAt >= 0) {
            rebuild = true;
            work++;
        }
        if (detector != null && detector.takeChanged()) {
            rebuild = true;
        }
        if (rebuild) {
            publish(now);
        }
        if (spill != null && now - spill.nextEvaluationNanos() >= 0) {
            spill.evaluate(state.picker, now);
            State s = state;
            // The same snapshot with the new decision: a spill-over evaluation is not a publication.
            state = new State(s.picker, s.hosts, s.recorder, s.publication, spill.fraction(), spill.state());
            work++;
        }
        events.deliver(listener);
        return work;
    }

    private boolean apply(Command c) {
        if (c instanceof Replace r) {
            replace(r.table);
        } else if (c instanceof SetHealth s) {
            int id = table.indexOf(s.address);
            if (id < 0 || table.health(id) == s.status) {
                return false;
            }
            replace(table.withHealth(id, s.status));
        } else if (c instanceof ConfigureLb l) {
            lbConfig = l.config;
        } else if (c instanceof ConfigureOutlier o) {
            configureOutlier(o.config);
        }
        return true;
    }

    private void replace(EndpointTable next) {
        if (next.sameHostsAs(table)) {
            // A health or weight change: every host keeps its id and its handle.
            for (int h = 0; h < hosts.length; h++) {
                if (next.endpoint(h) != table.endpoint(h)) {
                    hosts[h].endpoint(next.endpoint(h));
                }
            }
            table = next;
            if (detector != null) {
                detector.update(next, monitors(hosts));
            }
            return;
        }
        Host[] nextHosts = new Host[next.size()];
        for (int h = 0; h < nextHosts.length; h++) {
            int from = table.idOf(next, h);
            if (from >= 0) {
                nextHosts[h] = hosts[from];
                nextHosts[h].endpoint(next.endpoint(h));
            } else {
                nextHosts[h] = new Host(next.endpoint(h), Snapshot.NOT_YET_HEALTHY);
            }
        }
        table = next;
        hosts = nextHosts;
        if (detector != null) {
            detector.update(next, monitors(nextHosts));
        }
    }

    private void configureOutlier(OutlierDetectionConfig config) {
        if (config == null) {
            if (detector != null) {
                detector.returnAll();
                detector = null;
            }
        } else if (detector == null) {
            detector = OutlierDetector.create(config, table, monitors(hosts), random, clock, events);
        } else {
            detector.reconfigure(config);
        }
    }

    private static HostMonitor[] monitors(Host[] hosts) {
        HostMonitor[] m = new HostMonitor[hosts.length];
        for (int h = 0; h < hosts.length; h++) {
            m[h] = hosts[h].monitor;
        }
        return m;
    }

    /** Builds and publishes one snapshot from the control thread's state. Cold path: allocates. */
    private void publish(long now) {
        int n = hosts.length;
        boolean[] ejected = new boolean[n];
        long[] since = new long[n];
        for (int h = 0; h < n; h++) {
            ejected[h] = detector != null && hosts[h].monitor.isEjected();
            since[h] = hosts[h].slowStartSince;
        }
        Snapshot picker = Snapshot.build(lbConfig, table, ejected, new HostCounts(hosts), since, random, now);
        for (int h = 0; h < n; h++) {
            hosts[h].slowStartSince = picker.slowStartSince(h);
            hosts[h].priority(table.priority(h));
        }
        // The end of the window is a timed command: the drain at or after it rebuilds without slow start.
        slowStartEndsAt = picker.slowStartEndsAtNanos();
        SpillConfig spillConfig = lbConfig.spill();
        if (spillConfig == null) {
            spill = null;
        } else if (spill == null || !spill.config().equals(spillConfig)) {
            // A new or changed configuration starts at rest; an unchanged one keeps its averages.
            spill = new SpillController(spillConfig, picker, now);
        }
        publications++;
        state = new State(picker, hosts, detector == null ? null : detector.recorder(), publications,
                spill == null ? 0 : spill.fraction(), spill == null ? null : spill.state());
    }

    /**
     * Runs {@link #drain()} on an executor every {@code period} (with a fixed delay between runs).
     * Cancel the returned future to stop.
     *
     * @throws IllegalArgumentException when the executor is null or the period not positive
     */
    public ScheduledFuture<?> runOn(ScheduledExecutorService executor, Duration period) {
        if (executor == null) {
            throw new IllegalArgumentException("executor: must not be null");
        }
        if (period == null || period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period: must be positive, got " + period);
        }
        long nanos = period.toNanos();
        return executor.scheduleWithFixedDelay(this::drain, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public String toString() {
        State s = state;
        return "Cluster[" + s.picker.policy() + ", " + s.hosts.length + " hosts, publication " + s.publication + "]";
    }

    // ============================================================== commands and events

    private sealed interface Command permits Replace, SetHealth, ConfigureLb, ConfigureOutlier {
    }

    private record Replace(EndpointTable table) implements Command {
    }

    private record SetHealth(String address, HealthStatus status) implements Command {
    }

    private record ConfigureLb(LbConfig config) implements Command {
    }

    private record ConfigureOutlier(OutlierDetectionConfig config) implements Command {
    }

    /**
     * Holds a batch's ejections and returns until the snapshot showing them is published, then
     * tells the caller's listener. Control thread only.
     */
    private static final class EventBuffer implements EjectionListener {
        /** One ejection, or a return when {@code type} is null. */
        private record Event(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
        }

        private final List<Event> held = new ArrayList<>();

        @Override
        public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
            held.add(new Event(table, hostId, type, atNanos, untilNanos));
        }

        @Override
        public void onReturned(EndpointTable table, int hostId, long atNanos) {
            held.add(new Event(table, hostId, null, atNanos, 0));
        }

        void deliver(EjectionListener to) {
            if (held.isEmpty()) {
                return;
            }
            // Copied first, so that a listener whose call leads to another drain starts a fresh batch.
            List<Event> batch = new ArrayList<>(held);
            held.clear();
            for (Event e : batch) {
                try {
                    if (e.type == null) {
                        to.onReturned(e.table, e.hostId, e.atNanos);
                    } else {
                        to.onEjected(e.table, e.hostId, e.type, e.atNanos, e.untilNanos);
                    }
                } catch (RuntimeException failure) {
                    Thread t = Thread.currentThread();
                    t.getUncaughtExceptionHandler().uncaughtException(t, failure);
                }
            }
        }
    }

    /** A cluster's configuration. Not thread-safe. */
    public static final class Builder {
        private final LbConfig lbConfig;
        private EndpointTable table = EndpointTable.empty();
        private OutlierDetectionConfig outlier;
        private NanoClock clock = Clocks.system();
        private RandomSource random = RandomSource.threadLocal();
        private EjectionListener listener;
        private int completionQueueCapacity = DEFAULT_COMPLETION_QUEUE_CAPACITY;

        private Builder(LbConfig lbConfig) {
            this.lbConfig = lbConfig;
        }

        /** The first endpoint set (default: none). Its hosts are not in slow start. */
        public Builder endpoints(EndpointTable table) {
            if (table == null) {
                throw new IllegalArgumentException("endpoints: must not be null");
            }
            this.table = table;
            return this;
        }

        /** Outlier detection (default: none). */
        public Builder outlierDetection(OutlierDetectionConfig config) {
            this.outlier = config;
            return this;
        }

        /** The clock (default: the system's monotonic clock). */
        public Builder clock(NanoClock clock) {
            if (clock == null) {
                throw new IllegalArgumentException("clock: must not be null");
            }
            this.clock = clock;
            return this;
        }

        /** The random source for picks, enforcement percentages and jitter (default: thread-local). */
        public Builder random(RandomSource random) {
            if (random == null) {
                throw new IllegalArgumentException("random: must not be null");
            }
            this.random = random;
            return this;
        }

        /** Told of every ejection and return on the control thread, after the snapshot shows it; null for none. */
        public Builder listener(EjectionListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Capacity of the queue of completed runs (default {@value #DEFAULT_COMPLETION_QUEUE_CAPACITY},
         * at least 2). A full queue loses nothing; see the class documentation.
         */
        public Builder completionQueueCapacity(int capacity) {
            if (capacity < 2) {
                throw new IllegalArgumentException("completionQueueCapacity: must be >= 2, got " + capacity);
            }
            this.completionQueueCapacity = capacity;
            return this;
        }

        /** Builds the cluster and publishes its first snapshot. */
        public Cluster build() {
            return new Cluster(this);
        }
    }
}
