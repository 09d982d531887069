package dev.meridian.bench;

import dev.meridian.core.Clocks;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.LoadBalancer;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.outlier.OutlierDetector;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The return path: recording each response in the outlier detector, alone and together with the
 * pick that preceded it, the periodic sweep, and least request's start/finish bookkeeping around a
 * pick. One response in 64 is a 503, never five in a row
 * for one host, so the detector counts and the success-rate buckets fill but nothing is ejected by
 * a run of failures.
 *
 * <p>Not thread-safe itself: a JMH state whose setup runs on one thread; the benchmark threads only
 * call the balancer under test, which is built to be shared.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MeridianOutcomeBenchmark {

    @Param({"10", "100", "1000", "10000"})
    public int endpoints;

    private OutlierDetector detector;
    private LoadBalancer balancer;
    private LoadBalancer leastRequest;
    private int size;

    /** Each thread's own stream of hosts and statuses. */
    @State(Scope.Thread)
    public static class Responses {
        int next = (int) Thread.currentThread().getId() * 7919;

        int nextHost(int size) {
            int n = next++ & Integer.MAX_VALUE;
            return n % size;
        }

        int status() {
            return (next & 63) == 0 ? 503 : 200;
        }
    }

    @Setup
    public void setUp() {
        MeshTopology mesh = MeshTopology.of(endpoints);
        EndpointTable table = mesh.table(true);
        size = table.size();
        detector = OutlierDetector.create(OutlierDetectionConfig.defaults(), table, RandomSource.threadLocal(),
                Clocks.system(), EjectionListener.none());
        balancer = LoadBalancer.create(LbConfig.builder().policy(LbPolicy.ROUND_ROBIN).localityWeighted(true).build(),
                table, RandomSource.threadLocal(), Clocks.system());
        leastRequest = LoadBalancer.create(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST).localityWeighted(true)
                .build(), table, RandomSource.threadLocal(), Clocks.system());
    }

    /** A least-request pick with the request start and finish a caller reports around it. */
    @Benchmark
    public int leastRequestCycle() {
        int host = leastRequest.pick();
        leastRequest.requestStarted(host);
        leastRequest.requestFinished(host);
        return host;
    }

    /** Records one response. */
    @Benchmark
    public OutlierDetector record(Responses r) {
        detector.record(r.nextHost(size), r.status());
        return detector;
    }

    /** The same from two threads. */
    @Benchmark
    @Threads(2)
    public OutlierDetector record2Threads(Responses r) {
        detector.record(r.nextHost(size), r.status());
        return detector;
    }

    /** A pick, then the response from the picked host. */
    @Benchmark
    public int pickAndRecord(Responses r) {
        int host = balancer.pick();
        r.next++;
        detector.record(host, r.status());
        return host;
    }

    /** The same from two threads. */
    @Benchmark
    @Threads(2)
    public int pickAndRecord2Threads(Responses r) {
        int host = balancer.pick();
        r.next++;
        detector.record(host, r.status());
        return host;
    }

    /** One interval sweep over every host. */
    @Benchmark
    public OutlierDetector sweep() {
        detector.sweep();
        return detector;
    }
}
