package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The size the simulator is built for: 1,000 requests per second for one hour of virtual time over
 * 100 endpoints, with faults. The test checks the run completes with the expected volume; how fast
 * it ran is printed, not asserted (no wall-clock limits in unit tests).
 */
class LargeRunTest {

    static String scenario() {
        StringBuilder y = new StringBuilder("""
                name: hundred-endpoints
                caller: {locality: r1/z1}
                mesh: {localityLbSetting: {enabled: true}}
                destinationRule:
                  apiVersion: networking.istio.io/v1
                  kind: DestinationRule
                  metadata: {name: svc}
                  spec:
                    host: svc.default.svc.cluster.local
                    trafficPolicy:
                      outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50}
                endpoints:
                """);
        String[] localities = {"r1/z1", "r1/z2", "r1/z3", "r2/z1", "r2/z2", "r3/z1", "r3/z2", "r3/z3", "r4/z1", "r4/z2"};
        for (int i = 0; i < 100; i++) {
            y.append("  - {address: \"10.0.").append(i / 10).append('.').append(i % 10 + 1).append(":8080\", locality: ")
                    .append(localities[i % 10]).append(", labels: {version: v").append(i % 3 + 1).append("}}\n");
        }
        y.append("""
                simulation:
                  duration: 1h
                  rate: 1000
                  seed: 7
                  behaviour:
                    - latency: {p50: 5ms, p99: 40ms}
                    - {select: {region: r3}, errorRate: 0.001, error: 5xx}
                  faults:
                    - {at: 10m, fail: {zone: r1/z1}, error: 503}
                    - {at: 20m, heal: {zone: r1/z1}}
                    - {at: 30m, remove: {region: r1}}
                    - {at: 40m, add: {region: r1}}
                    - {at: 45m, slow: {region: r2}, factor: 10}
                """);
        return y.toString();
    }

    @Test
    @DisplayName("3.6 million requests over 100 endpoints in one run")
    void simulatesAnHourAtAThousandRequestsPerSecond() {
        Scenario s = Scenarios.parse("hundred-endpoints.yaml", scenario());
        SimulationResult r = Runs.run(s);
        assertThat(r.endpoints()).hasSize(100);
        // Poisson arrivals: 3.6M expected, standard deviation about 1,900.
        assertThat(r.requests()).isBetween(3_590_000L, 3_610_000L);
        assertThat(r.phases()).hasSize(6);
        // Zone r1/z1 failing: its 10 endpoints are ejected and stay out (the zone fails for 10 minutes).
        assertThat(r.faults().get(0).outcomes().get(0).settled()).isTrue();
        // Region r1 scaled to zero: the next priority takes over with no errors of its own.
        assertThat(r.faults().get(2).outcomes().get(0).settledNanos()).isZero();
        System.out.println(TextReport.speed(r));
    }
}
