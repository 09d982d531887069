package dev.meridian.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.meridian.core.Locality;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A connecting Envoy read as istiod reads it: {@code setTopologyLabels} and {@code localityFromProxyLabels}
 * in {@code pilot/pkg/xds/ads.go}, {@code AugmentLabels} in
 * {@code pilot/pkg/serviceregistry/util/label/label.go}, the metadata keys of {@code pkg/model/proxy.go}.
 */
class SidecarGroupTest {

    static Value text(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }

    static Node node(Map<String, String> labels, Map<String, Value> metadata) {
        Struct.Builder l = Struct.newBuilder();
        labels.forEach((k, v) -> l.putFields(k, text(v)));
        Struct.Builder m = Struct.newBuilder().putFields(SidecarGroup.METADATA_LABELS,
                Value.newBuilder().setStructValue(l).build());
        metadata.forEach(m::putFields);
        return Node.newBuilder().setId("n").setMetadata(m)
                .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion("node-region")
                        .setZone("node-zone").setSubZone("node-subzone"))
                .build();
    }

    @Test
    void theNodesLocalityAppliesWhenTheLabelsSayNothing() {
        SidecarGroup g = SidecarGroup.of(node(Map.of("app", "a"), Map.of()));
        assertThat(g.locality()).isEqualTo(Locality.of("node-region", "node-zone", "node-subzone"));
        assertThat(g.labels()).isEqualTo(Map.of("app", "a"));
        assertThat(g.caller().labels()).isEqualTo(Map.of("app", "a"));
    }

    @Test
    void topologyLabelsWinOverTheNodesLocality() {
        SidecarGroup g = SidecarGroup.of(node(Map.of("topology.kubernetes.io/region", "r1",
                "topology.kubernetes.io/zone", "z1"), Map.of()));
        assertThat(g.locality()).isEqualTo(Locality.of("r1", "z1", ""));
    }

    @Test
    void theLocalityLabelAppliesWhenNoTopologyLabelIsSet() {
        assertThat(SidecarGroup.of(node(Map.of("istio-locality", "r2/z2"), Map.of())).locality())
                .isEqualTo(Locality.of("r2", "z2", ""));
        assertThat(SidecarGroup.of(node(Map.of("topology.istio.io/locality", "r3/z3/s3", "istio-locality", "x"),
                Map.of())).locality()).isEqualTo(Locality.of("r3", "z3", "s3"));
    }

    @Test
    void networkClusterAndNodeNameBecomeLabelsAsAugmentLabelsWritesThem() {
        SidecarGroup g = SidecarGroup.of(node(Map.of("topology.istio.io/cluster", "mine"), Map.of(
                SidecarGroup.METADATA_NETWORK, text("net-1"), SidecarGroup.METADATA_CLUSTER_ID, text("c1"),
                SidecarGroup.METADATA_NODE_NAME, text("node-7"))));
        assertThat(g.labels()).containsEntry(SidecarGroup.LABEL_NETWORK, "net-1")
                .containsEntry(SidecarGroup.LABEL_CLUSTER, "c1")
                .containsEntry(SidecarGroup.LABEL_HOSTNAME, "node-7");
        // The proxy's own non-empty network label stays.
        SidecarGroup own = SidecarGroup.of(node(Map.of(SidecarGroup.LABEL_NETWORK, "own"),
                Map.of(SidecarGroup.METADATA_NETWORK, text("net-1"))));
        assertThat(own.labels()).containsEntry(SidecarGroup.LABEL_NETWORK, "own");
    }

    @Test
    void anEmptyNodeIsTheUnknownGroup() {
        assertThat(SidecarGroup.of(Node.getDefaultInstance())).isEqualTo(SidecarGroup.UNKNOWN);
    }

    @Test
    void malformedMetadataIsRefusedNamingTheField() {
        Node labelsAsText = Node.newBuilder().setMetadata(Struct.newBuilder()
                .putFields(SidecarGroup.METADATA_LABELS, text("app=a"))).build();
        assertThatThrownBy(() -> SidecarGroup.of(labelsAsText)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("node.metadata.LABELS: expected a map of strings, got 'app=a'");
        Node networkAsNumber = Node.newBuilder().setMetadata(Struct.newBuilder()
                .putFields(SidecarGroup.METADATA_NETWORK, Value.newBuilder().setNumberValue(3).build())).build();
        assertThatThrownBy(() -> SidecarGroup.of(networkAsNumber))
                .hasMessage("node.metadata.NETWORK: expected a string, got the number 3.0");
        assertThatThrownBy(() -> SidecarGroup.of(node(Map.of("istio-locality", "a/b/c/d"), Map.of())))
                .hasMessageStartingWith("node: locality: ");
    }
}
