package dev.meridian.grpc;

import dev.meridian.core.EndpointTable;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;

/**
 * What a source already decided for one destination, as an Envoy runs what its control plane sent:
 * the endpoints at their priorities with their localities' weights, the balancing and the outlier
 * detection. {@code meridian_locality} applies it as is: no Istio translation, no caller's priorities
 * computed (the source computed them for its own caller: an xDS node's locality, a Kubernetes
 * source's caller). {@link XdsSource} delivers a cluster's CDS and EDS translation this way,
 * {@link KubernetesSource} its {@code EndpointUpdate}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param table the endpoints, each with its final priority and its locality's weight in that priority
 * @param lb the balancing, with the assignment's overprovisioning factor and priority-health rule
 * @param outlierDetection outlier detection, or null for none
 */
public record DecidedBalancing(EndpointTable table, LbConfig lb, OutlierDetectionConfig outlierDetection) {

    public DecidedBalancing {
        if (table == null) {
            throw new IllegalArgumentException("decidedBalancing.table: must not be null");
        }
        if (lb == null) {
            throw new IllegalArgumentException("decidedBalancing.lb: must not be null");
        }
    }
}
