package dev.meridian.http;

import static dev.meridian.http.Mesh.call;
import static dev.meridian.http.Mesh.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.cluster.Cluster;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What goes wrong, over real sockets: each case fails the call with an exception that names the
 * service and the cause, and records the outcome Envoy's router would report. The outcome is
 * observed through outlier detection in split mode ({@code split_external_local_origin_errors},
 * a local-origin run of 1): the host is ejected for {@code CONSECUTIVE_LOCAL_ORIGIN_FAILURE}
 * exactly when a local-origin failure was recorded. Envoy's categories
 * ({@code docs/root/intro/arch_overview/upstream/outlier.rst}, "locally originated errors":
 * timeout, TCP reset, inability to connect; {@code source/common/router/upstream_request.cc}
 * {@code onPoolFailure}, {@code source/common/router/router.cc} {@code onUpstreamReset} and
 * {@code onPerTryTimeoutCommon}): a refused connection is a connect failure, a peer that does not
 * answer in time a timeout, a response that does not parse an upstream reset.
 */
class HttpBadInputTest {

    /** Every ejection, as "address TYPE". */
    private final BlockingQueue<String> ejections = new LinkedBlockingQueue<>();
    private final EjectionListener listener = new EjectionListener() {
        @Override
        public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
            ejections.add(table.address(hostId) + " " + type);
        }

        @Override
        public void onReturned(EndpointTable table, int hostId, long atNanos) {
        }
    };

    private static OutlierDetectionConfig localOriginRunOfOne() {
        return OutlierDetectionConfig.builder().splitExternalLocalOriginErrors(true).consecutiveLocalOriginFailure(1)
                .enforcingConsecutiveLocalOriginFailure(100).maxEjectionPercent(100).build();
    }

    private Cluster cluster(Endpoint endpoint, OutlierDetectionConfig outlier) {
        return Cluster.builder(LbConfig.builder().panicThreshold(0).build())
                .endpoints(EndpointTable.of(List.of(endpoint))).outlierDetection(outlier).listener(listener).build();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void anUnknownServiceIsRefusedNamingIt() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1")) {
            MeridianHttpClient client = mesh.client().build();
            assertThatThrownBy(() -> call(client, get("http://ratings/x")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("unknown service 'ratings' in http://ratings/x: this client knows [reviews]");
            assertThatThrownBy(() -> client.sendAsync(get("http://ratings/x"), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'ratings'");
            assertThat(mesh.served()).containsExactly(0);
        }
    }

    @Test
    void aServiceWithoutEndpointsFailsTheCall() throws Exception {
        Cluster empty = Cluster.builder(LbConfig.defaults()).build();
        MeridianHttpClient client = MeridianHttpClient.builder(java.net.http.HttpClient.newHttpClient())
                .service("reviews", empty).build();
        assertThatThrownBy(() -> call(client, get("http://reviews/")))
                .isInstanceOf(NoEndpointException.class)
                .hasMessage("no endpoint for service reviews: all ejected or none");
        assertThatThrownBy(() -> client.sendAsync(get("http://reviews/"), HttpResponse.BodyHandlers.ofString())
                .get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(NoEndpointException.class);
        assertThat(client.stats("reviews").noEndpoint()).isEqualTo(2);
        assertThat(client.stats("reviews").attempts()).isZero();
    }

    /** With panic disabled (Istio's default with outlier detection), a fully ejected service has no endpoint. */
    @Test
    void aServiceWhoseHostsAreAllEjectedFailsTheCall() throws Exception {
        try (Mesh mesh = new Mesh("r1/z1")) {
            Cluster cluster = mesh.cluster();
            MeridianHttpClient client = mesh.client().build();
            mesh.backend("r1/z1").respond(503);
            for (int i = 0; i < 3; i++) {
                assertThat(call(client, get("http://reviews/"))).isEqualTo("503 r1/z1");
            }
            cluster.drain();
            NoEndpointException e = org.junit.jupiter.api.Assertions.assertThrows(NoEndpointException.class,
                    () -> call(client, get("http://reviews/")));
            assertThat(e.service()).isEqualTo("reviews");
            assertThat(mesh.served()).containsExactly(3);
        }
    }

    @Test
    void aDeadPeerIsAConnectFailure() throws Exception {
        int port = closedPort();
        Cluster cluster = cluster(Endpoint.of("127.0.0.1:" + port, Locality.parse("r1/z1")), localOriginRunOfOne());
        MeridianHttpClient client = MeridianHttpClient.builder(java.net.http.HttpClient.newHttpClient())
                .service("reviews", cluster).build();
        assertThatThrownBy(() -> call(client, get("http://reviews/")))
                .isInstanceOf(ConnectException.class)
                .hasMessageStartingWith("reviews: could not connect to 127.0.0.1:" + port
                        + " (r1/z1, recorded as CONNECT_FAILED)")
                .hasCauseInstanceOf(ConnectException.class);
        cluster.drain();
        assertThat(ejections.poll()).isEqualTo("127.0.0.1:" + port + " CONSECUTIVE_LOCAL_ORIGIN_FAILURE");
    }

    @Test
    void aSlowPeerIsATimeout() throws Exception {
        try (Backend slow = Backend.start("r1/z1")) {
            slow.holdRequests();
            Cluster cluster = cluster(slow.endpoint(), localOriginRunOfOne());
            MeridianHttpClient client = MeridianHttpClient.builder(java.net.http.HttpClient.newHttpClient())
                    .service("reviews", cluster).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://reviews/")).timeout(Duration.ofMillis(300))
                    .build();
            assertThatThrownBy(() -> client.send(request, HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(HttpTimeoutException.class)
                    .hasMessageStartingWith("reviews: timed out waiting for " + slow.endpoint().address()
                            + " (r1/z1, recorded as TIMEOUT)");
            slow.release();
            cluster.drain();
            assertThat(ejections.poll()).isEqualTo(slow.endpoint().address() + " CONSECUTIVE_LOCAL_ORIGIN_FAILURE");
            assertThat(client.stats("reviews").activeAttempts()).isZero();
        }
    }

    /** A raw socket that answers any request with a line that is not HTTP. */
    @Test
    void aMalformedResponseIsAReset() throws Exception {
        try (ServerSocket garbage = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket s = garbage.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    readHeaders(in);
                    out.write("this is not HTTP\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException ignored) {
                    // the test fails on the client side if the exchange does not happen
                }
            });
            server.start();
            String address = "127.0.0.1:" + garbage.getLocalPort();
            Cluster cluster = cluster(Endpoint.of(address, Locality.parse("r1/z1")), localOriginRunOfOne());
            MeridianHttpClient client = MeridianHttpClient.builder(java.net.http.HttpClient.newHttpClient())
                    .service("reviews", cluster).build();
            assertThatThrownBy(() -> call(client, get("http://reviews/")))
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith("reviews: lost the exchange with " + address + " (r1/z1, recorded as RESET)");
            server.join(TimeUnit.SECONDS.toMillis(30));
            cluster.drain();
            assertThat(ejections.poll()).isEqualTo(address + " CONSECUTIVE_LOCAL_ORIGIN_FAILURE");
        }
    }

    private static void readHeaders(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        int b;
        while (matched < 4 && (b = in.read()) >= 0) {
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    /**
     * In split mode an HTTP error is an external failure, not a local-origin one: five 503 eject the
     * host for Envoy's default {@code consecutive_5xx} of 5, never for the local-origin run of 1.
     */
    @Test
    void anHttpErrorIsNotALocalOriginFailure() throws Exception {
        try (Backend failing = Backend.start("r1/z1")) {
            failing.respond(503);
            Cluster cluster = cluster(failing.endpoint(), localOriginRunOfOne());
            MeridianHttpClient client = MeridianHttpClient.builder(java.net.http.HttpClient.newHttpClient())
                    .service("reviews", cluster).build();
            for (int i = 0; i < 5; i++) {
                assertThat(call(client, get("http://reviews/"))).isEqualTo("503 r1/z1");
            }
            cluster.drain();
            assertThat(ejections).containsExactly(failing.endpoint().address() + " CONSECUTIVE_5XX");
        }
    }

    /** A body handler that throws is the caller's fault, not the host's: nothing is recorded, nothing retried. */
    @Test
    void aFailingBodyHandlerIsNotHeldAgainstTheHost() throws Exception {
        try (Backend z1 = Backend.start("r1/z1"); Backend z2 = Backend.start("r1/z2")) {
            Cluster cluster = Cluster.builder(LbConfig.builder().panicThreshold(0).build())
                    .endpoints(EndpointTable.of(List.of(z1.endpoint(), z2.endpoint())))
                    .outlierDetection(localOriginRunOfOne().toBuilder().consecutive5xx(1).build()).listener(listener)
                    .build();
            MeridianHttpClient client = MeridianHttpClient.builder(java.net.http.HttpClient.newHttpClient())
                    .service("reviews", cluster).previousPriorities(1).build();
            HttpResponse.BodyHandler<String> broken = info -> {
                throw new IllegalStateException("caller's bug");
            };
            assertThatThrownBy(() -> client.send(Mesh.retryableGet("http://reviews/"), broken))
                    .isInstanceOf(IOException.class).hasRootCauseMessage("caller's bug");
            cluster.drain();
            assertThat(ejections).isEmpty();
            assertThat(client.stats("reviews").retries()).isZero();
            assertThat(z1.served() + z2.served()).isEqualTo(1);
        }
    }
}
