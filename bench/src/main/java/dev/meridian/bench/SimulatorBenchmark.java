package dev.meridian.bench;

import dev.meridian.simulator.Scenario;
import dev.meridian.simulator.Scenarios;
import dev.meridian.simulator.Simulation;
import dev.meridian.simulator.SimulationResult;
import dev.meridian.simulator.SimulationSpec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The main job's speed: one whole run of a built-in scenario through the discrete-event simulator,
 * single-threaded and deterministic, as {@code ./meridian simulate NAME --no-timing} runs it.
 * {@code requests} is the figure to read: simulated requests per second (an auxiliary counter that
 * adds each run's request count); the primary score counts whole runs.
 *
 * <p>Not thread-safe itself: one benchmark thread per state.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SimulatorBenchmark {

    @Param({"cross-region", "cross-region-no-outlier", "bookinfo-multicluster", "zone-outage", "virtual-nodes"})
    public String scenario;

    private Scenario loaded;
    private SimulationSpec spec;

    /** Simulated requests, read by JMH per second of benchmark time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Requests {
        public long requests;

        @Setup(Level.Iteration)
        public void reset() {
            requests = 0;
        }
    }

    @Setup
    public void setUp() {
        loaded = Scenarios.load(scenario);
        spec = SimulationSpec.parse(loaded.source(), loaded.simulation(), loaded.caller(), loaded.endpoints());
    }

    @Benchmark
    public SimulationResult run(Requests counter) {
        SimulationResult result = Simulation.run(loaded, spec, null);
        counter.requests += result.requests();
        return result;
    }
}
