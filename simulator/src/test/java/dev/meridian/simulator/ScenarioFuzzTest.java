package dev.meridian.simulator;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.meridian.core.Clocks;
import dev.meridian.core.RandomSource;
import java.nio.charset.StandardCharsets;

/**
 * A scenario file, fuzzed: {@link Scenarios#parse} (the scenario reader and the Istio readers
 * behind it), the {@code simulation:} section ({@link SimulationSpec#parse}) and the client the
 * scenario wires for its caller ({@link Scenario#newClient}), with the plan it gives and a few
 * picks. Each must give a value or refuse with the documented {@link InputException} naming the
 * file, the field and the value ({@link SimulationSpec#parse}: an {@link IllegalArgumentException}
 * in the same form). Seeds: the built-in scenarios, docs/examples and this module's test scenarios.
 * docs/fuzzing.md.
 */
class ScenarioFuzzTest {
    private static final String SOURCE = "fuzz.yaml";

    @FuzzTest(maxDuration = "5m", maxExecutions = 15_000)
    void scenario(byte[] data) {
        Scenario scenario;
        try {
            scenario = Scenarios.parse(SOURCE, new String(data, StandardCharsets.UTF_8));
        } catch (InputException e) {
            DocumentedErrors.requireNamed(SOURCE, e);
            return;
        }
        try {
            SimulationSpec.parse(SOURCE, scenario.simulation(), scenario.caller(), scenario.endpoints());
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireNamed(SOURCE, e);
        }
        // The reader has built the endpoint table once already: a scenario it accepts wires a client.
        MeshClient client = scenario.newClient(scenario.caller(), scenario.endpoints(), Clocks.manual(),
                RandomSource.seeded(1));
        client.plan();
        client.assignment();
        for (long hash = 0; hash < 4; hash++) {
            client.pick(hash);
        }
    }
}
