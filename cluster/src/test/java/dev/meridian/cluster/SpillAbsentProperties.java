package dev.meridian.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.SpillConfig;
import dev.meridian.lb.internal.LoadBalancer;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Spill-over changes nothing unless it diverts: over random tables (priorities, localities, locality
 * weights, health, host weights), every policy, locality weighting on or off and any seed, a
 * {@link Cluster} without spill-over, and one with spill-over at rest (its evaluations running, with
 * no request in flight), pick the same hosts in the same order as the balancer the pick path had
 * before spill-over existed ({@link LoadBalancer}, whose picks never pass a fraction).
 */
class SpillAbsentProperties {

    private static final Locality[] LOCALITIES = {
        Locality.of("r1", "z1", ""), Locality.of("r1", "z2", ""), Locality.of("r2", "z1", "")};
    private static final HealthStatus[] HEALTH = {HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, HealthStatus.DEGRADED};

    /** A host code packs priority (0..2), locality (0..2), health (0..2) and weight (1..4). */
    @Provide
    Arbitrary<List<Integer>> hosts() {
        return Arbitraries.integers().between(0, 107).list().ofMinSize(1).ofMaxSize(30);
    }

    /** The weight of each (priority, locality), 0 for none. */
    @Provide
    Arbitrary<List<Integer>> localityWeights() {
        return Arbitraries.integers().between(0, 3).list().ofSize(9);
    }

    private static EndpointTable table(List<Integer> codes, List<Integer> localityWeights) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < codes.size(); i++) {
            int c = codes.get(i);
            int priority = c % 3;
            int locality = c / 3 % 3;
            b.add(new Endpoint("10.0." + (i / 250) + "." + (i % 250 + 1), 80, LOCALITIES[locality], Map.of(),
                    1 + c / 27 % 4, HEALTH[c / 9 % 3], Endpoint.NO_PRIORITY), priority,
                    localityWeights.get(priority * 3 + locality));
        }
        return b.build();
    }

    @Property(tries = 300)
    void picksAreTheBalancersWithoutSpillOrAtRest(@ForAll("hosts") List<Integer> codes,
                                                 @ForAll("localityWeights") List<Integer> localityWeights,
                                                 @ForAll LbPolicy policy, @ForAll boolean localityWeighted,
                                                 @ForAll long seed) {
        EndpointTable table = table(codes, localityWeights);
        LbConfig config = LbConfig.builder().policy(policy).localityWeighted(localityWeighted).build();
        LoadBalancer reference = LoadBalancer.create(config, table, RandomSource.seeded(seed), Clocks.manual());
        ManualClock clock = Clocks.manual();
        Cluster without = Cluster.builder(config).endpoints(table).clock(Clocks.manual())
                .random(RandomSource.seeded(seed)).build();
        Cluster atRest = Cluster.builder(config.withSpill(SpillConfig.of(10))).endpoints(table).clock(clock)
                .random(RandomSource.seeded(seed)).build();
        for (int i = 0; i < 200; i++) {
            if (i % 20 == 0) {
                // An evaluation with nothing in flight: the state stays at rest.
                clock.advance(atRest.nextDeadlineNanos() - clock.nanoTime());
                atRest.drain();
                assertThat(atRest.spill().active()).isFalse();
            }
            int id = reference.pick();
            String expected = id < 0 ? null : table.address(id);
            Host a = without.pick();
            Host b = atRest.pick();
            assertThat(a == null ? null : a.address()).isEqualTo(expected);
            assertThat(b == null ? null : b.address()).isEqualTo(expected);
        }
    }
}
