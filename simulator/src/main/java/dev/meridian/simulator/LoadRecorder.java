package dev.meridian.simulator;

import dev.meridian.core.Endpoint;
import java.util.List;
import java.util.TreeMap;
import org.HdrHistogram.IntCountsHistogram;

/**
 * What the simulation loop measures about load, beside its counts: requests in flight per endpoint
 * (from the caller's pick to its response, so queued requests count), each request's latency by
 * locality, and, when some endpoint has bounded concurrency, queue waits and shed requests. It keeps
 * them per phase, per time bucket and, for queueing runs, per tenth of the run, and hands them over
 * as a {@link SimulationResult.Load}.
 *
 * <p>In-flight counts are integrated over virtual time: each change adds count × elapsed time to the
 * current phase's and bucket's area, and an area divided by its length is the time-average number in
 * flight, the L of Little's law (L = throughput × mean latency).
 *
 * <p>Per-locality latency histograms hold two significant digits (within 1%) and are made only for
 * the phases that have requests; with more than {@link #MAX_LOCALITIES} localities there are none,
 * and with more than {@link #MAX_PHASE_LOCALITIES} phases × localities none per phase: the reports
 * then leave those percentiles out.
 *
 * <p>Not thread-safe: owned by one simulation loop. The per-request methods allocate nothing once a
 * phase's histograms exist.
 */
final class LoadRecorder {
    /** The most localities that get latency histograms: each costs about 13 KB per phase and tenth. */
    static final int MAX_LOCALITIES = 256;
    /** The most phase × locality histograms (about 13 KB each, made as requests come). */
    static final int MAX_PHASE_LOCALITIES = 4_096;
    /** The most bucket × locality cells of p99 values kept for the chart. */
    static final long MAX_BUCKET_LOCALITY_CELLS = 2_000_000L;
    /** A queueing run is summarized over this many equal parts of its duration (whole buckets each). */
    static final int SLICES = 10;
    private static final long HISTOGRAM_MAX_MICROS = 3_600_000_000L;
    private static final int DIGITS = 2;

    private final int endpointCount;
    private final int phaseCount;
    private final int bucketCount;
    private final long bucketNanos;
    private final long endNanos;
    private final List<String> localities;
    private final int[] localityOf;
    private final int localityCount;
    private final boolean byLocality;
    private final ServerQueue[] servers;
    private final boolean queueing;
    /** The loop's own requests per bucket x endpoint, read when a bucket closes to turn sums into means. */
    private final int[] bucketRequests;

    // In flight, by endpoint.
    private final int[] inFlight;
    private final long[] since;
    private final double[] phaseArea;
    private final double[] bucketArea;

    // Per phase x endpoint.
    private final double[] phaseInFlight;
    private final double[] phaseLatencySum;
    private final long[] phaseWaited;
    private final double[] phaseWaitSum;
    private final long[] phaseShed;
    // Per phase x locality.
    private final IntCountsHistogram[] phaseHistograms;

    // Per bucket x endpoint.
    private final float[] bucketInFlight;
    private final double[] bucketLatencySum;
    private final float[] bucketLatencyMs;
    private final double[] bucketWaitSum;
    private final float[] bucketWaitMs;
    private final int[] bucketShed;
    // Per bucket x locality.
    private final IntCountsHistogram[] bucketHistograms;
    private final boolean[] bucketDirty;
    private final int[] bucketP99Micros;

    // Per slice x locality, queueing runs only.
    private final int bucketsPerSlice;
    private final int sliceCount;
    private final IntCountsHistogram[] sliceHistograms;
    private final long[] sliceWaited;
    private final double[] sliceWaitSum;
    private final long[] sliceShed;

    /**
     * @param servers each endpoint's server with bounded concurrency, or null entries; a run with
     *     none records no waits
     * @param endpointRequests per bucket x endpoint, the loop's own counts (to turn sums into means)
     */
    LoadRecorder(List<Endpoint> endpoints, ServerQueue[] servers, int phaseCount, int bucketCount, long bucketNanos,
                 long endNanos, int[] endpointRequests) {
        this.endpointCount = endpoints.size();
        this.phaseCount = phaseCount;
        this.bucketCount = bucketCount;
        this.bucketNanos = bucketNanos;
        this.endNanos = endNanos;
        this.servers = servers;
        this.bucketRequests = endpointRequests;
        boolean anyServer = false;
        for (ServerQueue s : servers) {
            anyServer |= s != null;
        }
        this.queueing = anyServer;
        TreeMap<String, Integer> names = new TreeMap<>();
        for (Endpoint e : endpoints) {
            names.put(SimulationResult.locality(e), 0);
        }
        int index = 0;
        for (var entry : names.entrySet()) {
            entry.setValue(index++);
        }
        this.localities = List.copyOf(names.keySet());
        this.localityCount = localities.size();
        this.byLocality = localityCount <= MAX_LOCALITIES;
        this.localityOf = new int[endpointCount];
        for (int e = 0; e < endpointCount; e++) {
            localityOf[e] = names.get(SimulationResult.locality(endpoints.get(e)));
        }
        int n = endpointCount;
        inFlight = new int[n];
        since = new long[n];
        phaseArea = new double[n];
        bucketArea = new double[n];
        phaseInFlight = new double[phaseCount * n];
        phaseLatencySum = new double[phaseCount * n];
        phaseWaited = queueing ? new long[phaseCount * n] : null;
        phaseWaitSum = queueing ? new double[phaseCount * n] : null;
        phaseShed = queueing ? new long[phaseCount * n] : null;
        boolean byPhase = byLocality && (long) phaseCount * localityCount <= MAX_PHASE_LOCALITIES;
        phaseHistograms = byPhase ? new IntCountsHistogram[phaseCount * localityCount] : null;
        bucketInFlight = new float[bucketCount * n];
        bucketLatencySum = new double[n];
        bucketLatencyMs = new float[bucketCount * n];
        bucketWaitSum = queueing ? new double[n] : null;
        bucketWaitMs = queueing ? new float[bucketCount * n] : null;
        bucketShed = queueing ? new int[bucketCount * n] : null;
        boolean chart = byLocality && (long) bucketCount * localityCount <= MAX_BUCKET_LOCALITY_CELLS;
        bucketHistograms = chart ? new IntCountsHistogram[localityCount] : null;
        bucketDirty = chart ? new boolean[localityCount] : null;
        bucketP99Micros = chart ? new int[bucketCount * localityCount] : null;
        bucketsPerSlice = (bucketCount + SLICES - 1) / SLICES;
        sliceCount = (bucketCount + bucketsPerSlice - 1) / bucketsPerSlice;
        boolean slices = queueing && byLocality;
        sliceHistograms = slices ? new IntCountsHistogram[sliceCount * localityCount] : null;
        sliceWaited = slices ? new long[sliceCount * localityCount] : null;
        sliceWaitSum = slices ? new double[sliceCount * localityCount] : null;
        sliceShed = slices ? new long[sliceCount * localityCount] : null;
    }

    boolean queueing() {
        return queueing;
    }

    /** Requests to endpoint {@code e} now in flight. */
    int inFlight(int e) {
        return inFlight[e];
    }

    /** A request to endpoint {@code e} is in flight from {@code now} (its caller picked it). */
    void started(int e, long now) {
        accumulate(e, now);
        inFlight[e]++;
    }

    /** The caller got its response from endpoint {@code e} at {@code now}. */
    void finished(int e, long now) {
        accumulate(e, now);
        inFlight[e]--;
    }

    private void accumulate(int e, long now) {
        long elapsed = now - since[e];
        if (elapsed > 0) {
            double area = (double) inFlight[e] * elapsed;
            phaseArea[e] += area;
            bucketArea[e] += area;
            since[e] = now;
        }
    }

    /**
     * The outcome of a request that reached endpoint {@code e}: what it took the caller in all
     * ({@code latencyNanos}) and how much of that it waited for a server.
     *
     * @param shed whether the endpoint's full queue answered it at once
     */
    void recorded(int phase, int bucket, int e, long latencyNanos, long waitNanos, boolean shed) {
        int cell = phase * endpointCount + e;
        phaseLatencySum[cell] += latencyNanos;
        bucketLatencySum[e] += latencyNanos;
        int l = localityOf[e];
        long micros = Math.min(HISTOGRAM_MAX_MICROS, latencyNanos / 1000);
        if (phaseHistograms != null) {
            histogram(phaseHistograms, phase * localityCount + l).recordValue(micros);
        }
        if (bucketHistograms != null) {
            histogram(bucketHistograms, l).recordValue(micros);
            bucketDirty[l] = true;
        }
        if (!queueing) {
            return;
        }
        if (waitNanos > 0) {
            phaseWaited[cell]++;
            phaseWaitSum[cell] += waitNanos;
            bucketWaitSum[e] += waitNanos;
        }
        if (shed) {
            phaseShed[cell]++;
            bucketShed[bucket * endpointCount + e]++;
        }
        if (sliceHistograms != null) {
            int s = (bucket / bucketsPerSlice) * localityCount + l;
            histogram(sliceHistograms, s).recordValue(micros);
            if (waitNanos > 0) {
                sliceWaited[s]++;
                sliceWaitSum[s] += waitNanos;
            }
            if (shed) {
                sliceShed[s]++;
            }
        }
    }

    private static IntCountsHistogram histogram(IntCountsHistogram[] all, int i) {
        IntCountsHistogram h = all[i];
        if (h == null) {
            h = new IntCountsHistogram(HISTOGRAM_MAX_MICROS, DIGITS);
            all[i] = h;
        }
        return h;
    }

    /** Ends phase {@code phase} at {@code now}: its in-flight areas become time averages. */
    void closePhase(int phase, long startNanos, long now) {
        double length = Math.max(1, now - startNanos);
        for (int e = 0; e < endpointCount; e++) {
            accumulate(e, now);
            phaseInFlight[phase * endpointCount + e] = phaseArea[e] / length;
            phaseArea[e] = 0;
        }
    }

    /** Ends bucket {@code bucket}: its areas and sums become averages, its histograms p99 values. */
    void closeBucket(int bucket) {
        long start = bucket * bucketNanos;
        long end = Math.min(endNanos, start + bucketNanos);
        double length = Math.max(1, end - start);
        int base = bucket * endpointCount;
        for (int e = 0; e < endpointCount; e++) {
            accumulate(e, end);
            bucketInFlight[base + e] = (float) (bucketArea[e] / length);
            bucketArea[e] = 0;
            int requests = bucketRequests[base + e];
            bucketLatencyMs[base + e] = requests == 0 ? Float.NaN : (float) (bucketLatencySum[e] / requests / 1e6);
            bucketLatencySum[e] = 0;
            if (queueing) {
                bucketWaitMs[base + e] = requests == 0 ? Float.NaN : (float) (bucketWaitSum[e] / requests / 1e6);
                bucketWaitSum[e] = 0;
            }
        }
        if (bucketHistograms != null) {
            for (int l = 0; l < localityCount; l++) {
                IntCountsHistogram h = bucketHistograms[l];
                boolean any = bucketDirty[l] && h.getTotalCount() > 0;
                bucketP99Micros[bucket * localityCount + l] = any ? (int) Math.min(Integer.MAX_VALUE,
                        h.getValueAtPercentile(99)) : -1;
                if (bucketDirty[l]) {
                    h.reset();
                    bucketDirty[l] = false;
                }
            }
        }
    }

    /** What was recorded; call after the last phase and bucket are closed. */
    SimulationResult.Load result() {
        long[] p50 = null;
        long[] p99 = null;
        long[] p999 = null;
        if (phaseHistograms != null) {
            p50 = new long[phaseCount * localityCount];
            p99 = new long[phaseCount * localityCount];
            p999 = new long[phaseCount * localityCount];
            for (int i = 0; i < phaseHistograms.length; i++) {
                IntCountsHistogram h = phaseHistograms[i];
                boolean any = h != null && h.getTotalCount() > 0;
                p50[i] = any ? h.getValueAtPercentile(50) * 1000 : -1;
                p99[i] = any ? h.getValueAtPercentile(99) * 1000 : -1;
                p999[i] = any ? h.getValueAtPercentile(99.9) * 1000 : -1;
            }
        }
        SimulationResult.Slices slices = null;
        if (sliceHistograms != null) {
            long[] sp50 = new long[sliceCount * localityCount];
            long[] sp99 = new long[sliceCount * localityCount];
            long[] requests = new long[sliceCount * localityCount];
            for (int i = 0; i < sliceHistograms.length; i++) {
                IntCountsHistogram h = sliceHistograms[i];
                requests[i] = h == null ? 0 : h.getTotalCount();
                sp50[i] = requests[i] > 0 ? h.getValueAtPercentile(50) * 1000 : -1;
                sp99[i] = requests[i] > 0 ? h.getValueAtPercentile(99) * 1000 : -1;
            }
            // A slice is whole buckets, so its time-average in flight is its buckets' averages weighted by length.
            double[] inFlightAverage = new double[sliceCount * localityCount];
            for (int b = 0; b < bucketCount; b++) {
                long start = b * bucketNanos;
                double length = Math.min(endNanos, start + bucketNanos) - start;
                int slice = b / bucketsPerSlice;
                long sliceStart = (long) slice * bucketsPerSlice * bucketNanos;
                double sliceLength = Math.min(endNanos, sliceStart + bucketsPerSlice * bucketNanos) - sliceStart;
                for (int e = 0; e < endpointCount; e++) {
                    inFlightAverage[slice * localityCount + localityOf[e]] +=
                            bucketInFlight[b * endpointCount + e] * length / sliceLength;
                }
            }
            slices = new SimulationResult.Slices(sliceCount, bucketsPerSlice * bucketNanos, requests, sp50, sp99,
                    sliceWaited, sliceWaitSum, sliceShed, inFlightAverage);
        }
        int[] concurrency = new int[endpointCount];
        int[] queueLimit = new int[endpointCount];
        for (int e = 0; e < endpointCount; e++) {
            concurrency[e] = servers[e] == null ? ServerQueue.UNLIMITED : servers[e].concurrency();
            queueLimit[e] = servers[e] == null ? ServerQueue.UNLIMITED : servers[e].queueLimit();
        }
        return new SimulationResult.Load(localities, localityOf, endpointCount, concurrency, queueLimit, phaseInFlight,
                phaseLatencySum, phaseWaited, phaseWaitSum, phaseShed, p50, p99, p999, bucketInFlight,
                bucketLatencyMs, bucketWaitMs, bucketShed, bucketP99Micros, slices);
    }
}
