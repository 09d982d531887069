package dev.meridian.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.internal.LoadBalancer;
import java.util.BitSet;
import java.util.Map;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.I_Result;

/**
 * A pick racing an update sees the old snapshot or the new one, never a mix.
 *
 * <p>The two tables are chosen so that each snapshot has exactly one possible answer and any mix
 * of their parts has a different one: the old table has one healthy host (id 0); the new table has
 * two unhealthy hosts and one healthy host (id 2), with panic disabled. Taking the new table's
 * priority load or health with the old host lists, or the reverse, would pick id 1, an id out of
 * range, or no host.
 */
public final class PickDuringUpdateStress {

    static final EndpointTable OLD = EndpointTable.builder()
            .add(endpoint("10.0.0.1", HealthStatus.HEALTHY)).build();
    static final EndpointTable NEW = EndpointTable.builder()
            .add(endpoint("10.0.0.2", HealthStatus.UNHEALTHY))
            .add(endpoint("10.0.0.3", HealthStatus.UNHEALTHY))
            .add(endpoint("10.0.0.4", HealthStatus.HEALTHY)).build();

    static Endpoint endpoint(String host, HealthStatus health) {
        return new Endpoint(host, 8080, Locality.of("r", "z", ""), Map.of(), 1, health, Endpoint.NO_PRIORITY);
    }

    static LoadBalancer balancer(LbPolicy policy, EndpointTable table) {
        return LoadBalancer.create(LbConfig.builder().policy(policy).panicThreshold(0).build(), table,
                RandomSource.threadLocal(), Clocks.system());
    }

    /** Round robin: the lock-free rotation reads one snapshot per pick. */
    @JCStressTest
    @Description("pick() racing update(): old or new snapshot, never a mix")
    @Outcome(id = "0", expect = ACCEPTABLE, desc = "the pick saw the old snapshot")
    @Outcome(id = "2", expect = ACCEPTABLE, desc = "the pick saw the new snapshot")
    @Outcome(expect = FORBIDDEN, desc = "parts of both snapshots, or no host")
    @State
    public static class RoundRobin {
        final LoadBalancer lb = balancer(LbPolicy.ROUND_ROBIN, OLD);

        @Actor
        public void update() {
            lb.update(NEW);
        }

        @Actor
        public void pick(I_Result r) {
            r.r1 = lb.pick();
        }
    }

    /** Least request: the active-request counters are carried into the new snapshot by address. */
    @JCStressTest
    @Description("pick() racing update() with least request: old or new snapshot, never a mix")
    @Outcome(id = "0", expect = ACCEPTABLE, desc = "the pick saw the old snapshot")
    @Outcome(id = "2", expect = ACCEPTABLE, desc = "the pick saw the new snapshot")
    @Outcome(expect = FORBIDDEN, desc = "parts of both snapshots, or no host")
    @State
    public static class LeastRequest {
        final LoadBalancer lb = balancer(LbPolicy.LEAST_REQUEST, OLD);

        @Actor
        public void update() {
            lb.update(NEW);
        }

        @Actor
        public void pick(I_Result r) {
            r.r1 = lb.pick();
        }
    }

    /** Maglev: the hash table of the chosen priority belongs to the same snapshot as the load. */
    @JCStressTest
    @Description("pick(hash) racing update() with Maglev: old or new snapshot, never a mix")
    @Outcome(id = "0", expect = ACCEPTABLE, desc = "the pick saw the old snapshot")
    @Outcome(id = "2", expect = ACCEPTABLE, desc = "the pick saw the new snapshot")
    @Outcome(expect = FORBIDDEN, desc = "parts of both snapshots, or no host")
    @State
    public static class Maglev {
        final LoadBalancer lb = LoadBalancer.create(LbConfig.builder().policy(LbPolicy.MAGLEV).maglevTableSize(251)
                .panicThreshold(0).build(), OLD, RandomSource.threadLocal(), Clocks.system());

        @Actor
        public void update() {
            lb.update(NEW);
        }

        @Actor
        public void pick(I_Result r) {
            r.r1 = lb.pick(0x9E3779B97F4A7C15L);
        }
    }

    /**
     * An ejection racing a pick. Host 0 is at priority 0, host 1 at priority 1; ejecting host 0
     * sends all traffic to priority 1. A mix (the new load with the old health, or the reverse)
     * would find no host at the chosen priority.
     */
    @JCStressTest
    @Description("pick() racing setEjected(): before or after the ejection, never a mix")
    @Outcome(id = "0", expect = ACCEPTABLE, desc = "the pick saw the snapshot before the ejection")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "the pick saw the snapshot after the ejection")
    @Outcome(expect = FORBIDDEN, desc = "parts of both snapshots, or no host")
    @State
    public static class Ejection {
        static final EndpointTable TWO_PRIORITIES = EndpointTable.builder()
                .add(endpoint("10.0.1.1", HealthStatus.HEALTHY), 0, 0)
                .add(endpoint("10.0.1.2", HealthStatus.HEALTHY), 1, 0).build();
        static final BitSet FIRST = new BitSet();

        static {
            FIRST.set(0);
        }

        final LoadBalancer lb = balancer(LbPolicy.ROUND_ROBIN, TWO_PRIORITIES);

        @Actor
        public void eject() {
            lb.setEjected(TWO_PRIORITIES, FIRST);
        }

        @Actor
        public void pick(I_Result r) {
            r.r1 = lb.pick();
        }
    }
}
