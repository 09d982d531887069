package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Scenarios that were refused with something other than the documented {@link InputException}
 * naming the file, the field and the value, found by the scenario fuzz target or while writing it
 * (docs/fuzzing.md); each scenario text is also in ScenarioFuzzTestInputs/scenario, which the
 * target replays.
 */
class ScenarioRefusalsTest {

    @Test
    @DisplayName("a field the scenario reader refuses is an InputException, as Scenarios promises")
    void fieldRefusalsAreInputExceptions() {
        // unknown-field.yaml, weight-not-a-number.yaml: YamlNode's plain IllegalArgumentException
        // escaped Scenarios.parse and Scenarios.load unwrapped.
        assertThatThrownBy(() -> Scenarios.parse("fuzz.yaml", "configs: []\n"))
                .isExactlyInstanceOf(InputException.class)
                .hasMessage("fuzz.yaml: configs: unknown field (expected one of [caller, description, destinationRule, "
                        + "endpoints, envoy, history, localCluster, mesh, name, planAt, service, simulation, spill, subset])");
        assertThatThrownBy(() -> Scenarios.parse("fuzz.yaml", "endpoints: [{address: 10.0.0.1:80, weight: heavy}]\n"))
                .isExactlyInstanceOf(InputException.class)
                .hasMessage("fuzz.yaml: endpoints[0].weight: expected a whole number, got 'heavy'");
    }

    @Test
    @DisplayName("a scenario that contains itself is refused: showing it overflowed the stack")
    void scenarioThatContainsItselfIsRefused() {
        // caller-contains-itself.yaml
        assertThatThrownBy(() -> Scenarios.parse("fuzz.yaml", "caller: &x {labels: {app: *x}}\n"))
                .isExactlyInstanceOf(InputException.class)
                .hasMessage("fuzz.yaml: invalid YAML: alias *x at line 1 refers to a mapping or list that contains it"
                        + " (anchor 'x' value contains itself)");
    }

    @Test
    @DisplayName("a scenario name Path.of refuses is an InputException naming it, not an InvalidPathException")
    void nameThatIsNoPathIsNamed() {
        // A name, not a scenario's text, so not in the corpus: found reading ScenarioLoader.load.
        assertThatThrownBy(() -> Scenarios.load("cross\0region"))
                .isExactlyInstanceOf(InputException.class)
                .hasMessage("cross\0region: not a file path (Nul character not allowed) and not a built-in scenario");
    }

    @Test
    @DisplayName("a planAt that would replay billions of outlier sweeps is refused, not replayed for hours")
    void planAtBeyondReachIsRefused() {
        // plan-beyond-reach.yaml, found reading the replay behind `meridian plan`: every sweep up to
        // planAt is run, about 23 million a second here, so 100000h at a 1ms interval took hours.
        String scenario = """
                caller: {locality: r1/z1}
                destinationRule:
                  apiVersion: networking.istio.io/v1
                  kind: DestinationRule
                  metadata: {name: reviews}
                  spec:
                    host: reviews
                    trafficPolicy: {outlierDetection: {consecutive5xxErrors: 5, interval: 1ms, baseEjectionTime: 30s}}
                endpoints:
                  - {address: 10.0.0.1:80, locality: r1/z1}
                  - {address: 10.0.0.2:80, locality: r1/z2}
                history:
                  - {at: 1m, endpoint: 10.0.0.1:80, status: 503, count: 5}
                """;
        assertThatThrownBy(() -> Scenarios.parse("fuzz.yaml", scenario + "planAt: 100000h\n"))
                .isExactlyInstanceOf(InputException.class)
                .hasMessage("fuzz.yaml: planAt: reaching 100000h replays 360000000000 outlier sweeps (one every 0.001s)"
                        + " over 2 endpoint(s), more than the 1000000000 endpoint-sweeps a plan replays; plan at most"
                        + " 138h53m20s in (planAt, or the last history entry), got '100000h'");
        assertThat(Scenarios.parse("fuzz.yaml", scenario + "planAt: 138h\n").planAtNanos()).isEqualTo(138L * 3600 * 1_000_000_000L);
    }
}
