package dev.meridian.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.ManualClock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent end to end over real sockets: three upstreams on loopback labelled r1/z1, r1/z2 and
 * r2/z1, a directory of Istio YAML naming them, and the agent configured in r1/z1. Ejections are
 * awaited through the clusters' ejection listener and returns are driven by a {@link ManualClock},
 * so nothing sleeps.
 *
 * <p>What is expected is Istio's and Envoy's: with outlier detection in the rule, a sidecar in r1/z1
 * gets its zone as priority 0, r1/z2 as 1 and r2 as 2 (Istio
 * {@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go}, {@code applyLocalityFailover});
 * an endpoint is ejected after {@code consecutive5xxErrors} 5xx in a row, and a failed connect counts
 * as a 503 ({@code source/common/upstream/outlier_detection_impl.cc},
 * {@code DetectorHostMonitorImpl::resultToHttpCode}); it returns after {@code baseEjectionTime} at the
 * next interval.
 */
class AgentFailoverTest {
    @TempDir
    Path dir;

    private final List<Upstream> upstreams = new ArrayList<>();
    private final List<Agent> agents = new ArrayList<>();
    private final ManualClock clock = new ManualClock();
    private final EjectionEvents events = new EjectionEvents();
    private final BlockingQueue<String> logged = new LinkedBlockingQueue<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void stopAll() throws IOException {
        for (Agent a : agents) {
            a.close();
        }
        for (Upstream u : upstreams) {
            u.stop();
        }
    }

    static final String OUTLIER = "outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 30s, "
            + "maxEjectionPercent: 100}";

    /**
     * Writes {@code dir/mesh/mesh.yaml} with the one upstream in r1/z1 (and {@link #OUTLIER}) and
     * {@code dir/agent.yaml} for a VM in r1/z1 with one listener on a free loopback port in
     * {@code mode}; {@code extra} adds top-level agent.yaml lines. Returns agent.yaml.
     */
    static Path oneZone(Path dir, String protocol, String mode, int upstreamPort, String extra) throws IOException {
        Path mesh = Files.createDirectories(dir.resolve("mesh"));
        Files.writeString(mesh.resolve("mesh.yaml"), mesh(protocol, Map.of("r1/z1", upstreamPort), OUTLIER));
        return Files.writeString(dir.resolve("agent.yaml"), """
                locality: r1/z1
                mesh: {directory: mesh}
                %slisteners:
                - {listen: 127.0.0.1:0, service: reviews:9080, mode: %s}
                """.formatted(extra, mode));
    }

    /** A connection to listener 0 of {@code agent}, reads timing out after 30 s. */
    static Socket open(Agent agent) throws IOException {
        Socket s = new Socket();
        s.connect(agent.address(0), 5000);
        s.setSoTimeout(30_000);
        return s;
    }

    static String mesh(String protocol, Map<String, Integer> ports, String trafficPolicy) {
        StringBuilder y = new StringBuilder("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews.default.svc.cluster.local]
                  ports: [{number: 9080, name: web, protocol: %s}]
                  resolution: STATIC
                  endpoints:
                """.formatted(protocol));
        ports.forEach((locality, port) -> y.append("  - {address: 127.0.0.1, ports: {web: ").append(port)
                .append("}, locality: ").append(locality).append("}\n"));
        y.append("""
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews.default.svc.cluster.local
                  trafficPolicy:
                    loadBalancer: {simple: ROUND_ROBIN}
                """).append("    ").append(trafficPolicy).append('\n');
        return y.toString();
    }

    private Upstream upstream(String zone) {
        return upstreams.stream().filter(u -> u.name.equals(zone)).findFirst().orElseThrow();
    }

    /** Replaces the mesh file in one step, so the watcher never reads half of it. */
    private void writeMesh(String yaml) throws IOException {
        Path mesh = Files.createDirectories(dir.resolve("mesh"));
        Path tmp = Files.writeString(dir.resolve("mesh.yaml.tmp"), yaml);
        Files.move(tmp, mesh.resolve("mesh.yaml"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private Agent start(String mode, int connectAttempts) throws IOException {
        Path file = Files.writeString(dir.resolve("agent.yaml"), """
                locality: r1/z1
                mesh: {directory: mesh}
                threads: 2
                connectTimeout: 2s
                listeners:
                - {listen: 127.0.0.1:0, service: reviews:9080, mode: %s, connectAttempts: %d}
                """.formatted(mode, connectAttempts));
        Agent a = Agent.builder(AgentConfig.read(file)).clock(clock).log(logged::add)
                .ejectionListener(events).start();
        agents.add(a);
        return a;
    }

    private HttpResponse<String> get(Agent a) throws IOException, InterruptedException {
        InetSocketAddress at = a.address(0);
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + "/reviews/1"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Opens a TCP connection through the agent and returns the first line the upstream wrote, or null. */
    private static String connect(Agent a) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(a.address(0), 5000);
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            return in.readLine();
        }
    }

    private String event() throws InterruptedException {
        return events.next();
    }

    @Test
    @DisplayName("HTTP: r1/z1 serves all; after 3 consecutive 5xx it is ejected and r1/z2 serves, then r2 when r1 is gone; healing brings traffic back")
    void httpFailsOverZoneThenRegionAndBack() throws Exception {
        writeMesh(mesh("HTTP", Upstream.threeZones(true, upstreams), OUTLIER));
        Agent agent = start("http", 1);
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = get(agent);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("r1/z1");
        }
        assertThat(upstream("r1/z2").served).hasValue(0);
        assertThat(upstream("r2/z1").served).hasValue(0);

        upstream("r1/z1").status = 503;
        for (int i = 0; i < 3; i++) {
            assertThat(get(agent).statusCode()).isEqualTo(503);
        }
        assertThat(event()).isEqualTo("ejected r1/z1");
        for (int i = 0; i < 10; i++) {
            assertThat(get(agent).body()).isEqualTo("r1/z2");
        }
        assertThat(upstream("r2/z1").served).hasValue(0);

        upstream("r1/z2").status = 500;
        for (int i = 0; i < 3; i++) {
            assertThat(get(agent).statusCode()).isEqualTo(500);
        }
        assertThat(event()).isEqualTo("ejected r1/z2");
        for (int i = 0; i < 5; i++) {
            assertThat(get(agent).body()).isEqualTo("r2/z1");
        }

        upstream("r1/z1").status = 200;
        upstream("r1/z2").status = 200;
        clock.advance(Duration.ofSeconds(31));
        assertThat(List.of(event(), event())).containsExactlyInAnyOrder("returned r1/z1", "returned r1/z2");
        int before = upstream("r1/z1").served.get();
        for (int i = 0; i < 5; i++) {
            assertThat(get(agent).body()).isEqualTo("r1/z1");
        }
        assertThat(upstream("r1/z1").served.get() - before).isEqualTo(5);
    }

    @Test
    @DisplayName("TCP: one pick per connection; a dead r1/z1 fails its connects, is ejected, and connections go to r1/z2, then r2; restarted, it gets them back")
    void tcpFailsOverOnConnectFailure() throws Exception {
        writeMesh(mesh("TCP", Upstream.threeZones(false, upstreams), OUTLIER));
        Agent agent = start("tcp", 2);
        for (int i = 0; i < 5; i++) {
            assertThat(connect(agent)).isEqualTo("r1/z1");
        }
        upstream("r1/z1").stop();
        // Each connection tries twice (connectAttempts 2); the third refused connect ejects r1/z1.
        List<String> served = new ArrayList<>();
        while (events.none()) {
            served.add(String.valueOf(connect(agent)));
        }
        assertThat(event()).isEqualTo("ejected r1/z1");
        assertThat(served).doesNotContain("r2/z1");
        for (int i = 0; i < 5; i++) {
            assertThat(connect(agent)).isEqualTo("r1/z2");
        }
        upstream("r1/z2").stop();
        while (events.none()) {
            connect(agent);
        }
        assertThat(event()).isEqualTo("ejected r1/z2");
        for (int i = 0; i < 5; i++) {
            assertThat(connect(agent)).isEqualTo("r2/z1");
        }
        upstream("r1/z1").restart();
        upstream("r1/z2").restart();
        clock.advance(Duration.ofSeconds(31));
        assertThat(List.of(event(), event())).containsExactlyInAnyOrder("returned r1/z1", "returned r1/z2");
        for (int i = 0; i < 5; i++) {
            assertThat(connect(agent)).isEqualTo("r1/z1");
        }
    }
}
