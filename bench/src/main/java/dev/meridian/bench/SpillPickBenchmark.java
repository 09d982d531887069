package dev.meridian.bench;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.ManualClock;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.SpillConfig;
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
 * The pick path with capacity-aware spill-over ({@link SpillConfig}) over the mesh topology, with the
 * same requests in flight in every case (two per unit of weight on each priority 0 host, which least
 * request reads): off (the picks are Envoy's), configured but at rest (a capacity of 10 per unit of
 * weight puts priority 0 at utilization 0.2), and spilling (a capacity of 1 puts it at 2.0, so 70% of
 * its picks go to priority 1). The fraction is decided once in setup on virtual time and stays fixed
 * while the benchmark runs: what is measured is the pick, which reads the fraction with the snapshot
 * and diverts with one extra random draw, and must allocate nothing ({@code -prof gc}).
 *
 * <p>Not thread-safe itself: a JMH state whose setup runs on one thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SpillPickBenchmark {

    /** How the cluster is configured and loaded. */
    public enum Spill { OFF, AT_REST, SPILLING }

    @Param({"1000"})
    public int endpoints;

    @Param({"ROUND_ROBIN", "LEAST_REQUEST", "RING_HASH"})
    public LbPolicy policy;

    @Param({"OFF", "AT_REST", "SPILLING"})
    public Spill spill;

    private Cluster cluster;

    @Setup
    public void setUp() {
        MeshTopology mesh = MeshTopology.of(endpoints);
        EndpointTable table = mesh.table(false);
        LbConfig config = LbConfig.builder().policy(policy).build();
        if (spill != Spill.OFF) {
            // No smoothing, so one evaluation decides.
            double capacity = spill == Spill.SPILLING ? 1 : 10;
            config = config.withSpill(SpillConfig.of(capacity).withSmoothing(Duration.ZERO));
        }
        ManualClock clock = Clocks.manual();
        cluster = Cluster.builder(config).endpoints(table).clock(clock).build();
        for (Host h : cluster.hosts()) {
            if (h.priority() == 0) {
                for (int i = 0; i < 2 * h.endpoint().weight(); i++) {
                    cluster.requestStarted(h);
                }
            }
        }
        if (spill != Spill.OFF) {
            clock.advance(cluster.nextDeadlineNanos() - clock.nanoTime());
            cluster.drain();
            double expected = spill == Spill.SPILLING ? 0.7 : 0.0;
            if (Math.abs(cluster.spill().fraction() - expected) > 1e-9) {
                throw new IllegalStateException("spill fraction " + cluster.spill() + ", expected " + expected);
            }
        }
        for (int i = 0; i < 64; i++) {
            if (cluster.pick() == null) {
                throw new IllegalStateException("meridian " + policy + " picked no endpoint");
            }
        }
    }

    /** One pick through the {@link Cluster}, as a caller makes it for each request. */
    @Benchmark
    public Endpoint pick() {
        return cluster.pick().endpoint();
    }

    /** A retry's pick with priority 2 excluded: the spill-over diversion on the retry path. */
    @Benchmark
    public Endpoint pickExcluding() {
        return cluster.pickExcluding(1L << 2).endpoint();
    }
}
