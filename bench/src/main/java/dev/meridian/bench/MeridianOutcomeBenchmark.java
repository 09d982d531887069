package dev.meridian.bench;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Clocks;
import dev.meridian.core.ManualClock;
import dev.meridian.core.EndpointTable;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.outlier.OutlierDetectionConfig;
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
 * The return path through a {@link Cluster}: recording each response for outlier detection, alone and with the
 * pick that preceded it, the periodic sweep, and least request's start/finish bookkeeping around a
 * pick. One response in 64 is a 503, never five in a row
 * for one host, so the detector counts and the success-rate buckets fill but nothing is ejected by
 * a run of failures.
 *
 * <p>Not thread-safe itself: a JMH state whose setup runs on one thread; the benchmark threads only
 * call the clusters under test, which are built to be shared.
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

    private Cluster roundRobin;
    private Cluster leastRequest;
    private Host[] hosts;
    private ManualClock clock;
    private Cluster swept;

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
        roundRobin = Cluster.builder(LbConfig.builder().policy(LbPolicy.ROUND_ROBIN).localityWeighted(true).build())
                .endpoints(table).outlierDetection(OutlierDetectionConfig.defaults()).build();
        leastRequest = Cluster.builder(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST).localityWeighted(true)
                .build()).endpoints(table).build();
        hosts = roundRobin.hosts().toArray(new Host[0]);
        clock = Clocks.manual();
        swept = Cluster.builder(LbConfig.builder().build()).endpoints(table)
                .outlierDetection(OutlierDetectionConfig.defaults()).clock(clock).build();
    }

    /** A least-request pick with the request start and finish a caller reports around it. */
    @Benchmark
    public Host leastRequestCycle() {
        Host host = leastRequest.pick();
        leastRequest.requestStarted(host);
        leastRequest.requestFinished(host);
        return host;
    }

    /** Records one response. */
    @Benchmark
    public Cluster record(Responses r) {
        roundRobin.record(hosts[r.nextHost(hosts.length)], r.status());
        return roundRobin;
    }

    /** The same from two threads. */
    @Benchmark
    @Threads(2)
    public Cluster record2Threads(Responses r) {
        roundRobin.record(hosts[r.nextHost(hosts.length)], r.status());
        return roundRobin;
    }

    /** A pick, then the response from the picked host. */
    @Benchmark
    public Host pickAndRecord(Responses r) {
        Host host = roundRobin.pick();
        r.next++;
        roundRobin.record(host, r.status());
        return host;
    }

    /** The same from two threads. */
    @Benchmark
    @Threads(2)
    public Host pickAndRecord2Threads(Responses r) {
        Host host = roundRobin.pick();
        r.next++;
        roundRobin.record(host, r.status());
        return host;
    }

    /** One interval sweep over every host, run by the control thread's drain when it is due. */
    @Benchmark
    public int sweep() {
        clock.advance(OutlierDetectionConfig.DEFAULT_INTERVAL.toNanos());
        return swept.drain();
    }
}
