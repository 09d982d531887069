package dev.meridian.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
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
import java.util.Map;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Two threads take the first picks of a new round-robin balancer at once, so both may start a
 * stripe: each stripe starts once, at one place, and the first stripes to start are the seed's.
 *
 * <p>The balancer rotates over 16 equal hosts and its random source is seeded with 7, whose first
 * draw (where the first stripe to start begins) is host 7 of the rotation; the second stripe to
 * start begins 2^64 / φ further on, host 12. On different stripes the two picks are 7 and 12, in
 * either order. On one stripe both threads use the start that won its compare-and-set (7, or 12 when
 * the thread that counted second won) and take its first two values, or both the first (a counter
 * step is an opaque read and write, lossy when one stripe's threads pick at the same instant). A
 * pick from a stripe read before its start was set would be host 0 or 1; two starts for one stripe
 * would pair 7 with 13 or 8 with 12.
 */
@JCStressTest
@Description("first picks of two threads: each stripe starts once, at the seed's places")
@Outcome(id = {"7, 12", "12, 7"}, expect = ACCEPTABLE, desc = "two stripes: the first to start at the seed, the second 2^64/φ on")
@Outcome(id = {"7, 8", "8, 7", "12, 13", "13, 12"}, expect = ACCEPTABLE, desc = "one stripe, started once: its first two values")
@Outcome(id = {"7, 7", "12, 12"}, expect = ACCEPTABLE_INTERESTING, desc = "one stripe, both read the counter before either wrote it")
@Outcome(expect = FORBIDDEN, desc = "a stripe read before it started, or started twice")
@State
public class StripeStartStress {
    static final int HOSTS = 16;
    static final long SEED = 7;
    static final EndpointTable TABLE = table();

    static {
        // The outcomes above are the seed's first draw, and the draw 2^64 / φ on, below 2^62 and modulo 16.
        long first = RandomSource.seeded(SEED).nextLong();
        long mask = (1L << 62) - 1;
        if (Long.remainderUnsigned(first & mask, HOSTS) != 7
                || Long.remainderUnsigned((first + 0x9E3779B97F4A7C15L) & mask, HOSTS) != 12) {
            throw new IllegalStateException("seed " + SEED + " no longer starts at hosts 7 and 12");
        }
    }

    final LoadBalancer lb = LoadBalancer.create(LbConfig.builder().policy(LbPolicy.ROUND_ROBIN).build(), TABLE,
            RandomSource.seeded(SEED), Clocks.system());

    static EndpointTable table() {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < HOSTS; i++) {
            b.add(new Endpoint("10.0.0." + (i + 1), 8080, Locality.of("r", "z", ""), Map.of(), 1,
                    HealthStatus.HEALTHY, Endpoint.NO_PRIORITY));
        }
        return b.build();
    }

    @Actor
    public void first(II_Result r) {
        r.r1 = lb.pick();
    }

    @Actor
    public void second(II_Result r) {
        r.r2 = lb.pick();
    }
}
