package dev.meridian.bench;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.time.Duration;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Meridian's pick path over the mesh topology: three priorities by proximity to a caller in
 * {@code r1/z1}, locality weights on or off, a few degraded hosts and a few ejected ones, Envoy's
 * default overprovisioning factor (140) and panic threshold (50%). Each pick chooses a priority, a
 * locality (when weighted) and a host, as Envoy does per request.
 *
 * <p>The hash policies are given a different key on every pick (per thread), so the ring or table
 * lookup is not folded into a constant. The active-request bookkeeping that least request needs
 * around each request is measured in {@link MeridianOutcomeBenchmark}.
 *
 * <p>Not thread-safe itself: a JMH state whose setup runs on one thread; the benchmark threads only
 * call the cluster under test, which is built to be shared.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MeridianPickBenchmark {

    @Param({"10", "100", "1000", "10000"})
    public int endpoints;

    @Param({"ROUND_ROBIN", "RANDOM", "LEAST_REQUEST", "RING_HASH", "MAGLEV"})
    public LbPolicy policy;

    @Param({"true", "false"})
    public boolean localityWeighted;

    private Cluster cluster;
    private boolean hashed;

    /** Each thread's own stream of request hash keys. */
    @State(Scope.Thread)
    public static class Keys {
        long next = Thread.currentThread().getId() * 0x9E3779B97F4A7C15L;

        long nextKey() {
            long k = next += 0x9E3779B97F4A7C15L;
            return k ^ (k >>> 29);
        }
    }

    @Setup
    public void setUp() {
        MeshTopology mesh = MeshTopology.of(endpoints);
        EndpointTable table = mesh.table(localityWeighted);
        LbConfig config = LbConfig.builder()
                .policy(policy)
                .localityWeighted(localityWeighted)
                .overprovisioningFactor(LbConfig.DEFAULT_OVERPROVISIONING_FACTOR)
                .panicThreshold(LbConfig.DEFAULT_PANIC_THRESHOLD)
                .build();
        // The mesh's ejected hosts are ejected the way an application's are: five 5xx each, then
        // the control thread's drain; an hour's ejection outlasts any run.
        cluster = Cluster.builder(config).endpoints(table)
                .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(100)
                        .baseEjectionTime(Duration.ofHours(1)).maxEjectionTime(Duration.ofHours(1)).build())
                .build();
        BitSet ejected = mesh.ejected();
        for (int h = ejected.nextSetBit(0); h >= 0; h = ejected.nextSetBit(h + 1)) {
            Host host = cluster.host(table.endpoint(h).address());
            for (int i = 0; i < 5; i++) {
                cluster.record(host, 500);
            }
        }
        cluster.drain();
        if (cluster.detector().ejectedCount() != ejected.cardinality()) {
            throw new IllegalStateException("meridian ejected " + cluster.detector().ejectedCount() + " of "
                    + ejected.cardinality() + " hosts");
        }
        hashed = policy == LbPolicy.RING_HASH || policy == LbPolicy.MAGLEV;
        Keys keys = new Keys();
        for (int i = 0; i < 64; i++) {
            Host host = hashed ? cluster.pick(keys.nextKey()) : cluster.pick();
            if (host == null) {
                throw new IllegalStateException("meridian " + policy + " picked no endpoint");
            }
        }
    }

    /**
     * One pick, as a caller makes it for each request, through the {@link Cluster} an application
     * holds: the picked handle's {@link Endpoint}, as the floor and the peers return theirs.
     */
    @Benchmark
    public Endpoint pick(Keys keys) {
        return (hashed ? cluster.pick(keys.nextKey()) : cluster.pick()).endpoint();
    }

    /** The same from two threads sharing one cluster. */
    @Benchmark
    @Threads(2)
    public Endpoint pick2Threads(Keys keys) {
        return (hashed ? cluster.pick(keys.nextKey()) : cluster.pick()).endpoint();
    }
}
