package dev.meridian.outlier;

import static dev.meridian.outlier.HostStates.CONSECUTIVE_5XX;
import static dev.meridian.outlier.HostStates.CONSECUTIVE_GATEWAY;
import static dev.meridian.outlier.HostStates.CONSECUTIVE_LOCAL;
import static dev.meridian.outlier.HostStates.EXTERNAL_BUCKET;
import static dev.meridian.outlier.HostStates.LOCAL_BUCKET;
import static dev.meridian.outlier.HostStates.ONE_FAILURE;
import static dev.meridian.outlier.HostStates.ONE_SUCCESS;
import static dev.meridian.outlier.HostStates.slot;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.RandomSource;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;
import dev.meridian.core.NanoClock;

/**
 * Envoy's outlier detection ({@code source/common/upstream/outlier_detection_impl.cc}) over one
 * {@link EndpointTable}: results come in per host; consecutive-failure ejections happen as the
 * failure that completes a run arrives; success-rate and failure-percentage ejections, returns and
 * the lowering of ejection multipliers happen at {@link #sweep()}, which the caller (a scheduler, or
 * the simulator on virtual time) runs every {@link OutlierDetectionConfig#interval()}. Time comes
 * only from the injected clock, randomness (enforcement percentages, jitter) only from the injected
 * source.
 *
 * <p>Thread-safe: any number of threads may record while others sweep, update or read. Recording
 * is lock-free and allocation-free: it only adds to per-host atomic counters. Ejections, returns and
 * table updates are applied one at a time under a transition lock, as Envoy applies them on its
 * main thread; a recording thread that completes a run of failures hands the host over with
 * {@code tryLock} and never waits (whoever holds the lock applies it before letting go).
 *
 * <p>A transition is what one holder of the lock applies at once: one sweep, one batch of
 * consecutive-failure ejections, or one table update. The listener hears of each ejection and
 * return as it is decided; {@link OutlierFailover} waits for the end of the transition and
 * publishes the balancer once for all of them.
 */
public final class OutlierDetector {

    /** {@link #ejectedUntilNanos(int)} for a host in service. */
    public static final long NOT_EJECTED = Long.MIN_VALUE;

    private static final int PENDING_5XX = 1 << EjectionType.CONSECUTIVE_5XX.ordinal();
    private static final int PENDING_GATEWAY = 1 << EjectionType.CONSECUTIVE_GATEWAY_FAILURE.ordinal();
    private static final int PENDING_LOCAL = 1 << EjectionType.CONSECUTIVE_LOCAL_ORIGIN_FAILURE.ordinal();

    private final OutlierDetectionConfig config;
    private final RandomSource random;
    private final NanoClock clock;
    private final EjectionListener listener;
    /** Run under the lock at the end of a transition that ejected or returned a host, or updated. */
    private final Runnable transitionFinished;
    private final ReentrantLock transitions = new ReentrantLock();
    /** Whether the transition under way has changed anything; under the lock. */
    private boolean transitioned;
    /** Times requested ejections were taken up under the lock; under the lock. */
    private long ejectionBatches;

    private volatile HostStates states;
    private volatile boolean pendingEjections;
    private volatile long nextSweepAtNanos;

    private OutlierDetector(OutlierDetectionConfig config, EndpointTable table, RandomSource random,
                            NanoClock clock, EjectionListener listener, Runnable transitionFinished) {
        this.config = config;
        this.random = random;
        this.clock = clock;
        this.listener = listener;
        this.transitionFinished = transitionFinished;
        this.states = new HostStates(table);
        this.nextSweepAtNanos = clock.nanoTime() + config.intervalNanos;
    }

    /**
     * A detector over a table; the first sweep is due one interval from now.
     *
     * @param listener told of every ejection and return; null for none
     * @throws IllegalArgumentException when config, table, random or clock is null
     */
    public static OutlierDetector create(OutlierDetectionConfig config, EndpointTable table, RandomSource random,
                                         NanoClock clock, EjectionListener listener) {
        return create(config, table, random, clock, listener, null);
    }

    /**
     * {@link #create}, plus an action run under the transition lock once at the end of every
     * transition that ejected or returned a host or moved to another table, after the listener has
     * heard of each of its events; null for none.
     */
    static OutlierDetector create(OutlierDetectionConfig config, EndpointTable table, RandomSource random,
                                  NanoClock clock, EjectionListener listener, Runnable transitionFinished) {
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
        return new OutlierDetector(config, table, random, clock, listener == null ? EjectionListener.none() : listener,
                transitionFinished);
    }

    // ---------------------------------------------------------------- recording (hot path)

    /**
     * Records an HTTP response from a host, as Envoy's {@code putHttpResponseCode}: a 5xx extends
     * the host's run of 5xx and, for 502, 503 and 504, its run of gateway failures (another 5xx ends
     * that run); anything else is a success and ends both runs. Statuses outside 500..599, including
     * nonsense ones, are successes, as Envoy's {@code CodeUtility::is5xx} decides.
     *
     * <p>Never throws. Nearly every call only adds to per-host atomic counters: lock-free and
     * allocation-free. A call that completes a run of failures whose type is enforced (enforcing
     * percentage above 0) also tries the transition lock, without waiting, to decide the ejection;
     * in the rare case that it ejects a host, that call tells the listener and, when the detector
     * is bound through {@link OutlierFailover}, publishes a new balancer snapshot: a cold-path
     * rebuild, O(endpoints), that allocates. A host id outside {@link #table()} is ignored. An id
     * picked from a table the detector has since been {@linkplain #update updated} away from is
     * taken as an id in the new table.
     */
    public void record(int hostId, int httpStatus) {
        HostStates s = states;
        if (hostId >= 0 && hostId < s.size) {
            recordStatus(s, hostId, httpStatus);
        }
    }

    /**
     * Records a response's status for an endpoint, as {@link #record(int, int)}: the endpoint is
     * found in the detector's current table by identity (allocation-free for the objects a pick
     * hands out), so an outcome is never charged to another host after an update. An endpoint the
     * table no longer has is ignored.
     */
    public void record(Endpoint endpoint, int httpStatus) {
        HostStates s = states;
        int hostId = s.table.idOf(endpoint);
        if (hostId >= 0) {
            recordStatus(s, hostId, httpStatus);
        }
    }

    /** As {@link #recordLocalOrigin(int, LocalOriginResult)}, for an endpoint found as {@link #record(Endpoint, int)} finds it. */
    public void recordLocalOrigin(Endpoint endpoint, LocalOriginResult result) {
        HostStates s = states;
        recordLocalOrigin(s, s.table.idOf(endpoint), result);
    }

    /**
     * Records an outcome the proxy observed itself, as Envoy's {@code putResult}. Without split
     * external/local-origin errors a connect failure or reset counts as a 503, a timeout as a 504, a
     * final success as a 200, and a connect success for nothing. With them, failures extend the
     * host's run of local-origin failures, successes end it, and both feed the local-origin success
     * rate; HTTP statuses then count only as external results.
     *
     * <p>Never throws; lock-free and allocation-free except in the rare call that ejects a host,
     * as {@link #record}. A null result or a host id outside {@link #table()} is ignored.
     */
    public void recordLocalOrigin(int hostId, LocalOriginResult result) {
        recordLocalOrigin(states, hostId, result);
    }

    private void recordLocalOrigin(HostStates s, int hostId, LocalOriginResult result) {
        if (hostId < 0 || hostId >= s.size || result == null) {
            return;
        }
        if (!config.splitExternalLocalOriginErrors) {
            switch (result) {
                case CONNECT_FAILED, RESET -> recordStatus(s, hostId, 503);
                case TIMEOUT -> recordStatus(s, hostId, 504);
                case SUCCESS_FINAL -> recordStatus(s, hostId, 200);
                case CONNECT_SUCCESS -> {
                    // Envoy maps this to no HTTP code: the response that follows will be counted.
                }
            }
            return;
        }
        AtomicLongArray results = s.results;
        switch (result) {
            case CONNECT_FAILED, TIMEOUT, RESET -> {
                results.getAndAdd(slot(hostId, LOCAL_BUCKET), ONE_FAILURE);
                if (results.incrementAndGet(slot(hostId, CONSECUTIVE_LOCAL)) == config.consecutiveLocalOriginFailure) {
                    runCompleted(s, hostId, PENDING_LOCAL, CONSECUTIVE_LOCAL, config.consecutiveLocalOriginFailure,
                            config.enforcingConsecutiveLocalOriginFailure);
                }
            }
            case CONNECT_SUCCESS, SUCCESS_FINAL -> {
                results.getAndAdd(slot(hostId, LOCAL_BUCKET), ONE_SUCCESS);
                clear(results, slot(hostId, CONSECUTIVE_LOCAL));
            }
        }
    }

    private void recordStatus(HostStates s, int hostId, int status) {
        AtomicLongArray results = s.results;
        if (status >= 500 && status <= 599) {
            results.getAndAdd(slot(hostId, EXTERNAL_BUCKET), ONE_FAILURE);
            // Envoy checks the gateway run before the 5xx run; the order in which the two reach the
            // transition lock decides which type an ejection is recorded as.
            if (status == 502 || status == 503 || status == 504) {
                if (results.incrementAndGet(slot(hostId, CONSECUTIVE_GATEWAY)) == config.consecutiveGatewayFailure) {
                    runCompleted(s, hostId, PENDING_GATEWAY, CONSECUTIVE_GATEWAY, config.consecutiveGatewayFailure,
                            config.enforcingConsecutiveGatewayFailure);
                }
            } else {
                clear(results, slot(hostId, CONSECUTIVE_GATEWAY));
            }
            if (results.incrementAndGet(slot(hostId, CONSECUTIVE_5XX)) == config.consecutive5xx) {
                runCompleted(s, hostId, PENDING_5XX, CONSECUTIVE_5XX, config.consecutive5xx,
                        config.enforcingConsecutive5xx);
            }
        } else {
            results.getAndAdd(slot(hostId, EXTERNAL_BUCKET), ONE_SUCCESS);
            clear(results, slot(hostId, CONSECUTIVE_5XX));
            clear(results, slot(hostId, CONSECUTIVE_GATEWAY));
        }
    }

    /** Zeroes a counter, without writing (and taking the cache line) when it already is zero. */
    private static void clear(AtomicLongArray results, int index) {
        if (results.get(index) != 0) {
            results.set(index, 0);
        }
    }

    /**
     * A run of failures has reached its threshold. With enforcement 0 no ejection can follow (Envoy's
     * {@code enforceEjection} is false for 0 whatever it draws), so instead of asking for the lock
     * the recording thread does what Envoy's {@code onConsecutiveErrorWorker} would then do to the
     * host: reset the run, unless the host is ejected. Envoy's run is counted either way.
     */
    private void runCompleted(HostStates s, int hostId, int bit, int counter, int threshold, int enforcing) {
        if (enforcing > 0) {
            requestEjection(s, hostId, bit);
        } else if (s.ejected.get(hostId) == 0) {
            s.results.compareAndSet(slot(hostId, counter), threshold, 0);
        }
    }

    private void requestEjection(HostStates s, int hostId, int bit) {
        AtomicIntegerArray pending = s.pending;
        int seen;
        do {
            seen = pending.get(hostId);
        } while ((seen & bit) == 0 && !pending.compareAndSet(hostId, seen, seen | bit));
        if (seen == 0) {
            // This call turned the host's request bits on: it queues the host, once.
            s.enqueuePending(hostId);
        }
        pendingEjections = true;
        drainPendingEjections();
    }

    /**
     * Applies requested ejections if the transition lock is free. A thread that finds it taken
     * leaves its request to the holder, which checks {@link #pendingEjections} again after letting
     * go; the flag is written after the request's bit and cleared before the bits are read, so no
     * request is left behind.
     */
    private void drainPendingEjections() {
        while (pendingEjections && transitions.tryLock()) {
            try {
                applyPendingEjections();
                finishTransition();
            } finally {
                transitions.unlock();
            }
        }
    }

    /** Ends a transition: runs {@link #transitionFinished} once if anything changed. */
    private void finishTransition() {
        if (!transitioned) {
            return;
        }
        transitioned = false;
        if (transitionFinished != null) {
            try {
                transitionFinished.run();
            } catch (RuntimeException e) {
                report(e);
            }
        }
    }

    // ---------------------------------------------------------------- transitions (under the lock)

    private void applyPendingEjections() {
        if (!pendingEjections) {
            return;
        }
        pendingEjections = false;
        ejectionBatches++;
        HostStates s = states;
        long now = 0;
        boolean haveNow = false;
        int h;
        // Only the hosts whose runs completed, in the order they were queued: no scan of the table.
        while ((h = s.pollPending()) >= 0) {
            int bits = s.pending.getAndSet(h, 0);
            if (!haveNow) {
                now = clock.nanoTime();
                haveNow = true;
            }
            if ((bits & PENDING_GATEWAY) != 0) {
                onConsecutiveFailure(s, h, EjectionType.CONSECUTIVE_GATEWAY_FAILURE, CONSECUTIVE_GATEWAY, now);
            }
            if ((bits & PENDING_5XX) != 0) {
                onConsecutiveFailure(s, h, EjectionType.CONSECUTIVE_5XX, CONSECUTIVE_5XX, now);
            }
            if ((bits & PENDING_LOCAL) != 0) {
                onConsecutiveFailure(s, h, EjectionType.CONSECUTIVE_LOCAL_ORIGIN_FAILURE, CONSECUTIVE_LOCAL, now);
            }
        }
    }

    /** Envoy's {@code onConsecutiveErrorWorker}. */
    private void onConsecutiveFailure(HostStates s, int hostId, EjectionType type, int counter, long now) {
        if (s.ejected.get(hostId) != 0) {
            // Envoy returns here without resetting the counter: the run keeps growing past the
            // threshold and cannot trigger again until a success or the host's return resets it.
            return;
        }
        eject(s, hostId, type, now);
        // Reset whether or not the ejection went through, so that a refused host is considered
        // again after another full run rather than never.
        s.results.set(slot(hostId, counter), 0);
    }

    /**
     * Envoy's {@code ejectHost}: the max-ejection-percent cap, then the enforcement percentage, then
     * the ejection with its backoff and jitter.
     */
    private boolean eject(HostStates s, int hostId, EjectionType type, long now) {
        if (!ejectionAllowed(s.active, s.size)) {
            return false;
        }
        if (!enforced(config.enforcing(type))) {
            return false;
        }
        s.active = s.active + 1;
        int count = s.ejectionCount.incrementAndGet(hostId);
        long jitter = jitterNanos();
        long base = config.baseEjectionNanos;
        long max = config.maxEjectionNanos;
        // Envoy stops growing the multiplier once it has passed the cap, so that a host that stays
        // healthy comes back down to the base in a bounded number of sweeps.
        if (s.backoff[hostId] * base < max + base) {
            s.backoff[hostId]++;
        }
        long duration = Math.min(base * s.backoff[hostId], max) + jitter;
        s.ejectedAt[hostId] = now;
        s.ejectionNanos[hostId] = duration;
        s.ejectedUntil.set(hostId, now + duration);
        s.ejected.set(hostId, 1);
        transitioned = true;
        try {
            listener.onEjected(s.table, hostId, type, now, now + duration);
        } catch (RuntimeException e) {
            report(e);
        }
        EjectionEvent event = new EjectionEvent();
        if (event.shouldCommit()) {
            event.hostId = hostId;
            event.address = s.table.endpoint(hostId).address();
            event.ejectionType = type.name();
            event.ejectionCount = count;
            event.durationNanos = duration;
            event.atNanos = now;
            event.commit();
        }
        return true;
    }

    /**
     * Envoy's current rule ({@code ejectHost}, since envoyproxy/envoy#27909): the share of hosts
     * ejected once this one is, counted over every host of every priority, may not exceed the max
     * ejection percent; {@code always_eject_one_host} (envoyproxy/envoy#34796, default false) lets
     * the first ejection through regardless. Before that change the first ejection always went
     * through, which is what the proto comment on {@code max_ejection_percent} still describes.
     */
    private boolean ejectionAllowed(int active, int hosts) {
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

    private void returnHost(HostStates s, int hostId, long now) {
        s.active = s.active - 1;
        s.ejected.set(hostId, 0);
        // Envoy clears every run so that a few new failures cannot eject a host that was close to
        // a threshold before it left.
        s.results.set(slot(hostId, CONSECUTIVE_5XX), 0);
        s.results.set(slot(hostId, CONSECUTIVE_GATEWAY), 0);
        s.results.set(slot(hostId, CONSECUTIVE_LOCAL), 0);
        s.returnedAt[hostId] = now;
        s.hasReturned[hostId] = true;
        transitioned = true;
        try {
            listener.onReturned(s.table, hostId, now);
        } catch (RuntimeException e) {
            report(e);
        }
        ReturnEvent event = new ReturnEvent();
        if (event.shouldCommit()) {
            event.hostId = hostId;
            event.address = s.table.endpoint(hostId).address();
            event.ejectedForNanos = now - s.ejectedAt[hostId];
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
        transitions.lock();
        try {
            applyPendingEjections();
            sweepLocked(clock.nanoTime());
            finishTransition();
        } finally {
            transitions.unlock();
        }
        drainPendingEjections();
    }

    /**
     * Runs {@link #sweep()} if {@link #nextSweepAtNanos()} has come; a caller that polls on its own
     * schedule (or the simulator stepping virtual time) uses this.
     *
     * @return true when a sweep ran
     */
    public boolean sweepIfDue() {
        transitions.lock();
        try {
            long now = clock.nanoTime();
            if (now - nextSweepAtNanos < 0) {
                return false;
            }
            applyPendingEjections();
            sweepLocked(now);
            finishTransition();
        } finally {
            transitions.unlock();
        }
        drainPendingEjections();
        return true;
    }

    private void sweepLocked(long now) {
        HostStates s = states;
        AtomicLongArray results = s.results;
        for (int h = 0; h < s.size; h++) {
            // Envoy's checkHostForUneject: back once the ejection time has passed, at this sweep.
            if (s.ejected.get(h) != 0 && now - s.ejectedAt[h] >= s.ejectionNanos[h]) {
                returnHost(s, h, now);
            }
            s.lastExternal[h] = results.getAndSet(slot(h, EXTERNAL_BUCKET), 0);
            s.lastLocal[h] = results.getAndSet(slot(h, LOCAL_BUCKET), 0);
        }
        ejectOutliers(s, s.lastExternal, false, now);
        ejectOutliers(s, s.lastLocal, true, now);
        // Lowered after this sweep's ejections, as in Envoy's onIntervalTimer: a host ejected just
        // now keeps its multiplier (checkHostForUneject only returns hosts; it lowers nothing).
        for (int h = 0; h < s.size; h++) {
            if (s.ejected.get(h) == 0 && s.hasReturned[h] && s.backoff[h] > 0
                    && now - s.returnedAt[h] >= config.intervalNanos) {
                s.backoff[h]--;
            }
        }
        nextSweepAtNanos = now + config.intervalNanos;
    }

    /** Envoy's {@code processSuccessRateEjections} over one interval's buckets. */
    private void ejectOutliers(HostStates s, long[] buckets, boolean localOrigin, long now) {
        int hosts = s.size;
        if (hosts < config.successRateMinimumHosts && hosts < config.failurePercentageMinimumHosts) {
            return;
        }
        int srCount = 0;
        int fpCount = 0;
        double srSum = 0;
        for (int h = 0; h < hosts; h++) {
            long packed = buckets[h];
            long total = packed >>> 32;
            if (s.ejected.get(h) != 0 || total == 0) {
                continue;
            }
            double successRate = (packed & 0xFFFF_FFFFL) * 100.0 / total;
            if (total >= config.successRateRequestVolume) {
                s.successRateHosts[srCount] = h;
                s.successRates[srCount++] = successRate;
                srSum += successRate;
            }
            if (total >= config.failurePercentageRequestVolume) {
                s.failurePercentageHosts[fpCount] = h;
                s.failurePercentageRates[fpCount++] = successRate;
            }
        }
        if (srCount > 0 && srCount >= config.successRateMinimumHosts) {
            double mean = srSum / srCount;
            double variance = 0;
            for (int i = 0; i < srCount; i++) {
                double d = s.successRates[i] - mean;
                variance += d * d;
            }
            double stdev = Math.sqrt(variance / srCount);
            double threshold = mean - config.successRateStdevFactor / 1000.0 * stdev;
            EjectionType type = localOrigin ? EjectionType.SUCCESS_RATE_LOCAL_ORIGIN : EjectionType.SUCCESS_RATE;
            for (int i = 0; i < srCount; i++) {
                if (s.successRates[i] < threshold) {
                    eject(s, s.successRateHosts[i], type, now);
                }
            }
        }
        if (fpCount > 0 && fpCount >= config.failurePercentageMinimumHosts) {
            EjectionType type = localOrigin
                    ? EjectionType.FAILURE_PERCENTAGE_LOCAL_ORIGIN : EjectionType.FAILURE_PERCENTAGE;
            for (int i = 0; i < fpCount; i++) {
                int h = s.failurePercentageHosts[i];
                // Envoy would call ejectHost again for a host the success-rate pass has just ejected
                // (its debug build asserts on that); counting it twice would corrupt the active count.
                if (100.0 - s.failurePercentageRates[i] >= config.failurePercentageThreshold
                        && s.ejected.get(h) == 0) {
                    eject(s, h, type, now);
                }
            }
        }
    }

    // ---------------------------------------------------------------- table updates

    /**
     * Moves the detector to a new table. Hosts whose address is in both tables keep their runs,
     * buckets, ejection and multiplier, as Envoy keeps a host's monitor across membership updates;
     * new hosts start clean; removed hosts are forgotten, and an ejected one no longer counts
     * against the max ejection percent. Results recorded by other threads while the update runs may
     * be lost.
     *
     * @throws IllegalArgumentException when the table is null
     */
    public void update(EndpointTable newTable) {
        updateThen(newTable, null);
    }

    /**
     * {@link #update}, then runs an action before anything else can change the detector; with an
     * action, the transition counts as a change, so the transition-finished hook runs after it.
     */
    void updateThen(EndpointTable newTable, Runnable whileLocked) {
        if (newTable == null) {
            throw new IllegalArgumentException("table: must not be null");
        }
        transitions.lock();
        try {
            applyPendingEjections();
            HostStates old = states;
            if (newTable != old.table) {
                HostStates s = new HostStates(newTable);
                for (int h = 0; h < s.size; h++) {
                    int from = old.table.idOf(newTable, h);
                    if (from >= 0) {
                        s.copyHost(old, from, h);
                    }
                }
                states = s;
            }
            if (whileLocked != null) {
                whileLocked.run();
                transitioned = true;
            }
            finishTransition();
        } finally {
            transitions.unlock();
        }
        drainPendingEjections();
    }

    // ---------------------------------------------------------------- explain / simulate

    /** The table host ids refer to. */
    public EndpointTable table() {
        return states.table;
    }

    public OutlierDetectionConfig config() {
        return config;
    }

    /** True while the host is ejected; false for an id outside {@link #table()}. */
    public boolean isEjected(int hostId) {
        HostStates s = states;
        return hostId >= 0 && hostId < s.size && s.ejected.get(hostId) != 0;
    }

    /**
     * The clock reading from which an ejected host may return (it returns at the first sweep at or
     * after it), or {@link #NOT_EJECTED} for a host in service or an id outside {@link #table()}.
     */
    public long ejectedUntilNanos(int hostId) {
        HostStates s = states;
        if (hostId < 0 || hostId >= s.size || s.ejected.get(hostId) == 0) {
            return NOT_EJECTED;
        }
        return s.ejectedUntil.get(hostId);
    }

    /** How many times the host has been ejected so far (Envoy's {@code num_ejections}). */
    public int ejectionCount(int hostId) {
        HostStates s = states;
        return hostId >= 0 && hostId < s.size ? s.ejectionCount.get(hostId) : 0;
    }

    /** The number of hosts ejected now. */
    public int ejectedCount() {
        return states.active;
    }

    /** The ejected hosts' ids, as a new set. Cold path. */
    public BitSet ejectedHosts() {
        HostStates s = states;
        BitSet bits = new BitSet(s.size);
        for (int h = 0; h < s.size; h++) {
            if (s.ejected.get(h) != 0) {
                bits.set(h);
            }
        }
        return bits;
    }

    /** Times ejections requested by recording threads were taken up; for tests, on the recording thread. */
    long ejectionBatches() {
        return ejectionBatches;
    }

    /** The clock reading at which the next sweep is due. */
    public long nextSweepAtNanos() {
        return nextSweepAtNanos;
    }

    @Override
    public String toString() {
        return "OutlierDetector[hosts=" + states.size + ", ejected=" + states.active + ", nextSweepAt="
                + nextSweepAtNanos + "]";
    }
}
