package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.istio.YamlNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SimulationSpecTest {

    static final String BASE = """
            name: spec-test
            caller: {locality: r1/z1}
            endpoints:
              - {address: "10.1.0.11:9080", locality: r1/z1, labels: {version: v1}}
              - {address: "10.1.0.12:9080", locality: r1/z2, labels: {version: v2}}
              - {address: "10.2.0.13:9080", locality: r2/z1, labels: {version: v3}}
            """;

    static SimulationSpec parse(String simulation) {
        Scenario s = Scenarios.parse("spec-test.yaml", BASE + simulation);
        return SimulationSpec.parse(s.source(), s.simulation(), s.caller(), s.endpoints());
    }

    @Test
    void aScenarioWithoutASimulationSectionRunsTheDefaults() {
        SimulationSpec spec = parse("");
        assertThat(spec.durationNanos()).isEqualTo(SimulationSpec.DEFAULT_DURATION_NANOS);
        assertThat(spec.ratePerSecond()).isEqualTo(SimulationSpec.DEFAULT_RATE);
        assertThat(spec.seed()).isEqualTo(SimulationSpec.DEFAULT_SEED);
        assertThat(spec.callers()).singleElement().satisfies(c -> {
            assertThat(c.name()).isEqualTo("r1/z1");
            assertThat(c.share()).isEqualTo(1.0);
        });
        assertThat(spec.faults()).isEmpty();
        // 10 minutes in 1-second buckets would be 600: the chart's target.
        assertThat(spec.bucketNanos()).isEqualTo(1_000_000_000L);
    }

    @Test
    void readsEveryPartOfTheSection() {
        SimulationSpec spec = parse("""
                simulation:
                  duration: 1h
                  rate: 1000
                  seed: 42
                  timeout: 2s
                  callers:
                    - {locality: r1/z1, share: 3}
                    - {name: far, region: r2, zone: z1, share: 1}
                  behaviour:
                    - latency: {p50: 10ms, p99: 50ms}
                    - {select: {region: r2}, latency: 40ms, errorRate: 0.01, error: 5xx}
                  faults:
                    - {at: 30m, heal: {region: r1}}
                    - {at: 10m, fail: {zone: r1/z1}, error: connect-failure, errorRate: 0.5}
                    - {at: 20m, slow: {labels: {version: v3}}, factor: 4}
                    - {at: 25m, remove: {endpoint: "10.1.0.12:9080"}}
                    - {at: 26m, add: {endpoints: ["10.1.0.12:9080"]}, note: back again}
                """);
        assertThat(spec.durationNanos()).isEqualTo(3_600_000_000_000L);
        assertThat(spec.ratePerSecond()).isEqualTo(1000);
        assertThat(spec.seed()).isEqualTo(42);
        assertThat(spec.timeoutNanos()).isEqualTo(2_000_000_000L);
        assertThat(spec.bucketNanos()).isEqualTo(10_000_000_000L);
        assertThat(spec.callers()).extracting(SimulationSpec.CallerSpec::name).containsExactly("r1/z1", "far");
        assertThat(spec.callers().get(1).caller().locality().toString()).isEqualTo("r2/z1");
        assertThat(spec.behaviour()).hasSize(2);
        assertThat(spec.behaviour().get(1).errorRate()).isEqualTo(0.01);
        assertThat(spec.behaviour().get(1).error()).isEqualTo(ErrorKind.SERVER_ERROR);
        assertThat(spec.faults()).extracting(SimulationSpec.Fault::describe).containsExactly(
                "fail zone r1/z1 (50.0% connect-failure)",
                "slow version=v3 (x4)",
                "remove 10.1.0.12:9080",
                "add 10.1.0.12:9080: back again",
                "heal region r1");
    }

    @Test
    void faultsAtOneInstantKeepTheirFileOrder() {
        SimulationSpec spec = parse("""
                simulation:
                  faults:
                    - {at: 1m, remove: {region: r1}}
                    - {at: 1m, fail: {region: r2}}
                    - {at: 30s, slow: all, latency: 1s}
                """);
        assertThat(spec.faults()).extracting(f -> f.action().key()).containsExactly("slow", "remove", "fail");
    }

    @ParameterizedTest(name = "{0} is rejected naming {1}")
    @CsvSource(delimiter = '|', value = {
        "duration: 5 minutes|simulation.duration|'5 minutes'",
        "duration: 0.5s|simulation.duration|'0.5s'",
        "rate: -3|simulation.rate|'-3'",
        "rate: lots|simulation.rate|'lots'",
        "seed: 1.5|simulation.seed|'1.5'",
        "speed: 3|simulation.speed|unknown field",
        "faults: [{at: 1m, fail: {region: r9}}]|simulation.faults[0].fail|selects no endpoint",
        "faults: [{at: 1m, fail: {region: r1}, error: 404}]|simulation.faults[0].error|'404'",
        "faults: [{at: 1m, fail: {region: r1}, errorRate: 1.5}]|simulation.faults[0].errorRate|'1.5'",
        "faults: [{at: 20m, fail: {region: r1}}]|simulation.faults[0].at|'20m'",
        "faults: [{at: 1m, fail: {region: r1}, heal: {region: r1}}]|simulation.faults[0].heal|both fail and heal",
        "faults: [{at: 1m, slow: {region: r1}}]|simulation.faults[0].slow|needs latency",
        "faults: [{at: 1m, heal: {region: r1}, error: 503}]|simulation.faults[0].error|only to fail",
        "faults: [{at: 1m, remove: {endpoint: '10.9.9.9:1'}}]|simulation.faults[0].remove|'10.9.9.9:1'",
        "faults: [{fail: {region: r1}}]|simulation.faults[0].at|is required",
        "faults: [{at: soon, fail: all}]|simulation.faults[0].at|'soon'",
        "behaviour: [{latency: {p50: 20ms, p99: 5ms}}]|simulation.behaviour[0].latency.p99|'5ms'",
        "behaviour: [{concurrency: 0}]|simulation.behaviour[0].concurrency|got '0'",
        "behaviour: [{concurrency: -4}]|simulation.behaviour[0].concurrency|got '-4'",
        "behaviour: [{concurrency: lots}]|simulation.behaviour[0].concurrency|got 'lots'",
        "behaviour: [{concurrency: 2.5}]|simulation.behaviour[0].concurrency|got '2.5'",
        "behaviour: [{concurrency: 2000000}]|simulation.behaviour[0].concurrency|got '2000000'",
        "behaviour: [{concurrency: [4]}]|simulation.behaviour[0].concurrency|'[4]'",
        "behaviour: [{concurrency: 4, queueLimit: -1}]|simulation.behaviour[0].queueLimit|got '-1'",
        "behaviour: [{concurrency: 4, queueLimit: many}]|simulation.behaviour[0].queueLimit|got 'many'",
        "behaviour: [{select: {region: r2}, queueLimit: 10}]|simulation.behaviour[0].queueLimit|applies only to endpoints with a concurrency",
        "behaviour: [{queueLimit: 10}, {concurrency: unlimited}]|simulation.behaviour[0].queueLimit|got '10'",
        "callers: [{locality: r1/z1, share: 0}]|simulation.callers[0].share|'0'",
        "callers: [{locality: a/b/c/d}]|simulation.callers[0]|a/b/c/d",
    })
    void badValuesNameTheFileTheFieldAndTheValueOnOneLine(String yaml, String field, String value) {
        assertThatThrownBy(() -> parse("simulation:\n  " + yaml))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("spec-test.yaml: " + field)
                .hasMessageContaining(value)
                .hasMessageNotContaining("\n");
    }

    @Test
    void aSecondEndpointSetMustStillHoldEveryTarget() {
        SimulationSpec spec = parse("""
                simulation:
                  faults: [{at: 1m, fail: {region: r2}}]
                """);
        Scenario onlyR1 = Scenarios.parse("other.yaml", """
                name: other
                caller: {locality: r1/z1}
                endpoints:
                  - {address: "10.1.0.11:9080", locality: r1/z1}
                """);
        // The selector is written in spec-test.yaml; other.yaml only holds the endpoints it misses.
        assertThatThrownBy(() -> spec.requireTargets("spec-test.yaml", onlyR1.source(), onlyR1.endpoints()))
                .hasMessage("spec-test.yaml: simulation.faults[0].fail: selects none of the endpoints of other.yaml"
                        + " (10.1.0.11:9080 at r1/z1), so it cannot be applied in the comparison run, got 'region r2'");
    }

    @ParameterizedTest(name = "{0} = {1} ns")
    @CsvSource({"90s,90000000000", "1m30s,90000000000", "250ms,250000000", "1.5s,1500000000", "2h,7200000000000",
        "15,15000000000"})
    void durationsReadAsIstioWritesThem(String text, long nanos) {
        Object value = text.matches("\\d+") ? (Object) Integer.parseInt(text) : text;
        YamlNode node = new YamlNode("f", "x", value);
        assertThat(node.durationNanos(-1, SimulationSpec.MAX_DURATION_SECONDS)).isEqualTo(nanos);
    }

    @Test
    void latencyFitsTheGivenPercentiles() {
        LatencyModel m = LatencyModel.percentiles(20_000_000L, 80_000_000L);
        assertThat(m.p50Nanos()).isEqualTo(20_000_000L);
        assertThat(m.p99Nanos()).isBetween(79_999_000L, 80_001_000L);
        assertThat(m.sample(0)).isEqualTo(20_000_000L);
        assertThat(m.sample(2.3263478740408408)).isBetween(79_999_000L, 80_001_000L);
        assertThat(LatencyModel.constant(5_000_000L).sample(3)).isEqualTo(5_000_000L);
    }
}
