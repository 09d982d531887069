package dev.meridian.simulator;

import dev.meridian.core.Endpoint;
import dev.meridian.core.Locality;
import dev.meridian.istio.YamlNode;
import dev.meridian.topology.Caller;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * A scenario's {@code simulation:} section, validated: how long to run, how much traffic from which
 * callers, how each endpoint behaves, and the faults to inject at virtual times. docs/scenarios.md
 * describes the format.
 *
 * <p>Immutable and thread-safe.
 */
public final class SimulationSpec {
    static final long DEFAULT_DURATION_NANOS = 600_000_000_000L;
    static final double DEFAULT_RATE = 100;
    static final long DEFAULT_SEED = 1;
    /** Envoy's default route timeout: what a request to an endpoint that never answers costs. */
    static final long DEFAULT_TIMEOUT_NANOS = 15_000_000_000L;
    static final LatencyModel DEFAULT_LATENCY = LatencyModel.percentiles(10_000_000L, 40_000_000L);
    /** Keeps one run within memory and minutes: at most this many requests. */
    static final double MAX_REQUESTS = 2e9;
    static final int MAX_BUCKETS = 100_000;
    /**
     * The most callers a simulation may list, counts included. Each is its own sidecar with its own
     * cluster of every endpoint, so memory grows with callers times endpoints: see
     * {@link #MAX_CALLER_ENDPOINTS}.
     */
    static final int MAX_CALLERS = 10_000;
    /** Callers times endpoints: each caller's cluster keeps a handle, detector state and snapshot entry per endpoint. */
    static final long MAX_CALLER_ENDPOINTS = 20_000_000L;
    /** Each fault instant starts a phase with its own latency histogram (about 100 KB). */
    static final int MAX_FAULTS = 500;
    /** Buckets times endpoints: the CSV's rows and the engine's per-bucket counters. */
    static final long MAX_BUCKET_CELLS = 10_000_000L;
    /** The longest duration a simulation field may give (about 115 days): runs stay finite, times far from overflow. */
    public static final long MAX_DURATION_SECONDS = 10_000_000L;
    private static final long[] NICE_BUCKETS_SECONDS = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600};
    private static final int TARGET_BUCKETS = 600;

    private final long durationNanos;
    private final double ratePerSecond;
    private final long seed;
    private final long bucketNanos;
    private final boolean bucketGiven;
    private final long timeoutNanos;
    private final List<CallerSpec> callers;
    private final List<BehaviourRule> behaviour;
    private final List<Fault> faults;
    /** Faults of the scenario that a shorter {@link #withDuration} left after the end: reported, not run. */
    private final List<Fault> faultsNotRun;

    private SimulationSpec(long durationNanos, double ratePerSecond, long seed, long bucketNanos, boolean bucketGiven,
                           long timeoutNanos, List<CallerSpec> callers, List<BehaviourRule> behaviour,
                           List<Fault> faults) {
        this(durationNanos, ratePerSecond, seed, bucketNanos, bucketGiven, timeoutNanos, callers, behaviour, faults,
                List.of());
    }

    private SimulationSpec(long durationNanos, double ratePerSecond, long seed, long bucketNanos, boolean bucketGiven,
                           long timeoutNanos, List<CallerSpec> callers, List<BehaviourRule> behaviour,
                           List<Fault> faults, List<Fault> faultsNotRun) {
        this.faultsNotRun = List.copyOf(faultsNotRun);
        this.durationNanos = durationNanos;
        this.ratePerSecond = ratePerSecond;
        this.seed = seed;
        this.bucketNanos = bucketNanos;
        this.bucketGiven = bucketGiven;
        this.timeoutNanos = timeoutNanos;
        this.callers = List.copyOf(callers);
        this.behaviour = List.copyOf(behaviour);
        this.faults = List.copyOf(faults);
    }

    /**
     * Reads and validates a {@code simulation:} section.
     *
     * @param source the file, for messages
     * @param raw the section as read from YAML; empty for the defaults
     * @param scenarioCaller the scenario's {@code caller}, the only caller when none is listed
     * @param endpoints the scenario's endpoints, against which every selector must match
     * @throws IllegalArgumentException naming the file, the field and the value
     */
    public static SimulationSpec parse(String source, Map<String, Object> raw, Caller scenarioCaller,
                                List<Endpoint> endpoints) {
        YamlNode root = new YamlNode(source, "simulation", raw == null || raw.isEmpty() ? null : raw);
        root.allowOnly("duration", "rate", "seed", "bucket", "timeout", "callers", "behaviour", "faults");
        long duration = root.get("duration").durationNanos(DEFAULT_DURATION_NANOS, MAX_DURATION_SECONDS);
        if (duration < 1_000_000_000L) {
            throw root.get("duration").error("must be at least 1s, got '" + root.get("duration").shown() + "'");
        }
        double rate = root.get("rate").doubleValue(DEFAULT_RATE);
        if (!(rate > 0) || rate * (duration / 1e9) > MAX_REQUESTS) {
            throw root.get("rate").error("must be greater than 0 and give at most " + (long) MAX_REQUESTS
                    + " requests over the duration, got '" + root.get("rate").shown() + "'");
        }
        long seed = root.get("seed").longValue(DEFAULT_SEED);
        boolean bucketGiven = root.has("bucket");
        long bucket = bucketGiven ? root.get("bucket").durationNanos(0, MAX_DURATION_SECONDS) : defaultBucket(duration);
        if (bucket < 1_000_000L || (duration + bucket - 1) / bucket > MAX_BUCKETS) {
            throw root.get("bucket").error("must be at least 1ms and give at most " + MAX_BUCKETS
                    + " buckets over the duration, got '" + root.get("bucket").shown() + "'");
        }
        long timeout = root.get("timeout").durationNanos(DEFAULT_TIMEOUT_NANOS, MAX_DURATION_SECONDS);
        if (timeout <= 0) {
            throw root.get("timeout").error("must be greater than 0, got '" + root.get("timeout").shown() + "'");
        }
        List<CallerSpec> callers = callers(root.get("callers"), scenarioCaller, endpoints.size());
        List<BehaviourRule> behaviour = new ArrayList<>();
        for (YamlNode r : root.get("behaviour").list()) {
            behaviour.add(BehaviourRule.parse(r, endpoints));
        }
        List<Fault> faults = new ArrayList<>();
        if (root.get("faults").list().size() > MAX_FAULTS) {
            throw root.get("faults").error("at most " + MAX_FAULTS + " faults, got "
                    + root.get("faults").list().size());
        }
        for (YamlNode f : root.get("faults").list()) {
            Fault fault = Fault.parse(f, endpoints);
            if (fault.atNanos() >= duration) {
                throw f.get("at").error("must be before the end of the simulation ("
                        + Reports.duration(duration) + "), got '" + f.get("at").shown() + "'");
            }
            faults.add(fault);
        }
        // A stable sort keeps faults written for the same instant in file order.
        faults.sort(Comparator.comparingLong(Fault::atNanos));
        SimulationSpec spec = new SimulationSpec(duration, rate, seed, bucket, bucketGiven, timeout, callers,
                behaviour, faults);
        spec.requireBucketCells(source, endpoints.size());
        spec.servers(source, endpoints);
        return spec;
    }

    /**
     * Checks that buckets times endpoints stays within {@link #MAX_BUCKET_CELLS}.
     *
     * @throws IllegalArgumentException naming the file, {@code simulation.bucket} and the value
     */
    public void requireBucketCells(String source, int endpointCount) {
        long buckets = (durationNanos + bucketNanos - 1) / bucketNanos;
        if (buckets * endpointCount > MAX_BUCKET_CELLS) {
            throw new YamlNode(source, "simulation.bucket", Reports.duration(bucketNanos)).error(buckets
                    + " buckets x " + endpointCount + " endpoints is more than " + MAX_BUCKET_CELLS
                    + " counts; use a longer bucket, got '" + Reports.duration(bucketNanos) + "'");
        }
    }

    /**
     * Checks that every selector of this plan still matches an endpoint of another scenario's
     * endpoint set, so a comparison run does not silently inject nothing.
     *
     * @param source the file this plan was read from: the selectors are written there
     * @param otherSource the scenario whose endpoints the plan is run against
     * @param endpoints that scenario's endpoints
     * @throws IllegalArgumentException naming this plan's file, every selector that matches none of
     *     the other scenario's endpoints, those endpoints, and the selectors' values
     */
    public void requireTargets(String source, String otherSource, List<Endpoint> endpoints) {
        requireBucketCells(otherSource, endpoints.size());
        List<String> paths = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (BehaviourRule r : behaviour) {
            if (!r.select().matchesAny(endpoints)) {
                paths.add(r.path() + ".select");
                values.add(r.select().describe());
            }
        }
        for (Fault f : faults) {
            if (!f.target().matchesAny(endpoints)) {
                paths.add(f.path() + "." + f.action().key());
                values.add(f.target().describe());
            }
        }
        if (paths.isEmpty()) {
            servers(source, endpoints);
            return;
        }
        StringJoiner listed = new StringJoiner(", ");
        for (int i = 0; i < Math.min(endpoints.size(), 6); i++) {
            Endpoint e = endpoints.get(i);
            listed.add(e.address() + " at " + (e.locality().isUnknown() ? "no locality" : e.locality().toString()));
        }
        if (endpoints.size() > 6) {
            listed.add((endpoints.size() - 6) + " more");
        }
        StringJoiner got = new StringJoiner("', '", "'", "'");
        values.forEach(got::add);
        throw new IllegalArgumentException(source + ": " + String.join(", ", paths) + ": "
                + (paths.size() == 1 ? "selects" : "select") + " none of the endpoints of " + otherSource
                + " (" + listed + "), so " + (paths.size() == 1 ? "it" : "they")
                + " cannot be applied in the comparison run, got " + got);
    }

    private static List<CallerSpec> callers(YamlNode list, Caller scenarioCaller, int endpointCount) {
        if (list.isMissing()) {
            return List.of(new CallerSpec(name(scenarioCaller, 0), scenarioCaller, 1.0));
        }
        List<YamlNode> items = list.list();
        if (items.isEmpty() || items.size() > MAX_CALLERS) {
            throw list.error("must list 1 to " + MAX_CALLERS + " callers, got " + items.size());
        }
        List<CallerSpec> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            YamlNode c = items.get(i);
            c.allowOnly("name", "locality", "region", "zone", "subzone", "labels", "share", "count");
            Caller caller = new Caller(locality(c, scenarioCaller.locality()),
                    c.has("labels") ? c.get("labels").stringMap() : scenarioCaller.labels());
            double share = c.get("share").doubleValue(1.0);
            if (!(share > 0)) {
                throw c.get("share").error("must be greater than 0, got '" + c.get("share").shown() + "'");
            }
            if (!c.has("count")) {
                String name = c.get("name").string(name(caller, i));
                if (!names.add(name)) {
                    throw c.get("name").error("duplicate caller name '" + name + "' (give each caller a name)");
                }
                out.add(new CallerSpec(name, caller, share));
            } else {
                long count = c.get("count").longValue(1);
                if (count < 1 || out.size() + count > MAX_CALLERS) {
                    throw c.get("count").error("must be at least 1 and bring the callers to at most " + MAX_CALLERS
                            + ", got '" + c.get("count").shown() + "'");
                }
                // NAME-1..N, or LOCALITY-1..N when the entry has no name.
                String base = c.get("name").string(caller.locality().isUnknown() ? "caller"
                        : caller.locality().toString());
                for (int k = 1; k <= count; k++) {
                    String name = base + "-" + k;
                    if (!names.add(name)) {
                        throw c.get("name").error("duplicate caller name '" + name + "' (give each caller a name)");
                    }
                    out.add(new CallerSpec(name, caller, share));
                }
            }
            if (out.size() > MAX_CALLERS) {
                throw list.error("must list 1 to " + MAX_CALLERS + " callers, got more");
            }
        }
        if ((long) out.size() * endpointCount > MAX_CALLER_ENDPOINTS) {
            throw list.error(out.size() + " callers x " + endpointCount + " endpoints is more than "
                    + MAX_CALLER_ENDPOINTS + " (each caller keeps its own cluster of every endpoint), got "
                    + out.size() + " callers");
        }
        return out;
    }

    private static String name(Caller caller, int index) {
        return caller.locality().isUnknown() ? "caller-" + (index + 1) : caller.locality().toString();
    }

    private static Locality locality(YamlNode n, Locality fallback) {
        if (n.has("locality") && (n.has("region") || n.has("zone") || n.has("subzone"))) {
            throw n.get("locality").error("give either locality or region/zone/subzone, not both");
        }
        if (!n.has("locality") && !n.has("region") && !n.has("zone") && !n.has("subzone")) {
            return fallback;
        }
        try {
            return n.has("locality") ? Locality.parse(n.get("locality").string(""))
                    : Locality.of(n.get("region").string(""), n.get("zone").string(""), n.get("subzone").string(""));
        } catch (IllegalArgumentException e) {
            throw n.error(e.getMessage());
        }
    }

    /** The bucket from 1s, 2s, 5s, ... 1h that gives at most 600 buckets, so charts stay readable. */
    private static long defaultBucket(long durationNanos) {
        for (long s : NICE_BUCKETS_SECONDS) {
            if (durationNanos <= s * 1_000_000_000L * TARGET_BUCKETS) {
                return s * 1_000_000_000L;
            }
        }
        return NICE_BUCKETS_SECONDS[NICE_BUCKETS_SECONDS.length - 1] * 1_000_000_000L;
    }

    public long durationNanos() {
        return durationNanos;
    }

    double ratePerSecond() {
        return ratePerSecond;
    }

    long seed() {
        return seed;
    }

    long bucketNanos() {
        return bucketNanos;
    }

    long timeoutNanos() {
        return timeoutNanos;
    }

    List<CallerSpec> callers() {
        return callers;
    }

    List<BehaviourRule> behaviour() {
        return behaviour;
    }

    List<Fault> faults() {
        return faults;
    }

    /** The scenario's faults at or after the end of a shortened run, in time order: not run. */
    List<Fault> faultsNotRun() {
        return faultsNotRun;
    }

    /**
     * One line saying which of the scenario's faults a shortened run leaves out, or empty when it
     * leaves none out: {@code 3 faults come at or after the end (7m) and are not run: 9m heal region r1, ...}.
     */
    String faultsNotRunNote() {
        if (faultsNotRun.isEmpty()) {
            return "";
        }
        StringJoiner j = new StringJoiner(", ");
        for (Fault f : faultsNotRun) {
            j.add(Reports.duration(f.atNanos()) + " " + f.describe());
        }
        return faultsNotRun.size() + (faultsNotRun.size() == 1 ? " fault comes" : " faults come")
                + " at or after the end (" + Reports.duration(durationNanos) + ") and "
                + (faultsNotRun.size() == 1 ? "is" : "are") + " not run: " + j;
    }

    /** This plan with another seed. */
    public SimulationSpec withSeed(long newSeed) {
        return new SimulationSpec(durationNanos, ratePerSecond, newSeed, bucketNanos, bucketGiven, timeoutNanos,
                callers, behaviour, faults, faultsNotRun);
    }

    /**
     * This plan with another rate.
     *
     * @throws IllegalArgumentException when the rate is not positive or gives too many requests
     */
    public SimulationSpec withRate(double newRate) {
        if (!(newRate > 0) || newRate * (durationNanos / 1e9) > MAX_REQUESTS) {
            throw new IllegalArgumentException("--rate: must be greater than 0 and give at most "
                    + (long) MAX_REQUESTS + " requests over the duration, got '" + Reports.number(newRate) + "'");
        }
        return new SimulationSpec(durationNanos, newRate, seed, bucketNanos, bucketGiven, timeoutNanos, callers,
                behaviour, faults, faultsNotRun);
    }

    /**
     * This plan over another duration; faults at or after the new end are not run, and
     * {@link #faultsNotRun()} lists them so the reports can say so.
     *
     * @throws IllegalArgumentException when the duration is below 1s or gives too many requests
     */
    public SimulationSpec withDuration(long newDurationNanos) {
        if (newDurationNanos < 1_000_000_000L || ratePerSecond * (newDurationNanos / 1e9) > MAX_REQUESTS) {
            throw new IllegalArgumentException("--duration: must be at least 1s and give at most "
                    + (long) MAX_REQUESTS + " requests at the scenario's rate, got '"
                    + Reports.duration(newDurationNanos) + "'");
        }
        long bucket = bucketGiven ? bucketNanos : defaultBucket(newDurationNanos);
        if ((newDurationNanos + bucket - 1) / bucket > MAX_BUCKETS) {
            bucket = defaultBucket(newDurationNanos);
        }
        List<Fault> kept = new ArrayList<>();
        List<Fault> notRun = new ArrayList<>();
        List<Fault> all = new ArrayList<>(faults);
        all.addAll(faultsNotRun);
        for (Fault f : all) {
            (f.atNanos() < newDurationNanos ? kept : notRun).add(f);
        }
        return new SimulationSpec(newDurationNanos, ratePerSecond, seed, bucket, bucketGiven, timeoutNanos, callers,
                behaviour, kept, notRun);
    }

    /** The latency the behaviour rules give an endpoint when no fault is active: the last rule that sets one. */
    LatencyModel latencyOf(Endpoint endpoint) {
        LatencyModel latency = DEFAULT_LATENCY;
        for (BehaviourRule rule : behaviour) {
            if (rule.latency() != null && rule.select().matches(endpoint)) {
                latency = rule.latency();
            }
        }
        return latency;
    }

    /**
     * One source of traffic: a caller at a locality (its own sidecar, with its own outlier detector)
     * and its share of the total request rate.
     *
     * @param name how reports name the caller
     * @param caller the caller's locality and labels
     * @param share its relative share of the traffic, greater than 0
     */
    record CallerSpec(String name, Caller caller, double share) {
    }

    /** What a fault does to the endpoints it selects. */
    enum Action {
        /** Starts failing a share of requests with an error kind. */
        FAIL("fail"),
        /** Restores the endpoints' normal behaviour (no injected errors, normal latency). */
        HEAL("heal"),
        /** Makes responses slower. */
        SLOW("slow"),
        /** Takes the endpoints out of the endpoint set, as scaling a deployment to zero does. */
        REMOVE("remove"),
        /** Puts removed endpoints back into the endpoint set. */
        ADD("add");

        private final String key;

        Action(String key) {
            this.key = key;
        }

        String key() {
            return key;
        }
    }

    /**
     * How the selected endpoints behave when no fault is active. Later rules override earlier ones,
     * field by field; a field left out keeps the earlier value.
     *
     * @param path where the rule is written, for messages
     * @param select the endpoints it applies to
     * @param latency their latency (the service time, once a request has a server), or null to keep
     *     the earlier one
     * @param errorRate the share of requests that fail, 0 to 1, or NaN to keep the earlier one
     * @param error how failing requests fail, or null to keep the earlier one
     * @param concurrency requests each endpoint serves at once (1 to {@link #MAX_CAPACITY}, or
     *     {@link ServerQueue#UNLIMITED}), or {@link #NOT_GIVEN} to keep the earlier value
     * @param queueLimit requests that may wait for a server at each endpoint (0 to
     *     {@link #MAX_CAPACITY}, or {@link ServerQueue#UNLIMITED}), or {@link #NOT_GIVEN}
     */
    record BehaviourRule(String path, Selector select, LatencyModel latency, double errorRate, ErrorKind error,
                         int concurrency, int queueLimit) {

        /** A capacity field the rule leaves out. */
        static final int NOT_GIVEN = -1;
        /** The largest concurrency or queue limit written as a number; above it, write {@code unlimited}. */
        static final int MAX_CAPACITY = 1_000_000;

        static BehaviourRule parse(YamlNode n, List<Endpoint> endpoints) {
            n.allowOnly("select", "latency", "errorRate", "error", "concurrency", "queueLimit");
            Selector select = n.has("select") ? Selector.parse(n.get("select"), endpoints) : Selector.ALL;
            LatencyModel latency = LatencyModel.parse(n.get("latency"), null);
            double errorRate = rate(n.get("errorRate"), Double.NaN);
            ErrorKind error = ErrorKind.parse(n.get("error"), null);
            int concurrency = capacity(n.get("concurrency"), 1);
            int queueLimit = capacity(n.get("queueLimit"), 0);
            return new BehaviourRule(n.path(), select, latency, errorRate, error, concurrency, queueLimit);
        }

        /** A whole number from {@code min} to {@link #MAX_CAPACITY}, or {@code unlimited}; {@link #NOT_GIVEN} when missing. */
        private static int capacity(YamlNode n, int min) {
            if (n.isMissing()) {
                return NOT_GIVEN;
            }
            if ("unlimited".equals(n.string(null))) {
                return ServerQueue.UNLIMITED;
            }
            long v;
            try {
                v = n.longValue(0);
            } catch (IllegalArgumentException e) {
                v = Long.MIN_VALUE;
            }
            if (v < min || v > MAX_CAPACITY) {
                throw n.error("must be a whole number from " + min + " to " + MAX_CAPACITY + ", or unlimited, got '"
                        + n.shown() + "'");
            }
            return (int) v;
        }
    }

    /**
     * Each endpoint's capacity after every behaviour rule, in endpoint order: a {@link ServerQueue}
     * for an endpoint with bounded concurrency, null for one without (it serves every request at
     * once, and a queue limit does not apply to it).
     *
     * @throws IllegalArgumentException naming the file and a rule's {@code queueLimit} when none of
     *     the endpoints that rule selects ends up with bounded concurrency, so the limit would never apply
     */
    ServerQueue[] servers(String source, List<Endpoint> endpoints) {
        int n = endpoints.size();
        int[] concurrency = new int[n];
        int[] queueLimit = new int[n];
        java.util.Arrays.fill(concurrency, ServerQueue.UNLIMITED);
        java.util.Arrays.fill(queueLimit, ServerQueue.UNLIMITED);
        for (BehaviourRule r : behaviour) {
            for (int e = 0; e < n; e++) {
                if (r.select().matches(endpoints.get(e))) {
                    if (r.concurrency() != BehaviourRule.NOT_GIVEN) {
                        concurrency[e] = r.concurrency();
                    }
                    if (r.queueLimit() != BehaviourRule.NOT_GIVEN) {
                        queueLimit[e] = r.queueLimit();
                    }
                }
            }
        }
        for (BehaviourRule r : behaviour) {
            if (r.queueLimit() == BehaviourRule.NOT_GIVEN || r.queueLimit() == ServerQueue.UNLIMITED) {
                continue;
            }
            boolean applies = false;
            for (int e = 0; e < n && !applies; e++) {
                applies = r.select().matches(endpoints.get(e)) && concurrency[e] != ServerQueue.UNLIMITED;
            }
            if (!applies) {
                throw new YamlNode(source, r.path() + ".queueLimit", r.queueLimit()).error("applies only to endpoints"
                        + " with a concurrency, and none of those " + r.select().describe()
                        + " has one after every rule, got '" + r.queueLimit() + "'");
            }
        }
        ServerQueue[] out = new ServerQueue[n];
        for (int e = 0; e < n; e++) {
            if (concurrency[e] != ServerQueue.UNLIMITED) {
                out[e] = new ServerQueue(concurrency[e], queueLimit[e]);
            }
        }
        return out;
    }

    /**
     * One fault at a virtual time.
     *
     * @param path where the fault is written, for messages
     * @param atNanos when it happens, from the start of the simulation
     * @param action what it does
     * @param target the endpoints it acts on
     * @param error for {@link Action#FAIL}: how requests fail
     * @param errorRate for {@link Action#FAIL}: the share of requests that fail, 0 to 1
     * @param latency for {@link Action#SLOW}: the new latency, or null when {@code factor} is given
     * @param factor for {@link Action#SLOW}: what the normal latency is multiplied by (1 when
     *     {@code latency} is given)
     * @param note a label for reports, or empty
     */
    record Fault(String path, long atNanos, Action action, Selector target, ErrorKind error, double errorRate,
                 LatencyModel latency, double factor, String note) {

        static Fault parse(YamlNode n, List<Endpoint> endpoints) {
            n.allowOnly("at", "fail", "heal", "slow", "remove", "add", "error", "errorRate", "latency", "factor",
                    "note");
            if (!n.isMap()) {
                throw n.error("expected a mapping such as {at: 5m, fail: {region: r1}}, got '" + n.shown() + "'");
            }
            if (!n.has("at")) {
                throw n.get("at").error("is required");
            }
            long at = n.get("at").durationNanos(0, MAX_DURATION_SECONDS);
            Action action = null;
            for (Action a : Action.values()) {
                if (n.has(a.key())) {
                    if (action != null) {
                        throw n.get(a.key()).error("one action per fault, got both " + action.key() + " and "
                                + a.key());
                    }
                    action = a;
                }
            }
            if (action == null) {
                throw n.error("needs one action: fail, heal, slow, remove or add, got '" + n.shown() + "'");
            }
            Selector target = Selector.parse(n.get(action.key()), endpoints);
            if (action != Action.FAIL) {
                for (String k : List.of("error", "errorRate")) {
                    if (n.has(k)) {
                        throw n.get(k).error("applies only to fail, not to " + action.key());
                    }
                }
            }
            if (action != Action.SLOW) {
                for (String k : List.of("latency", "factor")) {
                    if (n.has(k)) {
                        throw n.get(k).error("applies only to slow, not to " + action.key());
                    }
                }
            }
            ErrorKind error = ErrorKind.parse(n.get("error"), ErrorKind.UNAVAILABLE);
            double errorRate = rate(n.get("errorRate"), 1.0);
            LatencyModel latency = LatencyModel.parse(n.get("latency"), null);
            double factor = n.get("factor").doubleValue(1.0);
            if (action == Action.SLOW) {
                if (latency == null && !n.has("factor")) {
                    throw n.get("slow").error("needs latency (such as {p50: 200ms, p99: 1s}) or factor");
                }
                if (latency != null && n.has("factor")) {
                    throw n.get("factor").error("give either latency or factor, not both");
                }
                if (!(factor >= 1) || factor > 1e6) {
                    throw n.get("factor").error("must be from 1 to 1000000, got '" + n.get("factor").shown() + "'");
                }
            }
            return new Fault(n.path(), at, action, target, error, errorRate, latency, factor,
                    n.get("note").string(""));
        }

        /** What the fault does, in a few words: {@code fail region r1 (503)}. */
        String describe() {
            String what = action.key() + " " + target.describe();
            switch (action) {
                case FAIL -> what += " (" + (errorRate < 1 ? Reports.percent(errorRate * 100) + " " : "")
                        + error.name() + ")";
                case SLOW -> what += latency != null ? " (" + latency.describe() + ")"
                        : " (x" + Reports.number(factor) + ")";
                default -> {
                }
            }
            return note.isEmpty() ? what : what + ": " + note;
        }
    }

    /**
     * Which endpoints a rule or fault applies to: every condition given must hold.
     *
     * @param addresses {@code host:port} addresses, or empty for any
     * @param region the region, or null for any
     * @param zone the zone, or null for any
     * @param subzone the subzone, or null for any
     * @param labels labels the endpoint must carry with these values
     */
    record Selector(List<String> addresses, String region, String zone, String subzone, Map<String, String> labels) {
        static final Selector ALL = new Selector(List.of(), null, null, null, Map.of());

        Selector {
            addresses = List.copyOf(addresses);
            labels = Map.copyOf(labels);
        }

        boolean matches(Endpoint e) {
            if (!addresses.isEmpty() && !addresses.contains(e.address())) {
                return false;
            }
            Locality l = e.locality();
            if (region != null && !region.equals(l.region())) {
                return false;
            }
            if (zone != null && !zone.equals(l.zone())) {
                return false;
            }
            if (subzone != null && !subzone.equals(l.subzone())) {
                return false;
            }
            for (Map.Entry<String, String> want : labels.entrySet()) {
                if (!want.getValue().equals(e.labels().get(want.getKey()))) {
                    return false;
                }
            }
            return true;
        }

        /** {@code region r1}, {@code zone r1/z2}, {@code 10.1.0.11:9080}, {@code version=v3}... */
        String describe() {
            StringJoiner j = new StringJoiner(" ");
            if (!addresses.isEmpty()) {
                j.add(String.join(",", addresses));
            }
            if (region != null && zone == null && subzone == null) {
                j.add("region " + shownPart(region));
            } else if (zone != null && subzone == null) {
                j.add("zone " + (region == null ? shownPart(zone) : shownPart(region) + "/" + shownPart(zone)));
            } else if (subzone != null || zone != null) {
                j.add("locality " + (region == null ? "*" : shownPart(region)) + "/"
                        + (zone == null ? "*" : shownPart(zone)) + "/" + (subzone == null ? "*" : shownPart(subzone)));
            }
            for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
                j.add(e.getKey() + "=" + e.getValue());
            }
            return j.length() == 0 ? "all endpoints" : j.toString();
        }

        private static String shownPart(String s) {
            return s.isEmpty() ? "\"\"" : s;
        }

        boolean matchesAny(List<Endpoint> endpoints) {
            for (Endpoint e : endpoints) {
                if (matches(e)) {
                    return true;
                }
            }
            return false;
        }

        /**
         * {@code all}, or a mapping of {@code endpoint}, {@code endpoints}, {@code region}, {@code zone}
         * ({@code z1} or {@code r1/z1}), {@code subzone}, {@code locality} ({@code r1/z1/s1}) and
         * {@code labels}.
         */
        static Selector parse(YamlNode n, List<Endpoint> endpoints) {
            Selector s;
            if (n.isMissing()) {
                throw n.error("is required (all, or a mapping such as {region: r1})");
            }
            if (!n.isMap()) {
                if (!"all".equals(n.string(null).strip())) {
                    throw n.error("expected all or a mapping such as {region: r1} or {endpoint: 10.1.0.11:9080}, got '"
                            + n.shown() + "'");
                }
                s = ALL;
            } else {
                n.allowOnly("endpoint", "endpoints", "region", "zone", "subzone", "locality", "labels");
                List<String> addresses = new ArrayList<>();
                if (n.has("endpoint")) {
                    addresses.add(n.get("endpoint").string(null).strip());
                }
                for (YamlNode a : n.get("endpoints").list()) {
                    addresses.add(a.requiredString().strip());
                }
                String region = n.get("region").string(null);
                String zone = n.get("zone").string(null);
                String subzone = n.get("subzone").string(null);
                if (zone != null && zone.contains("/")) {
                    String[] parts = zone.split("/", -1);
                    if (parts.length != 2 || (region != null && !region.equals(parts[0]))) {
                        throw n.get("zone").error("expected a zone or region/zone, got '" + zone + "'");
                    }
                    region = parts[0];
                    zone = parts[1];
                }
                if (n.has("locality")) {
                    if (region != null || zone != null || subzone != null) {
                        throw n.get("locality").error("give either locality or region/zone/subzone, not both");
                    }
                    Locality l;
                    try {
                        l = Locality.parse(n.get("locality").string(""));
                    } catch (IllegalArgumentException e) {
                        throw n.get("locality").error("expected region/zone/subzone, got '"
                                + n.get("locality").shown() + "'");
                    }
                    region = l.region();
                    zone = l.zone();
                    subzone = l.subzone();
                }
                s = new Selector(addresses, region, zone, subzone, n.get("labels").stringMap());
            }
            for (String a : s.addresses()) {
                boolean known = false;
                for (Endpoint e : endpoints) {
                    known |= e.address().equals(a);
                }
                if (!known) {
                    throw n.error("no endpoint has the address '" + a + "'");
                }
            }
            boolean any = false;
            for (Endpoint e : endpoints) {
                any |= s.matches(e);
            }
            if (!any) {
                throw n.error("selects no endpoint, got '" + n.shown() + "'");
            }
            return s;
        }
    }

    private static double rate(YamlNode n, double fallback) {
        double r = n.doubleValue(fallback);
        if (!n.isMissing() && !(r >= 0 && r <= 1)) {
            throw n.error("must be from 0 to 1, got '" + n.shown() + "'");
        }
        return r;
    }
}
