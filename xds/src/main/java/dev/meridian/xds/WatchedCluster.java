package dev.meridian.xds;

import dev.meridian.cluster.Cluster;
import dev.meridian.core.EndpointTable;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.util.Objects;

/**
 * One watched destination: the last good CDS resource and its settings, where its endpoints come
 * from, the assignment last applied, and what was last queued to its {@link Cluster} (or told its
 * {@link ClusterWatcher}), so that only changes become commands.
 *
 * <p>Not thread-safe: the ADS client touches it only inside its synchronization context.
 */
final class WatchedCluster {

    private static final System.Logger LOG = System.getLogger(AdsClient.class.getName());

    final String name;
    /** The cluster fed, or null when a watcher hears the updates instead. */
    final Cluster target;
    /** The watcher told, or null when a cluster is fed. */
    final ClusterWatcher watcher;

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
    /** True after the watcher was told the cluster is missing, until it is applied again. */
    private boolean missingTold;

    /** Exactly one of {@code target} and {@code watcher} is non-null. */
    WatchedCluster(String name, Cluster target, ClusterWatcher watcher) {
        this.name = name;
        this.target = target;
        this.watcher = watcher;
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
     * outlier-detection configuration and the endpoint table, in that order; or, with a watcher,
     * tells it the settings and the assignment when any of the three changed (or the cluster was
     * missing). Nothing while the cluster is warming (settings or assignment still unknown), as Envoy
     * keeps a cluster out of use until its first ClusterLoadAssignment arrives.
     *
     * @return true when something was queued or told
     */
    boolean publish(LoadAssignment assignment) {
        if (settings == null || assignment == null) {
            return false;
        }
        LbConfig lb = balancing(settings, assignment);
        OutlierDetectionConfig outlier = settings.outlierDetection();
        boolean lbChanged = !configured || !lb.equals(queuedLb);
        boolean outlierChanged = !configured || !Objects.equals(outlier, queuedOutlier);
        boolean tableChanged = assignment.table() != queuedTable;
        if (target != null) {
            if (lbChanged) {
                target.configure(lb);
            }
            if (outlierChanged) {
                target.configure(outlier);
            }
            if (tableChanged) {
                target.update(assignment.table());
            }
        }
        queuedLb = lb;
        queuedOutlier = outlier;
        queuedTable = assignment.table();
        configured = true;
        boolean changed = lbChanged || outlierChanged || tableChanged || missingTold;
        missingTold = false;
        if (changed && watcher != null) {
            try {
                watcher.onApplied(settings, assignment);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "ADS client watcher of cluster " + name + " failed", e);
            }
        }
        return changed;
    }

    /** The control plane says the cluster does not exist: tells the watcher, once per change. */
    void missing() {
        if (watcher == null || missingTold) {
            return;
        }
        missingTold = true;
        try {
            watcher.onMissing(name);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "ADS client watcher of cluster " + name + " failed", e);
        }
    }

    @Override
    public String toString() {
        return "WatchedCluster[" + name + (removed ? ", removed" : "") + ", endpoints "
                + (endpointsName == null ? "inline" : "eds:" + endpointsName) + "]";
    }
}
