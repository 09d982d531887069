package dev.meridian.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.ManualClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * The admin endpoint over real sockets, with Envoy's admin paths and codes
 * ({@code source/server/admin/server_info_handler.cc}, {@code ServerInfoHandler::handlerReady}: 200
 * while LIVE, 503 otherwise, draining included): three HTTP upstreams in r1/z1, r1/z2 and r2/z1, the
 * agent in r1/z1, so priority 0 is r1/z1 (Istio {@code applyLocalityFailover}).
 */
class AgentAdminTest {
    @TempDir
    Path dir;

    private final List<Upstream> upstreams = new ArrayList<>();
    private final BlockingQueue<String> logged = new LinkedBlockingQueue<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private Agent agent;

    @AfterEach
    void stop() throws IOException {
        if (agent != null) {
            agent.close();
        }
        for (Upstream u : upstreams) {
            u.stop();
        }
    }

    private Agent start(Map<String, Integer> ports) throws IOException {
        Path mesh = Files.createDirectories(dir.resolve("mesh"));
        Files.writeString(mesh.resolve("mesh.yaml"), AgentFailoverTest.mesh("HTTP", ports, AgentFailoverTest.OUTLIER));
        Path file = Files.writeString(dir.resolve("agent.yaml"), """
                locality: r1/z1
                mesh: {directory: mesh}
                admin: 127.0.0.1:0
                listeners:
                - {listen: 127.0.0.1:0, service: reviews:9080, mode: http}
                """);
        agent = Agent.builder(AgentConfig.read(file)).clock(new ManualClock()).log(logged::add).start();
        return agent;
    }

    private HttpResponse<String> admin(String method, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.adminAddress().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.address(0).getPort() + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName("/live and /ready answer 200 once the cluster has endpoints; /metrics counts requests and errors per locality and priority")
    void liveReadyMetrics() throws Exception {
        start(Upstream.threeZones(true, upstreams));
        assertThat(admin("GET", "/live").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = admin("GET", "/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("LIVE\n");

        for (int i = 0; i < 3; i++) {
            assertThat(get("/ok").statusCode()).isEqualTo(200);
        }
        upstreams.get(0).status = 503;
        assertThat(get("/fail").statusCode()).isEqualTo(503);

        HttpResponse<String> metrics = admin("GET", "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        String labels = "listener=\"127.0.0.1:0\",service=\"reviews:9080\"";
        assertThat(metrics.body())
                .contains("# TYPE meridian_agent_upstream_requests_total counter\n")
                .contains("meridian_agent_upstream_requests_total{" + labels + ",locality=\"r1/z1\",priority=\"0\"} 4\n")
                .contains("meridian_agent_upstream_errors_total{" + labels + ",locality=\"r1/z1\",priority=\"0\"} 1\n")
                .contains("meridian_agent_upstream_active{" + labels + ",locality=\"r1/z1\",priority=\"0\"} 0\n")
                .contains("meridian_agent_ejections_total{" + labels + "} 0\n")
                .contains("# TYPE meridian_agent_downstream_connections gauge\n")
                .doesNotContain("locality=\"r1/z2\"");
    }

    @Test
    @DisplayName("/plan shows the priorities the agent runs: r1/z1 at 0 with all the load, r1/z2 at 1, r2/z1 at 2")
    void plan() throws Exception {
        Map<String, Integer> ports = Upstream.threeZones(true, upstreams);
        start(ports);
        HttpResponse<String> plan = admin("GET", "/plan");
        assertThat(plan.statusCode()).isEqualTo(200);
        assertThat(plan.headers().firstValue("content-type")).hasValue("application/json");
        String body = plan.body();
        assertThat(body).startsWith("{\"listeners\":[{\"listen\":\"127.0.0.1:0\",\"service\":\"reviews:9080\"")
                .contains("{\"priority\":0,\"hosts\":1,\"healthy\":1,\"healthyLoad\":100,\"degradedLoad\":0,\"panic\":false,"
                        + "\"localities\":[{\"locality\":\"r1/z1\",\"share\":100.0,\"hosts\":[{\"address\":\"127.0.0.1:"
                        + ports.get("r1/z1") + "\",\"share\":100.0,\"ejected\":false,\"excluded\":false}]}]}")
                .contains("{\"priority\":1,\"hosts\":1,\"healthy\":1,\"healthyLoad\":0")
                .contains("\"locality\":\"r2/z1\"");
    }

    @Test
    @DisplayName("POST /drain answers 202 and /ready turns 503 DRAINING; other methods and paths are refused")
    void drainTurnsReadyOff() throws Exception {
        start(Upstream.threeZones(true, upstreams));
        assertThat(admin("GET", "/drain").statusCode()).isEqualTo(405);
        assertThat(admin("GET", "/nothing").statusCode()).isEqualTo(404);
        assertThat(admin("POST", "/drain").statusCode()).isEqualTo(202);
        HttpResponse<String> ready = admin("GET", "/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).isEqualTo("DRAINING\n");
        assertThat(admin("GET", "/live").statusCode()).isEqualTo(200);
        assertThat(agent.drain().get(30, java.util.concurrent.TimeUnit.SECONDS).httpCut()).isZero();
    }

    @Test
    @DisplayName("agent.yaml: admin must be host:port and drainTimeout positive, each named in one line; drainTimeout defaults to 5s")
    void adminAndDrainTimeoutConfig() {
        String base = """
                locality: r1/z1
                mesh: {xds: {address: 'istiod:15010'}}
                listeners:
                - {listen: 127.0.0.1:0, service: reviews:9080}
                """;
        AgentConfig defaults = AgentConfig.parse("agent.yaml", base, null);
        assertThat(defaults.adminHost()).isNull();
        assertThat(defaults.drainTimeout()).isEqualTo(Duration.ofSeconds(5));
        AgentConfig set = AgentConfig.parse("agent.yaml", base + "admin: 127.0.0.1:15000\ndrainTimeout: 30s\n", null);
        assertThat(set.adminHost()).isEqualTo("127.0.0.1");
        assertThat(set.adminPort()).isEqualTo(15000);
        assertThat(set.drainTimeout()).isEqualTo(Duration.ofSeconds(30));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AgentConfig.parse("agent.yaml", base + "admin: localhost\n", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("admin")
                .hasMessageContaining("expected host:port").hasMessageContaining("'localhost'");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AgentConfig.parse("agent.yaml", base + "drainTimeout: 0s\n", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("drainTimeout")
                .hasMessageContaining("positive");
    }
}
