package dev.meridian.simulator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** Scenarios, runs and command invocations shared by the simulator's tests. */
final class Runs {
    private Runs() {
    }

    static String builtInText(String name) {
        try (InputStream in = Runs.class.getResourceAsStream("/scenarios/" + name + ".yaml")) {
            if (in == null) {
                throw new IllegalStateException("no built-in scenario " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The built-in cross-region scenario without {@code maxEjectionPercent}, as the shared scenario
     * writes the rule: Envoy's default cap of 10% applies.
     */
    static Scenario crossRegionAsWritten() {
        String text = builtInText("cross-region");
        String line = "        maxEjectionPercent: 100\n";
        if (!text.contains(line)) {
            throw new IllegalStateException("the cross-region scenario no longer sets maxEjectionPercent: 100");
        }
        return Scenarios.parse("cross-region (maxEjectionPercent unset)", text.replace(line, ""));
    }

    /** The built-in cross-region scenario, which sets maxEjectionPercent: 100 so both r1 hosts can be ejected. */
    static Scenario crossRegionEjectingAll() {
        return Scenarios.load("cross-region");
    }

    static SimulationResult run(Scenario scenario) {
        return Simulation.run(scenario, spec(scenario), null);
    }

    static SimulationResult run(Scenario scenario, long seed) {
        return Simulation.run(scenario, spec(scenario).withSeed(seed), null);
    }

    static SimulationSpec spec(Scenario scenario) {
        return SimulationSpec.parse(scenario.source(), scenario.simulation(), scenario.caller(), scenario.endpoints());
    }

    /** Reads JSON (a subset of YAML 1.2) into maps and lists. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> json(String text) {
        return (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(text);
    }
}
