package dev.meridian.soak;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Clocks;
import dev.meridian.core.ManualClock;
import dev.meridian.core.NanoClock;
import dev.meridian.core.RandomSource;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Phaser;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A soak of {@link Cluster}: one control thread applies a seeded script of endpoint churn, health
 * changes, balancing and outlier-detection configurations and failure bursts, and drains, while
 * several picking threads pick, record outcomes and hold requests open, for an hour of virtual time
 * (a {@link ManualClock} the control thread moves) or for a stretch of real time. Time advances in
 * steps; in each step the pickers pick for as long as the control thread is draining, so picks and
 * drains truly overlap, and two barriers close the step: after the first, each picker checks its
 * picks while the control thread checks its own invariants on a quiet cluster.
 *
 * <p>Checked throughout and at the end:
 * <ul>
 *   <li>a pick returns a handle of a publication it could have seen (between the publication
 *       count read just before it and just after it), and one that publication balances over;
 *   <li>a pick finds no host only if one of those publications had no healthy host, or had a route
 *       that Envoy's rules leave empty ({@link PublishedView});
 *   <li>each drain publishes at most one snapshot, its priority loads and panic flags agree with
 *       Envoy's arithmetic, and nothing the control thread must do is overdue after it;
 *   <li>no ejection is lost: the listener's ejections and returns pair up, agree with each host and
 *       with the detector's counts ({@link EjectionLedger}), and a burst of HTTP 500s long enough to
 *       complete a run, under a configuration that must eject, ends in an ejection;
 *   <li>at rest steps every request is finished and every host's in-flight count is 0; picks per
 *       host sum to the picks that returned a host;
 *   <li>the heap after a full collection at the end is within the caller's tolerance of the heap
 *       after warm-up (the run reports both; the caller judges).
 * </ul>
 * A failure names the seed, the step and the latest commands, so the same script can be run again.
 *
 * <p>Not thread-safe: {@link #run} runs one soak on the calling thread (the control thread) and the
 * pickers it starts.
 */
public final class ClusterSoak {

    /**
     * What to run. Immutable and thread-safe.
     *
     * @param seed the seed of the script, the cluster's random source and the pickers
     * @param length virtual or real time to run
     * @param realTime whether the cluster runs on the system clock rather than a manual one
     * @param pickers picking threads
     * @param step how far time moves per step
     * @param warmUp when the heap is first measured
     * @param rest how often every request is finished and the in-flight counts checked
     * @param minPicksPerStep picks each picker makes in a step at least
     * @param maxPicksPerStep picks each picker makes in a step at most
     */
    public record Settings(long seed, Duration length, boolean realTime, int pickers, Duration step, Duration warmUp,
                           Duration rest, int minPicksPerStep, int maxPicksPerStep) {

        public Settings {
            if (length == null || step == null || warmUp == null || rest == null || step.isNegative()
                    || step.isZero() || length.compareTo(step) < 0) {
                throw new IllegalArgumentException("length: must be at least one step, got " + length + " and step "
                        + step);
            }
            if (warmUp.compareTo(length) >= 0) {
                throw new IllegalArgumentException("warmUp: must be shorter than the length " + length + ", got "
                        + warmUp);
            }
            if (pickers < 1) {
                throw new IllegalArgumentException("pickers: must be at least 1, got " + pickers);
            }
            if (minPicksPerStep < 1 || maxPicksPerStep < minPicksPerStep) {
                throw new IllegalArgumentException("maxPicksPerStep: must be at least minPicksPerStep "
                        + minPicksPerStep + " (at least 1), got " + maxPicksPerStep);
            }
        }

        /** An hour of virtual time in steps of 100 ms, three pickers. */
        public static Settings virtualHour(long seed) {
            return new Settings(seed, Duration.ofHours(1), false, 3, Duration.ofMillis(100), Duration.ofMinutes(5),
                    Duration.ofMinutes(1), 64, 4096);
        }

        /** Real time in steps of 10 ms, three pickers, warmed up for a minute (or a tenth of a shorter run). */
        public static Settings realTime(long seed, Duration length) {
            Duration warmUp = length.compareTo(Duration.ofMinutes(10)) >= 0 ? Duration.ofMinutes(1)
                    : length.dividedBy(10);
            return new Settings(seed, length, true, 3, Duration.ofMillis(10), warmUp, Duration.ofMinutes(1), 16,
                    65_536);
        }
    }

    private static final int POOL_PER_LOCALITY = 10;
    private static final int COMPLETION_QUEUE_CAPACITY = 2;
    /** How often the control thread drains in real time, as {@code Cluster.runOn} would. */
    private static final long REAL_TIME_DRAIN_PERIOD_NANOS = 500_000;

    final Settings settings;
    final AddressPool pool = new AddressPool(POOL_PER_LOCALITY);
    final ViewIndex views = new ViewIndex(1 << 14);
    final Phaser phaser;
    final Cluster cluster;
    private final NanoClock clock;
    private final ManualClock manual;
    private final long stepNanos;
    private final long steps;
    private final ChurnScript script;
    private final EjectionLedger ledger;
    private final List<Picker> pickers = new ArrayList<>();

    /** The plan of the step the pickers are in or about to start. */
    volatile StepPlan plan;
    /** The last step whose drains the control thread has finished. */
    volatile long driverDoneStep = -1;
    /** The step after which everyone stops, or -1. */
    volatile long stopAfterStep = -1;
    /** Whether the control thread is inside {@code drain()}: pickers count the picks that overlap one. */
    volatile boolean draining;
    private final AtomicReference<String> failure = new AtomicReference<>();
    private volatile long currentStep;

    // Control thread only.
    private long lastPublication;
    private long drains;
    private long heldFrom = 1;
    private boolean detecting;
    private dev.meridian.lb.LbConfig lb;
    private final long[] handleSince;
    private long outlierConfiguredAt;
    private final long[] successesAtConfigure;
    private final List<Burst> checking = new ArrayList<>();
    private long ejectionChecks;
    /** Handles that left the set since the last rest step: their in-flight counts are checked then too. */
    private final Map<Host, Boolean> retired = new IdentityHashMap<>();
    private Host[] lastHandles;
    private long restChecks;
    private long heapBefore;
    private long heapAfter;

    private ClusterSoak(Settings settings) {
        this.settings = settings;
        this.stepNanos = settings.step().toNanos();
        this.steps = settings.length().toNanos() / stepNanos;
        this.manual = settings.realTime() ? null : Clocks.manual();
        this.clock = settings.realTime() ? Clocks.system() : manual;
        this.script = new ChurnScript(settings.seed(), pool, stepNanos);
        this.ledger = new EjectionLedger(pool);
        this.handleSince = new long[pool.size()];
        this.successesAtConfigure = new long[pool.size()];
        this.lastHandles = new Host[pool.size()];
        this.lb = script.lb();
        this.detecting = script.outlier() != null;
        // The smallest hand-over queue, so that runs completing on three hosts between two drains
        // take its overflow path (a pending mark and a scan at the next drain).
        this.cluster = Cluster.builder(lb).endpoints(script.table()).outlierDetection(script.outlier())
                .clock(clock).random(RandomSource.seeded(settings.seed())).listener(ledger)
                .completionQueueCapacity(COMPLETION_QUEUE_CAPACITY).build();
        this.phaser = new Phaser(settings.pickers() + 1);
        for (int i = 0; i < settings.pickers(); i++) {
            pickers.add(new Picker(this, cluster, pool, settings.seed() * 31 + i + 1, settings.minPicksPerStep(),
                    settings.maxPicksPerStep()));
        }
    }

    /** Runs a soak on the calling thread and the pickers it starts; returns when they have all stopped. */
    static SoakReport run(Settings settings) {
        return new ClusterSoak(settings).runSoak();
    }

    private SoakReport runSoak() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long gcCountBefore = gcCount();
        long gcTimeBefore = gcMillis();
        long wallStart = System.nanoTime();
        afterDrain();
        List<Burst> started = new ArrayList<>();
        plan = new StepPlan(0, script.burstsFor(0, started), false, false);
        beginChecks(started);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < pickers.size(); i++) {
            Thread t = new Thread(pickers.get(i), "soak-picker-" + i);
            threads.add(t);
            t.start();
        }
        long start = clock.nanoTime();
        long step = 0;
        try {
            for (;; step++) {
                currentStep = step;
                // Nothing picked from here on can predate the last step's end.
                views.forgetBefore(heldFrom);
                long now = settings.realTime() ? clock.nanoTime() - start : step * stepNanos;
                boolean outlierChanged;
                if (plan.measureHeap) {
                    script.queueReference(now, cluster);
                    outlierChanged = true;
                } else {
                    outlierChanged = script.queueCommands(now, cluster);
                }
                lb = script.lb();
                detecting = script.outlier() != null;
                drain();
                if (outlierChanged) {
                    configuredOutlier();
                }
                if (settings.realTime()) {
                    long end = start + (step + 1) * stepNanos;
                    while (clock.nanoTime() - end < 0 && !failed()) {
                        LockSupport.parkNanos(REAL_TIME_DRAIN_PERIOD_NANOS);
                        drain();
                    }
                } else {
                    manual.advance(stepNanos);
                    drain();
                }
                driverDoneStep = step;
                phaser.arriveAndAwaitAdvance();
                // The pickers are checking their picks: the cluster is quiet.
                StepPlan current = plan;
                if (outlierChanged) {
                    sum(successesAtConfigure, SUCCESSES);
                }
                checkBursts(step);
                if (current.finishOutstanding) {
                    checkAtRest();
                }
                String problems = ledger.problems();
                if (!problems.isEmpty()) {
                    fail(problems.strip(), step);
                }
                heldFrom = lastPublication;
                boolean measure = current.measureHeap;
                if (failed() || step == steps - 1) {
                    stopAfterStep = step;
                } else {
                    long next = step + 1;
                    started.clear();
                    Burst[] bursts = script.burstsFor(next, started);
                    beginChecks(started);
                    boolean rest = next == steps - 1 || (next * stepNanos) % settings.rest().toNanos() == 0;
                    boolean heap = next == steps - 1 || next == settings.warmUp().toNanos() / stepNanos;
                    plan = new StepPlan(next, bursts, rest, heap);
                }
                phaser.arriveAndAwaitAdvance();
                if (measure) {
                    long used = heapAfterFullGc(memory);
                    if (step == steps - 1) {
                        heapAfter = used;
                    } else {
                        heapBefore = used;
                    }
                    phaser.arriveAndAwaitAdvance();
                }
                if (stopAfterStep == step) {
                    break;
                }
            }
        } catch (RuntimeException | Error e) {
            fail("the control thread threw " + e, step);
            stopAfterStep = step;
            phaser.arriveAndDeregister();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while joining the pickers", step);
            }
        }
        long picks = 0;
        long excluding = 0;
        long hash = 0;
        long nothing = 0;
        long raced = 0;
        long duringDrain = 0;
        long started2 = 0;
        long finished = 0;
        long failures = 0;
        long onHosts = 0;
        for (Picker p : pickers) {
            picks += p.picks;
            excluding += p.excludingPicks;
            hash += p.hashPicks;
            nothing += p.nothing;
            raced += p.raced;
            duringDrain += p.duringDrain;
            started2 += p.started;
            finished += p.finished;
            failures += p.failuresRecorded;
            for (long c : p.picksByAddress) {
                onHosts += c;
            }
        }
        if (!failed()) {
            if (onHosts != picks - nothing) {
                fail("picks per host sum to " + onHosts + ", but " + (picks - nothing) + " picks returned a host",
                        step);
            }
            if (started2 != finished || started2 != onHosts) {
                fail(started2 + " requests started, " + finished + " finished, " + onHosts + " picked", step);
            }
        }
        return new SoakReport(settings, failure.get(), step + 1, Duration.ofNanos(System.nanoTime() - wallStart),
                picks, excluding, hash, nothing, onHosts, raced, duringDrain, failures, lastPublication, drains,
                script.updates,
                script.healthChanges, script.lbChanges, script.outlierChanges, script.burstCount, ejectionChecks,
                ledger.ejections(), ledger.returns(), ledger.endedByDeparture(), ledger.ejectedNow(), restChecks,
                heapBefore, heapAfter, gcCount() - gcCountBefore, Duration.ofMillis(gcMillis() - gcTimeBefore));
    }

    private void drain() {
        draining = true;
        cluster.drain();
        draining = false;
        drains++;
        afterDrain();
    }

    /** The control thread's checks after each drain; records the publication it made, if any. */
    private void afterDrain() {
        long publication = cluster.publications();
        if (publication != lastPublication) {
            if (publication != lastPublication + 1) {
                fail("one drain published " + (publication - lastPublication) + " snapshots", currentStep);
            }
            PublishedView view = PublishedView.of(publication, cluster.table(), cluster.hosts(), detecting, lb, pool);
            views.add(view);
            lastPublication = publication;
            comparePlan(view);
            ledger.reconcile(view);
            for (int id = 0; id < lastHandles.length; id++) {
                Host h = view.handle(id);
                if (h != lastHandles[id]) {
                    if (lastHandles[id] != null) {
                        retired.put(lastHandles[id], Boolean.TRUE);
                    }
                    lastHandles[id] = h;
                    handleSince[id] = publication;
                }
            }
            for (Burst b : checking) {
                if (b.mustEject && view.handle(b.address) != b.handle) {
                    // Another handle has other counters: the burst's failures are split between them.
                    b.mustEject = false;
                }
            }
        }
        ledger.compareWith(cluster);
        long now = clock.nanoTime();
        if (!settings.realTime() && cluster.nextDeadlineNanos() - now <= 0) {
            fail("after a drain at " + now + " the control thread still has work due at " + cluster.nextDeadlineNanos(),
                    currentStep);
        }
    }

    /** The plan's priorities against {@link PublishedView}'s own account of Envoy's arithmetic. */
    private void comparePlan(PublishedView view) {
        var priorities = cluster.plan().priorities();
        if (priorities.size() != view.priorities()) {
            fail("the plan has " + priorities.size() + " priorities, expected " + view.priorities() + "\n  "
                    + view.describe(-1), currentStep);
            return;
        }
        for (var p : priorities) {
            int i = p.priority();
            if (p.hosts() != view.hosts(i) || p.excluded() != view.excluded(i) || p.healthy() != view.healthy(i)
                    || p.degraded() != view.degraded(i) || p.healthyLoad() != view.healthyLoad(i)
                    || p.degradedLoad() != view.degradedLoad(i) || p.panic() != view.panic(i)) {
                fail("the plan's P" + i + " is {hosts " + p.hosts() + ", excluded " + p.excluded() + ", healthy "
                        + p.healthy() + ", degraded " + p.degraded() + ", load " + p.healthyLoad() + "/"
                        + p.degradedLoad() + (p.panic() ? ", panic" : "") + "}, Envoy's arithmetic gives\n  "
                        + view.describe(-1) + "\n  under " + lb, currentStep);
                return;
            }
        }
    }

    /** After a drain that applied a new outlier-detection configuration. */
    private void configuredOutlier() {
        outlierConfiguredAt = lastPublication;
        for (Burst b : checking) {
            // A burst that straddles a new configuration may face other thresholds or none.
            b.mustEject = false;
        }
    }

    /**
     * Decides, for bursts about to begin, whether they must end in an ejection: HTTP 500s extend
     * only the 5xx run, and with consecutive 5xx enforced at 100% and a cap of 100% the detector
     * must eject the host once its run reaches the threshold, unless the run cannot reach it
     * exactly: a run left above a threshold that was lowered stays there until a success. So the
     * host's handle must be newer than the configuration, or have seen a success since it.
     * Quiet-cluster step of the control thread.
     */
    private void beginChecks(List<Burst> started) {
        var config = script.outlier();
        for (Burst b : started) {
            checking.add(b);
            Host h = lastHandles[b.address];
            b.handle = h;
            b.mustEject = b.mode == Burst.Mode.HTTP_500 && config != null && h != null
                    && config.enforcingConsecutive5xx() == 100 && config.maxEjectionPercent() == 100
                    && config.consecutive5xx() > 0
                    && (handleSince[b.address] >= outlierConfiguredAt
                        || sumOf(b.address, SUCCESSES) > successesAtConfigure[b.address]);
            b.threshold = config == null ? 0 : config.consecutive5xx();
            b.failuresBefore = sumOf(b.address, FAILURES_500);
            b.ejectionsBefore = ledger.ejectionsOf(b.address);
            b.ejectedAtStart = ledger.isEjected(b.address);
        }
    }

    /** Bursts that ended in the step before this one: their last failures have been drained now. */
    private void checkBursts(long step) {
        for (int i = checking.size() - 1; i >= 0; i--) {
            Burst b = checking.get(i);
            if (b.lastStep + 1 != step) {
                continue;
            }
            checking.remove(i);
            long failures = sumOf(b.address, FAILURES_500) - b.failuresBefore;
            if (!b.mustEject || failures < b.threshold) {
                continue;
            }
            ejectionChecks++;
            if (!b.ejectedAtStart && ledger.ejectionsOf(b.address) == b.ejectionsBefore) {
                fail("lost ejection: " + pool.address(b.address) + " answered " + failures + " requests in a row with"
                        + " HTTP 500 in " + b + " under consecutive5xx " + b.threshold + ", enforced at 100% with a"
                        + " 100% cap, and was never ejected", step);
            }
        }
    }

    /** Every request is finished: every handle now in the set or retired since the last rest has none in flight. */
    private void checkAtRest() {
        restChecks++;
        for (Host h : cluster.hosts()) {
            if (h.activeRequests() != 0) {
                fail(h + " has " + h.activeRequests() + " requests in flight with every request finished",
                        currentStep);
            }
        }
        for (Host h : retired.keySet()) {
            if (h.activeRequests() != 0) {
                fail("retired " + h + " has " + h.activeRequests() + " requests in flight with every request finished",
                        currentStep);
            }
        }
        retired.clear();
        long started = 0;
        long finished = 0;
        for (Picker p : pickers) {
            started += p.started;
            finished += p.finished;
        }
        if (started != finished) {
            fail(started + " requests started and " + finished + " finished at a rest step", currentStep);
        }
    }

    private static final int SUCCESSES = 0;
    private static final int FAILURES_500 = 1;

    private long sumOf(int address, int which) {
        long s = 0;
        for (Picker p : pickers) {
            s += which == SUCCESSES ? p.successesByAddress[address] : p.failures500ByAddress[address];
        }
        return s;
    }

    private void sum(long[] into, int which) {
        for (int id = 0; id < into.length; id++) {
            into[id] = sumOf(id, which);
        }
    }

    boolean failed() {
        return failure.get() != null;
    }

    void fail(String what) {
        fail(what, currentStep);
    }

    /** Records the first broken invariant with what is needed to run the same script again. */
    void fail(String what, long step) {
        String report = String.format("seed %d, step %d (%s %.1f s): %s%nlatest commands:%n  %s", settings.seed(), step,
                settings.realTime() ? "real" : "virtual", step * stepNanos / 1e9, what,
                String.join("\n  ", script.recent()));
        failure.compareAndSet(null, report);
    }

    /** Heap used after full collections: the least of three readings. */
    private static long heapAfterFullGc(MemoryMXBean memory) {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            memory.gc();
            least = Math.min(least, memory.getHeapMemoryUsage().getUsed());
        }
        return least;
    }

    private static long gcCount() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    private static long gcMillis() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionTime());
        }
        return n;
    }

    /**
     * Runs a soak and prints its report: {@code --minutes N} of real time (default 10), or
     * {@code --virtual-minutes N} of virtual time; {@code --seed S}; {@code --pickers N}. Exits with
     * status 1 when an invariant broke.
     */
    public static void main(String[] args) throws Exception {
        long seed = 1;
        Duration length = Duration.ofMinutes(10);
        boolean real = true;
        int pickerCount = 3;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--minutes" -> {
                    length = Duration.ofSeconds(Math.round(Double.parseDouble(value) * 60));
                    real = true;
                    i++;
                }
                case "--virtual-minutes" -> {
                    length = Duration.ofSeconds(Math.round(Double.parseDouble(value) * 60));
                    real = false;
                    i++;
                }
                case "--seed" -> {
                    seed = Long.parseLong(value);
                    i++;
                }
                case "--pickers" -> {
                    pickerCount = Integer.parseInt(value);
                    i++;
                }
                default -> {
                    System.err.println("usage: java -jar soak.jar [--minutes N | --virtual-minutes N] [--seed S]"
                            + " [--pickers N]");
                    System.exit(2);
                }
            }
        }
        Settings base = real ? Settings.realTime(seed, length) : Settings.virtualHour(seed);
        Settings settings = new Settings(seed, length, real, pickerCount, base.step(),
                real ? base.warmUp() : Duration.ofMillis(Math.min(base.warmUp().toMillis(), length.toMillis() / 10)),
                base.rest(), base.minPicksPerStep(), base.maxPicksPerStep());
        String loadBefore = loadAverage();
        SoakReport report = run(settings);
        System.out.print(report.text());
        System.out.println("  load average     " + loadBefore + " before, " + loadAverage() + " after (/proc/loadavg)");
        System.out.println("  JVM              " + System.getProperty("java.vm.name") + " " + System.getProperty(
                "java.runtime.version") + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, max heap "
                + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB, "
                + ManagementFactory.getGarbageCollectorMXBeans().get(0).getName());
        System.exit(report.failure() == null ? 0 : 1);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return "unknown";
        }
    }
}
