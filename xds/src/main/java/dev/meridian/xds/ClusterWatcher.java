package dev.meridian.xds;

/**
 * Hears what an {@link AdsClient} applied for one watched Envoy cluster, in place of a
 * {@link dev.meridian.cluster.Cluster} the client would feed ({@link AdsClient.Builder#watch(String,
 * ClusterWatcher)}). For an embedder that owns the destination's {@code Cluster} itself and issues
 * its commands from its own control thread, such as a gRPC balancer behind a name resolver: the
 * client then writes to no cluster, and the destination keeps one writer.
 *
 * <p>Calls come from the client's synchronization context (a gRPC or scheduler thread), one at a
 * time and in order, before the response they report is ACKed; they must return quickly. A watcher
 * that throws is logged and ignored.
 */
public interface ClusterWatcher {

    /**
     * The cluster's translated settings and endpoints, once both its CDS resource and its first
     * assignment are known (the cluster has warmed), then after each accepted change to either that
     * changes what a {@code Cluster} would run. In {@code Cluster} mode the same update is the
     * commands {@code configure(assignment.applyTo(settings.lb()))},
     * {@code configure(settings.outlierDetection())} and {@code update(assignment.table())}.
     *
     * @param settings the CDS resource's translation ({@link EnvoyClusters#fromEnvoy})
     * @param assignment the EDS resource's translation ({@link LoadAssignments#fromEnvoy}), or a
     *     STATIC cluster's inline endpoints: the endpoints at the control plane's priorities with
     *     their locality weights
     */
    void onApplied(ClusterSettings settings, LoadAssignment assignment);

    /**
     * The control plane says the cluster does not exist: a state-of-the-world CDS response without
     * it ("Deleting Resources" in Envoy's {@code api/xds_protocol.rst}), or an incremental response
     * that removes it or sends it unset. Told once per such change: before any
     * {@link #onApplied}, the control plane does not know the name; after, it removed the cluster,
     * and the last applied state stands (as the client keeps a {@code Cluster}'s). A later response
     * that brings the cluster back is told with {@link #onApplied}. Does nothing by default.
     *
     * @param clusterName the watched name
     */
    default void onMissing(String clusterName) {
    }
}
