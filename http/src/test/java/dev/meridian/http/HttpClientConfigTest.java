package dev.meridian.http;

import static dev.meridian.http.Mesh.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.cluster.Cluster;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.LocalOriginResult;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/**
 * The client's configuration and the request it sends: refused settings name the field and the
 * value; the URI keeps everything but its authority; the retry marker never leaves; {@code Host}
 * is the endpoint's unless preserved. Envoy's rules encoded here are cited where they are tested.
 */
class HttpClientConfigTest {

    private static final Cluster CLUSTER = Cluster.builder(LbConfig.defaults()).build();

    private static MeridianHttpClient.Builder builder() {
        return MeridianHttpClient.builder(HttpClient.newHttpClient()).service("reviews", CLUSTER);
    }

    @Test
    void refusedSettingsNameTheFieldAndTheValue() {
        assertThatThrownBy(() -> MeridianHttpClient.builder(null)).hasMessage("delegate: must not be null");
        assertThatThrownBy(() -> MeridianHttpClient.builder(HttpClient.newHttpClient()).build())
                .hasMessageContaining("at least one service");
        assertThatThrownBy(() -> builder().service("Reviews", CLUSTER)).hasMessageContaining("got 'Reviews'");
        assertThatThrownBy(() -> builder().service("re views", CLUSTER)).hasMessageContaining("got 're views'");
        assertThatThrownBy(() -> builder().service("reviews", CLUSTER)).hasMessage("service: 'reviews' is already added");
        assertThatThrownBy(() -> builder().service("ratings", null)).hasMessage("service 'ratings': cluster must not be null");
        assertThatThrownBy(() -> builder().maxRetries(-1)).hasMessage("maxRetries: must be 0..100, got -1");
        assertThatThrownBy(() -> builder().previousPriorities(-2))
                .hasMessage("previousPriorities: update frequency must be 0..100, got -2");
        assertThatThrownBy(() -> builder().hostSelectionRetryMaxAttempts(101))
                .hasMessage("hostSelectionRetryMaxAttempts: must be 0..100, got 101");
        assertThatThrownBy(() -> builder().retryBudget(null)).hasMessage("retryBudget: must not be null");
        assertThatThrownBy(() -> builder().retryOn("5xxx")).hasMessageContaining("unknown condition '5xxx'");
        assertThatThrownBy(() -> builder().retryOn("5xx,,reset")).hasMessageContaining("empty condition");
        assertThatThrownBy(() -> builder().retryOn("connect-failure,refused-stream"))
                .hasMessageContaining("'refused-stream' is an Envoy condition that java.net.http does not let");
        assertThatThrownBy(() -> builder().retryOn("700")).hasMessageContaining("unknown condition '700'");
        assertThatThrownBy(() -> builder().retryOn(" ")).hasMessageContaining("retryOn: must name");
    }

    @Test
    void retryBudgetsAreValidated() {
        assertThatThrownBy(() -> RetryBudget.of(100.5, 3)).hasMessage("retryBudget.budgetPercent: must be 0..100, got 100.5");
        assertThatThrownBy(() -> RetryBudget.of(Double.NaN, 3)).hasMessageContaining("got NaN");
        assertThatThrownBy(() -> RetryBudget.of(20, -1)).hasMessage("retryBudget.minRetryConcurrency: must be >= 0, got -1");
        assertThatThrownBy(() -> RetryBudget.maxParallelRetries(-1))
                .hasMessage("retryBudget.maxRetries: must be 0..4294967295, got -1");
        assertThatThrownBy(() -> RetryBudget.maxParallelRetries(1L << 32))
                .hasMessage("retryBudget.maxRetries: must be 0..4294967295, got 4294967296");
    }

    /**
     * {@code RetryBudgetImpl::max} in {@code source/common/upstream/resource_manager_impl.h}:
     * {@code max(uint64(budget_percent / 100 × active), min_retry_concurrency)}, defaults 20% and 3;
     * without a budget, {@code max_retries} (Envoy's default 3) whatever the load; the client's
     * default is the 2^32 − 1 Istio sets on every outbound cluster
     * (istio/istio {@code pilot/pkg/networking/core/cluster_traffic_policy.go},
     * {@code getDefaultCircuitBreakerThresholds}).
     */
    @Test
    void theRetryLimitIsEnvoys() {
        RetryBudget defaults = RetryBudget.envoyDefaults();
        assertThat(defaults).isEqualTo(RetryBudget.of(20, 3));
        assertThat(defaults.limit(0)).isEqualTo(3);
        assertThat(defaults.limit(16)).isEqualTo(3);   // 3.2 truncates to 3
        assertThat(defaults.limit(25)).isEqualTo(5);
        assertThat(defaults.limit(100)).isEqualTo(20);
        assertThat(RetryBudget.of(25, 0).limit(3)).isZero();   // 0.75 truncates to 0
        assertThat(RetryBudget.of(100, 0).limit(7)).isEqualTo(7);
        assertThat(RetryBudget.maxParallelRetries(3).limit(1_000)).isEqualTo(3);
        assertThat(RetryBudget.maxParallelRetries(3).isBudget()).isFalse();
        assertThat(builder().build().retryBudget()).isEqualTo(RetryBudget.maxParallelRetries(4_294_967_295L));
    }

    /**
     * {@code RetryStateImpl::wouldRetryFromHeaders} and {@code wouldRetryFromReset}
     * ({@code source/common/router/retry_state_impl.cc}): {@code 5xx} is 500..599 and any reset;
     * {@code gateway-error} 502/503/504 and any reset; {@code connect-failure} only a connection
     * failure; {@code reset} any reset; {@code retriable-4xx} 409; listed codes as Istio writes them.
     */
    @Test
    void retryOnIsEnvoys() {
        RetryOn fiveXx = RetryOn.parse("5xx");
        assertThat(fiveXx.retriesStatus(500)).isTrue();
        assertThat(fiveXx.retriesStatus(599)).isTrue();
        assertThat(fiveXx.retriesStatus(499)).isFalse();
        assertThat(fiveXx.retriesFailure(LocalOriginResult.CONNECT_FAILED)).isTrue();
        assertThat(fiveXx.retriesFailure(LocalOriginResult.TIMEOUT)).isTrue();
        assertThat(fiveXx.retriesFailure(LocalOriginResult.RESET)).isTrue();

        RetryOn gateway = RetryOn.parse("gateway-error");
        assertThat(gateway.retriesStatus(502)).isTrue();
        assertThat(gateway.retriesStatus(504)).isTrue();
        assertThat(gateway.retriesStatus(500)).isFalse();
        assertThat(gateway.retriesFailure(LocalOriginResult.RESET)).isTrue();

        RetryOn connect = RetryOn.parse("connect-failure");
        assertThat(connect.retriesStatus(503)).isFalse();
        assertThat(connect.retriesFailure(LocalOriginResult.CONNECT_FAILED)).isTrue();
        assertThat(connect.retriesFailure(LocalOriginResult.RESET)).isFalse();
        assertThat(connect.retriesFailure(LocalOriginResult.TIMEOUT)).isFalse();
        assertThat(RetryOn.parse("reset-before-request").retriesFailure(LocalOriginResult.CONNECT_FAILED)).isTrue();
        assertThat(RetryOn.parse("reset-before-request").retriesFailure(LocalOriginResult.RESET)).isFalse();

        RetryOn reset = RetryOn.parse("reset");
        assertThat(reset.retriesStatus(503)).isFalse();
        assertThat(reset.retriesFailure(LocalOriginResult.TIMEOUT)).isTrue();

        assertThat(RetryOn.parse("retriable-4xx").retriesStatus(409)).isTrue();
        assertThat(RetryOn.parse("retriable-4xx").retriesStatus(404)).isFalse();
        RetryOn listed = RetryOn.parse(" 503 , connect-failure,429");
        assertThat(listed.statusCodes()).containsExactly(429, 503);
        assertThat(listed.retriesStatus(429)).isTrue();
        assertThat(listed.retriesStatus(502)).isFalse();
        // retriable-status-codes without codes retries nothing by status.
        assertThat(RetryOn.parse("retriable-status-codes").retriesStatus(503)).isFalse();
    }

    /**
     * The local-origin result each java.net.http failure is recorded as. A connect timeout is a
     * connection failure (Envoy: {@code ConnectionTimeout} is a pool failure,
     * {@code LocalOriginConnectFailed}), not a request timeout ({@code LocalOriginTimeout}).
     */
    @Test
    void failuresAreClassifiedAsEnvoysRouterReportsThem() {
        assertThat(Exchange.outcomeOf(new ConnectException("refused"))).isEqualTo(LocalOriginResult.CONNECT_FAILED);
        assertThat(Exchange.outcomeOf(new HttpConnectTimeoutException("connect"))).isEqualTo(LocalOriginResult.CONNECT_FAILED);
        assertThat(Exchange.outcomeOf(new SSLHandshakeException("tls"))).isEqualTo(LocalOriginResult.CONNECT_FAILED);
        assertThat(Exchange.outcomeOf(new HttpTimeoutException("request"))).isEqualTo(LocalOriginResult.TIMEOUT);
        assertThat(Exchange.outcomeOf(new ProtocolException("bad status line"))).isEqualTo(LocalOriginResult.RESET);
        assertThat(Exchange.outcomeOf(new IOException("Connection reset"))).isEqualTo(LocalOriginResult.RESET);
        assertThat(Exchange.outcomeOf(new java.io.EOFException("EOF"))).isEqualTo(LocalOriginResult.RESET);
    }

    @Test
    void retryableMarksARequest() {
        HttpRequest plain = HttpRequest.newBuilder(URI.create("http://reviews/")).build();
        HttpRequest marked = MeridianHttpClient.retryable(HttpRequest.newBuilder(URI.create("http://reviews/"))).build();
        assertThat(MeridianHttpClient.isRetryable(plain)).isFalse();
        assertThat(MeridianHttpClient.isRetryable(marked)).isTrue();
    }

    /**
     * The endpoint's request: path, query (encoded as written) and method kept; the retry marker
     * consumed, as Envoy consumes {@code x-envoy-retry-on}; {@code Host} the endpoint's address
     * unless preserved, which Envoy does by default (the test JVM allows setting {@code Host}).
     */
    @Test
    void theEndpointGetsTheRequestAsWrittenAtItsOwnAddress() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1")) {
            Backend z1 = mesh.backend("r1/z1");
            MeridianHttpClient client = mesh.client().build();
            HttpRequest request = MeridianHttpClient.retryable(HttpRequest.newBuilder(
                    URI.create("http://reviews:9080/api/a%2Fb/x?q=a%20b&r=%C3%A9#top"))).header("x-trace", "1").build();
            assertThat(call(client, request)).isEqualTo("200 r1/z1");
            assertThat(z1.lastTarget).isEqualTo("/api/a%2Fb/x?q=a%20b&r=%C3%A9");
            assertThat(z1.lastMarker).isNull();
            assertThat(z1.lastHost).isEqualTo(z1.endpoint().address());
            // The authority's case does not matter: host names are case-insensitive.
            assertThat(call(client, Mesh.get("http://REVIEWS/x"))).isEqualTo("200 r1/z1");

            MeridianHttpClient preserving = mesh.client().preserveHost(true).build();
            assertThat(call(preserving, Mesh.get("http://reviews:9080/x"))).isEqualTo("200 r1/z1");
            assertThat(z1.lastHost).isEqualTo("reviews:9080");
        }
    }

    @Test
    void theClientDescribesItself() {
        MeridianHttpClient client = builder().service("ratings", CLUSTER).maxRetries(1).retryOn("gateway-error,409")
                .retryBudget(RetryBudget.envoyDefaults()).build();
        assertThat(client.services()).containsExactly("reviews", "ratings");
        assertThat(client.cluster("ratings")).isSameAs(CLUSTER);
        assertThat(client.toString()).isEqualTo("MeridianHttpClient[services=[reviews, ratings], RetryPolicy[retryOn="
                + "gateway-error,409 [409], maxRetries=1, previousHosts=5 attempts, previousPriorities=every 2], "
                + "RetryBudget[budget_percent=20.0, min_retry_concurrency=3]]");
        assertThatThrownBy(() -> client.stats("details")).hasMessage("service: unknown 'details', this client knows "
                + "[reviews, ratings]");
    }
}
