package dev.meridian.simulator;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.RandomSource;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.outlier.LocalOriginResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongConsumer;
import org.HdrHistogram.IntCountsHistogram;
import dev.meridian.core.ManualClock;

/**
 * Runs a scenario's traffic and faults through the real Meridian client on virtual time: a
 * single-threaded discrete-event loop over request arrivals, responses, outlier sweeps, faults and
 * bucket boundaries, on a {@link Clocks#manual()} clock that jumps from one event to the next.
 *
 * <p>Each caller is one {@link MeshClient} (its own sidecar: its own priorities, load balancer and
 * outlier detector), driven exactly as an embedding application drives it: {@code pick} and the
 * balancer's {@code requestStarted} when a request starts, {@code requestFinished} and {@code record}
 * when its response arrives, {@code runDueSweeps} when a sweep is due, {@code setEndpoints} when the
 * endpoint set changes. Nothing of the algorithm is repeated here.
 *
 * <p>An endpoint whose behaviour bounds its concurrency is a {@link ServerQueue}: a request that
 * finds its servers busy waits first come, first served, and the caller sees wait plus service
 * time; a full queue sheds with 503. Requests in flight and latency by locality are measured for
 * every run ({@link LoadRecorder}).
 *
 * <p>A run is a pure function of the scenario and the seed: arrivals and caller choice draw from one
 * seeded stream, outcomes and latencies from a second, each client from its own, and ties between
 * events at one instant are broken in a fixed order (faults, then sweeps, then responses, then new
 * requests).
 *
 * <p>Not thread-safe: one instance runs once, on the calling thread.
 */
public final class Simulation {
    /** Ejection and return events kept for reports; later ones are only counted. */
    static final int MAX_EVENTS = 100_000;
    /** What a connection refused by the endpoint costs the caller. */
    static final long CONNECT_FAILURE_NANOS = 1_000_000L;
    /**
     * What a request shed by an endpoint's full queue costs the caller: it neither waits nor is
     * served, and is answered as fast as a refused connection.
     */
    static final long SHED_NANOS = CONNECT_FAILURE_NANOS;
    /** The status a full queue answers with, as an overloaded server shedding load does. */
    static final int SHED_STATUS = 503;
    private static final int PRIORITIES = Endpoint.MAX_PRIORITY + 1;
    private static final long HISTOGRAM_MAX_MICROS = 3_600_000_000L;
    private static final long SEED_OUTCOMES = 0x5EED_0001L;
    private static final long SEED_CLIENTS = 0x5EED_1000L;

    private final Scenario scenario;
    private final SimulationSpec spec;
    private final List<Endpoint> endpoints;
    private final int endpointCount;
    private final int callerCount;
    private final ManualClock clock = Clocks.manual();
    private final RandomSource traffic;
    private final RandomSource outcomes;
    private final Map<String, Integer> indexByAddress = new HashMap<>();

    // Endpoint state, by endpoint index.
    private final boolean[] present;
    private final double[] errorRate;
    private final ErrorKind[] errorKind;
    private final LatencyModel[] latency;
    private final double[] baseErrorRate;
    private final ErrorKind[] baseErrorKind;
    private final LatencyModel[] baseLatency;
    /** Each endpoint's server where its concurrency is bounded; null entries serve every request at once. */
    private final ServerQueue[] servers;

    // Caller state.
    private final MeshClient[] clients;
    private final EndpointTable[] tables;
    private final int[][] hostToEndpoint;
    private final int[][] endpointToHost;
    private final boolean[][] ejected;
    private final double[] cumulativeShare;
    private final long[] callerErrors;
    /** Each caller's next outlier sweep, and their minimum: read per event, recomputed when a caller sweeps. */
    private final long[] nextSweep;
    private long nextSweepMin = Long.MAX_VALUE;
    /** Endpoints whose ejection a caller's listener reported and the loop has not yet looked at, per caller. */
    private final int[][] changed;
    private final int[] changedCount;
    private final boolean[][] changedMark;
    /** How many callers have each endpoint ejected, so a bucket carries ejections without scanning callers. */
    private final int[] ejectedBy;

    private final CompletionQueue inFlight = new CompletionQueue(1024);
    private final LoadRecorder load;
    /** Null unless the scenario's callers spill over by capacity. */
    private final SpillRecorder spill;

    // Phases.
    private final long[] phaseStarts;
    private final String[] phaseLabels;
    private int phase;
    private final long[] phaseRequests;
    private final long[] phaseErrors;
    private final long[] phaseNoEndpoint;
    private final long[] phaseEndpointRequests;
    private final long[] phaseEndpointErrors;
    private final long[] phasePriorityRequests;
    private final int[] phaseEjections;
    private final int[] phaseReturns;
    private final IntCountsHistogram[] histograms;
    private int highestPriority;

    // Buckets.
    private final long bucketNanos;
    private final int bucketCount;
    private int bucket;
    private final int[] bucketRequests;
    private final int[] bucketErrors;
    private final byte[] bucketEjected;
    private final byte[] bucketPriority;

    private final List<SimulationResult.Event> events = new ArrayList<>();
    private long droppedEvents;
    private final List<PendingFault> faultResults = new ArrayList<>();
    /**
     * Trackers still measuring, per caller; arrays so the per-request scan neither allocates nor
     * iterates a list, and looks only at the requesting caller's few.
     */
    private final Tracker[][] active;

    private long requests;
    private boolean spareReady;
    private double spare;

    private Simulation(Scenario scenario, SimulationSpec spec) {
        this.scenario = scenario;
        this.spec = spec;
        this.endpoints = List.copyOf(scenario.endpoints());
        this.endpointCount = endpoints.size();
        this.callerCount = spec.callers().size();
        this.traffic = RandomSource.seeded(spec.seed());
        this.outcomes = RandomSource.seeded(spec.seed() ^ SEED_OUTCOMES);
        for (int i = 0; i < endpointCount; i++) {
            indexByAddress.put(endpoints.get(i).address(), i);
        }
        int n = endpointCount;
        present = new boolean[n];
        Arrays.fill(present, true);
        baseErrorRate = new double[n];
        baseErrorKind = new ErrorKind[n];
        baseLatency = new LatencyModel[n];
        Arrays.fill(baseErrorKind, ErrorKind.UNAVAILABLE);
        Arrays.fill(baseLatency, SimulationSpec.DEFAULT_LATENCY);
        for (SimulationSpec.BehaviourRule rule : spec.behaviour()) {
            for (int i = 0; i < n; i++) {
                if (rule.select().matches(endpoints.get(i))) {
                    if (rule.latency() != null) {
                        baseLatency[i] = rule.latency();
                    }
                    if (!Double.isNaN(rule.errorRate())) {
                        baseErrorRate[i] = rule.errorRate();
                    }
                    if (rule.error() != null) {
                        baseErrorKind[i] = rule.error();
                    }
                }
            }
        }
        errorRate = baseErrorRate.clone();
        errorKind = baseErrorKind.clone();
        latency = baseLatency.clone();
        servers = spec.servers(scenario.source(), endpoints);

        clients = new MeshClient[callerCount];
        tables = new EndpointTable[callerCount];
        hostToEndpoint = new int[callerCount][];
        endpointToHost = new int[callerCount][n];
        ejected = new boolean[callerCount][n];
        cumulativeShare = new double[callerCount];
        callerErrors = new long[callerCount];
        nextSweep = new long[callerCount];
        changed = new int[callerCount][];
        changedCount = new int[callerCount];
        changedMark = new boolean[callerCount][n];
        ejectedBy = new int[n];
        active = new Tracker[callerCount][];
        Arrays.fill(active, new Tracker[0]);
        double total = 0;
        for (SimulationSpec.CallerSpec c : spec.callers()) {
            total += c.share();
        }
        double running = 0;
        MeshClient.Assignments assignments = new MeshClient.Assignments();
        for (int c = 0; c < callerCount; c++) {
            SimulationSpec.CallerSpec caller = spec.callers().get(c);
            running += caller.share();
            cumulativeShare[c] = c == callerCount - 1 ? 1.0 : running / total;
            changed[c] = new int[4];
            clients[c] = scenario.newClient(caller.caller(), endpoints, clock,
                    RandomSource.seeded(spec.seed() ^ (SEED_CLIENTS + c)), new ChangeListener(c), assignments);
            nextSweep[c] = clients[c].nextSweepAtNanos();
            nextSweepMin = Math.min(nextSweepMin, nextSweep[c]);
        }

        List<Long> starts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        starts.add(0L);
        labels.add("start");
        for (SimulationSpec.Fault f : spec.faults()) {
            int last = starts.size() - 1;
            if (f.atNanos() == starts.get(last)) {
                labels.set(last, labels.get(last).equals("start") ? f.describe() : labels.get(last) + "; "
                        + f.describe());
            } else {
                starts.add(f.atNanos());
                labels.add(f.describe());
            }
        }
        int phases = starts.size();
        phaseStarts = new long[phases];
        for (int i = 0; i < phases; i++) {
            phaseStarts[i] = starts.get(i);
        }
        phaseLabels = labels.toArray(new String[0]);
        phaseRequests = new long[phases];
        phaseErrors = new long[phases];
        phaseNoEndpoint = new long[phases];
        phaseEndpointRequests = new long[phases * n];
        phaseEndpointErrors = new long[phases * n];
        phasePriorityRequests = new long[phases * PRIORITIES];
        phaseEjections = new int[phases];
        phaseReturns = new int[phases];
        histograms = new IntCountsHistogram[phases];
        for (int i = 0; i < phases; i++) {
            histograms[i] = new IntCountsHistogram(HISTOGRAM_MAX_MICROS, 3);
        }

        bucketNanos = spec.bucketNanos();
        bucketCount = (int) ((spec.durationNanos() + bucketNanos - 1) / bucketNanos);
        bucketRequests = new int[bucketCount * n];
        bucketErrors = new int[bucketCount * n];
        bucketEjected = new byte[bucketCount * n];
        bucketPriority = new byte[bucketCount * n];
        load = new LoadRecorder(endpoints, servers, phases, bucketCount, bucketNanos, spec.durationNanos(),
                bucketRequests);
        boolean[] spilling = new boolean[callerCount];
        boolean anySpill = false;
        for (int c = 0; c < callerCount; c++) {
            spilling[c] = clients[c].cluster().spill() != null;
            anySpill |= spilling[c];
        }
        spill = anySpill ? new SpillRecorder(scenario.envoy().spill(), spilling, phases, bucketCount, bucketNanos,
                spec.durationNanos()) : null;
        for (int c = 0; spill != null && c < callerCount; c++) {
            spill.observe(c, clients[c].cluster().spill(), 0, 0);
        }
        for (int c = 0; c < callerCount; c++) {
            syncTable(c);
        }
    }

    /**
     * Runs a scenario with a validated simulation plan.
     *
     * @param progress told the virtual time now and then (about every 1% of the duration), or null; a
     *     {@link Progress} is told the requests so far as well
     */
    public static SimulationResult run(Scenario scenario, SimulationSpec spec, LongConsumer progress) {
        long wallStart = System.nanoTime();
        Simulation s = new Simulation(scenario, spec);
        s.loop(progress);
        return s.result(System.nanoTime() - wallStart);
    }

    /**
     * Runs the loop and keeps the simulation, so a test can look at its clients as the run left them
     * (requests still in flight at the end are never answered).
     */
    static Simulation ranToEnd(Scenario scenario, SimulationSpec spec) {
        Simulation s = new Simulation(scenario, spec);
        s.loop(null);
        return s;
    }

    /** One caller's client, for tests. */
    MeshClient client(int caller) {
        return clients[caller];
    }

    /** Requests sent to endpoint {@code e} and not yet answered, as the loop counts them; for tests. */
    int inFlight(int e) {
        return load.inFlight(e);
    }

    private void loop(LongConsumer progress) {
        final long end = spec.durationNanos();
        final double meanGapNanos = 1e9 / spec.ratePerSecond();
        final List<SimulationSpec.Fault> faults = spec.faults();
        final long progressStep = Math.max(1, end / 100);
        long nextProgress = progressStep;
        int nextFault = 0;
        long nextArrival = gap(meanGapNanos);
        while (true) {
            long faultAt = nextFault < faults.size() ? faults.get(nextFault).atNanos() : Long.MAX_VALUE;
            long sweepAt = nextSweepMin;
            long responseAt = inFlight.peekTime();
            long now = Math.min(Math.min(faultAt, sweepAt), Math.min(responseAt, nextArrival));
            if (now >= end) {
                break;
            }
            if (now > clock.nanoTime()) {
                clock.update(now);
            }
            while (bucket + 1 < bucketCount && now >= (bucket + 1) * bucketNanos) {
                closeBucket();
            }
            if (progress != null && now >= nextProgress) {
                tell(progress, now);
                nextProgress = (now / progressStep + 1) * progressStep;
            }
            if (now == faultAt) {
                applyFault(faults.get(nextFault), now);
                nextFault++;
            } else if (now == sweepAt) {
                sweep(now);
            } else if (now == responseAt) {
                long payload = inFlight.peekPayload();
                inFlight.pop();
                respond(CompletionQueue.caller(payload), CompletionQueue.endpoint(payload),
                        CompletionQueue.status(payload), now);
            } else {
                arrive(now);
                nextArrival = now + gap(meanGapNanos);
            }
        }
        clock.update(Math.max(clock.nanoTime(), end));
        while (bucket + 1 < bucketCount) {
            closeBucket();
        }
        closeBucket();
        load.closePhase(phase, phaseStarts[phase], end);
        if (spill != null) {
            spill.closePhase(phase, end);
        }
        if (progress != null) {
            tell(progress, end);
        }
    }

    private void tell(LongConsumer progress, long now) {
        if (progress instanceof Progress p) {
            p.at(now, requests);
        } else {
            progress.accept(now);
        }
    }

    /**
     * A progress callback that is also told the requests simulated so far; pass it to {@link #run}
     * where a {@link LongConsumer} is taken.
     */
    @FunctionalInterface
    public interface Progress extends LongConsumer {
        /**
         * @param virtualNanos the virtual time reached
         * @param requests the requests simulated so far
         */
        void at(long virtualNanos, long requests);

        @Override
        default void accept(long virtualNanos) {
            at(virtualNanos, -1);
        }
    }

    /** An exponential gap between Poisson arrivals, at least 1ns so virtual time always moves. */
    private long gap(double meanNanos) {
        return Math.max(1, (long) (-Math.log(1.0 - traffic.nextDouble()) * meanNanos));
    }

    private void arrive(long now) {
        int c = 0;
        if (callerCount > 1) {
            c = callerFor(traffic.nextDouble());
        }
        MeshClient client = clients[c];
        syncTable(c);
        int host = client.pick(traffic.nextLong());
        int p = phase;
        requests++;
        phaseRequests[p]++;
        int[] hosts = hostToEndpoint[c];
        if (host < 0 || host >= hosts.length) {
            if (spill != null) {
                spill.picked(now, -1);
            }
            phaseErrors[p]++;
            phaseNoEndpoint[p]++;
            callerErrors[c]++;
            return;
        }
        // Least request balances on these counts; an application counts a request from pick to response,
        // so a request waiting in the endpoint's queue is in flight too.
        client.requestStarted(host);
        int e = hosts[host];
        load.started(e, now);
        int priority = client.priority(host);
        if (spill != null) {
            spill.picked(now, priority);
        }
        if (priority >= 0 && priority < PRIORITIES) {
            phasePriorityRequests[p * PRIORITIES + priority]++;
            highestPriority = Math.max(highestPriority, priority);
        }
        int status = 200;
        long took;
        long wait = 0;
        ServerQueue server = servers[e];
        boolean shed = server != null && server.full(now);
        if (shed) {
            status = SHED_STATUS;
            took = SHED_NANOS;
        } else {
            double rate = errorRate[e];
            if (rate > 0 && (rate >= 1 || outcomes.nextDouble() < rate)) {
                ErrorKind kind = errorKind[e];
                status = kind.code();
                took = switch (status) {
                    case ErrorKind.TIMEOUT -> spec.timeoutNanos();
                    case ErrorKind.CONNECT_FAILED -> CONNECT_FAILURE_NANOS;
                    default -> latency[e].sample(gaussian());
                };
            } else {
                took = latency[e].sample(gaussian());
            }
            // A refused or never-answered connection never reaches the server's queue; everything else
            // waits for a server, then takes its latency as service time.
            if (server != null && status != ErrorKind.CONNECT_FAILED && status != ErrorKind.TIMEOUT) {
                wait = server.admit(now, took) - now;
                took += wait;
            }
        }
        if (took > spec.timeoutNanos()) {
            // Envoy gives up at the route timeout whatever the endpoint would have done.
            took = spec.timeoutNanos();
            status = ErrorKind.TIMEOUT;
        }
        int cell = p * endpointCount + e;
        phaseEndpointRequests[cell]++;
        int bcell = bucket * endpointCount + e;
        bucketRequests[bcell]++;
        if (status != 200) {
            phaseErrors[p]++;
            phaseEndpointErrors[cell]++;
            bucketErrors[bcell]++;
            callerErrors[c]++;
        }
        histograms[p].recordValue(Math.min(HISTOGRAM_MAX_MICROS, took / 1000));
        load.recorded(p, bucket, e, took, wait, shed);
        Tracker[] trackers = active[c];
        for (int i = 0; i < trackers.length; i++) {
            Tracker t = trackers[i];
            if (t.members[e]) {
                t.requests++;
                if (t.firstRequestAt < 0) {
                    t.firstRequestAt = now;
                    maybeRetire(t);
                }
            }
        }
        inFlight.push(now + took, c, e, status);
    }

    /**
     * The first caller whose cumulative share exceeds the draw (the last one if none does): a binary
     * search over the nondecreasing shares, the same caller a scan from the first would choose.
     */
    private int callerFor(double u) {
        int lo = 0;
        int hi = callerCount - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (u >= cumulativeShare[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private void respond(int c, int e, int status, long now) {
        load.finished(e, now);
        syncTable(c);
        int host = endpointToHost[c][e];
        if (host < 0) {
            // The endpoint left the set while the request was in flight; Envoy drops its monitor.
            return;
        }
        MeshClient client = clients[c];
        client.requestFinished(host);
        switch (status) {
            case ErrorKind.CONNECT_FAILED -> client.recordLocalOrigin(host, LocalOriginResult.CONNECT_FAILED);
            case ErrorKind.TIMEOUT -> client.recordLocalOrigin(host, LocalOriginResult.TIMEOUT);
            case ErrorKind.RESET -> client.recordLocalOrigin(host, LocalOriginResult.RESET);
            default -> client.record(host, status);
        }
        if (spill != null) {
            // An outcome that ejects drains the cluster, which runs an evaluation that is due.
            spill.observe(c, client.cluster().spill(), phase, now);
        }
        checkEjection(c, e, host, now);
        noteSweepTime(c);
    }

    /** Keeps the running minimum when a caller's next sweep moved outside a sweep (it does not, today). */
    private void noteSweepTime(int c) {
        long at = clients[c].nextSweepAtNanos();
        long was = nextSweep[c];
        if (at == was) {
            return;
        }
        nextSweep[c] = at;
        if (at < nextSweepMin) {
            nextSweepMin = at;
        } else if (was == nextSweepMin) {
            recomputeSweepMin();
        }
    }

    private void recomputeSweepMin() {
        long min = Long.MAX_VALUE;
        for (int c = 0; c < callerCount; c++) {
            min = Math.min(min, nextSweep[c]);
        }
        nextSweepMin = min;
    }

    /**
     * Runs every due caller's sweep, in caller order, and records the ejections and returns each
     * sweep's listener reported, in endpoint order: the order a scan of every endpoint would give.
     */
    private void sweep(long now) {
        for (int c = 0; c < callerCount; c++) {
            if (nextSweep[c] <= now) {
                MeshClient client = clients[c];
                client.runDueSweeps();
                if (spill != null) {
                    spill.observe(c, client.cluster().spill(), phase, now);
                }
                nextSweep[c] = client.nextSweepAtNanos();
                if (nextSweep[c] <= now) {
                    throw new IllegalStateException("caller " + spec.callers().get(c).name()
                            + ": runDueSweeps left the next sweep at " + client.nextSweepAtNanos() + " <= now " + now);
                }
                syncTable(c);
                checkChanged(c, now);
            }
        }
        recomputeSweepMin();
    }

    /** Looks at the endpoints caller c's listener reported since the last look, in endpoint order. */
    private void checkChanged(int c, long now) {
        int count = changedCount[c];
        if (count == 0) {
            return;
        }
        int[] list = changed[c];
        Arrays.sort(list, 0, count);
        changedCount[c] = 0;
        boolean[] marks = changedMark[c];
        for (int i = 0; i < count; i++) {
            int e = list[i];
            marks[e] = false;
            int host = endpointToHost[c][e];
            if (host >= 0) {
                checkEjection(c, e, host, now);
            }
        }
    }

    /** Notes, per caller, which endpoints its detector ejected or returned; the loop looks at them later. */
    private final class ChangeListener implements EjectionListener {
        private final int caller;

        ChangeListener(int caller) {
            this.caller = caller;
        }

        @Override
        public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
            mark(table, hostId);
        }

        @Override
        public void onReturned(EndpointTable table, int hostId, long atNanos) {
            mark(table, hostId);
        }

        private void mark(EndpointTable table, int hostId) {
            Integer e = indexByAddress.get(table.endpoint(hostId).address());
            if (e == null || changedMark[caller][e]) {
                return;
            }
            changedMark[caller][e] = true;
            if (changedCount[caller] == changed[caller].length) {
                changed[caller] = Arrays.copyOf(changed[caller], changed[caller].length * 2);
            }
            changed[caller][changedCount[caller]++] = e;
        }
    }

    private void checkEjection(int c, int e, int host, long now) {
        boolean isEjected = clients[c].ejected(host);
        if (isEjected == ejected[c][e]) {
            return;
        }
        ejected[c][e] = isEjected;
        ejectedBy[e] += isEjected ? 1 : -1;
        if (isEjected) {
            phaseEjections[phase]++;
            bucketEjected[bucket * endpointCount + e] = 1;
        } else {
            phaseReturns[phase]++;
        }
        if (events.size() < MAX_EVENTS) {
            events.add(new SimulationResult.Event(now, c, e, isEjected ? SimulationResult.EventType.EJECTED
                    : SimulationResult.EventType.RETURNED, isEjected ? clients[c].ejectedUntilNanos(host) : -1));
        } else {
            droppedEvents++;
        }
        Tracker[] trackers = active[c];
        for (int i = 0; i < trackers.length; i++) {
            Tracker t = trackers[i];
            if (t.members[e]) {
                t.memberChanged(e);
                t.check(now);
            }
        }
        retireSettled(c);
    }

    private void applyFault(SimulationSpec.Fault f, long now) {
        if (now > phaseStarts[phase]) {
            load.closePhase(phase, phaseStarts[phase], now);
            if (spill != null) {
                spill.closePhase(phase, now);
            }
            phase++;
        }
        List<Integer> hit = new ArrayList<>();
        boolean setChanged = false;
        for (int e = 0; e < endpointCount; e++) {
            if (!f.target().matches(endpoints.get(e))) {
                continue;
            }
            switch (f.action()) {
                case FAIL -> {
                    errorRate[e] = f.errorRate();
                    errorKind[e] = f.error();
                }
                case HEAL -> {
                    errorRate[e] = baseErrorRate[e];
                    errorKind[e] = baseErrorKind[e];
                    latency[e] = baseLatency[e];
                }
                case SLOW -> latency[e] = f.latency() != null ? f.latency() : baseLatency[e].times(f.factor());
                case REMOVE -> {
                    setChanged |= present[e];
                    present[e] = false;
                }
                case ADD -> {
                    // New pods come up with the endpoint's normal behaviour.
                    setChanged |= !present[e];
                    present[e] = true;
                    errorRate[e] = baseErrorRate[e];
                    errorKind[e] = baseErrorKind[e];
                    latency[e] = baseLatency[e];
                }
            }
            hit.add(e);
        }
        boolean[] members = new boolean[endpointCount];
        for (int e : hit) {
            members[e] = true;
        }
        int[] indexes = hit.stream().mapToInt(Integer::intValue).toArray();
        // A newer fault on the same endpoints ends the measurement of an older one, unsettled.
        for (int c = 0; c < callerCount; c++) {
            for (Tracker t : active[c]) {
                for (int e : indexes) {
                    if (t.members[e]) {
                        t.closed = true;
                        break;
                    }
                }
            }
            retireSettled(c);
        }
        if (setChanged) {
            List<Endpoint> set = new ArrayList<>();
            for (int e = 0; e < endpointCount; e++) {
                if (present[e]) {
                    set.add(endpoints.get(e));
                }
            }
            for (int c = 0; c < callerCount; c++) {
                clients[c].setEndpoints(set);
                if (spill != null) {
                    spill.observe(c, clients[c].cluster().spill(), phase, now);
                }
                syncTable(c);
                // A scan of every endpoint, which also covers what the listener reported.
                forgetChanged(c);
                for (int e = 0; e < endpointCount; e++) {
                    int host = endpointToHost[c][e];
                    if (host >= 0) {
                        checkEjection(c, e, host, now);
                    }
                }
                nextSweep[c] = clients[c].nextSweepAtNanos();
            }
            recomputeSweepMin();
        }
        String measure = switch (f.action()) {
            case FAIL, REMOVE -> SimulationResult.Outcome.FAILOVER;
            case HEAL, ADD -> SimulationResult.Outcome.RETURN;
            case SLOW -> SimulationResult.Outcome.NONE;
        };
        List<Tracker> forFault = new ArrayList<>();
        for (int c = 0; c < callerCount; c++) {
            Tracker t = new Tracker(c, measure, members, indexes, now);
            forFault.add(t);
            if (!measure.equals(SimulationResult.Outcome.NONE)) {
                t.recount();
                t.check(now);
                if (!t.retired()) {
                    active[c] = Arrays.copyOf(active[c], active[c].length + 1);
                    active[c][active[c].length - 1] = t;
                }
            }
        }
        faultResults.add(new PendingFault(f, indexes, forFault));
    }

    private void forgetChanged(int c) {
        for (int i = 0; i < changedCount[c]; i++) {
            changedMark[c][changed[c][i]] = false;
        }
        changedCount[c] = 0;
    }

    private void maybeRetire(Tracker t) {
        if (t.retired()) {
            retireSettled(t.caller);
        }
    }

    private void retireSettled(int c) {
        Tracker[] trackers = active[c];
        int keep = 0;
        for (Tracker t : trackers) {
            if (!t.retired()) {
                keep++;
            }
        }
        if (keep == trackers.length) {
            return;
        }
        Tracker[] next = new Tracker[keep];
        int i = 0;
        for (Tracker t : trackers) {
            if (!t.retired()) {
                next[i++] = t;
            }
        }
        active[c] = next;
    }

    private record PendingFault(SimulationSpec.Fault fault, int[] endpoints, List<Tracker> trackers) {
    }

    /** Watches one caller's view of the endpoints a fault touched; see {@link SimulationResult.Outcome}. */
    private final class Tracker {
        final int caller;
        final String measure;
        final boolean[] members;
        final int[] memberList;
        final boolean failover;
        final long start;
        final long errorsAtStart;
        long settledAt = -1;
        long firstRequestAt = -1;
        long requests;
        long errors = -1;
        boolean closed;
        /**
         * Members not yet where the measure wants them (usable for a return, unusable for a failover):
         * counted afresh when the caller's table changes, kept in step as its ejections change.
         */
        int unsettled;

        Tracker(int caller, String measure, boolean[] members, int[] memberList, long start) {
            this.caller = caller;
            this.measure = measure;
            this.members = members;
            this.memberList = memberList;
            this.failover = measure.equals(SimulationResult.Outcome.FAILOVER);
            this.start = start;
            this.errorsAtStart = callerErrors[caller];
        }

        private boolean usable(int e) {
            return present[e] && endpointToHost[caller][e] >= 0 && !ejected[caller][e];
        }

        void recount() {
            int n = 0;
            for (int e : memberList) {
                if (failover == usable(e)) {
                    n++;
                }
            }
            unsettled = n;
        }

        /** Member e's ejection just flipped (nothing else about it changed). */
        void memberChanged(int e) {
            boolean nowUsable = usable(e);
            boolean wasUsable = present[e] && endpointToHost[caller][e] >= 0 && ejected[caller][e];
            if (nowUsable != wasUsable) {
                unsettled += failover == nowUsable ? 1 : -1;
            }
        }

        void check(long now) {
            if (settledAt >= 0 || closed || unsettled > 0) {
                return;
            }
            settledAt = now;
            errors = callerErrors[caller] - errorsAtStart;
        }

        boolean retired() {
            if (closed) {
                return true;
            }
            if (measure.equals(SimulationResult.Outcome.FAILOVER)) {
                return settledAt >= 0;
            }
            return settledAt >= 0 && firstRequestAt >= 0;
        }

        SimulationResult.Outcome outcome() {
            long errs = errors >= 0 ? errors : callerErrors[caller] - errorsAtStart;
            return new SimulationResult.Outcome(caller, measure, settledAt < 0 ? -1 : settledAt - start,
                    firstRequestAt < 0 ? -1 : firstRequestAt - start, requests, errs);
        }
    }

    /** What decided the picks: the policy, each caller's priority assignment and the scenario's notes. */
    private List<String> notes() {
        List<String> notes = new ArrayList<>();
        notes.add("load balancing: " + clients[0].policy().name().toLowerCase(Locale.ROOT)
                .replace('_', ' '));
        // One line per distinct reason (a thousand callers in nine zones give nine), naming its first caller.
        Map<String, int[]> byReason = new java.util.LinkedHashMap<>();
        for (int c = 0; c < callerCount; c++) {
            int[] firstAndCount = byReason.computeIfAbsent(clients[c].assignment().reason(), r -> new int[] {-1, 0});
            if (firstAndCount[0] < 0) {
                firstAndCount[0] = c;
            }
            firstAndCount[1]++;
        }
        for (Map.Entry<String, int[]> r : byReason.entrySet()) {
            int c = r.getValue()[0];
            int more = r.getValue()[1] - 1;
            notes.add("priorities" + (c == 0 ? "" : " for " + spec.callers().get(c).name()
                    + (more > 0 ? " and " + more + " more" : "")) + ": " + r.getKey());
        }
        notes.addAll(scenario.warnings());
        return notes;
    }

    /** Rebuilds the host-id mapping when the client published a new endpoint table. */
    private void syncTable(int c) {
        EndpointTable table = clients[c].table();
        if (table == tables[c]) {
            return;
        }
        tables[c] = table;
        // Reports list every priority a caller's table had, including those no request reached.
        highestPriority = Math.max(highestPriority, Math.min(PRIORITIES, table.priorityCount()) - 1);
        int[] toEndpoint = new int[table.size()];
        int[] toHost = endpointToHost[c];
        Arrays.fill(toHost, -1);
        for (int h = 0; h < toEndpoint.length; h++) {
            Integer e = indexByAddress.get(table.endpoint(h).address());
            if (e == null) {
                throw new IllegalStateException("caller " + spec.callers().get(c).name()
                        + ": the client's table holds an endpoint the scenario does not: " + table.endpoint(h));
            }
            toEndpoint[h] = e;
            toHost[e] = h;
        }
        hostToEndpoint[c] = toEndpoint;
        for (Tracker t : active[c]) {
            t.recount();
        }
    }

    /** Ends the current bucket: records priorities as they stand and carries ejections into the next. */
    private void closeBucket() {
        load.closeBucket(bucket);
        int base = bucket * endpointCount;
        MeshClient first = clients[0];
        for (int e = 0; e < endpointCount; e++) {
            int host = endpointToHost[0][e];
            int priority = host >= 0 ? first.priority(host) : -1;
            bucketPriority[base + e] = (byte) Math.max(-1, Math.min(Byte.MAX_VALUE, priority));
        }
        if (bucket + 1 >= bucketCount) {
            return;
        }
        bucket++;
        int next = bucket * endpointCount;
        for (int e = 0; e < endpointCount; e++) {
            if (ejectedBy[e] > 0) {
                bucketEjected[next + e] = 1;
            }
        }
    }

    /** A standard normal draw (Box-Muller, keeping the second value for the next call). */
    private double gaussian() {
        if (spareReady) {
            spareReady = false;
            return spare;
        }
        double u1 = 1.0 - outcomes.nextDouble();
        double u2 = outcomes.nextDouble();
        double r = Math.sqrt(-2 * Math.log(u1));
        spare = r * Math.sin(2 * Math.PI * u2);
        spareReady = true;
        return r * Math.cos(2 * Math.PI * u2);
    }

    private SimulationResult result(long wallNanos) {
        int priorities = highestPriority + 1;
        List<SimulationResult.Phase> phases = new ArrayList<>();
        for (int p = 0; p < phaseStarts.length; p++) {
            long endAt = p + 1 < phaseStarts.length ? phaseStarts[p + 1] : spec.durationNanos();
            IntCountsHistogram h = histograms[p];
            boolean any = h.getTotalCount() > 0;
            phases.add(new SimulationResult.Phase(p, phaseStarts[p], endAt, phaseLabels[p], phaseRequests[p],
                    phaseErrors[p], phaseNoEndpoint[p],
                    Arrays.copyOfRange(phaseEndpointRequests, p * endpointCount, (p + 1) * endpointCount),
                    Arrays.copyOfRange(phaseEndpointErrors, p * endpointCount, (p + 1) * endpointCount),
                    Arrays.copyOfRange(phasePriorityRequests, p * PRIORITIES, p * PRIORITIES + priorities),
                    any ? h.getValueAtPercentile(50) * 1000 : -1,
                    any ? h.getValueAtPercentile(99) * 1000 : -1,
                    any ? h.getValueAtPercentile(99.9) * 1000 : -1,
                    phaseEjections[p], phaseReturns[p]));
        }
        List<SimulationResult.FaultResult> faults = new ArrayList<>();
        for (PendingFault pf : faultResults) {
            List<SimulationResult.Outcome> outcomes = new ArrayList<>();
            for (Tracker t : pf.trackers()) {
                outcomes.add(t.outcome());
            }
            faults.add(new SimulationResult.FaultResult(pf.fault(), pf.endpoints(), outcomes));
        }
        SimulationResult.Buckets buckets = new SimulationResult.Buckets(bucketNanos, bucketCount, endpointCount,
                bucketRequests, bucketErrors, bucketEjected, bucketPriority);
        SimulationResult.Spill spilled = null;
        if (spill != null) {
            long[] bounds = Arrays.copyOf(phaseStarts, phaseStarts.length + 1);
            bounds[phaseStarts.length] = spec.durationNanos();
            spilled = spill.result(bounds);
        }
        return new SimulationResult(scenario.name(), scenario.description(), scenario.source(), spec, notes(),
                endpoints, phases, buckets, events, droppedEvents, faults, load.result(), spilled, wallNanos);
    }
}
