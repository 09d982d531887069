package dev.meridian.spring;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.ManualClock;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.cloud.client.discovery.simple.InstanceProperties;
import org.springframework.cloud.client.discovery.simple.SimpleDiscoveryProperties;

/**
 * Meridian and Spring Cloud's zone preference side by side, over real sockets: three HTTP servers on
 * loopback, labelled r1/z1 (a), r1/z2 (b) and r2/z1 (c), listed by a simple discovery client with
 * Spring's {@code zone} key and a {@code region} key; a caller in r1/z1
 * ({@code spring.cloud.loadbalancer.zone=z1}, {@code meridian.loadbalancer.region=r1}); every request
 * a {@code RestClient} call through Spring's {@code LoadBalancerInterceptor} and
 * {@code BlockingLoadBalancerClient.execute}, which calls the balancer and the lifecycle callbacks
 * around the request ({@code spring-cloud-loadbalancer}
 * {@code blocking/client/BlockingLoadBalancerClient.java}, {@code execute}).
 *
 * <p>Meridian runs Istio's rules for a DestinationRule with {@code consecutive5xxErrors: 3},
 * {@code interval: 10s}, {@code baseEjectionTime: 30s}, {@code maxEjectionPercent: 100}: proximity
 * priorities a (0), b (1: same region), c (2: other region) (Istio
 * {@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go}, {@code applyLocalityFailover} with
 * {@code util.LbPriority}), panic off ({@code minHealthPercent} 0, {@code cluster_traffic_policy.go}
 * {@code applyOutlierDetection}), a host ejected after three consecutive 5xx and back at the first
 * sweep at or after the base ejection time (Envoy {@code source/common/upstream/outlier_detection_impl.cc},
 * {@code checkHostForUneject}). Time is a {@link ManualClock}; ejections and returns are awaited through
 * the cluster's {@link EjectionListener}, never slept for.
 *
 * <p>Spring runs {@code spring.cloud.loadbalancer.configurations=zone-preference}: the discovery list
 * filtered by {@code ZonePreferenceServiceInstanceListSupplier} ({@code filteredByZone}: the instances
 * whose {@code zone} equals the caller's, or all of them when none does) and
 * {@code RoundRobinLoadBalancer}.
 */
class MeridianLoadBalancerEndToEndTest {

    private static final String SERVICE = "reviews";
    private static final int N = 12;

    private final ManualClock clock = new ManualClock();
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final SimpleDiscoveryProperties discovery = new SimpleDiscoveryProperties();
    private LoopbackServer a;
    private LoopbackServer b;
    private LoopbackServer c;
    private TestApplication meridian;
    private TestApplication spring;

    @BeforeEach
    void start() throws Exception {
        a = LoopbackServer.start("a", "r1", "z1");
        b = LoopbackServer.start("b", "r1", "z2");
        c = LoopbackServer.start("c", "r2", "z1");
        list(a, b, c);
        Map<String, Object> caller = Map.of(
                "spring.cloud.loadbalancer.zone", "z1",
                "meridian.loadbalancer.region", "r1");
        Map<String, Object> meridianProperties = new LinkedHashMap<>(caller);
        meridianProperties.put("meridian.loadbalancer.outlier-detection.consecutive-5xx-errors", "3");
        meridianProperties.put("meridian.loadbalancer.outlier-detection.interval", "10s");
        meridianProperties.put("meridian.loadbalancer.outlier-detection.base-ejection-time", "30s");
        meridianProperties.put("meridian.loadbalancer.outlier-detection.max-ejection-percent", "100");
        // The timed drains run on real time; the cluster's clock is the manual one.
        meridianProperties.put("meridian.loadbalancer.control-period", "5ms");
        meridian = TestApplication.meridian(meridianProperties, context -> {
            context.registerBean(SimpleDiscoveryProperties.class, () -> discovery);
            context.registerBean(ManualClock.class, () -> clock);
            context.registerBean(EjectionListener.class, () -> new Events());
        });
        Map<String, Object> springProperties = new LinkedHashMap<>(caller);
        springProperties.put("spring.cloud.loadbalancer.configurations", "zone-preference");
        spring = TestApplication.spring(springProperties,
                context -> context.registerBean(SimpleDiscoveryProperties.class, () -> discovery));
    }

    @AfterEach
    void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {meridian, spring, a, b, c}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception ignored) {
                // closing the rest matters more
            }
        }
    }

    @Test
    void meridianFailsOverAsASidecarWouldWhereZonePreferenceIsAllOrNothing() throws Exception {
        // 1. Healthy. Meridian: everything to the caller's zone. Spring: to every instance whose zone
        //    is named z1, in either region, since a Spring zone is one flat name.
        assertThat(send(meridian)).isEqualTo(counts(N, 0, 0, 0));
        assertThat(send(spring)).isEqualTo(counts(N / 2, 0, N / 2, 0));

        // 2. a answers 503. Meridian: three consecutive 5xx eject it and its traffic moves to b, in the
        //    same region, not to c. Spring: a stays in the list, so half the requests keep failing.
        a.answer(503);
        assertThat(send(meridian, 3)).isEqualTo(counts(3, 0, 0, 0));
        assertThat(events.poll(30, SECONDS)).isEqualTo("ejected a");
        assertThat(send(meridian)).isEqualTo(counts(0, N, 0, 0));
        assertThat(send(spring)).isEqualTo(counts(N / 2, 0, N / 2, 0));

        // 3. a heals. Meridian keeps it out until the base ejection time has passed and a sweep returns it.
        a.answer(200);
        clock.advance(Duration.ofSeconds(20));
        assertThat(send(meridian)).isEqualTo(counts(0, N, 0, 0));
        clock.advance(Duration.ofSeconds(10));
        assertThat(events.poll(30, SECONDS)).isEqualTo("returned a");
        assertThat(send(meridian)).isEqualTo(counts(N, 0, 0, 0));

        // 4. a leaves discovery. Meridian: the next proximity priority, b in the caller's region.
        //    Spring: the zone still has an instance, c in the other region, so everything goes there.
        list(b, c);
        assertThat(send(meridian)).isEqualTo(counts(0, N, 0, 0));
        assertThat(send(spring)).isEqualTo(counts(0, 0, N, 0));
        // With no z1 instance at all Spring drops the preference entirely and uses every instance.
        list(b);
        assertThat(send(spring)).isEqualTo(counts(0, N, 0, 0));

        // 5. a is back in discovery, then every server of r1 stops. Meridian: refused connections count
        //    as 5xx (no split of local-origin errors), a and then b are ejected, and r2 serves.
        //    Spring keeps choosing a, so every other request fails.
        list(a, b, c);
        assertThat(send(meridian)).isEqualTo(counts(N, 0, 0, 0));
        a.close();
        b.close();
        assertThat(send(meridian, 3)).isEqualTo(counts(0, 0, 0, 3));
        assertThat(events.poll(30, SECONDS)).isEqualTo("ejected a");
        assertThat(send(meridian, 3)).isEqualTo(counts(0, 0, 0, 3));
        assertThat(events.poll(30, SECONDS)).isEqualTo("ejected b");
        assertThat(send(meridian)).isEqualTo(counts(0, 0, N, 0));
        assertThat(send(spring)).isEqualTo(counts(0, 0, N / 2, N / 2));
        assertThat(events).isEmpty();
    }

    /** Lists these servers, in this order, as the service's instances. */
    private void list(LoopbackServer... servers) {
        List<InstanceProperties> instances = new ArrayList<>();
        for (LoopbackServer s : servers) {
            instances.add(s.instance(SERVICE));
        }
        Map<String, List<InstanceProperties>> all = new ConcurrentHashMap<>();
        all.put(SERVICE, instances);
        discovery.setInstances(all);
    }

    private List<Integer> send(TestApplication application) {
        return send(application, N);
    }

    /** Sends requests one after another: how many each server answered, then how many failed without an answer. */
    private List<Integer> send(TestApplication application, int requests) {
        int a0 = a.served();
        int b0 = b.served();
        int c0 = c.served();
        int failed = 0;
        for (int i = 0; i < requests; i++) {
            if (application.call(SERVICE) < 0) {
                failed++;
            }
        }
        return counts(a.served() - a0, b.served() - b0, c.served() - c0, failed);
    }

    private static List<Integer> counts(int a, int b, int c, int failed) {
        return List.of(a, b, c, failed);
    }

    /** Names each ejection and return after the server whose address it is. */
    private final class Events implements EjectionListener {
        @Override
        public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
            events.add("ejected " + name(table.address(hostId)));
        }

        @Override
        public void onReturned(EndpointTable table, int hostId, long atNanos) {
            events.add("returned " + name(table.address(hostId)));
        }

        private String name(String address) {
            for (LoopbackServer s : List.of(a, b, c)) {
                if (s.address().equals(address)) {
                    return s.name;
                }
            }
            return address;
        }
    }
}
