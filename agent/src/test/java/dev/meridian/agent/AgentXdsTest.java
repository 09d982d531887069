package dev.meridian.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.ManualClock;
import dev.meridian.xds.server.MeshDirectory;
import dev.meridian.xds.server.SidecarGroup;
import dev.meridian.xds.server.SidecarXdsServer;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent with its mesh from an xDS server (Meridian's own, serving a directory of Istio YAML as istiod
 * would) instead of a watched directory: it presents the VM's locality and labels, forwards to the
 * endpoint the served priorities put first, follows the control plane live, and applies the outlier
 * detection the served Cluster carries.
 */
class AgentXdsTest {
    @TempDir
    Path dir;

    private final List<Upstream> upstreams = new ArrayList<>();
    private final BlockingQueue<String> logged = new LinkedBlockingQueue<>();
    private final EjectionEvents events = new EjectionEvents();
    private final BlockingQueue<Node> nodes = new LinkedBlockingQueue<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private SidecarXdsServer server;
    private Agent agent;

    @AfterEach
    void stop() throws IOException {
        if (agent != null) {
            agent.close();
        }
        if (server != null) {
            server.close();
        }
        for (Upstream u : upstreams) {
            u.stop();
        }
    }

    private Upstream upstream(String zone) {
        return upstreams.stream().filter(u -> u.name.equals(zone)).findFirst().orElseThrow();
    }

    private void writeMesh(Path mesh, String yaml) throws IOException {
        Path tmp = Files.writeString(dir.resolve("mesh.yaml.tmp"), yaml);
        Files.move(tmp, mesh.resolve("mesh.yaml"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private String get() throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + agent.address(0).getPort() + "/reviews/1"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    /** Waits for the agent to log that it applied a response of this type. */
    private void awaitApplied(String type) throws InterruptedException {
        for (;;) {
            String line = logged.poll(30, TimeUnit.SECONDS);
            assertThat(line).as("an xDS %s response applied within 30 s", type).isNotNull();
            if (line.contains("applied " + type)) {
                return;
            }
        }
    }

    @Test
    @DisplayName("xDS: the VM's node carries its locality and labels; r1/z1 serves, a served change moves traffic to r1/z2, its 5xx eject it and r2 serves")
    void followsTheControlPlane() throws Exception {
        Map<String, Integer> ports = Upstream.threeZones(true, upstreams);
        Path mesh = Files.createDirectories(dir.resolve("mesh"));
        writeMesh(mesh, AgentFailoverTest.mesh("HTTP", ports, AgentFailoverTest.OUTLIER));
        MeshDirectory directory = new MeshDirectory(mesh);
        server = SidecarXdsServer.builder().port(0).model(directory.reload()).executor(Runnable::run)
                .callbacks(new DiscoveryServerCallbacks() {
                    @Override
                    public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
                        if (request.hasNode()) {
                            nodes.add(request.getNode());
                        }
                    }

                    @Override
                    public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
                    }
                }).build().start();
        Path file = Files.writeString(dir.resolve("agent.yaml"), """
                locality: r1/z1
                labels: {app: ratings-vm, version: v1}
                mesh: {xds: {address: 127.0.0.1:%d}}
                listeners:
                - {listen: 127.0.0.1:0, service: 'outbound|9080||reviews.default.svc.cluster.local', mode: http}
                """.formatted(server.port()));
        agent = Agent.builder(AgentConfig.read(file)).clock(new ManualClock()).log(logged::add)
                .ejectionListener(events).start();

        // Istio's proxies send their labels as node metadata LABELS (pkg/model/proxy.go, NodeMetadata.Labels).
        Node node = nodes.poll(30, TimeUnit.SECONDS);
        assertThat(node).as("the agent's first request").isNotNull();
        assertThat(node.getLocality().getRegion() + "/" + node.getLocality().getZone()).isEqualTo("r1/z1");
        var labels = node.getMetadata().getFieldsOrThrow(SidecarGroup.METADATA_LABELS).getStructValue().getFieldsMap();
        assertThat(labels.get("app").getStringValue()).isEqualTo("ratings-vm");
        assertThat(labels.get("version").getStringValue()).isEqualTo("v1");

        List<String> seen = new ArrayList<>();
        while (!agent.ready()) {
            String line = logged.poll(30, TimeUnit.SECONDS);
            assertThat(line).as("the agent ready on the served configuration within 30 s; logged: %s", seen).isNotNull();
            seen.add(line);
        }
        for (int i = 0; i < 10; i++) {
            assertThat(get()).isEqualTo("200 r1/z1");
        }
        assertThat(upstream("r1/z1").served).hasValue(10);

        // The control plane drops r1/z1: the agent follows without a restart.
        Map<String, Integer> without = new TreeMap<>(ports);
        without.remove("r1/z1");
        writeMesh(mesh, AgentFailoverTest.mesh("HTTP", without, AgentFailoverTest.OUTLIER));
        server.update(directory.reload());
        awaitApplied("ClusterLoadAssignment");
        for (int i = 0; i < 10; i++) {
            assertThat(get()).isEqualTo("200 r1/z2");
        }

        // The outlier detection came with the served Cluster: 3 consecutive 5xx eject r1/z2, r2 takes over.
        upstream("r1/z2").status = 503;
        for (int i = 0; i < 3; i++) {
            assertThat(get()).isEqualTo("503 r1/z2");
        }
        assertThat(events.next()).isEqualTo("ejected r1/z2");
        assertThat(get()).isEqualTo("200 r2/z1");
        assertThat(upstream("r1/z1").served).as("r1/z1, no longer served, gets nothing").hasValue(10);
    }
}
