package dev.meridian.xds;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The ADS client's knowledge of its watched clusters, whatever the protocol variant: the last good
 * CDS resource of each, the EDS assignments they run on, and the rules that turn a valid change
 * into {@link dev.meridian.cluster.Cluster} commands and keep the last good state through an
 * invalid one or a removal.
 *
 * <p>Not thread-safe: the ADS client touches it only inside its synchronization context.
 */
final class WatchedResources {

    private final Map<String, WatchedCluster> watched;
    private final int envoyMinor;
    /** Accepted EDS resources by name, for the names subscribed now. */
    private final Map<String, AcceptedAssignment> assignments = new HashMap<>();

    WatchedResources(Map<String, WatchedCluster> watched, int envoyMinor) {
        this.watched = watched;
        this.envoyMinor = envoyMinor;
    }

    /** The watched cluster of that name, or null when it is not watched. */
    WatchedCluster cluster(String name) {
        return watched.get(name);
    }

    Collection<WatchedCluster> clusters() {
        return watched.values();
    }

    /** The CDS names to subscribe to: every watched name, removed ones included (they may return). */
    List<String> clusterNames() {
        return List.copyOf(watched.keySet());
    }

    /** The EDS names the accepted, not removed, EDS clusters need now, sorted. */
    List<String> endpointNames() {
        TreeSet<String> names = new TreeSet<>();
        for (WatchedCluster w : watched.values()) {
            if (!w.removed && w.endpointsName != null) {
                names.add(w.endpointsName);
            }
        }
        return List.copyOf(names);
    }

    /** Forgets assignments no EDS cluster needs any more; a cluster that returns fetches its own again. */
    void forgetUnsubscribed() {
        assignments.keySet().retainAll(endpointNames());
    }

    /** True when the resource is the one last accepted for a cluster still in service: nothing to do. */
    boolean unchanged(WatchedCluster w, Cluster resource) {
        return !w.removed && resource.equals(w.resource);
    }

    /** True when the assignment is the one last accepted under that name. */
    boolean unchanged(String name, ClusterLoadAssignment resource) {
        AcceptedAssignment previous = assignments.get(name);
        return previous != null && previous.resource.equals(resource);
    }

    /**
     * The control plane no longer has this cluster. Envoy removes it; Meridian keeps serving its last
     * good configuration and endpoints, drops its EDS watch until it returns, and warns.
     */
    void removed(WatchedCluster w, List<XdsWarning> warnings) {
        if (w.resource == null || w.removed) {
            // Never had it (the control plane does not know the name), or told already.
            w.missing();
            return;
        }
        w.removed = true;
        w.missing();
        warnings.add(new XdsWarning("cluster", "'" + w.name + "' is no longer in the control plane's clusters"
                + " (removed); Meridian keeps its last good configuration and endpoints and stops watching its"
                + " endpoints until it returns"));
    }

    /**
     * The control plane no longer has this assignment (incremental xDS only: state of the world
     * cannot say so for EDS). Its clusters keep their endpoints rather than go empty.
     */
    void assignmentRemoved(String name, List<XdsWarning> warnings) {
        if (assignments.remove(name) != null) {
            warnings.add(new XdsWarning("cluster_load_assignment", "'" + name + "' was removed by the control"
                    + " plane; its clusters keep their last good endpoints"));
        }
    }

    /**
     * Validates one CDS resource, then commits it and queues what changed.
     *
     * @return the warnings of its translation
     * @throws RuntimeException (an {@link IllegalArgumentException} naming the field and value)
     *     before anything is committed, when the resource is invalid
     */
    List<XdsWarning> apply(WatchedCluster w, Cluster resource) {
        // The translation rejects what Meridian cannot run at all (cluster_type, ORIGINAL_DST).
        Translated<ClusterSettings> translated = EnvoyClusters.fromEnvoy(resource, envoyMinor);
        List<XdsWarning> warnings = new ArrayList<>();
        String edsName = null;
        LoadAssignment inline = null;
        if (resource.getType() == Cluster.DiscoveryType.EDS) {
            warnings.addAll(translated.warnings());
            String serviceName = resource.getEdsClusterConfig().getServiceName();
            edsName = serviceName.isEmpty() ? resource.getName() : serviceName;
            if (resource.getEdsClusterConfig().hasEdsConfig()) {
                ConfigSource source = resource.getEdsClusterConfig().getEdsConfig();
                if (!source.hasAds() && !source.hasSelf()) {
                    warnings.add(new XdsWarning("cluster.eds_cluster_config.eds_config", "'" + w.name
                            + "' names a " + source.getConfigSourceSpecifierCase() + " source; Meridian"
                            + " fetches its endpoints over its ADS stream"));
                }
            }
        } else {
            // STATIC, STRICT_DNS and LOGICAL_DNS carry their endpoints inline. The translation warns
            // that load_assignment (and a STATIC type) are left to LoadAssignments.fromEnvoy, which
            // is done here, so those two warnings would only mislead; a DNS type's warning (names
            // used as given, never resolved) stays.
            for (XdsWarning warning : translated.warnings()) {
                boolean carriedHere = warning.field().equals("cluster.load_assignment")
                        || (warning.field().equals("cluster.type") && resource.getType() == Cluster.DiscoveryType.STATIC);
                if (!carriedHere) {
                    warnings.add(warning);
                }
            }
            Translated<LoadAssignment> t = LoadAssignments.fromEnvoy(resource.getLoadAssignment().toBuilder()
                    .setClusterName(resource.getName()).build());
            warnings.addAll(t.warnings());
            inline = t.value();
        }
        AcceptedAssignment fromEds = edsName == null ? null : assignments.get(edsName);
        LoadAssignment current = edsName == null ? inline : (fromEds == null ? null : fromEds.assignment);
        // Without an assignment yet the cluster is warming: it waits for its first, as Envoy's does.
        if (current != null) {
            WatchedCluster.balancing(translated.value(), current); // throws before anything is committed
        }
        w.resource = resource;
        w.settings = translated.value();
        w.endpointsName = edsName;
        w.inlineAssignment = inline;
        w.removed = false;
        w.publish(current);
        return warnings;
    }

    /**
     * Validates one EDS resource, then commits it and queues it to every cluster running on it.
     *
     * @return the warnings of its translation, and one when it has no endpoint
     * @throws RuntimeException (an {@link IllegalArgumentException} naming the field and value)
     *     before anything is committed, when the resource is invalid
     */
    List<XdsWarning> apply(String name, ClusterLoadAssignment resource) {
        Translated<LoadAssignment> translated = LoadAssignments.fromEnvoy(resource);
        LoadAssignment assignment = translated.value();
        List<WatchedCluster> dependents = new ArrayList<>();
        for (WatchedCluster w : watched.values()) {
            if (w.dependsOn(name)) {
                if (w.settings != null) {
                    WatchedCluster.balancing(w.settings, assignment); // throws before anything is committed
                }
                dependents.add(w);
            }
        }
        List<XdsWarning> warnings = new ArrayList<>(translated.warnings());
        if (assignment.table().size() == 0) {
            warnings.add(new XdsWarning("cluster_load_assignment.endpoints", "'" + name + "' has no endpoint;"
                    + " its clusters now have nothing to pick, as in Envoy"));
        }
        assignments.put(name, new AcceptedAssignment(resource, assignment));
        for (WatchedCluster w : dependents) {
            w.publish(assignment);
        }
        return warnings;
    }

    /** How a rejected resource is named in {@code error_detail}. */
    static String clusterError(String name, RuntimeException e) {
        return "cluster '" + name + "': " + message(e);
    }

    /** How a rejected assignment is named in {@code error_detail}. */
    static String assignmentError(String name, RuntimeException e) {
        return "cluster_load_assignment '" + name + "': " + message(e);
    }

    private static String message(RuntimeException e) {
        return e instanceof IllegalArgumentException && e.getMessage() != null
                ? e.getMessage()
                : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private record AcceptedAssignment(ClusterLoadAssignment resource, LoadAssignment assignment) {
    }
}
