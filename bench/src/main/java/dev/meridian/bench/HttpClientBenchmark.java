package dev.meridian.bench;

import com.sun.net.httpserver.HttpServer;
import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.http.MeridianHttpClient;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.outlier.LocalOriginResult;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What {@code MeridianHttpClient} adds to a {@code java.net.http} request: the same GET to the same
 * loopback JDK {@link HttpServer} over a kept-alive HTTP/1.1 connection, sent with a bare
 * {@link HttpClient#send} ({@code bare}), through the wrapper ({@code meridian}: resolve the
 * service, pick, rewrite the URI, copy the request, count it started and finished, record the
 * status) and through the wrapper marked retryable with no retry happening ({@code meridianRetryable}:
 * the retry state too). {@code meridianPickAndRecord} is the Meridian part alone, no network: a
 * pick, the least-request counts and the outcome recorded, which allocate nothing; the rest of
 * the difference in {@code gc.alloc.rate.norm} between {@code bare} and {@code meridian} is the URI
 * and the request copy java.net.http's immutable requests cost.
 *
 * <p>Not thread-safe itself: a JMH state set up on one thread, measured from one thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// The JDK server writes a response's headers and body separately; without TCP_NODELAY every
// exchange waits out the client's delayed acknowledgement (about 40 ms) and measures nothing else.
@Fork(value = 1, jvmArgsAppend = "-Dsun.net.httpserver.nodelay=true")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HttpClientBenchmark {

    private static final byte[] BODY = "ok".getBytes(StandardCharsets.US_ASCII);

    private HttpServer server;
    private HttpClient http;
    private MeridianHttpClient meridian;
    private Cluster cluster;
    private HttpRequest direct;
    private HttpRequest viaService;
    private HttpRequest retryableViaService;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            try (exchange; InputStream in = exchange.getRequestBody(); OutputStream out = exchange.getResponseBody()) {
                in.readAllBytes();
                exchange.sendResponseHeaders(200, BODY.length);
                out.write(BODY);
            }
        });
        server.start();
        String address = "127.0.0.1:" + server.getAddress().getPort();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        cluster = Cluster.builder(LbConfig.builder().policy(LbPolicy.ROUND_ROBIN).panicThreshold(0).build())
                .endpoints(EndpointTable.of(List.of(Endpoint.of(address, Locality.parse("r1/z1")))))
                .outlierDetection(OutlierDetectionConfig.defaults()).build();
        meridian = MeridianHttpClient.builder(http).service("reviews", cluster).build();
        direct = HttpRequest.newBuilder(URI.create("http://" + address + "/reviews/1?lang=en")).GET().build();
        viaService = HttpRequest.newBuilder(URI.create("http://reviews/reviews/1?lang=en")).GET().build();
        retryableViaService = MeridianHttpClient.retryable(
                HttpRequest.newBuilder(URI.create("http://reviews/reviews/1?lang=en"))).GET().build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        server.stop(0);
    }

    /** The floor: java.net.http alone. */
    @Benchmark
    public int bare() throws IOException, InterruptedException {
        return http.send(direct, HttpResponse.BodyHandlers.ofByteArray()).body().length;
    }

    /** The same request through the wrapper. */
    @Benchmark
    public int meridian() throws IOException, InterruptedException {
        return meridian.send(viaService, HttpResponse.BodyHandlers.ofByteArray()).body().length;
    }

    /** The same, marked retryable: the per-request retry state, no retry. */
    @Benchmark
    public int meridianRetryable() throws IOException, InterruptedException {
        return meridian.send(retryableViaService, HttpResponse.BodyHandlers.ofByteArray()).body().length;
    }

    /** What the wrapper asks of Meridian per request, without the network. */
    @Benchmark
    public Host meridianPickAndRecord() {
        Host host = cluster.pick();
        cluster.requestStarted(host);
        cluster.recordLocalOrigin(host, LocalOriginResult.CONNECT_SUCCESS);
        cluster.record(host, 200);
        cluster.requestFinished(host);
        return host;
    }
}
