package dev.meridian.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbConfig;
import dev.meridian.topology.LocalityGroup;
import dev.meridian.topology.Priority;
import dev.meridian.topology.PriorityAssignment;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Envoy's {@code ClusterLoadAssignment} (EDS) to a {@link LoadAssignment} and back, read as
 * Envoy's EDS cluster reads it ({@code source/extensions/clusters/eds/eds.cc},
 * {@code PriorityStateManager} in {@code source/common/upstream/upstream_impl.cc}):
 * <ul>
 *   <li>every endpoint keeps its group's {@code priority}; priorities need not be contiguous: a
 *       priority no group names is an empty host set ({@code batchUpdate});</li>
 *   <li>a locality's weight is the {@code load_balancing_weight} of a group that has both a
 *       {@code locality} and a weight; a later group of the same locality and priority replaces
 *       an earlier one's weight, and a group without a {@code locality} message has weight 0
 *       ({@code initializePriorityFor}); groups of one locality and priority are one locality
 *       ({@code updateClusterPrioritySet} groups hosts by locality);</li>
 *   <li>an endpoint without {@code load_balancing_weight} weighs 1; an endpoint whose address
 *       appeared before is left out, the first kept ({@code updateLocalityEndpoints});</li>
 *   <li>{@code health_status} keeps Envoy's six values ({@code HostImplBase::setEdsHealthFlag});
 *       which of them take traffic in which Envoy release is the load balancer's business.</li>
 * </ul>
 * String values of an endpoint's {@code filter_metadata["envoy.lb"]} (what Envoy's subset load
 * balancer matches) become the endpoint's labels; the {@code istio} and
 * {@code envoy.transport_socket_match} namespaces are not about endpoint choice; others are
 * warned. Field by field: docs/xds.md.
 *
 * <p>Thread-safe: stateless.
 */
public final class LoadAssignments {

    /** The metadata namespace whose string values become an endpoint's labels, and back. */
    public static final String LABELS_NAMESPACE = "envoy.lb";
    /** Metadata namespaces that are not about endpoint choice (Istio's telemetry, mTLS matching). */
    static final Set<String> NOT_ABOUT_ENDPOINT_CHOICE_NAMESPACES = Set.of("istio", "envoy.transport_socket_match");
    /** Envoy's largest priority ({@code LocalityLbEndpoints.priority}: {@code lte: 128}). */
    public static final int ENVOY_MAX_PRIORITY = 128;

    private static final String ROOT = "cluster_load_assignment";

    // The rules of the messages read once per locality group or endpoint, looked up once.
    private static final FieldRules.ForType GROUP_RULES = FieldRules.forType(LocalityLbEndpoints.getDescriptor());
    private static final FieldRules.ForType LOCALITY_RULES =
            FieldRules.forType(io.envoyproxy.envoy.config.core.v3.Locality.getDescriptor());
    private static final FieldRules.ForType LB_ENDPOINT_RULES = FieldRules.forType(LbEndpoint.getDescriptor());
    private static final FieldRules.ForType ENDPOINT_RULES =
            FieldRules.forType(io.envoyproxy.envoy.config.endpoint.v3.Endpoint.getDescriptor());
    private static final FieldRules.ForType ADDRESS_RULES = FieldRules.forType(Address.getDescriptor());
    private static final FieldRules.ForType SOCKET_ADDRESS_RULES = FieldRules.forType(SocketAddress.getDescriptor());
    private static final FieldRules.ForType METADATA_RULES = FieldRules.forType(Metadata.getDescriptor());

    private LoadAssignments() {
    }

    /**
     * Reads an assignment as Envoy's EDS cluster would.
     *
     * @throws IllegalArgumentException naming the proto field and its value when Envoy would reject
     *     the assignment (empty cluster name, weight 0, priority above 128, port above 65535, an
     *     overprovisioning factor of 0) or Meridian cannot hold it (port 0, a pipe address, a
     *     priority of 128, a weight above {@link Endpoint#MAX_WEIGHT})
     */
    public static Translated<LoadAssignment> fromEnvoy(ClusterLoadAssignment assignment) {
        if (assignment == null) {
            throw new IllegalArgumentException(ROOT + ": must not be null");
        }
        WarningList warnings = new WarningList();
        String name = assignment.getClusterName();
        if (name.isBlank()) {
            throw new IllegalArgumentException(ROOT + ".cluster_name: must not be empty, got '" + name + "'");
        }
        FieldRules.warnUnmapped(assignment, ROOT, warnings);

        int factor = LbConfig.DEFAULT_OVERPROVISIONING_FACTOR;  // eds.cc: kDefaultOverProvisioningFactor
        boolean weightedPriorityHealth = false;
        if (assignment.hasPolicy()) {
            ClusterLoadAssignment.Policy policy = assignment.getPolicy();
            FieldRules.warnUnmapped(policy, ROOT + ".policy", warnings);
            if (policy.hasOverprovisioningFactor()) {
                int f = policy.getOverprovisioningFactor().getValue();
                if (f <= 0) {  // uint32: a value above 2^31 reads as negative
                    throw new IllegalArgumentException(ROOT + ".policy.overprovisioning_factor: must be >= 1 and at"
                            + " most " + Integer.MAX_VALUE + ", got '" + Integer.toUnsignedString(f) + "'");
                }
                factor = f;
            }
            weightedPriorityHealth = policy.getWeightedPriorityHealth();
            if (policy.hasEndpointStaleAfter()) {
                com.google.protobuf.Duration d = policy.getEndpointStaleAfter();
                if (d.getSeconds() < 0 || (d.getSeconds() == 0 && d.getNanos() <= 0)) {
                    throw new IllegalArgumentException(ROOT + ".policy.endpoint_stale_after: must be greater than 0,"
                            + " got '" + d.getSeconds() + "s " + d.getNanos() + "ns'");
                }
            }
            for (int i = 0; i < policy.getDropOverloadsCount(); i++) {
                if (policy.getDropOverloads(i).getCategory().isEmpty()) {
                    throw new IllegalArgumentException(ROOT + ".policy.drop_overloads[" + i
                            + "].category: must not be empty, got ''");
                }
            }
        }

        // First pass: each (priority, locality)'s weight, as PriorityStateManager::initializePriorityFor
        // records it: only from a group with both a locality and a weight, the last such group winning.
        int groups = assignment.getEndpointsCount();
        Locality[] localities = new Locality[groups];
        int endpointCount = 0;
        List<Map<Locality, Integer>> localityWeights = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            LocalityLbEndpoints group = assignment.getEndpoints(g);
            int priority = priority(group, g);
            while (localityWeights.size() <= priority) {
                localityWeights.add(new HashMap<>());
            }
            Locality locality = locality(group, g);
            localities[g] = locality;
            endpointCount += group.getLbEndpointsCount();
            if (group.hasLoadBalancingWeight()) {
                int w = group.getLoadBalancingWeight().getValue();
                if (w <= 0) {
                    throw new IllegalArgumentException(groupPath(g) + ".load_balancing_weight: must be >= 1 and at"
                            + " most " + Integer.MAX_VALUE + ", got '" + Integer.toUnsignedString(w) + "'");
                }
                if (group.hasLocality()) {
                    localityWeights.get(priority).put(locality, w);
                } else {
                    warnings.add(groupPath(g) + ".load_balancing_weight", "Envoy keeps a locality weight only for a"
                            + " group with a locality (PriorityStateManager::initializePriorityFor): weight 0");
                }
            }
        }

        // Paths are built only for a warning or an error: an update of many endpoints that has
        // neither costs no string per endpoint.
        EndpointTable.Builder table = EndpointTable.builder();
        Set<HostPort> seen = new HashSet<>(Math.max(16, (int) (endpointCount / 0.75f) + 1));
        for (int g = 0; g < groups; g++) {
            LocalityLbEndpoints group = assignment.getEndpoints(g);
            if (GROUP_RULES.hasUnmapped(group)) {
                GROUP_RULES.warnUnmapped(group, groupPath(g), warnings);
            }
            int priority = group.getPriority();
            Locality locality = localities[g];
            if (group.hasLocality() && LOCALITY_RULES.hasUnmapped(group.getLocality())) {
                LOCALITY_RULES.warnUnmapped(group.getLocality(), groupPath(g) + ".locality", warnings);
            }
            int localityWeight = localityWeights.get(priority).getOrDefault(locality, 0);
            for (int e = 0; e < group.getLbEndpointsCount(); e++) {
                Endpoint endpoint = endpoint(group.getLbEndpoints(e), g, e, locality, priority, warnings);
                if (endpoint == null) {
                    continue;
                }
                if (!seen.add(new HostPort(endpoint.host(), endpoint.port()))) {
                    warnings.add(endpointPath(g, e) + ".endpoint.address", "a duplicate of an earlier endpoint's"
                            + " address '" + endpoint.address() + "': Envoy keeps the first (eds.cc"
                            + " updateLocalityEndpoints), so does Meridian");
                    continue;
                }
                table.add(endpoint, priority, localityWeight);
            }
        }
        return new Translated<>(new LoadAssignment(name, table.build(), factor, weightedPriorityHealth),
                warnings.toList());
    }

    /**
     * An endpoint's address as a key: two endpoints have the same {@code host:port} exactly when
     * they have the same host and port, and this key does not build the string (the table builds
     * it once more).
     */
    private record HostPort(String host, int port) {
    }

    /** The proto path of group {@code g}. */
    private static String groupPath(int g) {
        return ROOT + ".endpoints[" + g + "]";
    }

    /** The proto path of endpoint {@code e} of group {@code g}. */
    private static String endpointPath(int g, int e) {
        return groupPath(g) + ".lb_endpoints[" + e + "]";
    }

    private static int priority(LocalityLbEndpoints group, int g) {
        int p = group.getPriority();
        if (p < 0 || p > ENVOY_MAX_PRIORITY) {
            throw new IllegalArgumentException(groupPath(g) + ".priority: must be 0.." + ENVOY_MAX_PRIORITY
                    + ", got '" + Integer.toUnsignedString(p) + "'");
        }
        if (p > Endpoint.MAX_PRIORITY) {
            throw new IllegalArgumentException(groupPath(g) + ".priority: Meridian holds priorities 0.."
                    + Endpoint.MAX_PRIORITY + ", got '" + p + "'");
        }
        return p;
    }

    private static Locality locality(LocalityLbEndpoints group, int g) {
        if (!group.hasLocality()) {
            return Locality.UNKNOWN;
        }
        io.envoyproxy.envoy.config.core.v3.Locality l = group.getLocality();
        try {
            return Locality.of(l.getRegion(), l.getZone(), l.getSubZone());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(groupPath(g) + ".locality: Meridian's localities cannot contain '/',"
                    + " got '" + l.getRegion() + "', '" + l.getZone() + "', '" + l.getSubZone() + "'", e);
        }
    }

    private static Endpoint endpoint(LbEndpoint lb, int g, int e, Locality locality, int priority,
                                     WarningList warnings) {
        if (LB_ENDPOINT_RULES.hasUnmapped(lb)) {
            LB_ENDPOINT_RULES.warnUnmapped(lb, endpointPath(g, e), warnings);
        }
        if (!lb.hasEndpoint()) {
            if (lb.getHostIdentifierCase() == LbEndpoint.HostIdentifierCase.ENDPOINT_NAME) {
                return null;  // warned by its rule
            }
            throw new IllegalArgumentException(endpointPath(g, e) + ".endpoint: must be set, got nothing");
        }
        io.envoyproxy.envoy.config.endpoint.v3.Endpoint endpoint = lb.getEndpoint();
        if (endpoint.hasHealthCheckConfig() && isOnlyHealthCheckHostname(endpoint.getHealthCheckConfig())) {
            // Envoy's config dump sets it on every host (addLbEndpoint): no health check configured
            endpoint = endpoint.toBuilder().clearHealthCheckConfig().build();
        }
        if (ENDPOINT_RULES.hasUnmapped(endpoint)) {
            ENDPOINT_RULES.warnUnmapped(endpoint, endpointPath(g, e) + ".endpoint", warnings);
        }
        Address address = endpoint.getAddress();
        if (ADDRESS_RULES.hasUnmapped(address)) {
            ADDRESS_RULES.warnUnmapped(address, addressPath(g, e), warnings);
        }
        switch (address.getAddressCase()) {
            case SOCKET_ADDRESS -> { }
            case PIPE -> throw new IllegalArgumentException(addressPath(g, e) + ".pipe: Meridian needs a host and"
                    + " port, got '" + address.getPipe().getPath() + "'");
            case ENVOY_INTERNAL_ADDRESS -> throw new IllegalArgumentException(addressPath(g, e)
                    + ".envoy_internal_address: Meridian needs a host and port, got '"
                    + address.getEnvoyInternalAddress().getServerListenerName() + "'");
            default -> throw new IllegalArgumentException(addressPath(g, e) + ": must be a socket_address, got"
                    + " nothing");
        }
        SocketAddress socket = address.getSocketAddress();
        if (SOCKET_ADDRESS_RULES.hasUnmapped(socket)) {
            SOCKET_ADDRESS_RULES.warnUnmapped(socket, socketPath(g, e), warnings);
        }
        if (socket.getAddress().isBlank()) {
            throw new IllegalArgumentException(socketPath(g, e) + ".address: must not be empty, got '"
                    + socket.getAddress() + "'");
        }
        if (socket.getPortSpecifierCase() == SocketAddress.PortSpecifierCase.NAMED_PORT) {
            throw new IllegalArgumentException(socketPath(g, e) + ".named_port: Meridian needs a port_value, got '"
                    + socket.getNamedPort() + "'");
        }
        int port = socket.getPortValue();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(socketPath(g, e) + ".port_value: must be 1..65535, got '"
                    + Integer.toUnsignedString(port) + "'");
        }
        int weight = 1;  // Envoy: HostImpl's weight(max(1, value)); an unset wrapper reads 0
        if (lb.hasLoadBalancingWeight()) {
            weight = lb.getLoadBalancingWeight().getValue();
            if (weight == 0) {
                throw new IllegalArgumentException(endpointPath(g, e) + ".load_balancing_weight: must be >= 1, got"
                        + " '0'");
            }
            if (weight < 0 || weight > Endpoint.MAX_WEIGHT) {
                throw new IllegalArgumentException(endpointPath(g, e) + ".load_balancing_weight: Meridian holds"
                        + " weights 1.." + Endpoint.MAX_WEIGHT + ", got '" + Integer.toUnsignedString(weight) + "'");
            }
        }
        HealthStatus health = switch (lb.getHealthStatus()) {
            case UNKNOWN -> HealthStatus.UNKNOWN;
            case HEALTHY -> HealthStatus.HEALTHY;
            case UNHEALTHY -> HealthStatus.UNHEALTHY;
            case DRAINING -> HealthStatus.DRAINING;
            case TIMEOUT -> HealthStatus.TIMEOUT;
            case DEGRADED -> HealthStatus.DEGRADED;
            default -> throw new IllegalArgumentException(endpointPath(g, e) + ".health_status: must be one of"
                    + " UNKNOWN, HEALTHY, UNHEALTHY, DRAINING, TIMEOUT, DEGRADED, got '" + lb.getHealthStatusValue()
                    + "'");
        };
        Map<String, String> labels = lb.hasMetadata() ? labels(lb.getMetadata(), g, e, warnings) : Map.of();
        return new Endpoint(socket.getAddress(), port, locality, labels, weight, health, priority);
    }

    private static String addressPath(int g, int e) {
        return endpointPath(g, e) + ".endpoint.address";
    }

    private static String socketPath(int g, int e) {
        return addressPath(g, e) + ".socket_address";
    }

    /** A health-check config that changes nothing about which host is chosen: at most a Host header. */
    private static boolean isOnlyHealthCheckHostname(
            io.envoyproxy.envoy.config.endpoint.v3.Endpoint.HealthCheckConfig c) {
        return c.getPortValue() == 0 && !c.hasAddress() && !c.getDisableActiveHealthCheck()
                && !FieldRules.hasUnknownFields(c);
    }

    private static Map<String, String> labels(Metadata metadata, int g, int e, WarningList warnings) {
        if (METADATA_RULES.hasUnmapped(metadata)) {
            METADATA_RULES.warnUnmapped(metadata, endpointPath(g, e) + ".metadata", warnings);
        }
        Map<String, String> labels = null;  // made for the first label: most endpoints have one namespace at most
        for (Map.Entry<String, Struct> ns : metadata.getFilterMetadataMap().entrySet()) {
            if (NOT_ABOUT_ENDPOINT_CHOICE_NAMESPACES.contains(ns.getKey())) {
                continue;
            }
            if (!ns.getKey().equals(LABELS_NAMESPACE)) {
                warnings.add(namespacePath(g, e, ns.getKey()), "only the \"" + LABELS_NAMESPACE + "\" namespace"
                        + " becomes labels: ignored");
                continue;
            }
            for (Map.Entry<String, Value> f : ns.getValue().getFieldsMap().entrySet()) {
                Value v = f.getValue();
                String text = switch (v.getKindCase()) {
                    case STRING_VALUE -> v.getStringValue();
                    case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
                    default -> null;
                };
                if (text == null || f.getKey().isEmpty()) {
                    warnings.add(namespacePath(g, e, ns.getKey()) + "." + f.getKey(), "only string and bool values"
                            + " become labels, got " + v.getKindCase() + ": ignored");
                } else {
                    if (labels == null) {
                        labels = new TreeMap<>();
                    }
                    labels.put(f.getKey(), text);
                }
            }
        }
        return labels == null ? Map.of() : labels;
    }

    private static String namespacePath(int g, int e, String namespace) {
        return endpointPath(g, e) + ".metadata.filter_metadata[\"" + namespace + "\"]";
    }

    /**
     * The assignment as Envoy's EDS would carry it: one {@code LocalityLbEndpoints} per run of
     * consecutive endpoints of one priority and locality, so that the endpoints keep their order
     * (Envoy merges groups of one locality and priority, as {@link #fromEnvoy} does), each with its
     * {@code locality} set (even when empty, so Envoy keeps the weight) and its
     * {@code load_balancing_weight} when the table gives one; every endpoint with its socket address, health, weight and labels (as
     * {@code filter_metadata["envoy.lb"]}); the policy's overprovisioning factor always, and
     * {@code weighted_priority_health} when set. {@link #fromEnvoy} reads it back equal.
     */
    public static ClusterLoadAssignment toEnvoy(LoadAssignment assignment) {
        if (assignment == null) {
            throw new IllegalArgumentException("loadAssignment: must not be null");
        }
        EndpointTable table = assignment.table();
        ClusterLoadAssignment.Builder out = ClusterLoadAssignment.newBuilder()
                .setClusterName(assignment.clusterName());
        LocalityLbEndpoints.Builder group = null;
        for (int h = 0; h < table.size(); h++) {
            boolean sameRun = h > 0 && table.priority(h) == table.priority(h - 1)
                    && table.localityId(h) == table.localityId(h - 1);
            if (!sameRun) {
                if (group != null) {
                    out.addEndpoints(group);
                }
                group = group(table.locality(table.localityId(h)), table.localityWeight(h), table.priority(h));
            }
            group.addLbEndpoints(lbEndpoint(table.endpoint(h)));
        }
        if (group != null) {
            out.addEndpoints(group);
        }
        ClusterLoadAssignment.Policy.Builder policy = ClusterLoadAssignment.Policy.newBuilder()
                .setOverprovisioningFactor(UInt32Value.of(assignment.overprovisioningFactor()));
        if (assignment.weightedPriorityHealth()) {
            policy.setWeightedPriorityHealth(true);
        }
        return out.setPolicy(policy).build();
    }

    /**
     * What istiod sends one caller's sidecar for a destination: Meridian's Istio priorities and
     * locality weights for that caller ({@code DestinationPolicy.assign} or
     * {@code KubeProxyRouting.assign}), one {@code LocalityLbEndpoints} per locality group, excluded
     * endpoints left out.
     *
     * @throws IllegalArgumentException when the name is blank, the assignment null or the factor below 1
     */
    public static ClusterLoadAssignment toEnvoy(String clusterName, PriorityAssignment assignment,
                                                int overprovisioningFactor) {
        if (clusterName == null || clusterName.isBlank()) {
            throw new IllegalArgumentException("clusterName: must not be blank, got '" + clusterName + "'");
        }
        if (assignment == null) {
            throw new IllegalArgumentException("priorityAssignment: must not be null (cluster " + clusterName + ")");
        }
        if (overprovisioningFactor < 1) {
            throw new IllegalArgumentException("overprovisioningFactor: must be >= 1 (cluster " + clusterName
                    + "), got '" + overprovisioningFactor + "'");
        }
        ClusterLoadAssignment.Builder out = ClusterLoadAssignment.newBuilder().setClusterName(clusterName);
        for (Priority p : assignment.priorities()) {
            for (LocalityGroup g : p.localities()) {
                LocalityLbEndpoints.Builder group = group(g.locality(), g.weight(), p.priority());
                for (Endpoint e : g.endpoints()) {
                    group.addLbEndpoints(lbEndpoint(e));
                }
                out.addEndpoints(group);
            }
        }
        return out.setPolicy(ClusterLoadAssignment.Policy.newBuilder()
                .setOverprovisioningFactor(UInt32Value.of(overprovisioningFactor))).build();
    }

    private static LocalityLbEndpoints.Builder group(Locality locality, int weight, int priority) {
        LocalityLbEndpoints.Builder group = LocalityLbEndpoints.newBuilder()
                .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder()
                        .setRegion(locality.region()).setZone(locality.zone()).setSubZone(locality.subzone()))
                .setPriority(priority);
        if (weight > 0) {
            group.setLoadBalancingWeight(UInt32Value.of(weight));
        }
        return group;
    }

    private static LbEndpoint lbEndpoint(Endpoint e) {
        LbEndpoint.Builder lb = LbEndpoint.newBuilder()
                .setEndpoint(io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                        .setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder()
                                .setAddress(e.host()).setPortValue(e.port()))))
                .setHealthStatus(switch (e.health()) {
                    case UNKNOWN -> io.envoyproxy.envoy.config.core.v3.HealthStatus.UNKNOWN;
                    case HEALTHY -> io.envoyproxy.envoy.config.core.v3.HealthStatus.HEALTHY;
                    // Istio never sends a terminating pod (filterIstioEndpoint); should one be
                    // carried, UNHEALTHY is the Envoy status that counts it the same way
                    case UNHEALTHY, TERMINATING -> io.envoyproxy.envoy.config.core.v3.HealthStatus.UNHEALTHY;
                    case DRAINING -> io.envoyproxy.envoy.config.core.v3.HealthStatus.DRAINING;
                    case TIMEOUT -> io.envoyproxy.envoy.config.core.v3.HealthStatus.TIMEOUT;
                    case DEGRADED -> io.envoyproxy.envoy.config.core.v3.HealthStatus.DEGRADED;
                })
                .setLoadBalancingWeight(UInt32Value.of(e.weight()));
        if (!e.labels().isEmpty()) {
            Struct.Builder s = Struct.newBuilder();
            for (Map.Entry<String, String> l : e.labels().entrySet()) {
                s.putFields(l.getKey(), Value.newBuilder().setStringValue(l.getValue()).build());
            }
            lb.setMetadata(Metadata.newBuilder().putFilterMetadata(LABELS_NAMESPACE, s.build()));
        }
        return lb.build();
    }
}
