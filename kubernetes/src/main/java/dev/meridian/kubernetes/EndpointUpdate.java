package dev.meridian.kubernetes;

import dev.meridian.core.Endpoint;
import dev.meridian.istio.DestinationRule;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.PriorityAssignment;
import java.util.List;

/**
 * What one recomputation of a {@link KubernetesEndpointSource} decided and queued: the Service's
 * endpoints as read from its EndpointSlices and Nodes, the caller's priorities over them, and the
 * balancing and outlier configuration. The cluster (when the source has a target) received
 * {@code assignment.toTable()}, {@code lbConfig} and {@code outlierDetection}, each only when it
 * changed (all three the first time).
 *
 * <p>Immutable and thread-safe.
 *
 * @param sequence 1 for the first update of a source, then one more per update
 * @param endpoints every endpoint read, with its health as the proxy reads the conditions, before the
 *     proxy's own filtering (which {@code assignment.excluded()} explains)
 * @param assignment the priorities, with the endpoints left out and why
 * @param lbConfig the balancing configuration queued with it
 * @param outlierDetection the outlier detection queued with it, or null for none
 * @param destinationRule the DestinationRule in force, or null for none
 * @param notes what Istio's translation did that a reader would not expect, and the assignment's warnings
 */
public record EndpointUpdate(long sequence, List<Endpoint> endpoints, PriorityAssignment assignment, LbConfig lbConfig,
                             OutlierDetectionConfig outlierDetection, DestinationRule destinationRule,
                             List<String> notes) {
    public EndpointUpdate {
        endpoints = List.copyOf(endpoints);
        notes = List.copyOf(notes);
    }
}
