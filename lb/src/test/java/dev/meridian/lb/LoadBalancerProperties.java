package dev.meridian.lb;

import dev.meridian.lb.internal.LoadBalancer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.internal.PriorityLoad;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of Envoy's priority load and of host selection over random tables. Load arithmetic
 * follows {@code load_balancer_impl.cc} ({@code recalculatePerPriorityState}); selection follows
 * {@code hostSourceToUse} and the per-policy files.
 */
class LoadBalancerProperties {

    private static final Locality[] LOCALITIES = {Tables.X, Tables.Y, Tables.Z};
    private static final HealthStatus[] HEALTH = {HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, HealthStatus.DEGRADED};

    /** Significance level of the goodness-of-fit test below. */
    private static final double ALPHA = 0.001;

    /** A host code packs priority (0..2), locality (0..2), health (0..2) and weight (1..4). */
    @Provide
    Arbitrary<List<Integer>> hosts() {
        return Arbitraries.integers().between(0, 107).list().ofMinSize(1).ofMaxSize(40);
    }

    @Provide
    Arbitrary<List<Integer>> localityWeights() {
        return Arbitraries.integers().between(0, 3).list().ofSize(9);
    }

    static EndpointTable table(List<Integer> codes, List<Integer> localityWeights) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < codes.size(); i++) {
            int c = codes.get(i);
            int priority = c % 3;
            int locality = c / 3 % 3;
            b.add(Tables.endpoint(i, LOCALITIES[locality], HEALTH[c / 9 % 3], 1 + c / 27 % 4), priority,
                    localityWeights.get(priority * 3 + locality));
        }
        return b.build();
    }

    @Property
    void loadsSumTo100(@ForAll @Size(min = 1, max = 6) List<@IntRange(min = 0, max = 50) Integer> hosts,
                       @ForAll @Size(min = 6, max = 6) List<@IntRange(min = 0, max = 50) Integer> healthy,
                       @ForAll @Size(min = 6, max = 6) List<@IntRange(min = 0, max = 50) Integer> degraded,
                       @ForAll @IntRange(min = 1, max = 300) int factor,
                       @ForAll @IntRange(min = 0, max = 100) int threshold) {
        int n = hosts.size();
        int[] total = new int[n];
        int[] h = new int[n];
        int[] d = new int[n];
        for (int p = 0; p < n; p++) {
            total[p] = hosts.get(p);
            h[p] = Math.min(total[p], healthy.get(p));
            d[p] = Math.min(total[p] - h[p], degraded.get(p));
        }
        PriorityLoad load = PriorityLoad.compute(total, h, d, factor, threshold);
        int sum = 0;
        for (int p = 0; p < n; p++) {
            assertThat(load.healthyLoad(p)).isBetween(0, 100);
            assertThat(load.degradedLoad(p)).isBetween(0, 100);
            sum += load.healthyLoad(p) + load.degradedLoad(p);
        }
        assertThat(sum).isEqualTo(100);
    }

    @Property
    void planLoadsSumTo100(@ForAll("hosts") List<Integer> codes, @ForAll("localityWeights") List<Integer> lw,
                           @ForAll @IntRange(min = 0, max = 100) int threshold) {
        LoadPlan plan = Tables.balancer(LbConfig.builder().panicThreshold(threshold).build(), table(codes, lw)).plan();
        assertThat(plan.priorities().stream().mapToInt(p -> p.healthyLoad() + p.degradedLoad()).sum()).isEqualTo(100);
    }

    /**
     * Turning one unhealthy host healthy never lowers its priority's load. Panic is disabled: with
     * panic on, leaving total panic switches Envoy from a split by host count to a split by
     * availability, which can lower a level's load (see {@code PanicTest}).
     */
    @Property
    void moreHealthyHostsNeverLowerThatPriorityLoad(@ForAll("hosts") List<Integer> codes,
                                                    @ForAll @IntRange(min = 0, max = 39) int which,
                                                    @ForAll @IntRange(min = 100, max = 200) int factor) {
        int index = which % codes.size();
        int code = codes.get(index);
        if (HEALTH[code / 9 % 3] != HealthStatus.UNHEALTHY) {
            return;
        }
        List<Integer> better = new ArrayList<>(codes);
        better.set(index, code - 9);
        List<Integer> none = List.of(0, 0, 0, 0, 0, 0, 0, 0, 0);
        LbConfig config = LbConfig.builder().panicThreshold(0).overprovisioningFactor(factor).build();
        int priority = code % 3;
        LoadPlan before = Tables.balancer(config, table(codes, none)).plan();
        LoadPlan after = Tables.balancer(config, table(better, none)).plan();
        PriorityPlan b = before.priorities().get(priority);
        PriorityPlan a = after.priorities().get(priority);
        assertThat(a.healthyLoad() + a.degradedLoad()).isGreaterThanOrEqualTo(b.healthyLoad() + b.degradedLoad());
    }

    @Property
    void withPanicDisabledNoUnavailableHostIsPicked(@ForAll("hosts") List<Integer> codes,
                                                     @ForAll("localityWeights") List<Integer> lw,
                                                     @ForAll LbPolicy policy,
                                                     @ForAll boolean localityWeighted,
                                                     @ForAll @Size(max = 5) List<@IntRange(min = 0, max = 39) Integer> eject) {
        EndpointTable table = table(codes, lw);
        LoadBalancer lb = LoadBalancer.create(LbConfig.builder().policy(policy).panicThreshold(0)
                .localityWeighted(localityWeighted).build(), table, RandomSource.seeded(codes.hashCode()), Clocks.manual());
        BitSet ejected = new BitSet();
        eject.forEach(ejected::set);
        lb.setEjected(table, ejected);
        for (int i = 0; i < 300; i++) {
            int h = i % 2 == 0 ? lb.pick() : lb.pick(i * 0x9E3779B97F4A7C15L);
            if (h != LoadBalancer.NO_ENDPOINT) {
                HealthStatus s = table.health(h);
                assertThat(s == HealthStatus.HEALTHY || s == HealthStatus.DEGRADED).as("health of %d", h).isTrue();
                assertThat(ejected.get(h)).as("ejected %d", h).isFalse();
            }
        }
    }

    /**
     * Seeded picks match {@code plan()}'s host shares: Pearson's chi-square over hosts (cells with
     * an expected count below 5 pooled, requests that find no host a cell of their own) must not
     * reject at significance level {@link #ALPHA}. Seeds are fixed, so the outcome is repeatable.
     */
    @Property(tries = 40, seed = "20240607")
    void pickDistributionMatchesPlan(@ForAll("hosts") List<Integer> codes, @ForAll("localityWeights") List<Integer> lw,
                                     @ForAll boolean random, @ForAll boolean localityWeighted,
                                     @ForAll boolean panicDisabled) {
        EndpointTable table = table(codes, lw);
        LbConfig config = LbConfig.builder().policy(random ? LbPolicy.RANDOM : LbPolicy.ROUND_ROBIN)
                .localityWeighted(localityWeighted).panicThreshold(panicDisabled ? 0 : 50).build();
        LoadBalancer lb = LoadBalancer.create(config, table, RandomSource.seeded(7), Clocks.manual());
        double[] expectedShare = new double[table.size() + 1];
        double planned = 0;
        for (PriorityPlan p : lb.plan().priorities()) {
            for (LocalityPlan l : p.localities()) {
                for (HostPlan h : l.hosts()) {
                    expectedShare[h.hostId()] = h.share() / 100;
                    planned += h.share() / 100;
                }
            }
        }
        expectedShare[table.size()] = Math.max(0, 1 - planned);
        int picks = 20_000;
        long[] observed = new long[table.size() + 1];
        for (int i = 0; i < picks; i++) {
            int h = lb.pick();
            observed[h == LoadBalancer.NO_ENDPOINT ? table.size() : h]++;
        }
        double statistic = 0;
        int cells = 0;
        double pooledExpected = 0;
        long pooledObserved = 0;
        for (int i = 0; i < observed.length; i++) {
            double expected = expectedShare[i] * picks;
            if (expectedShare[i] < 1e-12) {
                assertThat(observed[i]).as("picks of host %d, planned share 0", i).isZero();
                continue;
            }
            if (expected < 5) {
                pooledExpected += expected;
                pooledObserved += observed[i];
                continue;
            }
            statistic += (observed[i] - expected) * (observed[i] - expected) / expected;
            cells++;
        }
        if (pooledExpected > 0) {
            statistic += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / pooledExpected;
            cells++;
        }
        if (cells < 2) {
            return;
        }
        double pValue = ChiSquare.upperTail(cells - 1, statistic);
        assertThat(pValue).as("chi-square %.2f on %d degrees of freedom", statistic, cells - 1)
                .isGreaterThan(ALPHA);
    }
}
