package dev.meridian.xds;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.ZoneAwareConfig;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.List;
import java.util.Map;

/**
 * Envoy resources as an xDS server sends them, fuzzed at the wire: the bytes are parsed as a
 * {@code Cluster} and as a {@code ClusterLoadAssignment}, and whatever protobuf accepts goes through
 * {@link EnvoyClusters#fromEnvoy} (with {@link EnvoyClusters#zoneAware} for a caller's own cluster)
 * and {@link LoadAssignments#fromEnvoy}. Each gives a value or the documented
 * {@link IllegalArgumentException} naming the field ({@link DocumentedErrors}); and what they give
 * survives the documented round trips: {@code fromEnvoy(toEnvoy(x))} equals {@code x} with nothing
 * to warn about, for settings whenever {@link EnvoyClusters#toEnvoy} can express them (its Javadoc
 * lists when it cannot) and for every assignment. Seeds: the Envoy documentation's clusters and
 * assignments, Istio's sidecar dump and docs/examples, serialized. docs/fuzzing.md.
 */
class EnvoyProtoFuzzTest {
    private static final int MINORS = LbConfig.LATEST_ENVOY_MINOR - LbConfig.OLDEST_ENVOY_MINOR + 1;
    /** The caller's own cluster: two zones of one region, as zone-aware routing needs. */
    private static final EndpointTable LOCAL = EndpointTable.of(List.of(
            new Endpoint("10.1.0.1", 9080, Locality.parse("us-east1/us-east1-b"), Map.of(), 1, HealthStatus.HEALTHY,
                    Endpoint.NO_PRIORITY),
            new Endpoint("10.1.0.2", 9080, Locality.parse("us-east1/us-east1-c"), Map.of(), 1, HealthStatus.HEALTHY,
                    Endpoint.NO_PRIORITY)));

    @FuzzTest(maxDuration = "5m", maxExecutions = 100_000)
    void resources(byte[] data) {
        // Every release Meridian models gets inputs; which one follows from the input, so a finding replays.
        int minor = LbConfig.OLDEST_ENVOY_MINOR + data.length % MINORS;
        try {
            cluster(Cluster.parseFrom(data), minor);
        } catch (InvalidProtocolBufferException e) {
            // not a Cluster: what protobuf refuses never reaches Meridian
        }
        try {
            assignment(ClusterLoadAssignment.parseFrom(data));
        } catch (InvalidProtocolBufferException e) {
            // not a ClusterLoadAssignment
        }
    }

    private static void cluster(Cluster cluster, int minor) {
        ClusterSettings settings;
        try {
            settings = EnvoyClusters.fromEnvoy(cluster, minor).value();
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireField(e);
            return;
        }
        try {
            EnvoyClusters.zoneAware(cluster, ZoneAwareConfig.builder()
                    .localLocality(Locality.parse("us-east1/us-east1-b")).localCluster(LOCAL));
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireField(e);
        }
        Cluster written;
        try {
            written = EnvoyClusters.toEnvoy(settings);
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireField(e);
            return;
        }
        Translated<ClusterSettings> back = EnvoyClusters.fromEnvoy(written, minor);
        if (!back.warnings().isEmpty() || !back.value().equals(settings)) {
            throw new AssertionError("fromEnvoy(toEnvoy(s)) is not s: " + settings + " came back as " + back.value()
                    + " with " + back.warnings());
        }
    }

    private static void assignment(ClusterLoadAssignment cla) {
        LoadAssignment assignment;
        try {
            assignment = LoadAssignments.fromEnvoy(cla).value();
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireField(e);
            return;
        }
        Translated<LoadAssignment> back = LoadAssignments.fromEnvoy(LoadAssignments.toEnvoy(assignment));
        if (!back.warnings().isEmpty() || !back.value().equals(assignment)) {
            throw new AssertionError("fromEnvoy(toEnvoy(a)) is not a: " + assignment + " came back as "
                    + back.value() + " with " + back.warnings());
        }
    }
}
