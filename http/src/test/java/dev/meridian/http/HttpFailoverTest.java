package dev.meridian.http;

import static dev.meridian.http.Mesh.call;
import static dev.meridian.http.Mesh.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.cluster.Cluster;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.core.EndpointTable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The acceptance scenario over real sockets: three JDK HTTP servers on loopback in {@code r1/z1},
 * {@code r1/z2} and {@code r2/z1}, a caller in {@code r1/z1}, and the cluster Istio would give it
 * with outlier detection ({@link Mesh}). What it encodes:
 * <ul>
 *   <li>Istio's proximity priorities (own zone, own region, other regions; istio/istio
 *       {@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go}) and Envoy's priority load
 *       ({@code LoadBalancerBase::recalculatePerPriorityState}): a healthy P0 takes everything;
 *   <li>Envoy's consecutive 5xx ejection ({@code source/common/upstream/outlier_detection_impl.cc},
 *       {@code DetectorHostMonitorImpl::putHttpResponseCode}): 3 consecutive 503 eject the host,
 *       and an ejected host counts as unhealthy, so load spills to P1 (r1/z2), not P2 (r2);
 *   <li>the return at the first interval sweep after {@code base_ejection_time}
 *       ({@code DetectorImpl::checkHostForUneject});
 *   <li>a refused connection is a local-origin failure that, without
 *       {@code split_external_local_origin_errors}, counts as a 503
 *       ({@code DetectorHostMonitorImpl::putResult}, {@code resultToHttpCode}; Envoy's router reports
 *       it from {@code UpstreamRequest::onPoolFailure}), so stopped servers are ejected too and r2 serves.
 * </ul>
 * The test is the cluster's control thread: it drains after each call and drives the clock.
 */
class HttpFailoverTest {

    @Test
    void localZoneFirstThenItsRegionThenBackThenTheOtherRegion() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1", "r1/z2", "r2/z1")) {
            Cluster cluster = mesh.cluster();
            MeridianHttpClient client = mesh.client().build();
            Backend z1 = mesh.backend("r1/z1");

            for (int i = 0; i < 10; i++) {
                assertThat(call(client, get("http://reviews/ratings"))).isEqualTo("200 r1/z1");
                cluster.drain();
            }
            assertThat(mesh.served()).containsExactly(10, 0, 0);

            // z1 fails: three consecutive 503 reach the caller (nothing is retryable) and eject it.
            z1.respond(503);
            for (int i = 0; i < 3; i++) {
                assertThat(call(client, get("http://reviews/ratings"))).isEqualTo("503 r1/z1");
                cluster.drain();
            }
            assertThat(cluster.host(z1.endpoint().address()).isEjected()).isTrue();
            for (int i = 0; i < 10; i++) {
                assertThat(call(client, get("http://reviews/ratings"))).isEqualTo("200 r1/z2");
                cluster.drain();
            }
            assertThat(mesh.served()).containsExactly(13, 10, 0);

            // z1 heals, but stays out until its ejection time has passed.
            z1.respond(200);
            mesh.advance(Mesh.BASE_EJECTION.minusSeconds(10));
            assertThat(call(client, get("http://reviews/ratings"))).isEqualTo("200 r1/z2");
            mesh.advance(Duration.ofSeconds(10));
            assertThat(cluster.host(z1.endpoint().address()).isEjected()).isFalse();
            for (int i = 0; i < 10; i++) {
                assertThat(call(client, get("http://reviews/ratings"))).isEqualTo("200 r1/z1");
                cluster.drain();
            }
            assertThat(mesh.served()).containsExactly(23, 11, 0);

            // Every server of r1 stops: z1 fails its connections until ejected, then z2, then r2 serves.
            z1.stop();
            mesh.backend("r1/z2").stop();
            int failed = 0;
            String answer = null;
            for (int i = 0; i < 20 && answer == null; i++) {
                try {
                    answer = call(client, get("http://reviews/ratings"));
                } catch (IOException refused) {
                    assertThat(refused).hasMessageStartingWith("reviews: ");
                    failed++;
                }
                cluster.drain();
            }
            assertThat(answer).isEqualTo("200 r2/z1");
            // Three failures eject each r1 host (a stale pooled connection fails as a reset, a new
            // one as a refused connection: both count as a 503).
            assertThat(failed).isEqualTo(6);
            for (int i = 0; i < 9; i++) {
                assertThat(call(client, get("http://reviews/ratings"))).isEqualTo("200 r2/z1");
            }
            assertThat(mesh.served()).containsExactly(23, 11, 10);
            assertThat(client.stats("reviews").attempts()).isEqualTo(23 + 11 + 10 + 6);
            assertThat(client.stats("reviews").retries()).isZero();
        }
    }

    /**
     * With {@code drainOn}, the client asks the control thread's executor for a drain as soon as an
     * outcome completes a run, so the ejection needs no periodic drain: the listener (called on the
     * control thread after the snapshot shows the ejection) is the only thing the test waits for.
     */
    @Test
    void drainOnDecidesTheEjectionWithoutWaitingForThePeriod() throws Exception {
        ExecutorService controlThread = Executors.newSingleThreadExecutor();
        BlockingQueue<EjectionType> ejections = new LinkedBlockingQueue<>();
        EjectionListener listener = new EjectionListener() {
            @Override
            public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
                ejections.add(type);
            }

            @Override
            public void onReturned(EndpointTable table, int hostId, long atNanos) {
            }
        };
        try (Mesh mesh = new Mesh("r1/z1", "r1/z2", "r2/z1")) {
            mesh.cluster(Mesh.outlier().build(), listener);
            MeridianHttpClient client = mesh.client().drainOn(controlThread).build();
            mesh.backend("r1/z1").respond(503);
            for (int i = 0; i < 3; i++) {
                assertThat(call(client, get("http://reviews/"))).isEqualTo("503 r1/z1");
            }
            assertThat(ejections.poll(30, TimeUnit.SECONDS)).isEqualTo(EjectionType.CONSECUTIVE_5XX);
            assertThat(call(client, get("http://reviews/"))).isEqualTo("200 r1/z2");
        } finally {
            controlThread.shutdownNow();
        }
    }

    /** The same scenario through {@code sendAsync}: the failover does not depend on the calling style. */
    @Test
    void sendAsyncFailsOverTheSameWay() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1", "r1/z2", "r2/z1")) {
            Cluster cluster = mesh.cluster();
            MeridianHttpClient client = mesh.client().build();
            mesh.backend("r1/z1").respond(503);
            for (int i = 0; i < 3; i++) {
                assertThat(client.sendAsync(get("http://reviews/"), java.net.http.HttpResponse.BodyHandlers.ofString())
                        .get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
                cluster.drain();
            }
            assertThat(client.sendAsync(get("http://reviews/"), java.net.http.HttpResponse.BodyHandlers.ofString())
                    .get(30, TimeUnit.SECONDS).body()).isEqualTo("r1/z2");
            assertThat(mesh.served()).containsExactly(3, 1, 0);
        }
    }

    @Test
    void theWrapperNeverDrainsByItself() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1", "r1/z2")) {
            Cluster cluster = mesh.cluster();
            MeridianHttpClient client = mesh.client().build();
            mesh.backend("r1/z1").respond(503);
            for (int i = 0; i < 5; i++) {
                call(client, get("http://reviews/"));
            }
            // The runs completed, but until the control thread drains nothing is ejected.
            assertThat(cluster.host(mesh.backend("r1/z1").endpoint().address()).isEjected()).isFalse();
            assertThat(mesh.served()).containsExactly(5, 0);
            cluster.drain();
            assertThat(call(client, get("http://reviews/"))).isEqualTo("200 r1/z2");
        }
    }
}
