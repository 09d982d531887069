package dev.meridian.http;

import static dev.meridian.http.Mesh.call;
import static dev.meridian.http.Mesh.get;
import static dev.meridian.http.Mesh.retryableGet;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.outlier.OutlierDetectionConfig;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Retries over real sockets, as Envoy's router decides them
 * ({@code source/common/router/retry_state_impl.cc}, {@code RetryStateImpl::shouldRetry}): only
 * requests marked retryable, on the conditions of {@code retry_on}, at most {@code num_retries}
 * times, on a host not attempted yet when there is one ({@code previous_hosts}:
 * {@code source/extensions/retry/host/previous_hosts}; the selection loop of
 * {@code ZoneAwareLoadBalancerBase::chooseHost} keeps the last pick when every pick was attempted),
 * on the next priority once attempted ones are excluded ({@code previous_priorities}:
 * {@code source/extensions/retry/priority/previous_priorities/previous_priorities.cc}), while the
 * retry circuit breaker has room ({@code RetryBudgetImpl} in
 * {@code source/common/upstream/resource_manager_impl.h}).
 *
 * <p>Outlier detection is kept out of the way here (a run of 100), so every retry decision is the
 * retry logic's own.
 */
class HttpRetryTest {

    private static OutlierDetectionConfig lenient() {
        return Mesh.outlier().consecutive5xx(100).build();
    }

    @Test
    void aRetryableRequestThatHitsAFailingHostSucceedsOnTheNextPriority() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1", "r1/z2", "r2/z1")) {
            mesh.cluster(lenient(), null);
            MeridianHttpClient client = mesh.client().previousPriorities(1).build();
            mesh.backend("r1/z1").respond(503);

            assertThat(call(client, retryableGet("http://reviews/"))).isEqualTo("200 r1/z2");
            assertThat(mesh.served()).containsExactly(1, 1, 0);
            ServiceStats stats = client.stats("reviews");
            assertThat(stats.retries()).isEqualTo(1);
            assertThat(stats.retrySuccess()).isEqualTo(1);
            assertThat(stats.attempts()).isEqualTo(2);
            assertThat(stats.activeRetries()).isZero();
            assertThat(stats.activeAttempts()).isZero();
        }
    }

    /**
     * With Istio's {@code update_frequency} of 2 the first retry still uses the original load: P0
     * has one host, which {@code previous_hosts} rejects five times and then keeps; the second retry
     * excludes P0 and goes to r1/z2.
     */
    @Test
    void withIstiosUpdateFrequencyTheSecondRetryLeavesThePriority() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1", "r1/z2", "r2/z1")) {
            mesh.cluster(lenient(), null);
            MeridianHttpClient client = mesh.client().build();
            mesh.backend("r1/z1").respond(503);

            assertThat(call(client, retryableGet("http://reviews/"))).isEqualTo("200 r1/z2");
            assertThat(mesh.served()).containsExactly(2, 1, 0);
            assertThat(client.stats("reviews").retries()).isEqualTo(2);
        }
    }

    @Test
    void aRequestNotMarkedRetryableIsNeverRetried() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1", "r1/z2", "r2/z1")) {
            mesh.cluster(lenient(), null);
            MeridianHttpClient client = mesh.client().previousPriorities(1).build();
            mesh.backend("r1/z1").respond(503);

            assertThat(call(client, get("http://reviews/"))).isEqualTo("503 r1/z1");
            assertThat(mesh.served()).containsExactly(1, 0, 0);
            assertThat(client.stats("reviews").retries()).isZero();
        }
    }

    /** {@code previous_hosts}: another host of the same priority first, so the retry stays in the zone. */
    @Test
    void aRetryGoesToAnotherHostOfTheSamePriorityBeforeLeavingIt() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1", "r1/z1", "r1/z2")) {
            mesh.cluster(lenient(), null);
            MeridianHttpClient client = mesh.client().previousPriorities(0).build();
            Backend failing = mesh.backends.get(0);
            Backend healthy = mesh.backends.get(1);
            failing.respond(503);

            for (int i = 0; i < 10; i++) {
                assertThat(call(client, retryableGet("http://reviews/"))).isEqualTo("200 r1/z1");
            }
            // Round robin sends some calls to the failing host first (how many depends on which
            // threads' sequence stripes the retries' picks share); each of those retried once, on
            // the other host of the zone, never on r1/z2.
            assertThat(failing.served()).isPositive();
            assertThat(healthy.served()).isEqualTo(10);
            assertThat(mesh.backends.get(2).served()).isZero();
            assertThat(client.stats("reviews").retries()).isEqualTo(failing.served());
        }
    }

    @Test
    void retriesAreLimitedByMaxRetries() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1", "r1/z2", "r2/z1")) {
            mesh.cluster(lenient(), null);
            MeridianHttpClient client = mesh.client().maxRetries(1).previousPriorities(1).build();
            for (Backend b : mesh.backends) {
                b.respond(503);
            }
            // The last response is the caller's: the retry's 503 from r1/z2.
            assertThat(call(client, retryableGet("http://reviews/"))).isEqualTo("503 r1/z2");
            assertThat(mesh.served()).containsExactly(1, 1, 0);
            assertThat(client.stats("reviews").retryLimitExceeded()).isEqualTo(1);
        }
    }

    @Test
    void retryOnDecidesWhichStatusesAreRetried() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1", "r1/z2")) {
            mesh.cluster(lenient(), null);
            MeridianHttpClient gatewayErrors = mesh.client().retryOn("gateway-error").previousPriorities(1).build();
            mesh.backend("r1/z1").respond(500);
            // 500 is a 5xx but not a gateway error (502, 503, 504).
            assertThat(call(gatewayErrors, retryableGet("http://reviews/"))).isEqualTo("500 r1/z1");
            mesh.backend("r1/z1").respond(409);
            MeridianHttpClient conflicts = mesh.client().retryOn("retriable-4xx").previousPriorities(1).build();
            assertThat(call(conflicts, retryableGet("http://reviews/"))).isEqualTo("200 r1/z2");
            mesh.backend("r1/z1").respond(429);
            MeridianHttpClient listed = mesh.client().retryOn("connect-failure,429").previousPriorities(1).build();
            assertThat(call(listed, retryableGet("http://reviews/"))).isEqualTo("200 r1/z2");
        }
    }

    /** A connection that cannot be made is retried on {@code connect-failure}, and the retry goes elsewhere. */
    @Test
    void aRefusedConnectionIsRetriedOnAnotherHost() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (Mesh mesh = new Mesh("r1/z2")) {
            dev.meridian.core.Endpoint dead = dev.meridian.core.Endpoint.of("127.0.0.1:" + closedPort,
                    dev.meridian.core.Locality.parse("r1/z1"));
            mesh.cluster = dev.meridian.cluster.Cluster.builder(
                            dev.meridian.lb.LbConfig.builder().panicThreshold(0).build())
                    .endpoints(dev.meridian.topology.LocalityPriorities.assign(
                            java.util.List.of(dead, mesh.backend("r1/z2").endpoint()),
                            dev.meridian.topology.Caller.at(Mesh.CALLER),
                            dev.meridian.topology.LocalityLbSetting.DEFAULT, null, true).toTable())
                    .outlierDetection(lenient()).clock(mesh.clock).build();
            MeridianHttpClient client = mesh.client().retryOn("connect-failure").previousPriorities(1).build();
            assertThat(call(client, retryableGet("http://reviews/"))).isEqualTo("200 r1/z2");
            assertThat(client.stats("reviews").retries()).isEqualTo(1);
        }
    }

    /**
     * The budget caps retries in flight: with {@code budget_percent} 0 and
     * {@code min_retry_concurrency} 1, one retry may be in flight. A first call's retry is held at
     * r1/z2; a second call's 503 from r1/z1 then finds no room and is the caller's answer
     * ({@code upstream_rq_retry_overflow}). Released, the first call completes on its retry.
     */
    @Test
    void theRetryBudgetCapsRetriesInFlight() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1", "r1/z2", "r2/z1")) {
            mesh.cluster(lenient(), null);
            MeridianHttpClient client = mesh.client().previousPriorities(1).retryBudget(RetryBudget.of(0, 1)).build();
            Backend z1 = mesh.backend("r1/z1");
            Backend z2 = mesh.backend("r1/z2");
            z1.respond(503);
            z2.holdRequests();

            CompletableFuture<HttpResponse<String>> first =
                    client.sendAsync(retryableGet("http://reviews/"), HttpResponse.BodyHandlers.ofString());
            z2.awaitArrival();
            assertThat(client.stats("reviews").activeRetries()).isEqualTo(1);

            assertThat(call(client, retryableGet("http://reviews/"))).isEqualTo("503 r1/z1");
            ServiceStats stats = client.stats("reviews");
            assertThat(stats.retryOverflow()).isEqualTo(1);
            assertThat(stats.retries()).isEqualTo(1);

            z2.release();
            assertThat(first.get(30, TimeUnit.SECONDS).body()).isEqualTo("r1/z2");
            assertThat(mesh.served()).containsExactly(2, 1, 0);
            assertThat(client.stats("reviews").activeRetries()).isZero();
        }
    }

    /**
     * A percentage budget grows with the requests in flight ({@code RetryBudgetImpl::max}:
     * {@code max(uint64(budget_percent / 100 × active), min_retry_concurrency)}), here 50% with no
     * floor. Alone, a call's attempt is the only one in flight: 50% of 1 is 0, no retry. With calls
     * held at r1/z1 and retries held at r1/z2, each 503 released one at a time decides against a
     * known count: 3 in flight allow 1 retry, 4 allow 2, 5 with 2 retries in flight allow no third.
     */
    @Test
    void aPercentageBudgetGrowsWithTheRequestsInFlight() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1", "r1/z2", "r2/z1")) {
            mesh.cluster(lenient(), null);
            MeridianHttpClient client = mesh.client().previousPriorities(1).retryBudget(RetryBudget.of(50, 0)).build();
            Backend z1 = mesh.backend("r1/z1");
            Backend z2 = mesh.backend("r1/z2");
            z1.respond(503);
            assertThat(call(client, retryableGet("http://reviews/"))).isEqualTo("503 r1/z1");
            assertThat(client.stats("reviews").retryOverflow()).isEqualTo(1);

            z1.holdRequests();
            z2.holdRequests();
            HttpResponse.BodyHandler<String> body = HttpResponse.BodyHandlers.ofString();
            CompletableFuture<HttpResponse<String>> a = client.sendAsync(retryableGet("http://reviews/"), body);
            java.util.concurrent.CountDownLatch aAtZ1 = z1.awaitArrival();
            CompletableFuture<HttpResponse<String>> b = client.sendAsync(get("http://reviews/"), body);
            z1.awaitArrival();
            CompletableFuture<HttpResponse<String>> c = client.sendAsync(get("http://reviews/"), body);
            z1.awaitArrival();
            aAtZ1.countDown();              // A decides with A, B, C in flight: limit 1, none used
            z2.awaitArrival();
            assertThat(client.stats("reviews").activeRetries()).isEqualTo(1);

            CompletableFuture<HttpResponse<String>> d = client.sendAsync(retryableGet("http://reviews/"), body);
            z1.awaitArrival().countDown();  // D decides with A's retry, B, C, D: limit 2, 1 used
            z2.awaitArrival();
            assertThat(client.stats("reviews").activeRetries()).isEqualTo(2);

            CompletableFuture<HttpResponse<String>> e = client.sendAsync(retryableGet("http://reviews/"), body);
            z1.awaitArrival().countDown();  // E decides with 5 in flight: limit 2, 2 used: refused
            assertThat(e.get(30, TimeUnit.SECONDS).body()).isEqualTo("r1/z1");
            assertThat(client.stats("reviews").retryOverflow()).isEqualTo(2);

            z1.release();
            z2.release();
            assertThat(a.get(30, TimeUnit.SECONDS).body()).isEqualTo("r1/z2");
            assertThat(d.get(30, TimeUnit.SECONDS).body()).isEqualTo("r1/z2");
            assertThat(b.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
            assertThat(c.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
            ServiceStats stats = client.stats("reviews");
            assertThat(stats.retries()).isEqualTo(2);
            assertThat(stats.retrySuccess()).isEqualTo(2);
            assertThat(stats.activeRetries()).isZero();
            assertThat(stats.activeAttempts()).isZero();
        }
    }
}
