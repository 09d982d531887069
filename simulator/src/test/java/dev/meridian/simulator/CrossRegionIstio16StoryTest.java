package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.IstioRelease;
import dev.meridian.lb.LbPolicy;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The seed's cross-region rule as written ({@code consecutiveErrors: 5}, no {@code maxEjectionPercent})
 * under {@code istioVersion: "1.6"}: Istio 1.6 maps the field to consecutive gateway errors
 * ({@code pilot/pkg/networking/core/v1alpha3/cluster.go} {@code applyOutlierDetection}, until
 * istio/istio#24087 in 1.7), so r1's 503s count; Envoy 1.14's {@code ejectHost} compares the share
 * ejected before the host with the default 10% ({@code 100 × active / hosts < max}, until
 * envoyproxy/envoy#27624 and #27909 in 1.27), so the first r1 host is ejected and the second refused.
 * P0 keeps one healthy host of two (health 1.4 × 1/2 = 70%), so most traffic keeps going to the failing
 * host until r1 is scaled to zero, when r2 (v3) serves everything.
 */
@DisplayName("cross-region under Istio 1.6: one ejection, errors continue, r2 serves once r1 is scaled to zero")
class CrossRegionIstio16StoryTest {
    static final long MINUTE = 60_000_000_000L;

    static Scenario scenario;
    static SimulationResult story;

    @BeforeAll
    static void run() {
        scenario = Scenarios.load("cross-region-istio-1.6");
        story = Runs.run(scenario);
    }

    @Test
    @DisplayName("the scenario names Istio 1.6 (Envoy 1.14), the caller's port, and the 1.6 translation: gateway 5 @100, 5xx @0, old cap rule, uncapped ejection time, ROUND_ROBIN by default")
    void rulesOfIstio16() {
        assertThat(scenario.istioRelease()).isEqualTo(IstioRelease.parse("1.6"));
        assertThat(scenario.callerPort()).isEqualTo(9080);
        var outlier = scenario.policy().outlier();
        assertThat(outlier.consecutiveGatewayFailure()).isEqualTo(5);
        assertThat(outlier.enforcingConsecutiveGatewayFailure()).isEqualTo(100);
        assertThat(outlier.enforcingConsecutive5xx()).isZero();
        assertThat(outlier.maxEjectionPercent()).isEqualTo(10);
        assertThat(outlier.ejectionCapCountsThisHost()).isFalse();
        assertThat(outlier.ejectionTimeCapped()).isFalse();
        assertThat(scenario.policy().lb().policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
    }

    @Test
    @DisplayName("r1 fails with 503 at 5m: exactly one r1 host is ejected, and errors continue for the rest of the phase")
    void oneEjectionAndErrorsContinue() {
        List<SimulationResult.Event> ejections = story.events().stream()
                .filter(e -> e.type() == SimulationResult.EventType.EJECTED
                        && e.atNanos() >= 5 * MINUTE && e.atNanos() < 9 * MINUTE).toList();
        assertThat(ejections).hasSize(1);
        SimulationResult.Phase failing = story.phases().get(1);
        assertThat(failing.startNanos()).isEqualTo(5 * MINUTE);
        // The surviving r1 host keeps P0's 70% and fails it: far more than the handful of errors a failover costs.
        assertThat(failing.errorRate()).isBetween(0.6, 0.8);
        assertThat(failing.versionShare(story.endpoints(), "v3")).isBetween(0.25, 0.35);
        SimulationResult.FaultResult fail = story.faults().get(0);
        assertThat(fail.outcomes().get(0).settled()).as("traffic never leaves the failing host").isFalse();
    }

    @Test
    @DisplayName("r1 scaled to zero at 25m: r2 (v3) serves every request, without errors")
    void scaleToZeroMovesEverythingToR2() {
        SimulationResult.Phase removed = story.phases().get(4);
        assertThat(removed.startNanos()).isEqualTo(25 * MINUTE);
        assertThat(removed.errors()).isZero();
        assertThat(removed.versionShare(story.endpoints(), "v3")).isEqualTo(1.0);
    }
}
