package dev.meridian.topology;

import dev.meridian.core.Endpoint;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which endpoints kube-proxy on the caller's node sends a Service's traffic to, for a caller outside
 * the mesh: the Service's {@code trafficDistribution} as the EndpointSlice controller writes it into
 * hints and kube-proxy reads them back.
 *
 * <ul>
 *   <li>Hints (kubernetes {@code staging/src/k8s.io/endpointslice/trafficdist/trafficdist.go},
 *       {@code preferCloseHeuristic.update}): for {@code PreferClose}, {@code PreferSameZone} and
 *       {@code PreferSameNode} every <em>ready</em> endpoint gets a zone hint for its own zone (when it
 *       has one) and, for {@code PreferSameNode} only, a node hint for its own node.</li>
 *   <li>Mode (kubernetes {@code pkg/proxy/topology.go} {@code topologyModeFromHints}): same node when
 *       every ready endpoint has a node hint and one is for the caller's node (the
 *       {@code PreferSameTrafficDistribution} gate, on by default from Kubernetes 1.34); else same
 *       zone when every ready endpoint has a zone hint and one is for the caller's zone; else no
 *       topology. There is no region level.</li>
 *   <li>Endpoints ({@code CategorizeEndpoints}, cluster traffic policy): the ready endpoints the mode
 *       allows; when there are none at all, the serving-terminating endpoints, ignoring topology
 *       (KEP-1669).</li>
 * </ul>
 * kube-proxy then picks uniformly at random among them (iptables and nftables), with no outlier
 * detection, no priorities and no weights: the assignment has one priority, and the caller should
 * balance it with Envoy's {@code RANDOM} and no panic.
 *
 * <p>Meridian's health values stand for the EndpointSlice conditions: {@code HEALTHY} and
 * {@code UNKNOWN} are ready; {@code DRAINING} is serving and terminating; {@code TERMINATING} is
 * terminating and no longer serving; {@code UNHEALTHY} is not ready. {@code DEGRADED} and
 * {@code TIMEOUT} are Envoy states a Kubernetes endpoint never has and count as not ready. A node is
 * the {@value TrafficDistribution#LABEL_HOSTNAME} label of the caller and of each endpoint; a zone is
 * the locality's zone.
 *
 * <p>Stateless and thread-safe; cold path.
 */
public final class KubeProxyRouting {

    private KubeProxyRouting() {
    }

    /**
     * The endpoints kube-proxy uses for this caller.
     *
     * @param endpoints the Service's endpoints (addresses distinct)
     * @param caller the client; its node is its {@value TrafficDistribution#LABEL_HOSTNAME} label
     * @param distribution the Service's {@code trafficDistribution}
     * @throws IllegalArgumentException when an argument is null
     */
    public static PriorityAssignment assign(List<Endpoint> endpoints, Caller caller, TrafficDistribution distribution) {
        if (endpoints == null) {
            throw new IllegalArgumentException("endpoints: must not be null");
        }
        if (caller == null) {
            throw new IllegalArgumentException("caller: must not be null");
        }
        if (distribution == null) {
            throw new IllegalArgumentException("trafficDistribution: must not be null (ANY for none)");
        }
        String node = caller.labels().getOrDefault(TrafficDistribution.LABEL_HOSTNAME, "");
        String zone = caller.locality().zone();
        boolean nodeHints = distribution == TrafficDistribution.PREFER_SAME_NODE;
        boolean zoneHints = distribution.prefers();

        boolean anyReady = false;
        boolean allHaveNodeHint = true;
        boolean hintForNode = false;
        boolean allHaveZoneHint = true;
        boolean hintForZone = false;
        for (Endpoint e : endpoints) {
            if (!ready(e)) {
                continue;
            }
            anyReady = true;
            String epNode = nodeOf(e);
            if (!nodeHints || epNode.isEmpty()) {
                allHaveNodeHint = false;
            } else if (epNode.equals(node)) {
                hintForNode = true;
            }
            String epZone = e.locality().zone();
            if (!zoneHints || epZone.isEmpty()) {
                allHaveZoneHint = false;
            } else if (epZone.equals(zone)) {
                hintForZone = true;
            }
        }
        String mode;
        String why;
        if (!anyReady) {
            mode = "";
            why = "no endpoint is ready, so there are no hints to follow";
        } else if (nodeHints && allHaveNodeHint && hintForNode) {
            mode = "PreferSameNode";
            why = "every ready endpoint has a node hint and one is for node '" + node + "'";
        } else if (zoneHints && allHaveZoneHint && hintForZone) {
            mode = "PreferSameZone";
            why = (nodeHints ? (allHaveNodeHint ? "no ready endpoint is on node '" + node + "'"
                    : "a ready endpoint has no node (" + TrafficDistribution.LABEL_HOSTNAME + ")") + ", so the"
                    + " node hints are ignored; " : "")
                    + "every ready endpoint has a zone hint and one is for zone '" + zone + "'";
        } else {
            mode = "";
            why = !zoneHints ? "trafficDistribution is not set, so the EndpointSlice controller writes no hints"
                    : !allHaveZoneHint ? "a ready endpoint has no zone, so it gets no zone hint and kube-proxy"
                            + " ignores every hint"
                    : "no ready endpoint is in the caller's zone '" + zone + "', so kube-proxy ignores the hints";
        }

        List<Endpoint> used = new ArrayList<>();
        List<ExcludedEndpoint> excluded = new ArrayList<>();
        for (Endpoint e : endpoints) {
            if (!ready(e)) {
                continue;
            }
            if (mode.equals("PreferSameNode") && !nodeOf(e).equals(node)) {
                excluded.add(new ExcludedEndpoint(e, "kube-proxy PreferSameNode: its node hint '" + nodeOf(e)
                        + "' is not the caller's node '" + node + "' (pkg/proxy/topology.go availableForTopology)"));
            } else if (mode.equals("PreferSameZone") && !e.locality().zone().equals(zone)) {
                excluded.add(new ExcludedEndpoint(e, "kube-proxy PreferSameZone: its zone hint '"
                        + e.locality().zone() + "' is not the caller's zone '" + zone + "'"
                        + " (pkg/proxy/topology.go availableForTopology)"));
            } else {
                used.add(e);
            }
        }
        boolean servingTerminating = used.isEmpty();
        String reason;
        if (servingTerminating) {
            for (Endpoint e : endpoints) {
                if (e.health() == HealthStatus.DRAINING) {
                    // kube-proxy treats them as usable; the load balancer must see them as healthy.
                    used.add(e.withHealth(HealthStatus.HEALTHY));
                }
            }
            reason = "kube-proxy (no mesh): " + why + "; no ready endpoint anywhere, so it falls back to the"
                    + " serving-terminating endpoints (DRAINING here) cluster-wide (pkg/proxy/topology.go"
                    + " CategorizeEndpoints, KEP-1669), picked uniformly at random";
        } else {
            reason = "kube-proxy (no mesh), trafficDistribution " + distribution.kubernetesName() + ": " + why
                    + (mode.isEmpty() ? "; every ready endpoint in the cluster" : "; only the " + mode
                            + " ready endpoints")
                    + " (kubernetes pkg/proxy/topology.go topologyModeFromHints, CategorizeEndpoints), picked"
                    + " uniformly at random, weights and priorities ignored";
        }
        for (Endpoint e : endpoints) {
            if (!ready(e) && !(servingTerminating && e.health() == HealthStatus.DRAINING)) {
                excluded.add(new ExcludedEndpoint(e, "kube-proxy uses only ready endpoints"
                        + (servingTerminating ? " and, with none ready, serving-terminating ones" : " while any is ready")
                        + "; this one is " + describe(e.health()) + " (pkg/proxy/topology.go CategorizeEndpoints)"));
            }
        }

        Map<Locality, List<Endpoint>> groups = new LinkedHashMap<>();
        for (Endpoint e : used) {
            groups.computeIfAbsent(e.locality(), k -> new ArrayList<>()).add(e);
        }
        List<LocalityGroup> localities = new ArrayList<>(groups.size());
        for (Map.Entry<Locality, List<Endpoint>> g : groups.entrySet()) {
            localities.add(new LocalityGroup(g.getKey(), g.getValue().size(), g.getValue()));
        }
        List<Priority> priorities = localities.isEmpty() ? List.of() : List.of(new Priority(0, localities));
        return new PriorityAssignment(!mode.isEmpty(), reason, PriorityAssignment.MODE_KUBE_PROXY, false, priorities,
                excluded, List.of());
    }

    /** Ready in EndpointSlice terms: Meridian's healthy statuses. */
    static boolean ready(Endpoint e) {
        return e.health().isHealthy();
    }

    private static String nodeOf(Endpoint e) {
        return e.labels().getOrDefault(TrafficDistribution.LABEL_HOSTNAME, "");
    }

    private static String describe(HealthStatus h) {
        return switch (h) {
            case DRAINING -> "serving but terminating";
            case TERMINATING -> "terminating";
            case UNHEALTHY -> "not ready";
            default -> h.name() + ", an Envoy state that is not ready in Kubernetes terms";
        };
    }
}
