package dev.meridian.outlier;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.NanoClock;
import dev.meridian.core.RandomSource;
import java.util.BitSet;

/**
 * Envoy's outlier detection ({@code source/common/upstream/outlier_detection_impl.cc}) over one
 * {@link EndpointTable}: outcomes come in per host; consecutive-failure ejections are decided when
 * the outcome that completes a run is handed over; success-rate and failure-percentage ejections,
 * returns and the lowering of ejection multipliers happen at {@link #sweep()}, which the owner runs
 * every {@link OutlierDetectionConfig#interval()}. Time comes only from the injected clock,
 * randomness (enforcement percentages, jitter) only from the injected source.
 *
 * <p>Not thread-safe: a detector has one owner thread, as Envoy's detector lives on its main
 * thread. Used on its own ({@link #create}), every method, recording included, must come from that
 * thread, and a completed run is decided at once. Inside a {@code Cluster}, request threads record
 * only into the hosts' {@link HostMonitor}s through an {@link OutcomeRecorder} (thread-safe), and
 * the cluster's control thread, the owner, hands completed runs to {@link #applyPending} and runs
 * every other method. Per-host state lives in monitors that stay with an address across
 * {@link #update}s, so no outcome is lost to an update.
 */
public final class OutlierDetector {

    /** {@link #ejectedUntilNanos(int)} for a host in service. */
    public static final long NOT_EJECTED = Long.MIN_VALUE;

    private OutlierDetectionConfig config;
    private OutcomeRecorder recorder;
    private final RandomSource random;
    private final NanoClock clock;
    private final EjectionListener listener;

    private EndpointTable table;
    private HostMonitor[] monitors;
    private int ejectedCount;
    private long nextSweepAtNanos;
    /** Whether the ejected set changed since {@link #takeChanged()} last looked. */
    private boolean changed;

    // Scratch for the sweep's success-rate and failure-percentage passes, grown with the table.
    private int[] successRateHosts = new int[0];
    private double[] successRates = new double[0];
    private int[] failurePercentageHosts = new int[0];
    private double[] failurePercentageRates = new double[0];

    private OutlierDetector(OutlierDetectionConfig config, EndpointTable table, HostMonitor[] monitors,
                            RandomSource random, NanoClock clock, EjectionListener listener) {
        this.config = config;
        this.recorder = new OutcomeRecorder(config);
        this.random = random;
        this.clock = clock;
        this.listener = listener == null ? EjectionListener.none() : listener;
        this.nextSweepAtNanos = clock.nanoTime() + config.intervalNanos;
        this.table = EndpointTable.empty();
        this.monitors = new HostMonitor[0];
        // Counting starts with this detector: a run or hand-over left on a monitor from a time
        // without detection (a cluster that switched it off and on) must not decide anything.
        for (HostMonitor m : monitors) {
            m.startCounting();
        }
        install(table, monitors);
    }

    /**
     * A detector over a table with a fresh monitor per host; the first sweep is due one interval
     * from now.
     *
     * @param listener told of every ejection and return; null for none
     * @throws IllegalArgumentException when config, table, random or clock is null
     */
    public static OutlierDetector create(OutlierDetectionConfig config, EndpointTable table, RandomSource random,
                                         NanoClock clock, EjectionListener listener) {
        check(config, table, random, clock);
        return new OutlierDetector(config, table, freshMonitors(table.size()), random, clock, listener);
    }

    /**
     * A detector over a table whose hosts' monitors the caller keeps ({@code monitors[h]} for host
     * id {@code h}); a monitor already ejected counts as ejected, and runs, buckets and pending
     * hand-overs left on the monitors are cleared: the detector counts from now.
     *
     * @throws IllegalArgumentException when an argument other than the listener is null, or the
     *     monitors do not match the table
     */
    public static OutlierDetector create(OutlierDetectionConfig config, EndpointTable table, HostMonitor[] monitors,
                                         RandomSource random, NanoClock clock, EjectionListener listener) {
        check(config, table, random, clock);
        checkMonitors(table, monitors);
        return new OutlierDetector(config, table, monitors, random, clock, listener);
    }

    private static void check(OutlierDetectionConfig config, EndpointTable table, RandomSource random,
                              NanoClock clock) {
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
    }

    private static void checkMonitors(EndpointTable table, HostMonitor[] monitors) {
        if (monitors == null || monitors.length != table.size()) {
            throw new IllegalArgumentException("monitors: must hold one monitor per host (" + table.size()
                    + "), got " + (monitors == null ? "null" : monitors.length));
        }
        for (int h = 0; h < monitors.length; h++) {
            if (monitors[h] == null) {
                throw new IllegalArgumentException("monitors[" + h + "]: must not be null");
            }
        }
    }

    private static HostMonitor[] freshMonitors(int n) {
        HostMonitor[] m = new HostMonitor[n];
        for (int h = 0; h < n; h++) {
            m[h] = new HostMonitor();
        }
        return m;
    }

    // ---------------------------------------------------------------- recording (owner thread)

    /**
     * Records an HTTP response from a host, as {@link OutcomeRecorder#record}, and decides at once
     * the ejection a completed run calls for. A host id outside {@link #table()} is ignored.
     */
    public void record(int hostId, int httpStatus) {
        if (hostId >= 0 && hostId < monitors.length && recorder.record(monitors[hostId], httpStatus)) {
            applyPending(monitors[hostId]);
        }
    }

    /** As {@link #record(int, int)}, for an endpoint of the current table (found by identity, else by address). */
    public void record(Endpoint endpoint, int httpStatus) {
        record(table.idOf(endpoint), httpStatus);
    }

    /** Records an outcome the caller observed itself, as {@link OutcomeRecorder#recordLocalOrigin}. */
    public void recordLocalOrigin(int hostId, LocalOriginResult result) {
        if (hostId >= 0 && hostId < monitors.length && recorder.recordLocalOrigin(monitors[hostId], result)) {
            applyPending(monitors[hostId]);
        }
    }

    /** As {@link #recordLocalOrigin(int, LocalOriginResult)}, for an endpoint of the current table. */
    public void recordLocalOrigin(Endpoint endpoint, LocalOriginResult result) {
        recordLocalOrigin(table.idOf(endpoint), result);
    }

    /** The request-thread half for this detector's configuration. */
    public OutcomeRecorder recorder() {
        return recorder;
    }

    // ---------------------------------------------------------------- transitions (owner thread)

    /**
     * Decides the ejections a host's completed runs call for, in Envoy's order (gateway, then 5xx,
     * then local origin), and clears its pending bits. A monitor whose host has left the table is
     * cleared and otherwise ignored, as Envoy ignores an ejection for a host no longer in the set.
     */
    public void applyPending(HostMonitor m) {
        int bits = m.takePending();
        int h = m.index;
        // A monitor whose host has left this detector's table (or never was in it) decides nothing.
        if (bits == 0 || h < 0 || h >= monitors.length || monitors[h] != m) {
            return;
        }
        long now = clock.nanoTime();
        if ((bits & OutcomeRecorder.PENDING_GATEWAY) != 0) {
            onConsecutiveFailure(m, EjectionType.CONSECUTIVE_GATEWAY_FAILURE, now);
        }
        if ((bits & OutcomeRecorder.PENDING_5XX) != 0) {
            onConsecutiveFailure(m, EjectionType.CONSECUTIVE_5XX, now);
        }
        if ((bits & OutcomeRecorder.PENDING_LOCAL) != 0) {
            onConsecutiveFailure(m, EjectionType.CONSECUTIVE_LOCAL_ORIGIN_FAILURE, now);
        }
    }

    /** Applies every host's pending runs, in host-id order: the fallback when hand-overs were dropped. */
    public void applyAllPending() {
        for (HostMonitor m : monitors) {
            if (m.hasPendingRun()) {
                applyPending(m);
            }
        }
    }

    /** Envoy's {@code onConsecutiveErrorWorker}. */
    private void onConsecutiveFailure(HostMonitor m, EjectionType type, long now) {
        if (m.isEjected()) {
            // Envoy returns here without resetting the counter: the run keeps growing past the
            // threshold and cannot trigger again until a success or the host's return resets it.
            return;
        }
        eject(m, type, now);
        // Reset whether or not the ejection went through, so that a refused host is considered
        // again after another full run rather than never.
        m.resetRun(type);
    }

    /**
     * Envoy's {@code ejectHost}: the max-ejection-percent cap, then the enforcement percentage, then
     * the ejection with its backoff and jitter.
     */
    private boolean eject(HostMonitor m, EjectionType type, long now) {
        if (!ejectionAllowed(ejectedCount, monitors.length)) {
            return false;
        }
        if (!enforced(config.enforcing(type))) {
            return false;
        }
        ejectedCount++;
        long jitter = jitterNanos();
        long base = config.baseEjectionNanos;
        long duration;
        if (config.ejectionTimeCapped) {
            long max = config.maxEjectionNanos;
            // Envoy stops growing the multiplier once it has passed the cap, so that a host that stays
            // healthy comes back down to the base in a bounded number of sweeps.
            if (m.backoff * base < max + base) {
                m.backoff++;
            }
            duration = Math.min(base * m.backoff, max) + jitter;
        } else {
            // Envoy before 1.17 (checkHostForUneject before envoyproxy/envoy#14235): base ejection time
            // times num_ejections, this ejection included, with no cap; the count never decreases.
            long times = m.ejectionCount() + 1L;
            long cap = OutlierDetectionConfig.MAX_DURATION.toNanos();
            // Saturates at MAX_DURATION so the arithmetic cannot overflow; no real run gets there.
            duration = (times > cap / base ? cap : base * times) + jitter;
        }
        m.markEjected(now, duration);
        changed = true;
        int hostId = m.index;
        try {
            listener.onEjected(table, hostId, type, now, now + duration);
        } catch (RuntimeException e) {
            report(e);
        }
        EjectionEvent event = new EjectionEvent();
        if (event.shouldCommit()) {
            event.hostId = hostId;
            event.address = table.endpoint(hostId).address();
            event.ejectionType = type.name();
            event.ejectionCount = m.ejectionCount();
            event.durationNanos = duration;
            event.atNanos = now;
            event.commit();
        }
        return true;
    }

    /**
     * Envoy's {@code ejectHost} cap. Since Envoy 1.27 (envoyproxy/envoy#27624, #27909) the share of
     * hosts ejected once this one is, counted over every host of every priority, may not exceed the
     * max ejection percent; {@code always_eject_one_host} (Envoy 1.31, envoyproxy/envoy#34796,
     * default false) lets the first ejection through regardless. Before 1.27 the check was
     * {@code 100 × active / hosts < max}: the share ejected before this host, so the first ejection
     * always went through (unless the cap was 0) and the cap could be exceeded by one host; the
     * proto comment on {@code max_ejection_percent} still describes that rule.
     */
    private boolean ejectionAllowed(int active, int hosts) {
        if (!config.ejectionCapCountsThisHost) {
            return 100.0 * active / hosts < config.maxEjectionPercent;
        }
        double ejectedPercent = 100.0 * (active + 1) / hosts;
        boolean allowed = ejectedPercent <= config.maxEjectionPercent;
        if (config.alwaysEjectOneHost) {
            allowed = active == 0 || allowed;
        }
        return allowed;
    }

    private boolean enforced(int percent) {
        if (percent >= 100) {
            return true;
        }
        // Envoy rolls for every percentage; rolling only between 0 and 100 keeps a seeded run's
        // sequence independent of the settings that cannot change the outcome.
        return percent > 0 && random.nextInt(100) < percent;
    }

    private long jitterNanos() {
        long maxMillis = config.maxEjectionJitterMillis;
        if (maxMillis == 0) {
            return 0;
        }
        // Envoy draws whole milliseconds: random() % (max_ejection_time_jitter + 1).
        return Long.remainderUnsigned(random.nextLong(), maxMillis + 1) * 1_000_000L;
    }

    private void returnHost(HostMonitor m, long now) {
        ejectedCount--;
        m.markReturned(now);
        // A run completed by requests that were in flight during the ejection is not a new outage.
        m.takePending();
        // Envoy clears every run so that a few new failures cannot eject a host that was close to
        // a threshold before it left.
        m.resetRun(EjectionType.CONSECUTIVE_5XX);
        m.resetRun(EjectionType.CONSECUTIVE_GATEWAY_FAILURE);
        m.resetRun(EjectionType.CONSECUTIVE_LOCAL_ORIGIN_FAILURE);
        changed = true;
        int hostId = m.index;
        try {
            listener.onReturned(table, hostId, now);
        } catch (RuntimeException e) {
            report(e);
        }
        ReturnEvent event = new ReturnEvent();
        if (event.shouldCommit()) {
            event.hostId = hostId;
            event.address = table.endpoint(hostId).address();
            event.ejectedForNanos = now - m.ejectedAt;
            event.atNanos = now;
            event.commit();
        }
    }

    private static void report(RuntimeException e) {
        Thread t = Thread.currentThread();
        t.getUncaughtExceptionHandler().uncaughtException(t, e);
    }

    // ---------------------------------------------------------------- sweep

    /**
     * Runs one interval sweep now, as Envoy's {@code onIntervalTimer}: returns every ejected host
     * whose ejection time is up, closes the interval's success-rate buckets, ejects success-rate and
     * failure-percentage outliers (external, then local-origin), lowers the multiplier of hosts that
     * have stayed in service for an interval since they returned, and schedules the next sweep one
     * interval from now.
     */
    public void sweep() {
        long now = clock.nanoTime();
        HostMonitor[] hosts = monitors;
        for (HostMonitor m : hosts) {
            // Envoy's checkHostForUneject: back once the ejection time has passed, at this sweep.
            if (m.isEjected() && now - m.ejectedAt >= m.ejectionNanos) {
                returnHost(m, now);
            }
            m.lastExternal = m.takeExternal();
            m.lastLocal = m.takeLocal();
        }
        ejectOutliers(hosts, false, now);
        ejectOutliers(hosts, true, now);
        // Lowered after this sweep's ejections, as in Envoy's onIntervalTimer: a host ejected just
        // now keeps its multiplier (checkHostForUneject only returns hosts; it lowers nothing).
        for (HostMonitor m : hosts) {
            // Envoy before 1.17 had no such decrease (envoyproxy/envoy#14235 added it).
            if (config.ejectionTimeCapped && !m.isEjected() && m.hasReturned && m.backoff > 0
                    && now - m.returnedAt >= config.intervalNanos) {
                m.backoff--;
            }
        }
        nextSweepAtNanos = now + config.intervalNanos;
    }

    /**
     * Runs {@link #sweep()} if {@link #nextSweepAtNanos()} has come.
     *
     * @return true when a sweep ran
     */
    public boolean sweepIfDue() {
        if (clock.nanoTime() - nextSweepAtNanos < 0) {
            return false;
        }
        sweep();
        return true;
    }

    /** Envoy's {@code processSuccessRateEjections} over one interval's buckets. */
    private void ejectOutliers(HostMonitor[] hosts, boolean localOrigin, long now) {
        int n = hosts.length;
        if (n < config.successRateMinimumHosts && n < config.failurePercentageMinimumHosts) {
            return;
        }
        if (successRates.length < n) {
            successRateHosts = new int[n];
            successRates = new double[n];
            failurePercentageHosts = new int[n];
            failurePercentageRates = new double[n];
        }
        int srCount = 0;
        int fpCount = 0;
        double srSum = 0;
        for (int h = 0; h < n; h++) {
            long packed = localOrigin ? hosts[h].lastLocal : hosts[h].lastExternal;
            long total = packed >>> 32;
            if (hosts[h].isEjected() || total == 0) {
                continue;
            }
            double successRate = (packed & 0xFFFF_FFFFL) * 100.0 / total;
            if (total >= config.successRateRequestVolume) {
                successRateHosts[srCount] = h;
                successRates[srCount++] = successRate;
                srSum += successRate;
            }
            if (total >= config.failurePercentageRequestVolume) {
                failurePercentageHosts[fpCount] = h;
                failurePercentageRates[fpCount++] = successRate;
            }
        }
        if (srCount > 0 && srCount >= config.successRateMinimumHosts) {
            double mean = srSum / srCount;
            double variance = 0;
            for (int i = 0; i < srCount; i++) {
                double d = successRates[i] - mean;
                variance += d * d;
            }
            double stdev = Math.sqrt(variance / srCount);
            double threshold = mean - config.successRateStdevFactor / 1000.0 * stdev;
            EjectionType type = localOrigin ? EjectionType.SUCCESS_RATE_LOCAL_ORIGIN : EjectionType.SUCCESS_RATE;
            for (int i = 0; i < srCount; i++) {
                if (successRates[i] < threshold) {
                    eject(hosts[successRateHosts[i]], type, now);
                }
            }
        }
        if (fpCount > 0 && fpCount >= config.failurePercentageMinimumHosts) {
            EjectionType type = localOrigin
                    ? EjectionType.FAILURE_PERCENTAGE_LOCAL_ORIGIN : EjectionType.FAILURE_PERCENTAGE;
            for (int i = 0; i < fpCount; i++) {
                HostMonitor m = hosts[failurePercentageHosts[i]];
                // Envoy would call ejectHost again for a host the success-rate pass has just ejected
                // (its debug build asserts on that); counting it twice would corrupt the active count.
                if (100.0 - failurePercentageRates[i] >= config.failurePercentageThreshold && !m.isEjected()) {
                    eject(m, type, now);
                }
            }
        }
    }

    // ---------------------------------------------------------------- table and configuration updates

    /**
     * Moves the detector to a new table. Hosts whose address is in both tables keep their monitor
     * (runs, buckets, ejection and multiplier), as Envoy keeps a host's monitor across membership
     * updates; new hosts start clean; removed hosts are forgotten, and an ejected one no longer
     * counts against the max ejection percent.
     *
     * @throws IllegalArgumentException when the table is null
     */
    public void update(EndpointTable newTable) {
        if (newTable == null) {
            throw new IllegalArgumentException("table: must not be null");
        }
        HostMonitor[] next = new HostMonitor[newTable.size()];
        for (int h = 0; h < next.length; h++) {
            int from = newTable == table ? h : table.idOf(newTable, h);
            next[h] = from >= 0 ? monitors[from] : new HostMonitor();
        }
        update(newTable, next);
    }

    /**
     * Moves the detector to a new table whose monitors the caller keeps, as {@link #update(EndpointTable)}
     * with the caller's choice of which monitor each host keeps.
     *
     * @throws IllegalArgumentException when the table is null or the monitors do not match it
     */
    public void update(EndpointTable newTable, HostMonitor[] newMonitors) {
        if (newTable == null) {
            throw new IllegalArgumentException("table: must not be null");
        }
        checkMonitors(newTable, newMonitors);
        install(newTable, newMonitors);
    }

    private void install(EndpointTable newTable, HostMonitor[] newMonitors) {
        for (HostMonitor m : monitors) {
            m.index = -1;
        }
        int ejected = 0;
        for (int h = 0; h < newMonitors.length; h++) {
            newMonitors[h].index = h;
            if (newMonitors[h].isEjected()) {
                ejected++;
            }
        }
        if (ejected != ejectedCount || newMonitors.length != monitors.length) {
            changed = true;
        }
        ejectedCount = ejected;
        table = newTable;
        monitors = newMonitors;
    }

    /**
     * Applies a new configuration from now on: thresholds, enforcement, ejection times and the
     * interval. Runs, buckets, ejections and multipliers stay; a host already ejected keeps the
     * return time it was given; the next sweep stays where it was scheduled.
     *
     * @throws IllegalArgumentException when the config is null
     */
    public void reconfigure(OutlierDetectionConfig newConfig) {
        if (newConfig == null) {
            throw new IllegalArgumentException("config: must not be null");
        }
        if (!newConfig.equals(config)) {
            config = newConfig;
            recorder = new OutcomeRecorder(newConfig);
        }
    }

    /**
     * Returns every ejected host now and lets go of the monitors, as when outlier detection is
     * switched off: a run handed over afterwards, to this detector or a later one, decides nothing.
     */
    public void returnAll() {
        long now = clock.nanoTime();
        for (HostMonitor m : monitors) {
            if (m.isEjected()) {
                returnHost(m, now);
            }
            m.index = -1;
        }
    }

    /** Whether an ejection or return happened, or the table changed, since the last call; clears it. */
    public boolean takeChanged() {
        boolean c = changed;
        changed = false;
        return c;
    }

    // ---------------------------------------------------------------- explain / simulate

    /** The table host ids refer to. */
    public EndpointTable table() {
        return table;
    }

    public OutlierDetectionConfig config() {
        return config;
    }

    /** The monitor of a host of {@link #table()}. */
    public HostMonitor monitor(int hostId) {
        return monitors[hostId];
    }

    /** True while the host is ejected; false for an id outside {@link #table()}. */
    public boolean isEjected(int hostId) {
        return hostId >= 0 && hostId < monitors.length && monitors[hostId].isEjected();
    }

    /**
     * The clock reading from which an ejected host may return (it returns at the first sweep at or
     * after it), or {@link #NOT_EJECTED} for a host in service or an id outside {@link #table()}.
     */
    public long ejectedUntilNanos(int hostId) {
        if (!isEjected(hostId)) {
            return NOT_EJECTED;
        }
        return monitors[hostId].ejectedUntilNanos();
    }

    /** How many times the host has been ejected so far (Envoy's {@code num_ejections}). */
    public int ejectionCount(int hostId) {
        return hostId >= 0 && hostId < monitors.length ? monitors[hostId].ejectionCount() : 0;
    }

    /** The number of hosts ejected now. */
    public int ejectedCount() {
        return ejectedCount;
    }

    /** The ejected hosts' ids, as a new set. Cold path. */
    public BitSet ejectedHosts() {
        BitSet bits = new BitSet(monitors.length);
        for (int h = 0; h < monitors.length; h++) {
            if (monitors[h].isEjected()) {
                bits.set(h);
            }
        }
        return bits;
    }

    /** The clock reading at which the next sweep is due. */
    public long nextSweepAtNanos() {
        return nextSweepAtNanos;
    }

    @Override
    public String toString() {
        return "OutlierDetector[hosts=" + monitors.length + ", ejected=" + ejectedCount + ", nextSweepAt="
                + nextSweepAtNanos + "]";
    }
}
