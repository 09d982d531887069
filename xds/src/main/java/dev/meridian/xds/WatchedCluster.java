package dev.meridian.xds;

import dev.meridian.cluster.Cluster;
import dev.meridian.core.EndpointTable;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.util.Objects;

/**
 * One watched destination: the last good CDS resource and its settings, where its endpoints come
 * from, the assignment last applied, and what was last queued to its {@link Cluster}, so that only
 * changes become commands.
 *
 * <p>Not thread-safe: the ADS client touches it only inside its synchronization context.
 */
final class WatchedCluster {

    final String name;
    final Cluster target;

    /** The last accepted CDS resource, or null before the first. */
    io.envoyproxy.envoy.config.cluster.v3.Cluster resource;
    /** Its translation; null before the first accepted resource. */
    ClusterSettings settings;
    /** The EDS resource name this cluster's endpoints come from, or null for a STATIC cluster. */
    String endpointsName;
    /** A STATIC cluster's inline assignment (null for EDS clusters). */
    LoadAssignment inlineAssignment;
    /** True after a CDS response left this cluster out: it keeps serving, its EDS watch is dropped. */
    boolean removed;

    private boolean configured;
    private LbConfig queuedLb;
    private OutlierDetectionConfig queuedOutlier;
    private EndpointTable queuedTable;

    WatchedCluster(String name, Cluster target) {
        this.name = name;
        this.target = target;
    }

    /** True when this cluster takes its endpoints from the EDS resource of that name now. */
    boolean dependsOn(String edsName) {
        return !removed && edsName.equals(endpointsName);
    }

    /**
     * The balancing configuration settings and an assignment give together.
     *
     * @throws IllegalArgumentException when the combination cannot run (for example weighted
     *     priority health asked of an Envoy release before it)
     */
    static LbConfig balancing(ClusterSettings settings, LoadAssignment assignment) {
        return assignment.applyTo(settings.lb());
    }

    /**
     * Queues to the target what changed since the last call: the balancing configuration, the
     * outlier-detection configuration and the endpoint table, in that order. Nothing while the
     * cluster is warming (settings or assignment still unknown), as Envoy keeps a cluster out of
     * use until its first ClusterLoadAssignment arrives.
     *
     * @return true when at least one command was queued
     */
    boolean publish(LoadAssignment assignment) {
        if (settings == null || assignment == null) {
            return false;
        }
        LbConfig lb = balancing(settings, assignment);
        OutlierDetectionConfig outlier = settings.outlierDetection();
        boolean queued = false;
        if (!configured || !lb.equals(queuedLb)) {
            target.configure(lb);
            queuedLb = lb;
            queued = true;
        }
        if (!configured || !Objects.equals(outlier, queuedOutlier)) {
            target.configure(outlier);
            queuedOutlier = outlier;
            queued = true;
        }
        if (assignment.table() != queuedTable) {
            target.update(assignment.table());
            queuedTable = assignment.table();
            queued = true;
        }
        configured = true;
        return queued;
    }

    @Override
    public String toString() {
        return "WatchedCluster[" + name + (removed ? ", removed" : "") + ", endpoints "
                + (endpointsName == null ? "inline" : "eds:" + endpointsName) + "]";
    }
}
