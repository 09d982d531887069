package dev.meridian.cli;

import dev.meridian.simulator.Scenario;
import dev.meridian.simulator.Scenarios;
import dev.meridian.simulator.Simulation;
import dev.meridian.simulator.SimulationResult;
import dev.meridian.simulator.SimulationSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** Command invocations, scenarios and runs shared by the command line's tests. */
final class Runs {
    private Runs() {
    }

    /** The outcome of one command invocation. */
    record Invocation(int status, String out, String err) {
    }

    /** Runs {@code meridian simulate ARGS} through the command's entry point. */
    static Invocation simulate(String... args) {
        return invoke(SimulateCommand::run, args);
    }

    /** Runs {@code meridian ARGS} through the top-level entry point, as the jar's main does. */
    static Invocation meridian(String... args) {
        return invoke(Main::run, args);
    }

    private interface Command {
        int run(String[] args, PrintStream out, PrintStream err);
    }

    private static Invocation invoke(Command command, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = command.run(args, o, e);
        }
        return new Invocation(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static String builtInText(String name) {
        try (InputStream in = Scenarios.class.getResourceAsStream("/scenarios/" + name + ".yaml")) {
            if (in == null) {
                throw new IllegalStateException("no built-in scenario " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object o) {
        return (List<Map<String, Object>>) o;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }
}
