package dev.meridian.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.SlowStartConfig;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ClusterTest {

    private static final long SECOND = 1_000_000_000L;
    private final ManualClock clock = Clocks.manual();

    private Cluster.Builder builder(EndpointTable table) {
        return Cluster.builder(LbConfig.builder().panicThreshold(0).build()).endpoints(table).clock(clock)
                .random(RandomSource.seeded(7));
    }

    private static OutlierDetectionConfig ejectAll() {
        return OutlierDetectionConfig.builder().maxEjectionPercent(100).build();
    }

    @Test
    @DisplayName("bad input fails when it is built, naming the field and the value")
    void badInput() {
        assertThatThrownBy(() -> Cluster.builder(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lbConfig");
        assertThatThrownBy(() -> builder(Fixtures.hosts(1)).completionQueueCapacity(1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("completionQueueCapacity: must be >= 2, got 1");
        Cluster c = builder(Fixtures.hosts(1)).build();
        assertThatThrownBy(() -> c.update(null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("table");
        assertThatThrownBy(() -> c.setHealth(null, HealthStatus.HEALTHY)).hasMessageContaining("address");
        assertThatThrownBy(() -> c.setHealth("a:1", null)).hasMessageContaining("status");
        assertThatThrownBy(() -> c.configure((LbConfig) null)).hasMessageContaining("lbConfig");
        assertThatThrownBy(() -> c.runOn(null, Duration.ofSeconds(1))).hasMessageContaining("executor");
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            assertThatThrownBy(() -> c.runOn(executor, Duration.ZERO))
                    .hasMessage("period: must be positive, got PT0S");
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    @DisplayName("the pick path never throws: an empty set, a fully ejected set and a null handle give no endpoint")
    void noEndpoint() {
        Cluster empty = builder(EndpointTable.empty()).build();
        assertThat(empty.pick()).isNull();
        assertThat(empty.pick(42)).isNull();
        empty.record(null, 500);
        empty.requestStarted(null);
        empty.requestFinished(null);

        Cluster one = builder(Fixtures.hosts(1)).outlierDetection(ejectAll()).build();
        Host h = one.pick();
        for (int i = 0; i < 5; i++) {
            one.record(h, 503);
        }
        one.drain();
        assertThat(h.isEjected()).isTrue();
        assertThat(one.pick()).as("panic disabled, the only host ejected").isNull();
    }

    @Test
    @DisplayName("a health change and a configuration change wait for the drain, then apply in one publication each")
    void commandsApplyAtTheDrain() {
        Cluster c = builder(Fixtures.hosts(2)).build();
        c.setHealth(Fixtures.address(0), HealthStatus.UNHEALTHY);
        c.setHealth("10.255.255.255:1", HealthStatus.UNHEALTHY);
        assertThat(c.plan().priorities().get(0).healthy()).isEqualTo(2);
        assertThat(c.drain()).isEqualTo(2);
        assertThat(c.plan().priorities().get(0).healthy()).isEqualTo(1);
        for (int i = 0; i < 20; i++) {
            assertThat(c.pick().address()).isEqualTo(Fixtures.address(1));
        }
        c.configure(LbConfig.builder().policy(LbPolicy.RANDOM).panicThreshold(0).build());
        assertThat(c.plan().policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        c.drain();
        assertThat(c.plan().policy()).isEqualTo(LbPolicy.RANDOM);
        assertThat(c.publications()).isEqualTo(3);
    }

    @Test
    @DisplayName("switching outlier detection off returns every ejected host; on again starts with no ejections")
    void outlierDetectionOffAndOn() {
        Cluster c = builder(Fixtures.hosts(3)).outlierDetection(ejectAll()).build();
        Host h = c.hosts().get(0);
        for (int i = 0; i < 5; i++) {
            c.record(h, 500);
        }
        c.drain();
        assertThat(h.isEjected()).isTrue();
        c.configure((OutlierDetectionConfig) null);
        c.drain();
        assertThat(h.isEjected()).isFalse();
        assertThat(c.detector()).isNull();
        assertThat(c.plan().priorities().get(0).healthy()).isEqualTo(3);
        c.record(h, 500);
        c.configure(OutlierDetectionConfig.builder().consecutive5xx(2).maxEjectionPercent(100).build());
        c.drain();
        c.record(h, 500);
        c.record(h, 500);
        c.drain();
        assertThat(h.isEjected()).as("two 5xx under the new threshold").isTrue();
    }

    @Test
    @DisplayName("a run completed just as detection is switched off is dropped, and does not block the host's runs once it is on again")
    void handOverAcrossOffAndOn() {
        Cluster c = builder(Fixtures.hosts(3)).outlierDetection(ejectAll()).build();
        Host h = c.hosts().get(0);
        for (int i = 0; i < 5; i++) {
            c.record(h, 500);
        }
        // The hand-over is queued; the drain that switches detection off drops it.
        c.configure((OutlierDetectionConfig) null);
        c.drain();
        assertThat(h.isEjected()).isFalse();
        c.configure(ejectAll());
        c.drain();
        for (int i = 0; i < 5; i++) {
            c.record(h, 500);
        }
        c.drain();
        assertThat(h.isEjected()).as("a fresh run of five ejects: nothing stale left it marked").isTrue();
    }

    @Test
    @DisplayName("a handle removed while detection was off decides nothing once detection is on again")
    void removedHandleAfterOffAndOn() {
        Cluster c = builder(Fixtures.hosts(3)).outlierDetection(ejectAll()).build();
        Host removed = c.hosts().get(2);
        c.configure((OutlierDetectionConfig) null);
        c.drain();
        c.update(Fixtures.hosts(2));
        c.drain();
        c.configure(ejectAll());
        c.drain();
        for (int i = 0; i < 5; i++) {
            c.record(removed, 500);
        }
        assertThat(c.drain()).isEqualTo(1);
        assertThat(removed.isEjected()).isFalse();
        assertThat(c.detector().ejectedCount()).isZero();
        assertThat(c.hosts()).doesNotContain(removed);
    }

    @Test
    @DisplayName("slow start ends by a timed rebuild at the end of the window, with no command queued")
    void slowStartEndsWithATimedPublish() {
        Cluster c = Cluster.builder(LbConfig.builder().slowStart(SlowStartConfig.of(Duration.ofSeconds(30))).build())
                .endpoints(Fixtures.hosts(2)).clock(clock).random(RandomSource.seeded(1)).build();
        assertThat(c.nextDeadlineNanos()).as("the first hosts are not in slow start").isEqualTo(Long.MAX_VALUE);
        clock.advance(SECOND);
        c.update(Fixtures.hosts(3));
        c.drain();
        assertThat(c.nextDeadlineNanos()).isEqualTo(31 * SECOND);
        long published = c.publications();
        clock.advance(29 * SECOND);
        assertThat(c.drain()).isZero();
        clock.advance(2 * SECOND);
        assertThat(c.drain()).isEqualTo(1);
        assertThat(c.publications()).isEqualTo(published + 1);
        assertThat(c.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    @DisplayName("an Agrona AgentRunner can be the control thread: its agent's doWork returns drain()")
    void agentRunnerDrives() throws InterruptedException {
        CountDownLatch ejected = new CountDownLatch(1);
        AtomicReference<Thread> on = new AtomicReference<>();
        Cluster c = Cluster.builder(LbConfig.defaults()).endpoints(Fixtures.hosts(3)).outlierDetection(ejectAll())
                .listener(new EjectionListener() {
                    @Override
                    public void onEjected(EndpointTable t, int hostId, EjectionType type, long at, long until) {
                        on.set(Thread.currentThread());
                        ejected.countDown();
                    }

                    @Override
                    public void onReturned(EndpointTable t, int hostId, long at) {
                    }
                }).build();
        Agent agent = new Agent() {
            @Override
            public int doWork() {
                return c.drain();
            }

            @Override
            public String roleName() {
                return "meridian-cluster";
            }
        };
        AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), Throwable::printStackTrace, null, agent);
        Thread thread = AgentRunner.startOnThread(runner);
        try {
            Host h = c.hosts().get(1);
            for (int i = 0; i < 5; i++) {
                c.record(h, 502);
            }
            assertThat(ejected.await(1, TimeUnit.MINUTES)).isTrue();
            assertThat(on.get()).isSameAs(thread);
            assertThat(h.isEjected()).isTrue();
        } finally {
            runner.close();
        }
    }

    @Test
    @DisplayName("a ScheduledExecutorService can be the control thread (runOn)")
    void executorDrives() throws InterruptedException {
        CountDownLatch returned = new CountDownLatch(1);
        Cluster c = Cluster.builder(LbConfig.defaults()).endpoints(Fixtures.hosts(2)).build();
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            ScheduledFuture<?> running = c.runOn(executor, Duration.ofMillis(1));
            EndpointTable next = Fixtures.hosts(4);
            c.update(next);
            executor.execute(() -> {
                // Runs after the drains queued before it on the same single thread; loops until applied.
                while (c.table() != next) {
                    c.drain();
                }
                returned.countDown();
            });
            assertThat(returned.await(1, TimeUnit.MINUTES)).isTrue();
            assertThat(c.hosts()).hasSize(4);
            running.cancel(false);
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    @DisplayName("picks from two threads while the control thread swaps the endpoint set: never null, never a host of neither set")
    void picksDuringUpdatesFromSeveralThreads() throws Exception {
        EndpointTable a = Fixtures.hosts(5);
        java.util.List<Endpoint> other = new java.util.ArrayList<>();
        for (int i = 0; i < 7; i++) {
            other.add(Endpoint.of("10.7.0." + (i + 1) + ":9", Locality.of("r1", "z1", "")));
        }
        EndpointTable b = EndpointTable.of(other);
        Set<String> allowed = new HashSet<>();
        a.endpoints().forEach(e -> allowed.add(e.address()));
        b.endpoints().forEach(e -> allowed.add(e.address()));
        Cluster c = Cluster.builder(LbConfig.builder().policy(LbPolicy.LEAST_REQUEST).build()).endpoints(a).build();
        AtomicReference<String> wrong = new AtomicReference<>();
        Thread[] pickers = new Thread[2];
        for (int k = 0; k < pickers.length; k++) {
            pickers[k] = new Thread(() -> {
                for (int i = 0; i < 200_000; i++) {
                    Host h = c.pick();
                    if (h == null || !allowed.contains(h.address())) {
                        wrong.compareAndSet(null, String.valueOf(h));
                    }
                    c.requestStarted(h);
                    c.record(h, 200);
                    c.requestFinished(h);
                }
            });
            pickers[k].start();
        }
        int round = 0;
        while (pickers[0].isAlive() || pickers[1].isAlive()) {
            c.update(round++ % 2 == 0 ? b : a);
            c.drain();
        }
        pickers[0].join();
        pickers[1].join();
        assertThat(wrong.get()).isNull();
        assertThat(round).as("updates interleaved with the picks").isGreaterThan(1);
        for (Host h : c.hosts()) {
            assertThat(h.activeRequests()).as("every start met its finish on the same handle").isZero();
        }
    }

    @Test
    @DisplayName("pick, record and the least-request pair allocate nothing (the JVM's per-thread counter)")
    void hotPathAllocatesNothing() {
        Cluster c = builder(Fixtures.hosts(1000)).outlierDetection(ejectAll()).build();
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        threads.getThreadAllocatedBytes(thread);
        long sink = run(c, 200_000);
        long before = threads.getThreadAllocatedBytes(thread);
        sink += run(c, 200_000);
        long after = threads.getThreadAllocatedBytes(thread);
        assertThat(sink).isNotZero();
        assertThat(after - before).as("bytes allocated by 200,000 pick/record cycles").isLessThan(1024);
    }

    private static long run(Cluster c, int n) {
        long sink = 1;
        for (int i = 0; i < n; i++) {
            Host h = c.pick();
            c.requestStarted(h);
            c.record(h, (i & 31) == 0 ? 503 : 200);
            c.requestFinished(h);
            sink += h.activeRequests() + 1;
        }
        return sink;
    }
}
