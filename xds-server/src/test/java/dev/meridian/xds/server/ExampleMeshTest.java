package dev.meridian.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.IstioRelease;
import dev.meridian.core.Locality;
import dev.meridian.topology.Caller;
import dev.meridian.topology.PriorityAssignment;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The example directory the README serves with {@code ./meridian xds-serve docs/examples/mesh}. */
class ExampleMeshTest {
    private static final String REVIEWS = "outbound|9080||reviews.bookinfo.svc.cluster.local";

    @Test
    @DisplayName("docs/examples/mesh reads as the README says: one service, three clusters, Istio 1.30,"
            + " and a us-east1-b sidecar's priorities are its zone, its region, the other region")
    void theExampleDirectoryServesWhatTheReadmeShows() {
        MeshModel model = MeshDirectory.read(Path.of("..", "docs", "examples", "mesh"));

        assertThat(model.services()).hasSize(1);
        assertThat(model.clusters()).extracting(MeshCluster::name).containsExactly(REVIEWS,
                "outbound|9080|v1|reviews.bookinfo.svc.cluster.local",
                "outbound|9080|v2|reviews.bookinfo.svc.cluster.local");
        assertThat(model.release()).isEqualTo(IstioRelease.parse("1.30"));
        assertThat(model.warnings()).isEmpty();

        MeshCluster reviews = model.cluster(REVIEWS);
        Caller caller = new Caller(Locality.parse("us-east1/us-east1-b"), Map.of("app", "productpage"));
        PriorityAssignment a = reviews.policy().assign(reviews.endpoints(), caller, reviews.service().kubernetesService(),
                model.release());
        // Istio's proximity priorities (loadbalancer.go applyLocalityFailover): same zone, same region, other.
        assertThat(a.priorityOf("10.8.1.20:9080")).isZero();
        assertThat(a.priorityOf("10.8.2.21:9080")).isEqualTo(1);
        assertThat(a.priorityOf("10.9.1.22:9080")).isEqualTo(2);
    }
}
