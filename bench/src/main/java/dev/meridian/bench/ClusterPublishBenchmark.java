package dev.meridian.bench;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Clocks;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.ManualClock;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.time.Duration;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the control thread pays to publish: one host ejected by a completed run of 5xx (one
 * snapshot), then returned by the sweep that follows its ejection time (one more snapshot, plus the
 * sweep's pass over every host); and one host's reported health flipped (a new table and one
 * snapshot). Round robin with locality weights over the mesh topology.
 *
 * <p>Not thread-safe itself: one benchmark thread drives the cluster as its control thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ClusterPublishBenchmark {

    @Param({"1000", "10000", "100000"})
    public int endpoints;

    private ManualClock clock;
    private Cluster cluster;
    private Host[] hosts;
    private String[] addresses;
    private int next;
    private boolean unhealthy;

    @Setup
    public void setUp() {
        MeshTopology mesh = MeshTopology.of(endpoints);
        EndpointTable table = mesh.table(true);
        clock = Clocks.manual();
        cluster = Cluster.builder(LbConfig.builder().policy(LbPolicy.ROUND_ROBIN).localityWeighted(true).build())
                .endpoints(table).clock(clock)
                .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(100)
                        .interval(Duration.ofSeconds(10)).baseEjectionTime(Duration.ofSeconds(10)).build())
                .build();
        hosts = cluster.hosts().toArray(new Host[0]);
        addresses = new String[hosts.length];
        for (int h = 0; h < hosts.length; h++) {
            addresses[h] = hosts[h].address();
        }
    }

    /** Eject one host (five 5xx, a drain: one publish), then return it (a due sweep: one publish). */
    @Benchmark
    public long ejectAndReturn() {
        Host h = hosts[next++ % hosts.length];
        for (int i = 0; i < 5; i++) {
            cluster.record(h, 500);
        }
        cluster.drain();
        clock.advance(Duration.ofSeconds(10).toNanos());
        cluster.drain();
        return cluster.publications();
    }

    /** One host's health flipped by a command: a new table, one publish. */
    @Benchmark
    public long healthFlip() {
        // Each host goes unhealthy, then healthy again on the next call, then the next host.
        cluster.setHealth(addresses[(next++ >>> 1) % addresses.length], unhealthy ? HealthStatus.HEALTHY
                : HealthStatus.UNHEALTHY);
        unhealthy = !unhealthy;
        cluster.drain();
        return cluster.publications();
    }
}
