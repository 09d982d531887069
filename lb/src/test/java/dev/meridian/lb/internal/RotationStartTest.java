package dev.meridian.lb.internal;

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
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Where round robin starts. Envoy seeds each worker's balancer with a random value
 * ({@code EdfLoadBalancerBase}: {@code seed_(random_.random())} in
 * {@code source/extensions/load_balancing_policies/common/load_balancer_impl.cc}) and starts every
 * host source's rotation there ({@code RoundRobinLoadBalancer::refreshHostSource},
 * {@code rr_indexes_.insert({source, seed_})} in {@code round_robin/round_robin_lb.h}), so workers
 * start at spread-out places. Meridian's stripes play the workers; a seeded balancer must still
 * pick the same hosts whichever thread picks and however many processors the machine has (both
 * decide which stripe a thread takes), or the simulator's runs would depend on the machine.
 *
 * <p>Threads run one after another, each joined before the next starts: no timing is involved.
 */
class RotationStartTest {

    private static final Locality HERE = Locality.of("r1", "z1", "");

    private static EndpointTable table(int hosts, int... weights) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < hosts; i++) {
            b.add(new Endpoint("10.0.0." + (i + 1), 8080, HERE, Map.of(), weights.length == 0 ? 1 : weights[i],
                    HealthStatus.HEALTHY, Endpoint.NO_PRIORITY));
        }
        return b.build();
    }

    private static Snapshot build(EndpointTable table, long seed) {
        boolean[] ejected = new boolean[table.size()];
        return Snapshot.build(LbConfig.builder().policy(LbPolicy.ROUND_ROBIN).build(), table, ejected,
                ActiveRequests.striped(table.size()), new long[table.size()], RandomSource.seeded(seed), 0);
    }

    private static int[] picks(Snapshot s, int count) {
        RandomSource random = RandomSource.seeded(1);
        ManualClock clock = Clocks.manual();
        int[] hosts = new int[count];
        for (int i = 0; i < count; i++) {
            hosts[i] = s.pick(random, clock);
        }
        return hosts;
    }

    /** Runs {@code work} on a new thread and waits for it. */
    private static <T> T onNewThread(Supplier<T> work) throws InterruptedException {
        AtomicReference<T> result = new AtomicReference<>();
        Thread t = new Thread(() -> result.set(work.get()));
        t.start();
        t.join();
        return result.get();
    }

    /** A thread's stripe, as {@link Sequences#stripe()} gives it on that thread. */
    private static int stripeOfNewThread() throws InterruptedException {
        return onNewThread(Sequences::stripe);
    }

    @Test
    @DisplayName("a seeded balancer picks the same hosts on a thread of another stripe")
    void theSameSeedPicksTheSameHostsOnEveryThread() throws InterruptedException {
        // Thread ids are hashed to stripes: new threads soon land on a stripe other than this one's.
        int here = Sequences.stripe();
        int tries = 0;
        while (stripeOfNewThread() == here) {
            assertThat(++tries).as("new threads that all hash to this thread's stripe").isLessThan(64);
        }
        for (int[] shape : new int[][] {{7}, {5, 1, 2, 3, 4, 5}}) {
            EndpointTable table = shape.length == 1 ? table(shape[0]) : table(shape[0],
                    Arrays.copyOfRange(shape, 1, shape.length));
            int[] mine = picks(build(table, 42), 40);
            // The first new thread whose stripe differs; the loop above showed there is one within reach.
            int[] theirs = null;
            for (int i = 0; i < 64 && theirs == null; i++) {
                theirs = onNewThread(() -> Sequences.stripe() == here ? null : picks(build(table, 42), 40));
            }
            assertThat(theirs).as("picks on a thread of another stripe, %d hosts", table.size()).isEqualTo(mine);
        }
    }

    @Test
    @DisplayName("threads picking from one balancer start at spread-out places, as Envoy's workers do")
    void threadsOfOneBalancerStartApart() throws InterruptedException {
        Snapshot s = build(table(1000), 42);
        HostSource source = s.levels()[0].healthy;
        int here = Sequences.stripe();
        long first = s.sequenceValue(source);
        Long other = null;
        for (int i = 0; i < 64 && other == null; i++) {
            other = onNewThread(() -> Sequences.stripe() == here ? null : s.sequenceValue(source));
        }
        // The second stripe to start is 2^64 / golden ratio further on (0.618 of the way round any
        // rotation), both kept below 2^62.
        long seeded = RandomSource.seeded(42).nextLong();
        assertThat(first).isEqualTo(seeded & Sequences.START_MASK);
        assertThat(other).isEqualTo((seeded + Sequences.STRIPE_OFFSET) & Sequences.START_MASK);
        assertThat(source.roundRobin(other)).isNotEqualTo(source.roundRobin(first));
    }

    /**
     * Two threads that start one stripe at the same time (the stripe is given, not hashed from
     * their ids) agree on where it starts: the compare-and-set's winner's place, the seed's start or
     * the one 2^64 / φ on (each below 2^62), and take its first two values, or both its first (a counter step is
     * lossy when one stripe's threads pick at the same instant). jcstress's
     * {@code StripeStartStress} races two threads through the balancer, where they take stripes by
     * their ids.
     */
    @Test
    @DisplayName("two threads starting one stripe at once agree on its start")
    void oneStripeStartsOnce() throws InterruptedException {
        long seed = 0x1234_5678_9ABC_DEF0L;
        for (int trial = 0; trial < 500; trial++) {
            Sequences sequences = new Sequences(1, seed);
            int base = Sequences.base(3, sequences.widthShift);
            long[] taken = new long[2];
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            Thread[] threads = new Thread[2];
            for (int t = 0; t < 2; t++) {
                int k = t;
                threads[t] = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    taken[k] = Sequences.take(sequences.values, base, base + Sequences.offset(0));
                });
                threads[t].start();
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            long start = Math.min(taken[0], taken[1]);
            assertThat(start).as("trial %d", trial).isIn(seed & Sequences.START_MASK,
                    (seed + Sequences.STRIPE_OFFSET) & Sequences.START_MASK);
            assertThat(Math.max(taken[0], taken[1]) - start).as("trial %d", trial).isBetween(0L, 1L);
            assertThat(sequences.values[base]).isEqualTo(start);
        }
    }

    @Test
    @DisplayName("the first stripe to pick starts where the balancer's random source says, whichever stripe it is")
    void theFirstStripeStartsAtTheSeed() throws InterruptedException {
        long seeded = RandomSource.seeded(42).nextLong() & Sequences.START_MASK;
        Snapshot here = build(table(7), 42);
        assertThat(here.sequenceValue(here.levels()[0].healthy)).isEqualTo(seeded);
        Long there = onNewThread(() -> {
            Snapshot s = build(table(7), 42);
            return s.sequenceValue(s.levels()[0].healthy);
        });
        assertThat(there).isEqualTo(seeded);
    }
}
