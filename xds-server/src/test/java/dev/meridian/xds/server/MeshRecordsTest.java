package dev.meridian.xds.server;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.IstioRelease;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.istio.MeshConfigs;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A model built in code instead of read from a directory is checked where it is built, naming the
 * field, so a missing piece fails the embedder's call rather than a sidecar's request later.
 */
class MeshRecordsTest {

    static final String NAME = "outbound|9080||reviews.prod.svc.cluster.local";

    static MeshService service() {
        return new MeshService("reviews.prod.svc.cluster.local", "prod", 9080, "http", List.of(), null, null, "code");
    }

    static DestinationPolicy policy() {
        return DestinationPolicy.from(null, null, 9080, MeshConfigs.MESH_DEFAULT, IstioRelease.LATEST);
    }

    @Test
    void aClusterNeedsANameAServiceEndpointsAndAPolicy() {
        assertThatThrownBy(() -> new MeshCluster(" ", service(), null, List.of(), policy()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("meshCluster.name: must not be blank, got ' '");
        assertThatThrownBy(() -> new MeshCluster(NAME, null, null, List.of(), policy()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("meshCluster.service: must not be null (cluster " + NAME + ")");
        assertThatThrownBy(() -> new MeshCluster(NAME, service(), null, null, policy()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("meshCluster.endpoints: must not be null (cluster " + NAME + ")");
        assertThatThrownBy(() -> new MeshCluster(NAME, service(), null, List.of(), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("meshCluster.policy: must not be null (cluster " + NAME + ")");
    }

    @Test
    void aServiceNeedsAHostAndEndpoints() {
        assertThatThrownBy(() -> new MeshService("", "prod", 9080, "http", List.of(), null, null, "code"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("meshService.host: must not be blank, got ''");
        assertThatThrownBy(() -> new MeshService("a.example", "prod", 9080, "http", null, null, null, "code"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("meshService.endpoints: must not be null (host a.example)");
    }

    @Test
    void aModelNeedsItsServicesAndClusters() {
        assertThatThrownBy(() -> new MeshModel(null, List.of(), MeshConfigs.MESH_DEFAULT, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("meshModel.services: must not be null");
        assertThatThrownBy(() -> new MeshModel(List.of(), null, MeshConfigs.MESH_DEFAULT, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("meshModel.clusters: must not be null");
    }
}
