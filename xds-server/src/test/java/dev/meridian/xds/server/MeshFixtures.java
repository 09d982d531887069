package dev.meridian.xds.server;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/** The mesh the server's tests read, how they change its files, and the Envoy nodes that connect. */
final class MeshFixtures {

    /** reviews.prod: one endpoint per version, two zones of us-east and one of us-west. */
    static final String REVIEWS_ENTRY = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews, namespace: prod}
            spec:
              hosts: [reviews.prod.svc.cluster.local]
              ports: [{number: 9080, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints:
              - {address: 10.0.1.1, locality: us-east/us-east-1a, labels: {version: v1}}
              - {address: 10.0.1.2, locality: us-east/us-east-1b, labels: {version: v2}}
              - {address: 10.0.2.1, locality: us-west/us-west-1a, labels: {version: v3}}
            """;

    /** Its DestinationRule: round robin with outlier detection, so Istio applies locality failover. */
    static final String REVIEWS_RULE = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: prod}
            spec:
              host: reviews.prod.svc.cluster.local
              trafficPolicy:
                loadBalancer: {simple: ROUND_ROBIN}
                outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}
            """;

    private MeshFixtures() {
    }

    /** Replaces a file whole, as a deployment tool would, so the watcher never sees it half written. */
    static void replace(Path file, String text) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(temp, text, StandardCharsets.UTF_8);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A sidecar's node: its id, its locality, and its pod labels in the metadata's LABELS. */
    static Node node(String id, String region, String zone, Map<String, String> labels) {
        Struct.Builder l = Struct.newBuilder();
        labels.forEach((k, v) -> l.putFields(k, Value.newBuilder().setStringValue(v).build()));
        return Node.newBuilder().setId(id)
                .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion(region).setZone(zone))
                .setMetadata(Struct.newBuilder().putFields(SidecarGroup.METADATA_LABELS,
                        Value.newBuilder().setStructValue(l).build()))
                .build();
    }
}
