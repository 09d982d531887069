package dev.meridian.xds;

import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;

/**
 * One destination's settings from an Envoy {@code Cluster} (CDS): how hosts are balanced and how
 * outliers are ejected. Endpoints travel separately, in a {@link LoadAssignment}.
 *
 * <p>Applied to a {@link dev.meridian.cluster.Cluster} with {@code configure(lb)} and
 * {@code configure(outlierDetection)}; a null {@code outlierDetection} is what
 * {@code Cluster.configure(OutlierDetectionConfig)} reads as "detection off".
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the Envoy cluster name, not blank
 * @param lb the load-balancer configuration, not null
 * @param outlierDetection outlier detection, or null when the cluster has none
 */
public record ClusterSettings(String name, LbConfig lb, OutlierDetectionConfig outlierDetection) {

    public ClusterSettings {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("clusterSettings.name: must not be blank, got '" + name + "'");
        }
        if (lb == null) {
            throw new IllegalArgumentException("clusterSettings.lb: must not be null (cluster " + name + ")");
        }
    }
}
