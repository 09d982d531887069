package dev.meridian.topology;

import dev.meridian.core.Endpoint;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
 * Where the EndpointSlices themselves are at hand (a Kubernetes watch), {@link #assign(List, Caller, Map)}
 * follows the hints they carry instead, as kube-proxy does whoever wrote them.
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
     * The endpoints kube-proxy uses for this caller, with the hints the EndpointSlice controller writes
     * for the Service's {@code trafficDistribution} (see the class documentation).
     *
     * @param endpoints the Service's endpoints (addresses distinct)
     * @param caller the client; its node is its {@value TrafficDistribution#LABEL_HOSTNAME} label
     * @param distribution the Service's {@code trafficDistribution}
     * @throws IllegalArgumentException when an argument is null
     */
    public static PriorityAssignment assign(List<Endpoint> endpoints, Caller caller, TrafficDistribution distribution) {
        if (distribution == null) {
            throw new IllegalArgumentException("trafficDistribution: must not be null (ANY for none)");
        }
        boolean nodeHints = distribution == TrafficDistribution.PREFER_SAME_NODE;
        boolean zoneHints = distribution.prefers();
        Map<String, Hints> hints = new HashMap<>();
        if (endpoints != null) {
            for (Endpoint e : endpoints) {
                String zone = e.locality().zone();
                String node = nodeOf(e);
                hints.put(e.address(), new Hints(zoneHints && !zone.isEmpty() ? Set.of(zone) : Set.of(),
                        nodeHints && !node.isEmpty() ? Set.of(node) : Set.of()));
            }
        }
        return route(endpoints, caller, hints, "trafficDistribution " + distribution.kubernetesName(), distribution);
    }

    /**
     * The endpoints kube-proxy uses for this caller, following the hints the Service's EndpointSlices
     * carry ({@code endpoints[].hints.forZones} and {@code forNodes}, as kubernetes
     * {@code pkg/proxy/endpointslicecache.go} reads them), whoever wrote them: what kube-proxy does, which
     * never reads the Service's {@code trafficDistribution} itself.
     *
     * @param endpoints the Service's endpoints (addresses distinct)
     * @param caller the client; its node is its {@value TrafficDistribution#LABEL_HOSTNAME} label
     * @param hintsByAddress each endpoint's hints by {@link Endpoint#address()}; a missing entry is no hint
     * @throws IllegalArgumentException when an argument is null
     */
    public static PriorityAssignment assign(List<Endpoint> endpoints, Caller caller,
                                            Map<String, Hints> hintsByAddress) {
        if (hintsByAddress == null) {
            throw new IllegalArgumentException("hintsByAddress: must not be null (an empty map for no hints)");
        }
        return route(endpoints, caller, hintsByAddress, "EndpointSlice hints", null);
    }

    /**
     * One endpoint's topology hints, as an EndpointSlice carries them ({@code hints.forZones[].name},
     * {@code hints.forNodes[].name}). kube-proxy reads node hints only with the
     * {@code PreferSameTrafficDistribution} gate, on by default from Kubernetes 1.34.
     *
     * <p>Immutable and thread-safe.
     *
     * @param forZones the zones the endpoint is hinted for, possibly empty
     * @param forNodes the nodes the endpoint is hinted for, possibly empty
     */
    public record Hints(Set<String> forZones, Set<String> forNodes) {
        /** No hint at all. */
        public static final Hints NONE = new Hints(Set.of(), Set.of());

        public Hints {
            forZones = forZones == null ? Set.of() : Set.copyOf(forZones);
            forNodes = forNodes == null ? Set.of() : Set.copyOf(forNodes);
        }
    }

    /**
     * kubernetes {@code pkg/proxy/topology.go}: {@code topologyModeFromHints}, then
     * {@code CategorizeEndpoints} with {@code availableForTopology}, for the cluster traffic policy.
     *
     * @param source what the hints come from, for the reason
     * @param distribution the trafficDistribution the hints were derived from, or null when they were read
     */
    private static PriorityAssignment route(List<Endpoint> endpoints, Caller caller, Map<String, Hints> hints,
                                            String source, TrafficDistribution distribution) {
        if (endpoints == null) {
            throw new IllegalArgumentException("endpoints: must not be null");
        }
        if (caller == null) {
            throw new IllegalArgumentException("caller: must not be null");
        }
        String node = caller.labels().getOrDefault(TrafficDistribution.LABEL_HOSTNAME, "");
        String zone = caller.locality().zone();

        boolean anyReady = false;
        boolean allHaveNodeHint = true;
        boolean hintForNode = false;
        boolean anyNodeHint = false;
        boolean allHaveZoneHint = true;
        boolean anyZoneHint = false;
        boolean hintForZone = false;
        for (Endpoint e : endpoints) {
            if (!ready(e)) {
                continue;
            }
            anyReady = true;
            Hints h = hints.getOrDefault(e.address(), Hints.NONE);
            if (h.forNodes().isEmpty()) {
                allHaveNodeHint = false;
            } else {
                anyNodeHint = true;
                if (h.forNodes().contains(node)) {
                    hintForNode = true;
                }
            }
            if (h.forZones().isEmpty()) {
                allHaveZoneHint = false;
            } else {
                anyZoneHint = true;
                if (h.forZones().contains(zone)) {
                    hintForZone = true;
                }
            }
        }
        boolean derived = distribution != null;
        boolean nodeHintsWritten = derived ? distribution == TrafficDistribution.PREFER_SAME_NODE : anyNodeHint;
        String mode;
        String why;
        if (!anyReady) {
            mode = "";
            why = "no endpoint is ready, so there are no hints to follow";
        } else if (allHaveNodeHint && hintForNode) {
            mode = "PreferSameNode";
            why = "every ready endpoint has a node hint and one is for node '" + node + "'";
        } else if (allHaveZoneHint && hintForZone) {
            mode = "PreferSameZone";
            String nodeWhy = "";
            if (nodeHintsWritten) {
                nodeWhy = (allHaveNodeHint ? "no ready endpoint is on node '" + node + "'"
                        : derived ? "a ready endpoint has no node (" + TrafficDistribution.LABEL_HOSTNAME + ")"
                        : "a ready endpoint has no node hint") + ", so the node hints are ignored; ";
            }
            why = nodeWhy + "every ready endpoint has a zone hint and one is for zone '" + zone + "'";
        } else if (derived) {
            why = !distribution.prefers()
                    ? "trafficDistribution is not set, so the EndpointSlice controller writes no hints"
                    : !allHaveZoneHint ? "a ready endpoint has no zone, so it gets no zone hint and kube-proxy"
                            + " ignores every hint"
                    : "no ready endpoint is in the caller's zone '" + zone + "', so kube-proxy ignores the hints";
            mode = "";
        } else {
            why = !anyZoneHint ? "no ready endpoint carries a zone hint"
                    : !allHaveZoneHint ? "a ready endpoint has no zone hint, so kube-proxy ignores every hint"
                    : "no ready endpoint is hinted for the caller's zone '" + zone
                            + "', so kube-proxy ignores the hints";
            mode = "";
        }

        List<Endpoint> used = new ArrayList<>();
        List<ExcludedEndpoint> excluded = new ArrayList<>();
        for (Endpoint e : endpoints) {
            if (!ready(e)) {
                continue;
            }
            Hints h = hints.getOrDefault(e.address(), Hints.NONE);
            if (mode.equals("PreferSameNode") && !h.forNodes().contains(node)) {
                excluded.add(new ExcludedEndpoint(e, "kube-proxy PreferSameNode: " + hintText("node", h.forNodes())
                        + " the caller's node '" + node + "' (pkg/proxy/topology.go availableForTopology)"));
            } else if (mode.equals("PreferSameZone") && !h.forZones().contains(zone)) {
                excluded.add(new ExcludedEndpoint(e, "kube-proxy PreferSameZone: " + hintText("zone", h.forZones())
                        + " the caller's zone '" + zone + "' (pkg/proxy/topology.go availableForTopology)"));
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
            reason = "kube-proxy (no mesh), " + source + ": " + why
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

    /** "its zone hint 'z2' is not", or "its zone hints [a, b] do not include", or "it has no zone hint for". */
    private static String hintText(String kind, Set<String> hints) {
        if (hints.isEmpty()) {
            return "it has no " + kind + " hint for";
        }
        if (hints.size() == 1) {
            return "its " + kind + " hint '" + hints.iterator().next() + "' is not";
        }
        return "its " + kind + " hints " + new java.util.TreeSet<>(hints) + " do not include";
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
