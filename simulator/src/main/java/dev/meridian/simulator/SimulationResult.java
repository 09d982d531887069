package dev.meridian.simulator;

import dev.meridian.core.Endpoint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one simulation run observed: counts per phase (the time between faults), per time bucket and
 * endpoint, every ejection and return, and how long each fault took to fail traffic over or bring
 * it back. Everything here is a pure function of the scenario and the seed, except
 * {@link #wallNanos()}.
 *
 * <p>Immutable after construction and safe to share once published. A {@link Phase} hands out its
 * count arrays without copying them: readers must not change them.
 */
public final class SimulationResult {
    /** The label an endpoint without a {@code version} label is counted under. */
    static final String NO_VERSION = "(none)";
    /** The label an endpoint without any locality is counted under. */
    static final String NO_LOCALITY = "(unknown)";

    private final String scenario;
    private final String description;
    private final String source;
    private final SimulationSpec spec;
    private final List<String> notes;
    private final List<Endpoint> endpoints;
    private final List<Phase> phases;
    private final Buckets buckets;
    private final List<Event> events;
    private final long droppedEvents;
    private final List<FaultResult> faults;
    private final Load load;
    private final Spill spill;
    private final long wallNanos;

    SimulationResult(String scenario, String description, String source, SimulationSpec spec, List<String> notes,
                     List<Endpoint> endpoints, List<Phase> phases, Buckets buckets, List<Event> events,
                     long droppedEvents, List<FaultResult> faults, Load load, Spill spill, long wallNanos) {
        this.scenario = scenario;
        this.description = description;
        this.source = source;
        this.spec = spec;
        this.notes = List.copyOf(notes);
        this.endpoints = List.copyOf(endpoints);
        this.phases = List.copyOf(phases);
        this.buckets = buckets;
        this.events = List.copyOf(events);
        this.droppedEvents = droppedEvents;
        this.faults = List.copyOf(faults);
        this.load = load;
        this.spill = spill;
        this.wallNanos = wallNanos;
    }

    String scenario() {
        return scenario;
    }

    String description() {
        return description;
    }

    String source() {
        return source;
    }

    SimulationSpec spec() {
        return spec;
    }

    /**
     * What decided the picks, one line each: the load-balancing policy, the caller's priority
     * assignment and why, and what the scenario's translation noted (such as a max ejection percent
     * that keeps every host in service).
     */
    List<String> notes() {
        return notes;
    }

    /** Every endpoint the run knew, indexed as in {@link Phase#endpointRequests} and {@link Buckets}. */
    List<Endpoint> endpoints() {
        return endpoints;
    }

    List<Phase> phases() {
        return phases;
    }

    Buckets buckets() {
        return buckets;
    }

    /** Ejections and returns in time order (at most {@link Simulation#MAX_EVENTS}). */
    List<Event> events() {
        return events;
    }

    /** Events beyond {@link Simulation#MAX_EVENTS} that were counted but not kept. */
    long droppedEvents() {
        return droppedEvents;
    }

    List<FaultResult> faults() {
        return faults;
    }

    /** Requests in flight, latency by locality, and queueing where endpoints have bounded concurrency. */
    Load load() {
        return load;
    }

    /** What the callers' capacity-aware spill-over decided, or null when the scenario has no {@code spill:}. */
    Spill spill() {
        return spill;
    }

    /** Wall-clock time the run took; the only value that differs between identical runs. */
    long wallNanos() {
        return wallNanos;
    }

    /** Requests simulated, over every phase. */
    public long requests() {
        long n = 0;
        for (Phase p : phases) {
            n += p.requests();
        }
        return n;
    }

    long errors() {
        long n = 0;
        for (Phase p : phases) {
            n += p.errors();
        }
        return n;
    }

    /** Simulated requests per wall-clock second. */
    double requestsPerWallSecond() {
        return wallNanos <= 0 ? 0 : requests() * 1e9 / wallNanos;
    }

    static String version(Endpoint e) {
        String v = e.labels().get("version");
        return v == null ? NO_VERSION : v;
    }

    static String locality(Endpoint e) {
        return e.locality().isUnknown() ? NO_LOCALITY : e.locality().toString();
    }

    /**
     * The time between two consecutive fault instants, with its counts.
     *
     * @param index 0 for the first phase
     * @param startNanos virtual start time
     * @param endNanos virtual end time (exclusive)
     * @param label the faults that start the phase, or {@code start}
     * @param requests requests sent in the phase, by every caller
     * @param errors requests that failed: the endpoint answered with an error, the request timed out
     *     or could not connect, or no endpoint could be picked
     * @param noEndpoint requests for which the load balancer returned no endpoint
     * @param endpointRequests requests per endpoint index
     * @param endpointErrors errors per endpoint index
     * @param priorityRequests requests per priority (as the picking caller saw it), index = priority
     * @param p50Nanos median latency of the requests that reached an endpoint, or -1 when none did
     * @param p99Nanos 99th percentile latency, or -1
     * @param p999Nanos 99.9th percentile latency, or -1
     * @param ejections endpoints ejected in the phase (per caller)
     * @param returns ejected endpoints returned to service in the phase (per caller)
     */
    record Phase(int index, long startNanos, long endNanos, String label, long requests, long errors, long noEndpoint,
                 long[] endpointRequests, long[] endpointErrors, long[] priorityRequests, long p50Nanos,
                 long p99Nanos, long p999Nanos, int ejections, int returns) {

        double errorRate() {
            return requests == 0 ? 0 : (double) errors / requests;
        }

        /** Requests per {@code version} label, sorted by version. */
        Map<String, Long> byVersion(List<Endpoint> endpoints) {
            Map<String, Long> out = new TreeMap<>();
            for (int i = 0; i < endpoints.size(); i++) {
                out.merge(version(endpoints.get(i)), endpointRequests[i], Long::sum);
            }
            return out;
        }

        /** Requests per locality, sorted by locality. */
        Map<String, Long> byLocality(List<Endpoint> endpoints) {
            Map<String, Long> out = new TreeMap<>();
            for (int i = 0; i < endpoints.size(); i++) {
                out.merge(locality(endpoints.get(i)), endpointRequests[i], Long::sum);
            }
            return out;
        }

        /** Requests per priority, from 0 to the highest priority used in the whole run. */
        Map<Integer, Long> byPriority() {
            Map<Integer, Long> out = new LinkedHashMap<>();
            for (int p = 0; p < priorityRequests.length; p++) {
                out.put(p, priorityRequests[p]);
            }
            return out;
        }

        /** Requests sent to endpoints matching {@code version}. */
        long versionRequests(List<Endpoint> endpoints, String version) {
            return byVersion(endpoints).getOrDefault(version, 0L);
        }

        /** Share of requests (0 to 1) sent to endpoints with this {@code version} label. */
        double versionShare(List<Endpoint> endpoints, String version) {
            return requests == 0 ? 0 : (double) versionRequests(endpoints, version) / requests;
        }
    }

    /**
     * Counts per time bucket and endpoint: {@code requests(b, e)}, {@code errors(b, e)},
     * {@code ejected(b, e)} (1 when the endpoint was ejected, for any caller, at any moment of the
     * bucket) and {@code priority(b, e)} (the first caller's priority for the endpoint at the end of
     * the bucket, -1 when the endpoint was not in its set).
     */
    static final class Buckets {
        private final long bucketNanos;
        private final int count;
        private final int endpoints;
        private final int[] requests;
        private final int[] errors;
        private final byte[] ejected;
        private final byte[] priority;

        Buckets(long bucketNanos, int count, int endpoints, int[] requests, int[] errors, byte[] ejected,
                byte[] priority) {
            this.bucketNanos = bucketNanos;
            this.count = count;
            this.endpoints = endpoints;
            this.requests = requests;
            this.errors = errors;
            this.ejected = ejected;
            this.priority = priority;
        }

        long bucketNanos() {
            return bucketNanos;
        }

        int count() {
            return count;
        }

        long startNanos(int bucket) {
            return bucket * bucketNanos;
        }

        int requests(int bucket, int endpoint) {
            return requests[bucket * endpoints + endpoint];
        }

        int errors(int bucket, int endpoint) {
            return errors[bucket * endpoints + endpoint];
        }

        boolean ejected(int bucket, int endpoint) {
            return ejected[bucket * endpoints + endpoint] != 0;
        }

        int priority(int bucket, int endpoint) {
            return priority[bucket * endpoints + endpoint];
        }

        /** The bucket that contains virtual time {@code nanos}. */
        int bucketAt(long nanos) {
            return (int) Math.min(count - 1, nanos / bucketNanos);
        }
    }

    /**
     * How loaded the endpoints were and what their requests cost the callers, beside the counts of
     * {@link Phase} and {@link Buckets}: requests in flight (time averages, from the pick to the
     * response, so requests waiting for a server count), latency by locality, and, when some endpoint
     * has bounded concurrency ({@link #queueing()}), queue waits and shed requests. Arrays are
     * indexed phase × endpoint, phase × locality, bucket × endpoint and bucket × locality; readers
     * must not change them.
     */
    static final class Load {
        private final List<String> localities;
        private final int[] localityOf;
        private final int endpoints;
        private final int[] concurrency;
        private final int[] queueLimit;
        private final double[] inFlight;
        private final double[] latencySum;
        private final long[] waited;
        private final double[] waitSum;
        private final long[] shed;
        private final long[] p50;
        private final long[] p99;
        private final long[] p999;
        private final float[] bucketInFlight;
        private final float[] bucketLatencyMs;
        private final float[] bucketWaitMs;
        private final int[] bucketShed;
        private final int[] bucketP99Micros;
        private final Slices slices;
        // Per locality, and per phase x locality: sums over the locality's endpoints, made once.
        private final int[] endpointsIn;
        private final int[] minConcurrency;
        private final int[] maxConcurrency;
        private final int[] minQueueLimit;
        private final int[] maxQueueLimit;
        private final double[] localityInFlight;
        private final long[] localityWaited;
        private final double[] localityWaitSum;
        private final long[] localityShed;

        Load(List<String> localities, int[] localityOf, int endpoints, int[] concurrency, int[] queueLimit,
             double[] inFlight, double[] latencySum, long[] waited, double[] waitSum, long[] shed, long[] p50,
             long[] p99, long[] p999, float[] bucketInFlight, float[] bucketLatencyMs, float[] bucketWaitMs,
             int[] bucketShed, int[] bucketP99Micros, Slices slices) {
            this.localities = List.copyOf(localities);
            this.localityOf = localityOf;
            this.endpoints = endpoints;
            this.concurrency = concurrency;
            this.queueLimit = queueLimit;
            this.inFlight = inFlight;
            this.latencySum = latencySum;
            this.waited = waited;
            this.waitSum = waitSum;
            this.shed = shed;
            this.p50 = p50;
            this.p99 = p99;
            this.p999 = p999;
            this.bucketInFlight = bucketInFlight;
            this.bucketLatencyMs = bucketLatencyMs;
            this.bucketWaitMs = bucketWaitMs;
            this.bucketShed = bucketShed;
            this.bucketP99Micros = bucketP99Micros;
            this.slices = slices;
            int count = this.localities.size();
            int phases = endpoints == 0 ? 0 : inFlight.length / endpoints;
            endpointsIn = new int[count];
            minConcurrency = new int[count];
            maxConcurrency = new int[count];
            minQueueLimit = new int[count];
            maxQueueLimit = new int[count];
            java.util.Arrays.fill(minConcurrency, Integer.MAX_VALUE);
            java.util.Arrays.fill(minQueueLimit, Integer.MAX_VALUE);
            localityInFlight = new double[phases * count];
            localityWaited = new long[phases * count];
            localityWaitSum = new double[phases * count];
            localityShed = new long[phases * count];
            for (int e = 0; e < endpoints; e++) {
                int l = localityOf[e];
                endpointsIn[l]++;
                minConcurrency[l] = Math.min(minConcurrency[l], concurrency[e]);
                maxConcurrency[l] = Math.max(maxConcurrency[l], concurrency[e]);
                minQueueLimit[l] = Math.min(minQueueLimit[l], queueLimit[e]);
                maxQueueLimit[l] = Math.max(maxQueueLimit[l], queueLimit[e]);
                for (int p = 0; p < phases; p++) {
                    int cell = p * count + l;
                    localityInFlight[cell] += inFlight[p * endpoints + e];
                    localityWaited[cell] += waited(p, e);
                    localityWaitSum[cell] += waitSumNanos(p, e);
                    localityShed[cell] += shed(p, e);
                }
            }
        }

        /** Whether some endpoint has bounded concurrency: waits, sheds and {@link #slices()} are recorded. */
        boolean queueing() {
            return waited != null;
        }

        /** The localities of the run's endpoints, sorted as {@link Phase#byLocality} sorts them. */
        List<String> localities() {
            return localities;
        }

        /** The index into {@link #localities()} of an endpoint's locality. */
        int locality(int endpoint) {
            return localityOf[endpoint];
        }

        /** Requests the endpoint serves at once, or {@link ServerQueue#UNLIMITED}. */
        int concurrency(int endpoint) {
            return concurrency[endpoint];
        }

        /** Requests that may wait at the endpoint, or {@link ServerQueue#UNLIMITED}. */
        int queueLimit(int endpoint) {
            return queueLimit[endpoint];
        }

        /** Whether any endpoint of locality {@code l} has bounded concurrency. */
        boolean bounded(int l) {
            return minConcurrency[l] != ServerQueue.UNLIMITED;
        }

        /** The number of endpoints in locality {@code l}. */
        int endpointsIn(int l) {
            return endpointsIn[l];
        }

        /** The smallest and largest concurrency of locality {@code l}'s endpoints ({@link ServerQueue#UNLIMITED} for none). */
        int minConcurrency(int l) {
            return minConcurrency[l];
        }

        int maxConcurrency(int l) {
            return maxConcurrency[l];
        }

        /** The smallest and largest queue limit of locality {@code l}'s endpoints. */
        int minQueueLimit(int l) {
            return minQueueLimit[l];
        }

        int maxQueueLimit(int l) {
            return maxQueueLimit[l];
        }

        /** The time-average number of requests in flight to the endpoint over the phase. */
        double inFlight(int phase, int endpoint) {
            return inFlight[phase * endpoints + endpoint];
        }

        /** The time-average number in flight to every endpoint of locality {@code l} together. */
        double localityInFlight(int phase, int l) {
            return localityInFlight[phase * localities.size() + l];
        }

        /** {@link #waited}, {@link #waitSumNanos} and {@link #shed} summed over locality {@code l}'s endpoints. */
        long localityWaited(int phase, int l) {
            return localityWaited[phase * localities.size() + l];
        }

        double localityWaitSumNanos(int phase, int l) {
            return localityWaitSum[phase * localities.size() + l];
        }

        long localityShed(int phase, int l) {
            return localityShed[phase * localities.size() + l];
        }

        /** The sum of the latencies the callers saw from the endpoint in the phase, queue waits included. */
        double latencySumNanos(int phase, int endpoint) {
            return latencySum[phase * endpoints + endpoint];
        }

        /** Requests to the endpoint in the phase that waited for a server; 0 unless {@link #queueing()}. */
        long waited(int phase, int endpoint) {
            return waited == null ? 0 : waited[phase * endpoints + endpoint];
        }

        /** The sum of their waits. */
        double waitSumNanos(int phase, int endpoint) {
            return waitSum == null ? 0 : waitSum[phase * endpoints + endpoint];
        }

        /** Requests the endpoint's full queue answered with 503 at once in the phase. */
        long shed(int phase, int endpoint) {
            return shed == null ? 0 : shed[phase * endpoints + endpoint];
        }

        /** Whether latency percentiles by locality and phase were kept (see {@link LoadRecorder}'s limits). */
        boolean latencyByLocality() {
            return p50 != null;
        }

        /** The median latency of the phase's requests to locality {@code l}, or -1 when none reached it. */
        long p50Nanos(int phase, int l) {
            return p50[phase * localities.size() + l];
        }

        long p99Nanos(int phase, int l) {
            return p99[phase * localities.size() + l];
        }

        long p999Nanos(int phase, int l) {
            return p999[phase * localities.size() + l];
        }

        /** The time-average number of requests in flight to the endpoint over the bucket. */
        float bucketInFlight(int bucket, int endpoint) {
            return bucketInFlight[bucket * endpoints + endpoint];
        }

        /** The mean latency of the bucket's requests to the endpoint, in ms; NaN when it had none. */
        float bucketLatencyMs(int bucket, int endpoint) {
            return bucketLatencyMs[bucket * endpoints + endpoint];
        }

        /** The mean queue wait of those requests (0 for those that waited none), in ms; NaN when none; 0 unless {@link #queueing()}. */
        float bucketWaitMs(int bucket, int endpoint) {
            return bucketWaitMs == null ? (Float.isNaN(bucketLatencyMs(bucket, endpoint)) ? Float.NaN : 0)
                    : bucketWaitMs[bucket * endpoints + endpoint];
        }

        /** Requests of the bucket the endpoint shed. */
        int bucketShed(int bucket, int endpoint) {
            return bucketShed == null ? 0 : bucketShed[bucket * endpoints + endpoint];
        }

        /** Whether {@link #bucketP99Micros} was kept (not when buckets × localities is very large). */
        boolean bucketLatency() {
            return bucketP99Micros != null;
        }

        /** The 99th percentile latency of the bucket's requests to locality {@code l}, in µs; -1 when none. */
        int bucketP99Micros(int bucket, int l) {
            return bucketP99Micros[bucket * localities.size() + l];
        }

        /** The run by tenths, for queueing runs; null otherwise. */
        Slices slices() {
            return slices;
        }
    }

    /**
     * A queueing run in equal parts of its duration (whole buckets each; the last may be shorter),
     * per locality: how many requests started in each part, their latency percentiles, how many
     * waited for a server and how long in all, how many were shed, and the time-average number in
     * flight to the locality. Arrays are slice × locality.
     *
     * @param count the number of slices
     * @param sliceNanos the length of each but possibly the last
     */
    record Slices(int count, long sliceNanos, long[] requests, long[] p50Nanos, long[] p99Nanos, long[] waited,
                  double[] waitSumNanos, long[] shed, double[] inFlight) {
    }

    /**
     * What the callers' capacity-aware spill-over ({@code spill:}, docs/spill.md) decided, per phase
     * and per tenth of the run. Each value is a time average over the callers that spill (each
     * caller's state holds from one evaluation to the next): {@link #fraction} the share of priority
     * 0's picks diverted, {@link #active} the share of caller-time spent spilling, {@link #demand}
     * and {@link #utilization} the estimated demand and the load carried, over {@link #capacity},
     * each caller's own requests in flight priority 0 serves at utilization 1. Arrays are indexed
     * row × 5 (fraction, active, demand, utilization, capacity); readers must not change them.
     *
     * @param config the callers' spill-over configuration
     * @param callers how many callers spill (sidecars; kube-proxy callers never do)
     * @param activeAtEnd how many of them spilled when the run ended
     * @param phaseMeans per phase, the five time averages
     * @param phaseStarts per phase, how many times a caller started spilling
     * @param phaseStops per phase, how many times a caller stopped
     * @param sliceCount the tenths of the run (whole buckets each; the last may be shorter)
     * @param sliceNanos the length of each but possibly the last
     * @param sliceMeans per tenth, the five time averages
     * @param sliceRequests per tenth, every caller's requests (picked or not)
     * @param sliceBeyondZero per tenth, those picked outside priority 0: diverted by spill-over, or sent
     *     on by Envoy's health-based priority load
     */
    record Spill(dev.meridian.lb.SpillConfig config, int callers, int activeAtEnd, double[] phaseMeans,
                 int[] phaseStarts, int[] phaseStops, int sliceCount, long sliceNanos, double[] sliceMeans,
                 long[] sliceRequests, long[] sliceBeyondZero) {

        double fraction(int phase) {
            return phaseMeans[phase * 5];
        }

        double active(int phase) {
            return phaseMeans[phase * 5 + 1];
        }

        double demand(int phase) {
            return phaseMeans[phase * 5 + 2];
        }

        double utilization(int phase) {
            return phaseMeans[phase * 5 + 3];
        }

        double capacity(int phase) {
            return phaseMeans[phase * 5 + 4];
        }

        double sliceFraction(int slice) {
            return sliceMeans[slice * 5];
        }

        double sliceActive(int slice) {
            return sliceMeans[slice * 5 + 1];
        }

        double sliceDemand(int slice) {
            return sliceMeans[slice * 5 + 2];
        }

        double sliceUtilization(int slice) {
            return sliceMeans[slice * 5 + 3];
        }

        double sliceCapacity(int slice) {
            return sliceMeans[slice * 5 + 4];
        }
    }

    /** What happened to an endpoint. */
    enum EventType {
        EJECTED("ejected"),
        RETURNED("returned");

        private final String label;

        EventType(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }
    }

    /**
     * An ejection or a return, as one caller's outlier detector decided it.
     *
     * @param atNanos virtual time
     * @param caller index into the spec's callers
     * @param endpoint endpoint index
     * @param type what happened
     * @param untilNanos for an ejection, when the ejection may end (as the client reports it), or -1
     */
    record Event(long atNanos, int caller, int endpoint, EventType type, long untilNanos) {
    }

    /**
     * One fault and, per caller, how traffic reacted.
     *
     * @param fault the fault as written
     * @param endpoints indexes of the endpoints it acted on
     * @param outcomes one per caller, in caller order
     */
    record FaultResult(SimulationSpec.Fault fault, int[] endpoints, List<Outcome> outcomes) {
        FaultResult {
            outcomes = List.copyOf(outcomes);
        }

        /** The endpoints' addresses. */
        List<String> endpointNames(List<Endpoint> all) {
            List<String> out = new ArrayList<>();
            for (int e : endpoints) {
                out.add(all.get(e).address());
            }
            return out;
        }
    }

    /**
     * How one caller's traffic reacted to a fault. docs/scenarios.md defines each measure.
     *
     * @param caller index into the spec's callers
     * @param measure {@link Outcome#FAILOVER} for fail and remove, {@link Outcome#RETURN} for heal and
     *     add, {@link Outcome#NONE} for slow
     * @param settledNanos failover: time from the fault until none of the affected endpoints could be
     *     picked (all ejected or removed); return: time until all of them could be picked again
     *     (present and not ejected); -1 when that did not happen before the next fault touching them
     *     or the end
     * @param firstRequestNanos return only: time from the fault until the caller's first request
     *     reached one of the endpoints; -1 when none did
     * @param requests requests from this caller that reached the affected endpoints between the fault
     *     and {@code settledNanos} (or the next fault touching them, or the end)
     * @param errors requests from this caller that failed in the same interval, wherever they went
     */
    record Outcome(int caller, String measure, long settledNanos, long firstRequestNanos, long requests,
                   long errors) {
        static final String FAILOVER = "failover";
        static final String RETURN = "return";
        static final String NONE = "none";

        boolean settled() {
            return settledNanos >= 0;
        }
    }
}
