package dev.meridian.lb;

import dev.meridian.lb.internal.LoadBalancer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import dev.meridian.core.ManualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pick path allocates nothing: after warm-up, many picks (and least-request bookkeeping) must
 * not move this thread's allocated-bytes counter
 * ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}). Counted in bytes, not timed.
 * The tables mix weights, health, localities and priorities so that the weighted, locality, zone
 * and slow-start paths all run.
 */
class AllocationFreePickTest {

    private static final int WARM_UP = 30_000;
    private static final int MEASURED = 100_000;
    /** Room for the counter reads themselves; far below one byte per pick. */
    private static final long SLACK_BYTES = 1024;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (LbPolicy policy : LbPolicy.values()) {
            for (int size : new int[] {10, 10_000}) {
                out.add(Arguments.of(policy, size, "locality weighted, slow start"));
                out.add(Arguments.of(policy, size, "zone aware"));
            }
        }
        return out.stream();
    }

    private static EndpointTable table(int size, int firstId) {
        Locality[] ls = {Tables.X, Tables.Y, Tables.Z};
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < size; i++) {
            HealthStatus h = i % 10 == 3 ? HealthStatus.UNHEALTHY : i % 10 == 7 ? HealthStatus.DEGRADED
                    : HealthStatus.HEALTHY;
            int priority = i < size * 3 / 4 ? 0 : 1;
            b.add(Tables.endpoint(firstId + i, ls[i % 3], h, 1 + i % 3), priority, 1 + i % 3);
        }
        return b.build();
    }

    @DisplayName("pick(), pick(hash) and pickEndpoint allocate nothing in steady state")
    @ParameterizedTest(name = "{0}, {1} endpoints, {2}")
    @MethodSource("cases")
    void pickAllocatesNothing(LbPolicy policy, int size, String variant) {
        ManualClock clock = Clocks.manual();
        LbConfig.Builder config = LbConfig.builder().policy(policy);
        if (variant.startsWith("locality")) {
            config.localityWeighted(true).slowStart(SlowStartConfig.of(Duration.ofMinutes(10)));
        } else {
            config.zoneAware(ZoneAwareConfig.builder().localLocality(Tables.X)
                    .localHealthyHosts(Tables.X, 5).localHealthyHosts(Tables.Y, 1).localHealthyHosts(Tables.Z, 1)
                    .build());
        }
        EndpointTable first = table(size, 0);
        LoadBalancer lb = LoadBalancer.create(config.build(), first, RandomSource.seeded(size), clock);
        // Add hosts after creation so that slow start is in force.
        EndpointTable.Builder more = EndpointTable.builder();
        for (int h = 0; h < first.size(); h++) {
            more.add(first.endpoint(h), first.priority(h), first.localityWeight(h));
        }
        more.add(Tables.endpoint(1 << 20, Tables.X, HealthStatus.HEALTHY, 2), 0, 1);
        lb.update(more.build());
        clock.advance(Duration.ofSeconds(30).toNanos());

        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        threads.getThreadAllocatedBytes(thread);
        long sink = run(lb, WARM_UP, 0);
        long before = threads.getThreadAllocatedBytes(thread);
        sink += run(lb, MEASURED, 1);
        long after = threads.getThreadAllocatedBytes(thread);
        assertThat(sink).isNotZero();
        assertThat(after - before).as("bytes allocated by %d picks", MEASURED).isLessThan(SLACK_BYTES);
    }

    @org.junit.jupiter.api.Test
    @DisplayName("the allocation counter used above does see an allocation (plan() allocates)")
    void counterSeesAllocation() {
        LoadBalancer lb = Tables.balancer(LbConfig.defaults(), table(10, 0));
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        threads.getThreadAllocatedBytes(thread);
        long before = threads.getThreadAllocatedBytes(thread);
        LoadPlan plan = lb.plan();
        long after = threads.getThreadAllocatedBytes(thread);
        assertThat(plan.priorities()).isNotEmpty();
        assertThat(after - before).isGreaterThan(SLACK_BYTES);
    }

    private static long run(LoadBalancer lb, int picks, long salt) {
        long sink = 1;
        for (int i = 0; i < picks; i++) {
            int h = lb.pick();
            lb.requestStarted(h);
            sink += h;
            int k = lb.pick(i * 0x9E3779B97F4A7C15L + salt);
            sink += k;
            sink += System.identityHashCode(lb.pickEndpoint());
            sink += System.identityHashCode(lb.pickEndpoint(i + salt));
            lb.requestFinished(h);
        }
        return sink;
    }
}
