package dev.meridian.bench;

import dev.meridian.core.Endpoint;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * The floor: the least work that still hands back an endpoint. Nothing here knows about weights,
 * health, priorities or localities, so no balancer that honours any of them can be faster; every
 * other result is read as a multiple of {@link #randomPick()}.
 *
 * <p>{@link #roundRobinPick()} is the floor for rotation: one shared atomic counter, the cost every
 * strict round robin pays and the one that stops scaling across cores.
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
public class FloorBenchmark {

    @Param({"10", "100", "1000", "10000"})
    public int endpoints;

    private Endpoint[] hosts;
    private final AtomicInteger next = new AtomicInteger();

    @Setup
    public void setUp() {
        hosts = MeshTopology.of(endpoints).endpoints();
    }

    /** A uniformly random endpoint: {@code ThreadLocalRandom} index into an array. */
    @Benchmark
    public Endpoint randomPick() {
        Endpoint[] h = hosts;
        return h[ThreadLocalRandom.current().nextInt(h.length)];
    }

    /** The same from two threads at once. */
    @Benchmark
    @Threads(2)
    public Endpoint randomPick2Threads() {
        Endpoint[] h = hosts;
        return h[ThreadLocalRandom.current().nextInt(h.length)];
    }

    /** Strict rotation through one shared counter. */
    @Benchmark
    public Endpoint roundRobinPick() {
        Endpoint[] h = hosts;
        return h[(next.getAndIncrement() & Integer.MAX_VALUE) % h.length];
    }

    /** The same from two threads, contending on the counter's cache line. */
    @Benchmark
    @Threads(2)
    public Endpoint roundRobinPick2Threads() {
        Endpoint[] h = hosts;
        return h[(next.getAndIncrement() & Integer.MAX_VALUE) % h.length];
    }
}
