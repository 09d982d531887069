package dev.meridian.bench;

import dev.meridian.core.Clocks;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.internal.LoadBalancer;
import java.util.BitSet;
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
 * The cold path: what an endpoint update costs. {@link #update()} hands the balancer a new table (it
 * alternates between two that differ in one host's health, as an EDS push that marks one host
 * unhealthy does), so each call rebuilds the priority, locality and host structures from scratch;
 * {@link #buildAndUpdate()} also builds that table, as the layer that receives the push must;
 * {@link #eject()} publishes a new ejection set on the current table, as the outlier detector's
 * sweep does.
 *
 * <p>The size parameter is named {@code tableSize}, not {@code endpoints}, so that a run that pins
 * the pick benchmarks to one size still draws the whole growth curve.
 *
 * <p>Not thread-safe itself: a JMH state whose setup runs on one thread; the benchmark threads only
 * call the balancer under test, which is built to be shared.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MeridianRebuildBenchmark {

    @Param({"10", "100", "1000", "10000", "100000"})
    public int tableSize;

    @Param({"ROUND_ROBIN", "MAGLEV", "RING_HASH"})
    public LbPolicy rebuildPolicy;

    private MeshTopology mesh;
    private EndpointTable[] tables;
    private BitSet[] ejections;
    private LoadBalancer balancer;
    private int flip;

    @Setup
    public void setUp() {
        mesh = MeshTopology.of(tableSize);
        EndpointTable a = mesh.table(true);
        EndpointTable b = a.withHealth(0, HealthStatus.UNHEALTHY);
        tables = new EndpointTable[] {a, b};
        BitSet ejected = mesh.ejected();
        BitSet more = mesh.ejected();
        more.set(tableSize - 1);
        ejections = new BitSet[] {ejected, more};
        LbConfig config = LbConfig.builder().policy(rebuildPolicy).localityWeighted(true).build();
        balancer = LoadBalancer.create(config, a, RandomSource.threadLocal(), Clocks.system());
    }

    /** Publishes the other prebuilt table. */
    @Benchmark
    public LoadBalancer update() {
        balancer.update(tables[flip ^= 1]);
        return balancer;
    }

    /** Builds a table from the endpoints and publishes it. */
    @Benchmark
    public LoadBalancer buildAndUpdate() {
        balancer.update(mesh.table(true));
        return balancer;
    }

    /** Publishes the other ejection set on the current table. */
    @Benchmark
    public boolean eject() {
        return balancer.setEjected(balancer.table(), ejections[flip ^= 1]);
    }
}
