package dev.meridian.soak;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * An hour of virtual time through one {@code Cluster}: churn, three picking threads, failure bursts,
 * ejections, sweeps and configuration changes, with every invariant of {@link ClusterSoak} checked
 * as it runs. {@code -Dsoak.seed=N} runs another script; a failure names its seed and step.
 */
class ClusterSoakTest {

    /** Heap growth allowed from warm-up to the end, both measured on the same reference state. */
    private static final double HEAP_TOLERANCE = 0.05;

    @Test
    @DisplayName("an hour of churn, picks, bursts and configuration changes breaks no invariant and leaves the heap flat")
    void virtualHour() {
        long seed = Long.getLong("soak.seed", 1);
        SoakReport report = ClusterSoak.run(ClusterSoak.Settings.virtualHour(seed));
        System.out.print(report.text());

        assertThat(report.failure()).as(report.text()).isNull();
        assertThat(report.steps()).isEqualTo(36_000);
        // The run exercised what it claims to: picks of every kind overlapping drains, churn,
        // ejections ended every way, bursts that had to end in an ejection, rests.
        assertThat(report.picks()).isGreaterThan(5_000_000);
        assertThat(report.excludingPicks()).isPositive();
        assertThat(report.hashPicks()).isPositive();
        assertThat(report.duringDrain()).isPositive();
        assertThat(report.picksOnHosts()).isEqualTo(report.picks() - report.nothing());
        assertThat(report.publications()).isGreaterThan(1_000);
        assertThat(report.updates()).isGreaterThan(500);
        assertThat(report.lbChanges()).isGreaterThan(20);
        assertThat(report.outlierChanges()).isGreaterThan(5);
        assertThat(report.ejections()).isGreaterThan(100);
        assertThat(report.returns()).isPositive();
        assertThat(report.endedByDeparture()).isPositive();
        assertThat(report.ejections())
                .isEqualTo(report.returns() + report.endedByDeparture() + report.ejectedAtEnd());
        assertThat(report.ejectionChecks()).isGreaterThan(5);
        assertThat(report.restChecks()).isEqualTo(60);
        assertThat(report.heapBefore()).isPositive();
        assertThat(report.heapGrowth()).as("heap growth, %,d to %,d bytes", report.heapBefore(), report.heapAfter())
                .isLessThan(HEAP_TOLERANCE);
    }
}
