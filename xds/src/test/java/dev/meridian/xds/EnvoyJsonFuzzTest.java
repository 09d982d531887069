package dev.meridian.xds;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.meridian.lb.LbConfig;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.nio.charset.StandardCharsets;

/**
 * Envoy's proto JSON, fuzzed: the text is read as an admin config dump ({@link ConfigDumps#read}),
 * as a bare {@code Cluster} ({@link ConfigDumps#parseCluster}, then {@link EnvoyClusters#fromEnvoy}
 * and {@link ConfigDumps#read(String, String, int)} with the cluster's own endpoints) and as a
 * {@code ClusterLoadAssignment} ({@link ConfigDumps#parseLoadAssignment}, then
 * {@link LoadAssignments#fromEnvoy}), through {@code EnvoyJson}'s walk over unknown fields and
 * {@code Any} types. Each gives a value or the documented {@link IllegalArgumentException} naming
 * the field ({@link DocumentedErrors}). Seeds: Istio's sidecar dump and docs/examples, and the
 * Envoy documentation's clusters and assignments as JSON. docs/fuzzing.md.
 */
class EnvoyJsonFuzzTest {

    @FuzzTest(maxDuration = "5m", maxExecutions = 8_000)
    void resources(byte[] data) {
        String json = new String(data, StandardCharsets.UTF_8);
        try {
            ConfigDumps.read(json);
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireField(e);
        }
        cluster(json);
        assignment(json);
    }

    private static void cluster(String json) {
        Cluster cluster;
        try {
            cluster = ConfigDumps.parseCluster(json).value();
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireField(e);
            return;
        }
        try {
            EnvoyClusters.fromEnvoy(cluster, LbConfig.LATEST_ENVOY_MINOR);
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireField(e);
        }
        try {
            ConfigDumps.read(json, null, LbConfig.LATEST_ENVOY_MINOR);
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireField(e);
        }
    }

    private static void assignment(String json) {
        ClusterLoadAssignment cla;
        try {
            cla = ConfigDumps.parseLoadAssignment(json).value();
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireField(e);
            return;
        }
        try {
            LoadAssignments.fromEnvoy(cla);
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireField(e);
        }
    }
}
