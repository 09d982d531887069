package dev.meridian.bench;

import dev.meridian.simulator.Scenario;
import dev.meridian.simulator.Scenarios;
import dev.meridian.simulator.Simulation;
import dev.meridian.simulator.SimulationResult;
import dev.meridian.simulator.SimulationSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The large case at mid size, where costs that grow with callers or endpoints show: the built-in
 * {@code large-day} scaled to 1,000 endpoints over the same nine zones and 50 callers, 10 minutes at
 * 2,000 requests per second, zone r1/z1 failing from 2m to 5m and r2 scaled to zero from 6m to 8m
 * (the scaled-down run {@code LargeDayTest} checks). {@code requests} (from {@link SimulatorBenchmark.Requests})
 * is simulated requests per second. Profile it with {@code -prof stack} or {@code -prof gc}.
 *
 * <p>Not thread-safe itself: one benchmark thread per state.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 10)
public class LargeDayBenchmark {
    private Scenario loaded;
    private SimulationSpec spec;

    @Setup
    public void setUp() {
        String text;
        try (InputStream in = Scenarios.class.getResourceAsStream("/scenarios/large-day.yaml")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        text = text.replace("count: 1112, locality", "count: 112, locality")
                .replace("count: 1111, locality", "count: 111, locality")
                .replaceFirst("count: 112, labels", "count: 6, labels")
                .replaceFirst("count: 111, labels", "count: 6, labels")
                .replaceFirst("count: 111, labels", "count: 6, labels")
                .replaceFirst("count: 111, labels", "count: 6, labels")
                .replaceFirst("count: 111, labels", "count: 6, labels")
                .replace("count: 111, labels", "count: 5, labels")
                .replace("duration: 24h", "duration: 10m").replace("rate: 10000", "rate: 2000")
                .replace("{at: 6h,", "{at: 2m,").replace("{at: 8h,", "{at: 5m,")
                .replace("{at: 14h,", "{at: 6m,").replace("{at: 16h,", "{at: 8m,");
        loaded = Scenarios.parse("large-day (1,000 endpoints, 50 callers, 10m)", text);
        spec = SimulationSpec.parse(loaded.source(), loaded.simulation(), loaded.caller(), loaded.endpoints());
    }

    @Benchmark
    public SimulationResult run(SimulatorBenchmark.Requests counter) {
        SimulationResult result = Simulation.run(loaded, spec, null);
        counter.requests += result.requests();
        return result;
    }
}
