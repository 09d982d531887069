package dev.meridian.examples;

import com.sun.net.httpserver.HttpServer;
import dev.meridian.cluster.Cluster;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.http.MeridianHttpClient;
import dev.meridian.http.ServiceStats;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.LocalityLbSetting;
import dev.meridian.topology.LocalityPriorities;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code MeridianHttpClient} failing over between real servers: three JDK HTTP servers on loopback,
 * one per zone ({@code r1/z1}, {@code r1/z2}, {@code r2/z1}), a caller in {@code r1/z1} with Istio's
 * locality priorities and outlier detection, and 20 requests per phase. All go to the caller's
 * zone; when its server stops, the requests go to the other zone of the region (each connection
 * failure is retried there at once, so the caller sees no error, and three in a row eject the
 * stopped server); when that one stops too, to the other region.
 *
 * <p>Run it from the repository root with
 * {@code mvn -B -q -pl examples -am package -DskipTests -Dexample=HttpFailoverExample}. Not an API;
 * not thread-safe.
 */
public final class HttpFailoverExample {

    private static final int REQUESTS_PER_PHASE = 20;

    private HttpFailoverExample() {
    }

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    /**
     * Runs the three phases, printing what each server served.
     *
     * @return the requests each zone served, by label, in the order the servers were started
     */
    static Map<String, Integer> run(PrintStream out) throws IOException, InterruptedException {
        // The JDK server writes a response's headers and body apart; with Nagle on, each exchange
        // would wait out the client's delayed acknowledgement (about 40 ms). Read when the first
        // server is created.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        List<Zone> zones = List.of(Zone.start("r1/z1"), Zone.start("r1/z2"), Zone.start("r2/z1"));
        ScheduledExecutorService controlThread = Executors.newSingleThreadScheduledExecutor();
        try {
            List<Endpoint> endpoints = new ArrayList<>();
            for (Zone z : zones) {
                endpoints.add(z.endpoint());
            }
            // Istio's priorities for a caller in r1/z1 (own zone, own region, other region), round
            // robin, and the outlier detection of consecutive5xxErrors: 3 (a refused connection
            // counts as a 503); with outlier detection, Istio disables panic.
            EndpointTable table = LocalityPriorities.assign(endpoints, Caller.at(Locality.parse("r1/z1")),
                    LocalityLbSetting.DEFAULT, null, true).toTable();
            BlockingQueue<String> ejections = new LinkedBlockingQueue<>();
            Cluster reviews = Cluster.builder(LbConfig.builder().policy(LbPolicy.ROUND_ROBIN).panicThreshold(0).build())
                    .endpoints(table)
                    .outlierDetection(OutlierDetectionConfig.builder().consecutive5xx(3).maxEjectionPercent(100).build())
                    .listener(new Ejections(ejections))
                    .build();
            // The control thread: drains every second, and at once when a run of failures completes.
            reviews.runOn(controlThread, Duration.ofSeconds(1));

            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            MeridianHttpClient client = MeridianHttpClient.builder(http)
                    .service("reviews", reviews)
                    .retryOn("connect-failure,5xx")
                    // Retry in the next priority from the first retry on (Istio's retryRemoteLocalities waits for the second).
                    .previousPriorities(1)
                    .drainOn(controlThread)
                    .build();

            phase(out, "all zones up", client, zones, ejections, 0);
            zones.get(0).stop();
            phase(out, "r1/z1 stopped", client, zones, ejections, 1);
            zones.get(1).stop();
            phase(out, "r1/z2 stopped too", client, zones, ejections, 1);

            // How many refused connections were retried depends on how soon the control thread applied
            // each ejection, so it is not printed; client.stats("reviews").retries() has it.
            ServiceStats stats = client.stats("reviews");
            out.printf("reviews: %d requests, all answered 200: no error reached the caller%n", stats.requests());
            Map<String, Integer> served = new LinkedHashMap<>();
            for (Zone z : zones) {
                served.put(z.label, z.served.get());
            }
            return served;
        } finally {
            controlThread.shutdownNow();
            for (Zone z : zones) {
                z.stop();
            }
        }
    }

    /** Sends a phase's requests, waits for the ejections it should cause, and prints the counts. */
    private static void phase(PrintStream out, String name, MeridianHttpClient client, List<Zone> zones,
                              BlockingQueue<String> ejections, int expectedEjections)
            throws IOException, InterruptedException {
        int[] before = new int[zones.size()];
        for (int i = 0; i < before.length; i++) {
            before[i] = zones.get(i).served.get();
        }
        for (int i = 0; i < REQUESTS_PER_PHASE; i++) {
            // GETs are idempotent: mark them retryable, so a failed connection is retried elsewhere.
            HttpRequest request = MeridianHttpClient.retryable(
                    HttpRequest.newBuilder(URI.create("http://reviews/reviews/" + i))).GET().build();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("request " + i + " failed: " + response.statusCode());
            }
        }
        out.println(name + ":");
        for (int e = 0; e < expectedEjections; e++) {
            String ejection = ejections.poll(10, TimeUnit.SECONDS);
            out.println("  " + (ejection == null ? "no ejection within 10 s" : ejection));
        }
        StringBuilder counts = new StringBuilder("  served:");
        for (int i = 0; i < before.length; i++) {
            counts.append(' ').append(zones.get(i).label).append('=').append(zones.get(i).served.get() - before[i]);
        }
        out.println(counts);
    }

    /** Prints ejections as the control thread decides them. */
    private record Ejections(BlockingQueue<String> queue) implements EjectionListener {
        @Override
        public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
            queue.add("ejected the " + table.endpoint(hostId).locality() + " server (" + type + ")");
        }

        @Override
        public void onReturned(EndpointTable table, int hostId, long atNanos) {
            queue.add("returned the " + table.endpoint(hostId).locality() + " server");
        }
    }

    /** One zone's server: a JDK HTTP server on a loopback port that answers 200 and counts. */
    private static final class Zone {
        final String label;
        final HttpServer server;
        final AtomicInteger served = new AtomicInteger();
        private boolean stopped;

        private Zone(String label) throws IOException {
            this.label = label;
            this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", exchange -> {
                try (exchange; InputStream in = exchange.getRequestBody(); OutputStream body = exchange.getResponseBody()) {
                    in.readAllBytes();
                    byte[] answer = ("served by " + label).getBytes(StandardCharsets.UTF_8);
                    served.incrementAndGet();
                    exchange.sendResponseHeaders(200, answer.length);
                    body.write(answer);
                }
            });
            server.start();
        }

        static Zone start(String label) throws IOException {
            return new Zone(label);
        }

        Endpoint endpoint() {
            return Endpoint.of("127.0.0.1:" + server.getAddress().getPort(), Locality.parse(label));
        }

        void stop() {
            if (!stopped) {
                stopped = true;
                server.stop(0);
            }
        }
    }
}
