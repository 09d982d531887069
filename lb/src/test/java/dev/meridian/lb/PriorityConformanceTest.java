package dev.meridian.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.EndpointTable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Envoy's worked examples for priority levels, degraded hosts and the panic threshold, each row
 * built as a table of 100 hosts per priority. The arithmetic is Envoy's
 * {@code source/extensions/load_balancing_policies/common/load_balancer_impl.cc}
 * ({@code recalculatePerPriorityState}, {@code recalculatePerPriorityPanic},
 * {@code recalculateLoadInTotalPanic}); where a documentation table disagrees with that source, the
 * row says so and follows the source.
 */
class PriorityConformanceTest {

    /**
     * The priority and degraded documents describe load without panic (the panic threshold
     * document covers that), so their examples run with panic disabled.
     */
    private static final LbConfig NO_PANIC = LbConfig.builder().panicThreshold(0).build();

    private static LoadPlan planWithoutPanic(EndpointTable table) {
        return Tables.balancer(NO_PANIC, table).plan();
    }

    private static int[] loads(LoadPlan plan, boolean degraded) {
        return plan.priorities().stream()
                .mapToInt(p -> degraded ? p.degradedLoad() : p.healthyLoad()).toArray();
    }

    @DisplayName("intro/arch_overview/upstream/load_balancing/priority: two levels, P=1 fully healthy")
    @ParameterizedTest(name = "P0 {0}% healthy -> {1}% / {2}%")
    @CsvSource({"100,100,0", "72,100,0", "71,99,1", "50,70,30", "25,35,65", "0,0,100"})
    void twoLevelsP1Healthy(int p0Healthy, int toP0, int toP1) {
        LoadPlan plan = planWithoutPanic(Tables.priorities(new int[] {100, p0Healthy}, new int[] {100, 100}));
        assertThat(loads(plan, false)).containsExactly(toP0, toP1);
    }

    @DisplayName("intro/arch_overview/upstream/load_balancing/priority: two levels, both degrading")
    @ParameterizedTest(name = "P0 {0}%, P1 {1}% healthy -> {2}% / {3}%")
    @CsvSource({"100,100,100,0", "72,72,100,0", "71,71,99,1", "50,50,70,30", "25,100,35,65", "25,25,50,50"})
    void twoLevels(int p0, int p1, int toP0, int toP1) {
        LoadPlan plan = planWithoutPanic(Tables.priorities(new int[] {100, p0}, new int[] {100, p1}));
        assertThat(loads(plan, false)).containsExactly(toP0, toP1);
    }

    @DisplayName("intro/arch_overview/upstream/load_balancing/priority: three levels")
    @ParameterizedTest(name = "{0}%/{1}%/{2}% healthy -> {3}%/{4}%/{5}%")
    @CsvSource({
        "100,100,100,100,0,0",
        "72,72,100,100,0,0",
        "71,71,100,99,1,0",
        "50,50,100,70,30,0",
        "25,100,100,35,65,0",
        "25,25,100,35,35,30",
        // The document shows 36/36/28. Envoy's source computes health 35/35/28 (sum 98), gives
        // 3500/98 = 35, 35 and 2800/98 = 28, and hands the 2 left over to the first priority with
        // healthy availability: 37/35/28. The source wins.
        "25,25,20,37,35,28"})
    void threeLevels(int p0, int p1, int p2, int toP0, int toP1, int toP2) {
        LoadPlan plan = planWithoutPanic(Tables.priorities(new int[] {100, p0}, new int[] {100, p1},
                new int[] {100, p2}));
        assertThat(loads(plan, false)).containsExactly(toP0, toP1, toP2);
    }

    @DisplayName("intro/arch_overview/upstream/load_balancing/priority: health {20, 30} normalizes to {40%, 60%}")
    @ParameterizedTest(name = "health {0}/{1}")
    @CsvSource({"20,30,40,60"})
    void normalizedTotalHealth(int health0, int health1, int toP0, int toP1) {
        // 100 hosts per level: health = 140 × healthy / 100, so 15 healthy -> 21 and 22 -> 30.
        // Health exactly 20 needs 1/7 of the hosts healthy: 7 hosts, 1 healthy -> 140/7 = 20.
        EndpointTable table = Tables.priorities(new int[] {7, 1}, new int[] {14, 3});
        LoadPlan plan = planWithoutPanic(table);
        assertThat(health0).isEqualTo(140 * 1 / 7);
        assertThat(health1).isEqualTo(140 * 3 / 14);
        assertThat(loads(plan, false)).containsExactly(toP0, toP1);
    }

    @DisplayName("intro/arch_overview/upstream/load_balancing/degraded: one level, healthy/degraded/unhealthy")
    @ParameterizedTest(name = "{0}/{1}/{2} -> healthy {3}%, degraded {4}%")
    @CsvSource({"100,0,0,100,0", "71,0,29,100,0", "71,29,0,99,1", "25,65,10,35,65", "5,0,95,100,0"})
    void degraded(int healthy, int degraded, int unhealthy, int toHealthy, int toDegraded) {
        LoadPlan plan = planWithoutPanic(Tables.priorities(new int[] {healthy + degraded + unhealthy, healthy, degraded}));
        assertThat(loads(plan, false)).containsExactly(toHealthy);
        assertThat(loads(plan, true)).containsExactly(toDegraded);
    }

    @DisplayName("intro/arch_overview/upstream/load_balancing/panic_threshold: P=1 fully healthy, never in panic")
    @ParameterizedTest(name = "P0 {0}% -> {1}%/{2}%")
    @CsvSource({"72,100,0", "71,99,1", "50,70,30", "25,35,65", "0,0,100"})
    void panicWithHealthyP1(int p0, int toP0, int toP1) {
        LoadPlan plan = Tables.plan(Tables.priorities(new int[] {100, p0}, new int[] {100, 100}));
        assertThat(loads(plan, false)).containsExactly(toP0, toP1);
        assertThat(plan.priorities()).noneMatch(PriorityPlan::panic);
    }

    @DisplayName("intro/arch_overview/upstream/load_balancing/panic_threshold: both levels degrading")
    @ParameterizedTest(name = "P0 {0}%, P1 {1}% -> {2}%/{3}%, panic {4}/{5}")
    @CsvSource({
        "72,72,100,0,false,false",
        "71,71,99,1,false,false",
        // The document shows 50/50 for 50%/60% and 25/75 for 25%/100%, leaving out the
        // overprovisioning factor. Envoy's source computes health 70 and 84 (normalized 100) and
        // gives P0 70, P1 30; and health 35 and 100, giving 35/65. The source wins.
        "50,60,70,30,false,false",
        "25,100,35,65,false,false",
        // Normalized total 70: both in panic, load split by host count.
        "25,25,50,50,true,true",
        // The document shows 7/93. Envoy's source computes health 7 and 91 (normalized 98),
        // 700/98 = 7 and 9100/98 = 92, and gives the 1 left over to P0: 8/92. The source wins.
        "5,65,8,92,true,false"})
    void panicBothDegrading(int p0, int p1, int toP0, int toP1, boolean panic0, boolean panic1) {
        LoadPlan plan = Tables.plan(Tables.priorities(new int[] {100, p0}, new int[] {100, p1}));
        assertThat(loads(plan, false)).containsExactly(toP0, toP1);
        assertThat(plan.priorities().get(0).panic()).isEqualTo(panic0);
        assertThat(plan.priorities().get(1).panic()).isEqualTo(panic1);
    }
}
