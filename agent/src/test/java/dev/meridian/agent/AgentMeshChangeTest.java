package dev.meridian.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.cluster.Cluster;
import dev.meridian.core.Locality;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.istio.KubernetesService;
import dev.meridian.lb.LbConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.PriorityAssignment;
import dev.meridian.xds.server.MeshCluster;
import dev.meridian.xds.server.MeshDirectory;
import dev.meridian.xds.server.MeshModel;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's mesh directory changing under it, and the agent's plan against the library's: the
 * same endpoints and rule must give a VM in r1/z1 what they give a pod there.
 */
class AgentMeshChangeTest {
    @TempDir
    Path dir;

    private final List<Upstream> upstreams = new ArrayList<>();
    private Agent agent;
    private final BlockingQueue<String> logged = new LinkedBlockingQueue<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final Map<String, Integer> ports = new LinkedHashMap<>();

    @AfterEach
    void stopAll() throws IOException {
        if (agent != null) {
            agent.close();
        }
        for (Upstream u : upstreams) {
            u.stop();
        }
    }

    private void writeMesh(String yaml) throws IOException {
        Path mesh = Files.createDirectories(dir.resolve("mesh"));
        Path tmp = Files.writeString(dir.resolve("mesh.yaml.tmp"), yaml);
        Files.move(tmp, mesh.resolve("mesh.yaml"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void startAll(String trafficPolicy) throws IOException {
        for (String zone : List.of("r1/z1", "r1/z2", "r2/z1")) {
            Upstream u = Upstream.http(zone);
            upstreams.add(u);
            ports.put(zone, u.port());
        }
        writeMesh(AgentFailoverTest.mesh("HTTP", ports, trafficPolicy));
        Path file = Files.writeString(dir.resolve("agent.yaml"), """
                locality: r1/z1
                mesh: {directory: mesh}
                listeners:
                - {listen: 127.0.0.1:0, service: reviews, mode: http}
                """);
        agent = Agent.builder(AgentConfig.read(file)).log(logged::add).start();
    }

    private Set<String> served(int requests) throws IOException, InterruptedException {
        Set<String> zones = new HashSet<>();
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + agent.address(0).getPort() + "/"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            zones.add(r.body());
        }
        return zones;
    }

    private String nextLog() throws InterruptedException {
        String line = logged.poll(30, TimeUnit.SECONDS);
        assertThat(line).as("a log line within 30 s").isNotNull();
        return line;
    }

    @Test
    @DisplayName("an endpoint removed and a rule changed in the mesh directory apply without a restart")
    void meshChangesApplyWithoutRestart() throws Exception {
        startAll(AgentFailoverTest.OUTLIER);
        assertThat(served(6)).containsExactly("r1/z1");

        Map<String, Integer> withoutZ1 = new LinkedHashMap<>(ports);
        withoutZ1.remove("r1/z1");
        writeMesh(AgentFailoverTest.mesh("HTTP", withoutZ1, AgentFailoverTest.OUTLIER));
        assertThat(nextLog()).contains("applied").contains("2 endpoints");
        assertThat(served(6)).containsExactly("r1/z2");

        // Without outlier detection Istio does not apply locality failover: every endpoint shares the load
        // (pilot/pkg/networking/core/loadbalancer/loadbalancer.go, ApplyLocalityLoadBalancer needs it).
        writeMesh(AgentFailoverTest.mesh("HTTP", ports, "connectionPool: {http: {maxRequestsPerConnection: 0}}"));
        assertThat(nextLog()).contains("applied").contains("3 endpoints");
        assertThat(served(30)).containsExactlyInAnyOrder("r1/z1", "r1/z2", "r2/z1");
    }

    @Test
    @DisplayName("an invalid edit is rejected with a logged reason, and the last good configuration keeps serving")
    void badEditKeepsLastGood() throws Exception {
        startAll(AgentFailoverTest.OUTLIER);
        assertThat(served(3)).containsExactly("r1/z1");
        writeMesh(AgentFailoverTest.mesh("HTTP", ports, "outlierDetection: {consecutive5xxErrors: lots}"));
        String line = nextLog();
        assertThat(line).contains("the last good configuration stays").contains("consecutive5xxErrors");
        assertThat(line.lines()).hasSize(1);
        assertThat(served(6)).containsExactly("r1/z1");
    }

    @Test
    @DisplayName("for the same endpoints and rule the agent's cluster plans exactly what the library plans for a pod in r1/z1")
    void agentPlansAsTheLibraryDoesForAPod() throws Exception {
        startAll(AgentFailoverTest.OUTLIER);
        MeshModel model = MeshDirectory.read(dir.resolve("mesh"));
        MeshCluster mc = model.cluster("outbound|9080||reviews.default.svc.cluster.local");
        DestinationPolicy policy = mc.policy();
        KubernetesService k8s = mc.service().kubernetesService();
        PriorityAssignment a = policy.assign(mc.endpoints(), Caller.at(Locality.parse("r1/z1")), k8s, model.release());
        LbConfig lb = policy.lbFor(k8s, model.release()).toBuilder().localityWeighted(a.localityWeighted()).build();
        Cluster pod = Cluster.builder(lb).endpoints(a.toTable()).outlierDetection(policy.outlier()).build();
        pod.drain();

        assertThat(agent.plan(0).assignment()).isEqualTo(a);
        assertThat(agent.plan(0).lb()).isEqualTo(lb);
        assertThat(agent.plan(0).outlier()).isEqualTo(policy.outlier());
        assertThat(agent.cluster(0).plan()).isEqualTo(pod.plan());
        // Istio's proximity priorities for r1/z1: its zone 0, r1/z2 1, r2 2.
        assertThat(a.toTable().priority(0) + "," + a.toTable().priority(1) + "," + a.toTable().priority(2))
                .isEqualTo("0,1,2");
    }
}
