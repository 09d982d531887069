package dev.meridian.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.PriorityPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.outlier.IstioOutlierTranslation;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.outlier.OutlierDetector;
import dev.meridian.core.ManualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Scenario 2 (cross-region failover with nearby access) end to end, on virtual time, with the real
 * {@link Cluster}: the {@code reviews} DestinationRule's legacy {@code consecutiveErrors: 5},
 * {@code interval: 2m}, {@code baseEjectionTime: 5m}, translated as current Istio does
 * ({@code pilot/pkg/networking/core/cluster_traffic_policy.go}, {@code applyOutlierDetection}: the
 * legacy field is ignored and Envoy's default 5 consecutive 5xx at enforcement 100 stand); the
 * caller is in r1, v1 and v2 run in r1 at priority 0, v3 in r2 at priority 1. Ejection follows
 * Envoy's {@code source/common/upstream/outlier_detection_impl.cc}; an ejected host counts as
 * unhealthy in the priority load of {@code source/common/upstream/load_balancer_impl.cc}, and
 * Istio's {@code minHealthPercent} default of 0 disables panic, so a priority's load spills to the
 * next as its hosts are ejected.
 *
 * <p>Envoy's current max-ejection-percent rule ({@code ejectHost}) counts the host about to be
 * ejected: with three hosts, ejecting both r1 hosts needs 2/3 = 66.7% to be allowed, and Istio's
 * default 10% allows not even one. The failover story therefore sets {@code maxEjectionPercent: 100};
 * {@link #defaultMaxEjectionPercentPreventsFailover()} shows what the default does.
 */
class ScenarioTwoFailoverTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long STEP = 100_000_000L;
    private static final int V1 = 0;
    private static final int V2 = 1;
    private static final int V3 = 2;

    private static Endpoint reviews(String address, String version, String region, String zone) {
        return new Endpoint(address.substring(0, address.indexOf(':')),
                Integer.parseInt(address.substring(address.indexOf(':') + 1)), Locality.of(region, zone, ""),
                Map.of("app", "reviews", "version", version), 1, HealthStatus.HEALTHY, Endpoint.NO_PRIORITY);
    }

    private static final Endpoint REVIEWS_V1 = reviews("10.1.0.11:9080", "v1", "r1", "r1-a");
    private static final Endpoint REVIEWS_V2 = reviews("10.1.0.12:9080", "v2", "r1", "r1-b");
    private static final Endpoint REVIEWS_V3 = reviews("10.2.0.13:9080", "v3", "r2", "r2-a");

    /** Priorities as Istio assigns them for a caller in r1: same region 0, other region 1. */
    private static EndpointTable bothRegions() {
        return EndpointTable.builder().add(REVIEWS_V1, 0, 0).add(REVIEWS_V2, 0, 0).add(REVIEWS_V3, 1, 0).build();
    }

    /** A caller sending one request every 100ms of virtual time, and a scheduler sweeping when due. */
    private static final class Mesh {
        final ManualClock clock = Clocks.manual();
        final IstioOutlierTranslation istio;
        final Cluster cluster;
        final List<String> events = new ArrayList<>();
        final List<List<Integer>> loadsAtEvents = new ArrayList<>();
        boolean r1Failing;
        int[] picks = new int[3];
        int errors;

        Mesh(Integer maxEjectionPercent, boolean alwaysEjectOneHost) {
            istio = IstioOutlierTranslation.translate(5, null, null, null, null, Duration.ofMinutes(2),
                    Duration.ofMinutes(5), maxEjectionPercent, null);
            // LEAST_REQUEST is Istio's default policy; the panic threshold is Istio's minHealthPercent.
            LbConfig lb = LbConfig.builder().policy(LbPolicy.LEAST_REQUEST)
                    .panicThreshold(istio.healthyPanicThreshold()).build();
            OutlierDetectionConfig config = istio.config().toBuilder().alwaysEjectOneHost(alwaysEjectOneHost).build();
            cluster = Cluster.builder(lb).endpoints(bothRegions()).outlierDetection(config).clock(clock)
                    .random(RandomSource.seeded(21)).listener(new EjectionListener() {
                @Override
                public void onEjected(EndpointTable table, int hostId, EjectionType type, long at, long until) {
                    events.add("eject " + table.endpoint(hostId).labels().get("version") + " " + type + " for "
                            + (until - at) / SECOND + "s");
                    loadsAtEvents.add(loads());
                }

                @Override
                public void onReturned(EndpointTable table, int hostId, long at) {
                    events.add("return " + table.endpoint(hostId).labels().get("version") + " at " + at / SECOND);
                    loadsAtEvents.add(loads());
                }
            }).build();
        }

        OutlierDetector detector() {
            return cluster.detector();
        }

        List<Integer> loads() {
            return cluster.plan().priorities().stream().map(PriorityPlan::healthyLoad).toList();
        }

        /** Runs the caller and the sweep scheduler until the given virtual time. */
        void runUntil(long nanos) {
            while (clock.nanoTime() < nanos) {
                clock.advance(STEP);
                cluster.drain();
                Host host = cluster.pick();
                if (host == null) {
                    errors++;
                    continue;
                }
                int version = version(host);
                picks[version]++;
                cluster.requestStarted(host);
                int status = r1Failing && version != V3 ? 503 : 200;
                if (status != 200) {
                    errors++;
                }
                cluster.record(host, status);
                cluster.requestFinished(host);
            }
        }

        static int version(Host host) {
            return switch (host.endpoint().labels().get("version")) {
                case "v1" -> V1;
                case "v2" -> V2;
                default -> V3;
            };
        }

        /** Counts picks and errors over one stretch of time. */
        int[] window(long untilNanos) {
            picks = new int[3];
            errors = 0;
            runUntil(untilNanos);
            return new int[] {picks[V1], picks[V2], picks[V3], errors};
        }
    }

    @Test
    @DisplayName("scenario 2: r1 fails -> both r1 hosts ejected on their 5th 503, load spills to v3; r1 heals -> traffic returns at the first sweep after 5m")
    void failoverToR2AndBack() {
        Mesh mesh = new Mesh(100, false);
        assertThat(mesh.istio.healthyPanicThreshold()).isZero();

        int[] healthy = mesh.window(60 * SECOND);
        assertThat(healthy[V1]).isPositive();
        assertThat(healthy[V2]).isPositive();
        assertThat(healthy[V3]).as("nearby access: all traffic stays in r1").isZero();
        assertThat(mesh.loads()).containsExactly(100, 0);

        mesh.r1Failing = true;
        int[] failing = mesh.window(62 * SECOND);
        // Current Istio ignores consecutiveErrors (istio/istio#24087): Envoy's default 5 consecutive 5xx
        // (a 503 is one) eject at the drain after the 5th: no interval, no sweep involved.
        assertThat(mesh.events).containsExactlyInAnyOrder(
                "eject v1 CONSECUTIVE_5XX for 300s", "eject v2 CONSECUTIVE_5XX for 300s");
        assertThat(failing[3]).as("exactly 5 failed requests per r1 host").isEqualTo(10);
        assertThat(failing[V3]).isPositive();
        assertThat(mesh.loadsAtEvents).as("one r1 host left: 140 x 1/2 = 70% stays in P0; none left: all to P1")
                .containsExactly(List.of(70, 30), List.of(0, 100));

        long lastUntil = Math.max(mesh.detector().ejectedUntilNanos(V1), mesh.detector().ejectedUntilNanos(V2));
        long returnSweep = (lastUntil + 120 * SECOND - 1) / (120 * SECOND) * (120 * SECOND);
        assertThat(returnSweep).as("ejected at ~60s for 5m: the 6m sweep is too early").isEqualTo(480 * SECOND);

        int[] ejected = mesh.window(180 * SECOND);
        assertThat(ejected[V1] + ejected[V2]).isZero();
        assertThat(ejected[3]).as("the caller sees no errors while r2 serves").isZero();
        mesh.r1Failing = false;
        int[] healedButEjected = mesh.window(returnSweep - STEP);
        assertThat(healedButEjected[V1] + healedButEjected[V2]).as("r1 healed, but its hosts are still ejected")
                .isZero();
        assertThat(healedButEjected[V3]).isPositive();

        int[] back = mesh.window(returnSweep + 120 * SECOND);
        assertThat(mesh.events.subList(2, 4)).containsExactlyInAnyOrder("return v1 at 480", "return v2 at 480");
        assertThat(mesh.loads()).containsExactly(100, 0);
        assertThat(back[V3]).as("traffic is back in r1 from the 480s sweep on").isZero();
        assertThat(back[V1]).isPositive();
        assertThat(back[V2]).isPositive();
        assertThat(back[3]).isZero();
    }

    @Test
    @DisplayName("scenario 2: a host that keeps failing is ejected again at once, for 5m again (max_ejection_time = max(300s, base))")
    void keepsFailingIsEjectedAgainForTheSameTime() {
        Mesh mesh = new Mesh(100, false);
        mesh.runUntil(60 * SECOND);
        mesh.r1Failing = true;
        mesh.runUntil(485 * SECOND);
        assertThat(mesh.events.subList(4, 6)).containsExactlyInAnyOrder(
                "eject v1 CONSECUTIVE_5XX for 300s", "eject v2 CONSECUTIVE_5XX for 300s");
        assertThat(mesh.detector().ejectionCount(V1)).isEqualTo(2);
        assertThat(mesh.detector().ejectionCount(V2)).isEqualTo(2);
        assertThat(mesh.loads()).containsExactly(0, 100);
    }

    @Test
    @DisplayName("Istio's default maxEjectionPercent 10 with 3 endpoints: Envoy's current rule ejects no host, r1 keeps failing")
    void defaultMaxEjectionPercentPreventsFailover() {
        Mesh mesh = new Mesh(null, false);
        assertThat(mesh.detector().config().maxEjectionPercent()).isEqualTo(10);
        mesh.runUntil(60 * SECOND);
        mesh.r1Failing = true;
        int[] failing = mesh.window(660 * SECOND);
        assertThat(mesh.events).isEmpty();
        assertThat(failing[V3]).as("(0 + 1) / 3 = 33% > 10%: nothing is ever ejected").isZero();
        assertThat(failing[3]).isEqualTo(6000);

        // With always_eject_one_host (the behaviour of Envoy before envoy#27909) one r1 host goes,
        // the second would make 67% > 10%: 70% of the load stays on the failing r1 host.
        Mesh one = new Mesh(null, true);
        one.runUntil(60 * SECOND);
        one.r1Failing = true;
        int[] partial = one.window(120 * SECOND - STEP);
        assertThat(one.events).hasSize(1);
        assertThat(one.loads()).containsExactly(70, 30);
        assertThat(partial[V3]).isPositive();
        assertThat(partial[3]).as("the remaining r1 host keeps failing").isGreaterThan(300);
    }

    @Test
    @DisplayName("scenario 2: r1 scaled to zero -> v3 serves at once, no errors needed; an update keeps ejections by address")
    void updatesKeepEjectionsByAddress() {
        Mesh mesh = new Mesh(100, false);
        mesh.runUntil(30 * SECOND);
        mesh.r1Failing = true;
        mesh.runUntil(40 * SECOND);
        assertThat(mesh.detector().ejectedCount()).isEqualTo(2);

        EndpointTable reordered = EndpointTable.builder().add(REVIEWS_V3, 1, 0).add(REVIEWS_V2, 0, 0)
                .add(REVIEWS_V1, 0, 0).build();
        mesh.cluster.update(reordered);
        mesh.cluster.drain();
        assertThat(mesh.cluster.table()).isSameAs(reordered);
        assertThat(mesh.detector().ejectedHosts().toString()).isEqualTo("{1, 2}");
        assertThat(mesh.loads()).containsExactly(0, 100);
        for (int i = 0; i < 100; i++) {
            assertThat(mesh.cluster.pick().endpoint()).isSameAs(REVIEWS_V3);
        }

        Mesh scaled = new Mesh(100, false);
        scaled.runUntil(30 * SECOND);
        EndpointTable onlyR2 = EndpointTable.builder().add(REVIEWS_V3, 0, 0).build();
        scaled.cluster.update(onlyR2);
        scaled.cluster.drain();
        for (int i = 0; i < 100; i++) {
            assertThat(scaled.cluster.pick().endpoint()).isSameAs(REVIEWS_V3);
        }
        assertThat(scaled.events).isEmpty();
    }
}
