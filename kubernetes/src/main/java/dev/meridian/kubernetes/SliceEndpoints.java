package dev.meridian.kubernetes;

import dev.meridian.core.Endpoint;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.istio.CallerProxy;
import dev.meridian.topology.KubeProxyRouting;
import dev.meridian.topology.LocalityPriorities;
import dev.meridian.topology.TrafficDistribution;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.ForNode;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * A Service's EndpointSlices and the Nodes they name, read into Meridian endpoints for one Service
 * port, as the chosen proxy's control plane reads them.
 *
 * <ul>
 *   <li>Slices are matched to the Service port by port name, as Istio ({@code updateEndpointCacheForSlice},
 *       one endpoint per slice port) and kube-proxy ({@code endpointInfoByServicePort}) do; the
 *       endpoint's port is the slice's. {@code FQDN} slices are skipped (Istio: "TODO support FQDN
 *       endpointslice"; kube-proxy keeps only its IP family).</li>
 *   <li>Health: {@link EndpointHealth}.</li>
 *   <li>Locality: the labels of the endpoint's Node ({@code nodeName}), as Istio's
 *       {@code Controller.getPodLocality} reads the pod's node: {@code topology.kubernetes.io/region}
 *       (else {@code failure-domain.beta.kubernetes.io/region}), {@code topology.kubernetes.io/zone}
 *       (else the beta zone label) and {@code topology.istio.io/subzone}. The slice's own {@code zone}
 *       field is not read: Istio never reads it, and kube-proxy reads only the hints. For a sidecar,
 *       an endpoint whose {@code targetRef} is not a Pod has no locality, as Istio builds it without a
 *       pod ({@code NewEndpointBuilder(nil)}).</li>
 *   <li>Labels: {@code kubernetes.io/hostname} = the node name, one of the labels Istio's
 *       {@code AugmentLabels} adds (the locality labels are added by {@link LocalityPriorities}); the
 *       pod's own labels are not known (pods are not watched).</li>
 *   <li>Addresses: every address for a sidecar (Istio builds one endpoint per address), the first
 *       only for kube-proxy ({@code addEndpoints} uses {@code Addresses[0]}). An address seen in an
 *       earlier slice (slices in name order) is not added again: an endpoint moving between slices.</li>
 *   <li>Hints: {@code hints.forZones} and {@code hints.forNodes}, for kube-proxy.</li>
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
final class SliceEndpoints {

    static final String LABEL_BETA_REGION = "failure-domain.beta.kubernetes.io/region";
    static final String LABEL_BETA_ZONE = "failure-domain.beta.kubernetes.io/zone";

    /**
     * The endpoints and their hints.
     *
     * @param endpoints in slice-name order, then the slice's order
     * @param hints each endpoint's hints by address, for kube-proxy
     */
    record Read(List<Endpoint> endpoints, Map<String, KubeProxyRouting.Hints> hints) {
    }

    private SliceEndpoints() {
    }

    /**
     * Reads the slices.
     *
     * @param portName the Service port's name ({@code ""} for an unnamed single port)
     * @param nodes the Node with a name, or null when it is not known
     * @param supportsDraining whether the Service has a persistent-session label (Istio's draining state)
     * @param warnings where to add what could not be used
     */
    static Read read(Collection<EndpointSlice> slices, String portName, Function<String, Node> nodes, CallerProxy proxy,
                     boolean supportsDraining, List<KubernetesWarning> warnings) {
        List<EndpointSlice> ordered = new ArrayList<>(slices);
        ordered.sort(Comparator.comparing(s -> s.getMetadata().getName()));
        Map<String, Endpoint> byAddress = new LinkedHashMap<>();
        Map<String, KubeProxyRouting.Hints> hints = new HashMap<>();
        Set<String> nodesWarned = new HashSet<>();
        for (EndpointSlice slice : ordered) {
            String field = "endpointslices/" + slice.getMetadata().getNamespace() + "/" + slice.getMetadata().getName();
            List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> items = slice.getEndpoints() == null
                    ? List.of() : slice.getEndpoints();
            if ("FQDN".equals(slice.getAddressType())) {
                if (!items.isEmpty()) {
                    warnings.add(new KubernetesWarning(field + ".addressType", "FQDN slices are used neither by Istio"
                            + " (endpointslice.go updateEndpointCacheForSlice) nor by kube-proxy; skipped"));
                }
                continue;
            }
            Integer port = port(slice, portName);
            if (port == null) {
                if (!items.isEmpty()) {
                    warnings.add(new KubernetesWarning(field + ".ports", "no port named '" + portName
                            + "' with a number in 1..65535; its " + items.size() + " endpoints are skipped"));
                }
                continue;
            }
            for (int i = 0; i < items.size(); i++) {
                read(items.get(i), field + ".endpoints[" + i + "]", port, nodes, proxy, supportsDraining, byAddress,
                        hints, nodesWarned, warnings);
            }
        }
        return new Read(new ArrayList<>(byAddress.values()), hints);
    }

    private static void read(io.fabric8.kubernetes.api.model.discovery.v1.Endpoint item, String field, int port,
                             Function<String, Node> nodes, CallerProxy proxy, boolean supportsDraining,
                             Map<String, Endpoint> byAddress, Map<String, KubeProxyRouting.Hints> hints,
                             Set<String> nodesWarned, List<KubernetesWarning> warnings) {
        List<String> addresses = item.getAddresses() == null ? List.of() : item.getAddresses();
        if (addresses.isEmpty()) {
            warnings.add(new KubernetesWarning(field + ".addresses", "empty; the endpoint is skipped"));
            return;
        }
        EndpointConditions c = item.getConditions();
        HealthStatus health = EndpointHealth.of(proxy,
                c == null ? null : c.getReady(), c == null ? null : c.getServing(),
                c == null ? null : c.getTerminating(), supportsDraining);
        String nodeName = item.getNodeName() == null ? "" : item.getNodeName();
        Locality locality = Locality.UNKNOWN;
        ObjectReference target = item.getTargetRef();
        boolean pod = target != null && "Pod".equals(target.getKind());
        if (!nodeName.isEmpty() && (pod || proxy == CallerProxy.KUBE_PROXY)) {
            locality = locality(nodes.apply(nodeName), nodeName, nodesWarned, warnings);
            String zone = item.getZone();
            if (zone != null && !zone.isEmpty() && !locality.zone().isEmpty() && !zone.equals(locality.zone())) {
                warnings.add(new KubernetesWarning(field + ".zone", "'" + zone + "' differs from node '" + nodeName
                        + "''s zone label '" + locality.zone() + "'; the node's label is used, as Istio reads it"
                        + " (controller.go getPodLocality), and kube-proxy reads only the hints"));
            }
        }
        Map<String, String> labels = nodeName.isEmpty() ? Map.of()
                : Map.of(TrafficDistribution.LABEL_HOSTNAME, nodeName);
        KubeProxyRouting.Hints endpointHints = hints(item.getHints());
        int used = proxy == CallerProxy.KUBE_PROXY ? 1 : addresses.size();
        for (int a = 0; a < used; a++) {
            Endpoint e;
            try {
                e = new Endpoint(addresses.get(a), port, locality, labels, 1, health, Endpoint.NO_PRIORITY);
            } catch (IllegalArgumentException bad) {
                warnings.add(new KubernetesWarning(field + ".addresses[" + a + "]", bad.getMessage()
                        + "; the address is skipped"));
                continue;
            }
            if (byAddress.putIfAbsent(e.address(), e) == null) {
                hints.put(e.address(), endpointHints);
            }
        }
    }

    private static Locality locality(Node node, String nodeName, Set<String> nodesWarned,
                                     List<KubernetesWarning> warnings) {
        if (node == null) {
            if (nodesWarned.add(nodeName)) {
                warnings.add(new KubernetesWarning("nodes/" + nodeName, "not found; its endpoints' locality is"
                        + " unknown, as Istio's getPodLocality returns none for a missing node"));
            }
            return Locality.UNKNOWN;
        }
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        String region = label(labels, LocalityPriorities.LABEL_REGION, LABEL_BETA_REGION);
        String zone = label(labels, LocalityPriorities.LABEL_ZONE, LABEL_BETA_ZONE);
        String subzone = label(labels, LocalityPriorities.LABEL_SUBZONE, null);
        try {
            Locality l = Locality.of(region, zone, subzone);
            if (l.isUnknown() && nodesWarned.add(nodeName)) {
                warnings.add(new KubernetesWarning("nodes/" + nodeName + ".metadata.labels", "no "
                        + LocalityPriorities.LABEL_REGION + ", " + LocalityPriorities.LABEL_ZONE + " or "
                        + LocalityPriorities.LABEL_SUBZONE + " label; its endpoints' locality is unknown, as Istio's"));
            }
            return l;
        } catch (IllegalArgumentException bad) {
            if (nodesWarned.add(nodeName)) {
                warnings.add(new KubernetesWarning("nodes/" + nodeName + ".metadata.labels", bad.getMessage()
                        + "; its endpoints' locality is unknown"));
            }
            return Locality.UNKNOWN;
        }
    }

    /** Istio's {@code getLabelValue}: the GA label, else the fallback. */
    private static String label(Map<String, String> labels, String label, String fallback) {
        String v = labels.get(label);
        if (v != null && !v.isEmpty()) {
            return v;
        }
        return fallback == null ? "" : labels.getOrDefault(fallback, "");
    }

    private static Integer port(EndpointSlice slice, String portName) {
        if (slice.getPorts() == null) {
            return null;
        }
        for (EndpointPort p : slice.getPorts()) {
            String name = p.getName() == null ? "" : p.getName();
            if (Objects.equals(name, portName)) {
                Integer n = p.getPort();
                return n == null || n < 1 || n > 65535 ? null : n;
            }
        }
        return null;
    }

    private static KubeProxyRouting.Hints hints(EndpointHints h) {
        if (h == null) {
            return KubeProxyRouting.Hints.NONE;
        }
        Set<String> zones = new HashSet<>();
        if (h.getForZones() != null) {
            for (ForZone z : h.getForZones()) {
                if (z.getName() != null && !z.getName().isEmpty()) {
                    zones.add(z.getName());
                }
            }
        }
        Set<String> forNodes = new HashSet<>();
        if (h.getForNodes() != null) {
            for (ForNode n : h.getForNodes()) {
                if (n.getName() != null && !n.getName().isEmpty()) {
                    forNodes.add(n.getName());
                }
            }
        }
        return new KubeProxyRouting.Hints(zones, forNodes);
    }
}
