package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.cluster.Host;
import dev.meridian.core.Clocks;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.SpillConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A scenario's {@code spill:} section: parsed into the {@link SpillConfig} its sidecar callers'
 * balancing carries, refused naming the field and the value, and evaluated on the simulation's
 * clock along with the outlier sweeps.
 */
class SpillScenarioTest {

    private static final String SCENARIO = """
            name: spill
            caller: {locality: r1/z1}
            destinationRule:
              apiVersion: networking.istio.io/v1
              kind: DestinationRule
              metadata: {name: reviews}
              spec:
                host: reviews
                trafficPolicy:
                  loadBalancer: {simple: ROUND_ROBIN}
                  outlierDetection: {consecutive5xxErrors: 5, interval: 10s}
            endpoints:
              - {address: "10.0.1.1:80", locality: r1/z1}
              - {address: "10.0.1.2:80", locality: r1/z1}
              - {address: "10.0.2.1:80", locality: r1/z2}
              - {address: "10.0.2.2:80", locality: r1/z2}
            %s
            """;

    private final ManualClock clock = Clocks.manual();

    private MeshClient client(String spill) {
        Scenario s = Scenarios.parse("spill.yaml", SCENARIO.formatted(spill));
        return s.newClient(s.caller(), s.endpoints(), clock, RandomSource.seeded(3));
    }

    @Test
    @DisplayName("absent: no spill-over, and the sweeps alone are timed work")
    void absent() {
        MeshClient c = client("");
        assertThat(c.plan().spill()).isNull();
        assertThat(c.cluster().spill()).isNull();
        assertThat(c.nextSweepAtNanos()).isEqualTo(clock.nanoTime() + 10_000_000_000L);
    }

    @Test
    @DisplayName("every field reaches the configuration; only hostCapacity is required")
    void parsed() {
        SpillConfig all = client("""
                spill:
                  hostCapacity: 16
                  spillThreshold: 1.5
                  releaseThreshold: 0.9
                  localityCapacity: {r1/z1: 40, r1/z2/s1: 8}
                  smoothing: 5s
                  evaluationInterval: 250ms
                """).plan().spill().config();
        assertThat(all).isEqualTo(new SpillConfig(1.5, 0.9, 16,
                Map.of(Locality.parse("r1/z1"), 40.0, Locality.parse("r1/z2/s1"), 8.0), Duration.ofSeconds(5),
                Duration.ofMillis(250)));
        assertThat(client("spill: {hostCapacity: 16}").plan().spill().config()).isEqualTo(SpillConfig.of(16));
    }

    @Test
    @DisplayName("bad values are refused naming the file, the field and the value as written")
    void refused() {
        assertThatThrownBy(() -> client("spill: {spillThreshold: 0.9}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("spill.yaml: spill.hostCapacity: is required");
        assertThatThrownBy(() -> client("spill: {hostCapacity: 0}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.yaml: spill.hostCapacity: must be a finite number > 0, got '0'");
        assertThatThrownBy(() -> client("spill: {hostCapacity: 4, releaseThreshold: 0.9}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.yaml: spill.releaseThreshold: must be > 0 and below spillThreshold 0.8, got '0.9'");
        assertThatThrownBy(() -> client("spill: {hostCapacity: 4, localityCapacity: {r1/z2: -1}}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.yaml: spill.localityCapacity.r1/z2: must be a number > 0, got '-1'");
        assertThatThrownBy(() -> client("spill: {hostCapacity: 4, localityCapacity: {a/b/c/d: 1}}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.yaml: spill.localityCapacity.a/b/c/d: expected a locality region/zone/subzone, got 'a/b/c/d'");
        assertThatThrownBy(() -> client("spill: {hostCapacity: 4, evaluationInterval: 0s}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.yaml: spill.evaluationInterval: must be greater than zero, got '0s'");
        assertThatThrownBy(() -> client("spill: {hostCapacity: 4, smoothing: forever}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spill.yaml: spill.smoothing: expected a duration such as 90s, 5m or 1m30s, got 'forever'");
        assertThatThrownBy(() -> client("spill: {hostCapacity: 4, threshold: 1}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("spill.yaml: spill.threshold: unknown field");
    }

    @Test
    @DisplayName("the simulation's clock drives the evaluations: a zone held at twice its capacity spills")
    void evaluatedWithTheSweeps() {
        MeshClient c = client("spill: {hostCapacity: 1, smoothing: 0s}");
        long start = clock.nanoTime();
        assertThat(c.nextSweepAtNanos()).isEqualTo(start + 500_000_000L);
        for (Host h : c.cluster().hosts()) {
            if (h.priority() == 0) {
                c.cluster().requestStarted(h);
                c.cluster().requestStarted(h);
            }
        }
        clock.update(c.nextSweepAtNanos());
        c.runDueSweeps();
        assertThat(c.cluster().spill().active()).isTrue();
        assertThat(c.cluster().spill().fraction()).isEqualTo(0.7, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(c.nextSweepAtNanos()).isEqualTo(clock.nanoTime() + 500_000_000L);
    }

    @Test
    @DisplayName("the forecast caps the fraction where the controller does")
    void theForecastsLargestFractionIsTheControllers() {
        MeshClient c = client("spill: {hostCapacity: 1, smoothing: 0s}");
        for (Host h : c.cluster().hosts()) {
            for (int i = 0; h.priority() == 0 && i < 100; i++) {
                c.cluster().requestStarted(h);
            }
        }
        clock.update(c.nextSweepAtNanos());
        c.runDueSweeps();
        // 1 - 0.6 / 100 would divert 99.4%; the controller keeps some picks at home.
        assertThat(c.cluster().spill().fraction()).isEqualTo(SpillForecast.MAX_FRACTION);
    }
}
