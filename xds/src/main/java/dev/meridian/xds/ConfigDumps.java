package dev.meridian.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.ZoneAwareConfig;
import io.envoyproxy.envoy.admin.v3.BootstrapConfigDump;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an Envoy runs, read from its admin endpoint's {@code /config_dump?include_eds} JSON (or
 * from a bare {@code Cluster} and {@code ClusterLoadAssignment}): each cluster's
 * {@link ClusterSettings} and {@link LoadAssignment}, and the node's locality from the bootstrap.
 *
 * <p>How a dump is read:
 * <ul>
 *   <li>Sections ({@code configs[]}) are told apart by their {@code @type}: the bootstrap (node
 *       locality, Envoy release, {@code cluster_manager.local_cluster_name}), the clusters
 *       ({@code static_clusters} and {@code dynamic_active_clusters}; warming clusters take no
 *       traffic yet and are left out with a warning) and the endpoints. Listener, route, scoped
 *       route, secret and extension-config sections are not about endpoint choice and are passed
 *       over; a section of any other type is skipped with a warning.</li>
 *   <li>A cluster's endpoints are the endpoint section's assignment named after the cluster's EDS
 *       service name, else its name (Envoy's admin {@code buildClusterLoadAssignment}), else the
 *       cluster's own {@code load_assignment}. The dumped health of a host is its health as Envoy
 *       sees it at that moment: EDS status, active health checking and outlier ejection together
 *       ({@code ConfigDumpHandler::addLbEndpoint} writes {@code coarseHealth()}); that is said once
 *       in the dump's warnings.</li>
 *   <li>A cluster Meridian cannot run (an {@code ORIGINAL_DST} passthrough, a pipe address) is
 *       left out with a warning naming it and the reason; the rest of the dump still reads.</li>
 *   <li>With a {@code local_cluster_name} whose endpoints the dump holds and a node locality,
 *       each cluster gets zone-aware routing inputs, as Envoy routes zone-aware then
 *       ({@link EnvoyClusters#zoneAware}).</li>
 * </ul>
 *
 * <p>Thread-safe: stateless.
 */
public final class ConfigDumps {

    private static final String BOOTSTRAP = "envoy.admin.v3.BootstrapConfigDump";
    private static final String CLUSTERS = "envoy.admin.v3.ClustersConfigDump";
    private static final String ENDPOINTS = "envoy.admin.v3.EndpointsConfigDump";
    /** Sections that are not about endpoint choice: read past without a warning. */
    private static final Set<String> NOT_ABOUT_ENDPOINT_CHOICE = Set.of("envoy.admin.v3.ListenersConfigDump",
            "envoy.admin.v3.RoutesConfigDump", "envoy.admin.v3.ScopedRoutesConfigDump",
            "envoy.admin.v3.SecretsConfigDump", "envoy.admin.v3.EcdsConfigDump");

    private ConfigDumps() {
    }

    /**
     * One cluster as Envoy runs it.
     *
     * <p>Immutable and thread-safe.
     *
     * @param settings the cluster's balancing and outlier detection
     * @param assignment its endpoints
     * @param nodeLocality the locality of the Envoy that runs it (the caller);
     *     {@link Locality#UNKNOWN} when the node has none or none is known
     * @param warnings what of the cluster and its endpoints Meridian does not carry
     */
    public record DumpedCluster(ClusterSettings settings, LoadAssignment assignment, Locality nodeLocality,
                                List<XdsWarning> warnings) {

        public DumpedCluster {
            if (settings == null || assignment == null) {
                throw new IllegalArgumentException("dumpedCluster: settings and assignment must not be null");
            }
            nodeLocality = nodeLocality == null ? Locality.UNKNOWN : nodeLocality;
            warnings = warnings == null ? List.of() : List.copyOf(warnings);
        }

        /** The cluster's name. */
        public String name() {
            return settings.name();
        }

        /** The settings' balancing with the assignment's overprovisioning factor and priority-health rule. */
        public LbConfig lbConfig() {
            return assignment.applyTo(settings.lb());
        }
    }

    /**
     * A whole config dump.
     *
     * <p>Immutable and thread-safe.
     *
     * @param nodeLocality the node's locality from the bootstrap, or {@link Locality#UNKNOWN}
     * @param envoyMinor the Envoy release (1.x) the clusters were read for
     * @param clusters the clusters Meridian runs, by name, in the dump's order
     * @param warnings what the dump holds that Meridian left out, beyond each cluster's own warnings
     */
    public record Dump(Locality nodeLocality, int envoyMinor, Map<String, DumpedCluster> clusters,
                       List<XdsWarning> warnings) {

        public Dump {
            nodeLocality = nodeLocality == null ? Locality.UNKNOWN : nodeLocality;
            clusters = clusters == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(clusters));
            warnings = warnings == null ? List.of() : List.copyOf(warnings);
        }
    }

    /**
     * Reads a config dump for the Envoy release its bootstrap names
     * ({@code node.user_agent_build_version}); without one, for {@link LbConfig#LATEST_ENVOY_MINOR},
     * with a warning.
     *
     * @throws IllegalArgumentException when the text is not JSON, holds a number beyond a double's
     *     range, has no {@code configs} list, or its bootstrap names an Envoy release Meridian does
     *     not model (before 1.13, or not 1.x)
     */
    public static Dump read(String configDumpJson) {
        return read(configDumpJson, -1);
    }

    /**
     * Reads a config dump as Envoy 1.{@code envoyMinor} runs it.
     *
     * @throws IllegalArgumentException when the text is not JSON, holds a number beyond a double's
     *     range, has no {@code configs} list, or the release is outside what Meridian models
     */
    public static Dump read(String configDumpJson, int envoyMinor) {
        if (envoyMinor != -1) {
            checkMinor(envoyMinor);
        }
        Struct root = EnvoyJson.parseObject(configDumpJson, "config_dump");
        Value configs = get(root, "configs");
        if (configs == null || configs.getKindCase() != Value.KindCase.LIST_VALUE) {
            throw new IllegalArgumentException("config_dump.configs: must be a list of sections, got "
                    + (configs == null ? "nothing" : configs.getKindCase()));
        }
        WarningList warnings = new WarningList();
        Bootstrap bootstrap = null;
        Map<String, Struct> clusters = new LinkedHashMap<>();
        Map<String, Struct> assignments = new LinkedHashMap<>();
        String endpointsPath = null;
        for (int i = 0; i < configs.getListValue().getValuesCount(); i++) {
            String path = "config_dump.configs[" + i + "]";
            Value v = configs.getListValue().getValues(i);
            if (v.getKindCase() != Value.KindCase.STRUCT_VALUE) {
                warnings.add(path, "not an object: skipped");
                continue;
            }
            Struct section = v.getStructValue();
            String url = string(section, "@type");
            String type = url.substring(url.lastIndexOf('/') + 1);
            switch (type) {
                case BOOTSTRAP -> {
                    try {
                        bootstrap = EnvoyJson.read(section, BootstrapConfigDump.newBuilder(), path, new WarningList())
                                .build().getBootstrap();
                    } catch (IllegalArgumentException e) {
                        warnings.add(path, "the bootstrap could not be read, so the node's locality and Envoy"
                                + " release are unknown: " + e.getMessage());
                    }
                }
                case CLUSTERS -> {
                    collect(section, "static_clusters", "cluster", path, clusters, warnings);
                    collect(section, "dynamic_active_clusters", "cluster", path, clusters, warnings);
                    Value warming = get(section, "dynamic_warming_clusters");
                    if (warming != null && warming.getListValue().getValuesCount() > 0) {
                        warnings.add(path + ".dynamic_warming_clusters", warming.getListValue().getValuesCount()
                                + " warming cluster(s): Envoy sends them no traffic yet: left out");
                    }
                }
                case ENDPOINTS -> {
                    endpointsPath = path;
                    collect(section, "static_endpoint_configs", "endpoint_config", path, assignments, warnings);
                    collect(section, "dynamic_endpoint_configs", "endpoint_config", path, assignments, warnings);
                }
                default -> {
                    if (!NOT_ABOUT_ENDPOINT_CHOICE.contains(type)) {
                        warnings.add(path, "section type '" + url + "' is not one Meridian reads: skipped");
                    }
                }
            }
        }
        if (endpointsPath != null) {
            warnings.add(endpointsPath, "a dump shows each host's health as Envoy saw it then: EDS status,"
                    + " active health checks and outlier ejection together, as HEALTHY, UNHEALTHY or DEGRADED"
                    + " (admin ConfigDumpHandler::addLbEndpoint)");
        }

        Node node = bootstrap == null ? Node.getDefaultInstance() : bootstrap.getNode();
        Locality nodeLocality = node.hasLocality() ? locality(node.getLocality(), warnings) : Locality.UNKNOWN;
        int minor = envoyMinor != -1 ? envoyMinor : minorOf(node, warnings);

        Map<String, Translated<DumpedCluster>> read = new LinkedHashMap<>();
        Map<String, Cluster> protos = new LinkedHashMap<>();
        for (Map.Entry<String, Struct> c : clusters.entrySet()) {
            WarningList clusterWarnings = new WarningList();
            try {
                Cluster cluster = EnvoyJson.read(c.getValue(), Cluster.newBuilder(), "cluster", clusterWarnings).build();
                String service = cluster.getEdsClusterConfig().getServiceName();
                Struct assignment = assignments.get(service.isEmpty() ? cluster.getName() : service);
                if (assignment == null) {
                    assignment = assignments.get(cluster.getName());
                }
                read.put(c.getKey(), translate(cluster, assignment, nodeLocality, minor, clusterWarnings));
                protos.put(c.getKey(), cluster);
            } catch (IllegalArgumentException e) {
                warnings.add("cluster[\"" + c.getKey() + "\"]", "left out, Meridian cannot run it: " + e.getMessage());
            }
        }

        Map<String, DumpedCluster> out = new LinkedHashMap<>();
        String localName = bootstrap == null ? "" : bootstrap.getClusterManager().getLocalClusterName();
        EndpointTable localTable = null;  // the caller's own cluster, when zone-aware routing applies
        if (!localName.isEmpty()) {
            Translated<DumpedCluster> localCluster = read.get(localName);
            if (localCluster == null || nodeLocality.isUnknown()) {
                warnings.add("bootstrap.cluster_manager.local_cluster_name", "'" + localName + "': "
                        + (localCluster == null ? "the dump has no such cluster Meridian runs"
                        : "the node has no locality") + ", so no zone-aware routing, as in Envoy");
            } else {
                localTable = localCluster.value().assignment().table();
            }
        }
        for (Map.Entry<String, Translated<DumpedCluster>> e : read.entrySet()) {
            DumpedCluster d = e.getValue().value();
            List<XdsWarning> w = new ArrayList<>(e.getValue().warnings());
            if (localTable != null && !e.getKey().equals(localName)) {
                ZoneAwareConfig zone = zoneAware(protos.get(e.getKey()), nodeLocality, localTable, w);
                if (zone != null) {
                    w.removeIf(x -> x.message().equals(EnvoyClusters.ZONE_AWARE_NEEDS_LOCAL_CLUSTER));
                    ClusterSettings s = d.settings();
                    d = new DumpedCluster(new ClusterSettings(s.name(), s.lb().toBuilder().zoneAware(zone).build(),
                            s.outlierDetection()), d.assignment(), d.nodeLocality(), w);
                }
            }
            out.put(e.getKey(), new DumpedCluster(d.settings(), d.assignment(), d.nodeLocality(), w));
        }
        return new Dump(nodeLocality, minor, out, warnings.toList());
    }

    private static ZoneAwareConfig zoneAware(Cluster cluster, Locality node, EndpointTable localTable,
                                             List<XdsWarning> warnings) {
        try {
            return EnvoyClusters.zoneAware(cluster,
                    ZoneAwareConfig.builder().localLocality(node).localCluster(localTable));
        } catch (IllegalArgumentException e) {
            warnings.add(new XdsWarning("cluster.common_lb_config.zone_aware_lb_config", "zone-aware routing left off: "
                    + e.getMessage()));
            return null;
        }
    }

    /**
     * Reads a bare {@code Cluster} and its {@code ClusterLoadAssignment} (proto JSON, as
     * {@code envoy --config-path} files or an xDS server's resources hold them) as Envoy
     * 1.{@code envoyMinor} runs them. The caller's locality is not known here:
     * {@link Locality#UNKNOWN}.
     *
     * @param loadAssignmentJson the assignment, or null to use the cluster's own
     *     {@code load_assignment}
     * @throws IllegalArgumentException naming the field and value when either cannot be run
     */
    public static Translated<DumpedCluster> read(String clusterJson, String loadAssignmentJson, int envoyMinor) {
        checkMinor(envoyMinor);
        WarningList warnings = new WarningList();
        Cluster cluster = EnvoyJson.read(EnvoyJson.parseObject(clusterJson, "cluster"), Cluster.newBuilder(),
                "cluster", warnings).build();
        Struct assignment = loadAssignmentJson == null ? null
                : EnvoyJson.parseObject(loadAssignmentJson, "cluster_load_assignment");
        return translate(cluster, assignment, Locality.UNKNOWN, envoyMinor, warnings);
    }

    /**
     * A {@code Cluster} from proto JSON; fields and {@code Any} types Meridian's Envoy API does not
     * have are left out with a warning unless they are not about endpoint choice.
     *
     * @throws IllegalArgumentException when the text is not a JSON object, or a value does not fit
     *     its field (an enum value the API does not have, a string where a number belongs)
     */
    public static Translated<Cluster> parseCluster(String json) {
        WarningList warnings = new WarningList();
        Cluster c = EnvoyJson.read(EnvoyJson.parseObject(json, "cluster"), Cluster.newBuilder(), "cluster",
                warnings).build();
        return new Translated<>(c, warnings.toList());
    }

    /**
     * A {@code ClusterLoadAssignment} from proto JSON, read as {@link #parseCluster} reads a cluster.
     *
     * @throws IllegalArgumentException as {@link #parseCluster}
     */
    public static Translated<ClusterLoadAssignment> parseLoadAssignment(String json) {
        WarningList warnings = new WarningList();
        ClusterLoadAssignment a = EnvoyJson.read(EnvoyJson.parseObject(json, "cluster_load_assignment"),
                ClusterLoadAssignment.newBuilder(), "cluster_load_assignment", warnings).build();
        return new Translated<>(a, warnings.toList());
    }

    // ================================================================== one cluster

    private static Translated<DumpedCluster> translate(Cluster cluster, Struct assignmentJson, Locality node,
                                                       int envoyMinor, WarningList warnings) {
        Translated<ClusterSettings> settings = EnvoyClusters.fromEnvoy(cluster, envoyMinor);
        boolean fromEndpoints = assignmentJson != null;
        ClusterLoadAssignment cla;
        if (fromEndpoints) {
            cla = EnvoyJson.read(assignmentJson, ClusterLoadAssignment.newBuilder(), "cluster_load_assignment",
                    warnings).build();
        } else if (cluster.hasLoadAssignment()) {
            cla = cluster.getLoadAssignment();
            if (cla.getClusterName().isEmpty()) {
                cla = cla.toBuilder().setClusterName(cluster.getName()).build();
            }
        } else {
            warnings.add("cluster_load_assignment", "none for this cluster: no endpoints");
            cla = ClusterLoadAssignment.newBuilder().setClusterName(cluster.getName()).build();
        }
        Translated<LoadAssignment> assignment = LoadAssignments.fromEnvoy(cla);
        for (XdsWarning w : settings.warnings()) {
            // the endpoints are read here: the dump's hosts (which Envoy resolved, for a DNS
            // cluster), or else the cluster's own load_assignment
            if (w.field().equals("cluster.load_assignment")
                    || (w.field().equals("cluster.type") && fromEndpoints)) {
                continue;
            }
            warnings.add(w.field(), w.message());
        }
        warnings.addAll(assignment.warnings());
        return new Translated<>(new DumpedCluster(settings.value(), assignment.value(), node, warnings.toList()),
                warnings.toList());
    }

    // ================================================================== JSON plumbing

    /** Each element's {@code field} object of the list {@code list}, keyed by its name. */
    private static void collect(Struct section, String list, String field, String path, Map<String, Struct> into,
                                WarningList warnings) {
        Value v = get(section, list);
        if (v == null || v.getKindCase() != Value.KindCase.LIST_VALUE) {
            return;
        }
        for (int j = 0; j < v.getListValue().getValuesCount(); j++) {
            Value element = v.getListValue().getValues(j);
            Value resource = element.getKindCase() == Value.KindCase.STRUCT_VALUE ? get(element.getStructValue(), field)
                    : null;
            if (resource == null || resource.getKindCase() != Value.KindCase.STRUCT_VALUE) {
                warnings.add(path + "." + list + "[" + j + "]." + field, "missing: skipped");
                continue;
            }
            String name = string(resource.getStructValue(), field.equals("cluster") ? "name" : "cluster_name");
            if (into.putIfAbsent(name, resource.getStructValue()) != null) {
                warnings.add(path + "." + list + "[" + j + "]", "a second resource named '" + name
                        + "': the first is kept");
            }
        }
    }

    /** A field by its proto name or its JSON (lowerCamel) name. */
    private static Value get(Struct s, String protoName) {
        Value v = s.getFieldsMap().get(protoName);
        if (v != null) {
            return v;
        }
        StringBuilder camel = new StringBuilder();
        boolean up = false;
        for (char ch : protoName.toCharArray()) {
            if (ch == '_') {
                up = true;
            } else {
                camel.append(up ? Character.toUpperCase(ch) : ch);
                up = false;
            }
        }
        return s.getFieldsMap().get(camel.toString());
    }

    private static String string(Struct s, String protoName) {
        Value v = get(s, protoName);
        return v == null ? "" : v.getStringValue();
    }

    private static Locality locality(io.envoyproxy.envoy.config.core.v3.Locality l, WarningList warnings) {
        try {
            return Locality.of(l.getRegion(), l.getZone(), l.getSubZone());
        } catch (IllegalArgumentException e) {
            warnings.add("bootstrap.node.locality", "not a locality Meridian can hold: unknown (" + e.getMessage()
                    + ")");
            return Locality.UNKNOWN;
        }
    }

    private static int minorOf(Node node, WarningList warnings) {
        if (node.hasUserAgentBuildVersion() && node.getUserAgentBuildVersion().hasVersion()) {
            var version = node.getUserAgentBuildVersion().getVersion();
            int minor = version.getMinorNumber();
            if (version.getMajorNumber() == 1 && minor >= LbConfig.OLDEST_ENVOY_MINOR
                    && minor <= LbConfig.LATEST_ENVOY_MINOR) {
                return minor;
            }
            if (version.getMajorNumber() == 1 && minor > LbConfig.LATEST_ENVOY_MINOR) {
                warnings.add("bootstrap.node.user_agent_build_version", "Envoy 1." + minor + " is newer than the"
                        + " latest release Meridian models: read as Envoy 1." + LbConfig.LATEST_ENVOY_MINOR);
                return LbConfig.LATEST_ENVOY_MINOR;
            }
            throw new IllegalArgumentException("bootstrap.node.user_agent_build_version: Meridian models Envoy 1."
                    + LbConfig.OLDEST_ENVOY_MINOR + " to 1." + LbConfig.LATEST_ENVOY_MINOR + ", got '"
                    + version.getMajorNumber() + "." + minor + "'");
        }
        warnings.add("bootstrap.node.user_agent_build_version", "the dump does not say which Envoy wrote it: read as"
                + " Envoy 1." + LbConfig.LATEST_ENVOY_MINOR);
        return LbConfig.LATEST_ENVOY_MINOR;
    }

    private static void checkMinor(int envoyMinor) {
        if (envoyMinor < LbConfig.OLDEST_ENVOY_MINOR || envoyMinor > LbConfig.LATEST_ENVOY_MINOR) {
            throw new IllegalArgumentException("envoyMinor: must be " + LbConfig.OLDEST_ENVOY_MINOR + ".."
                    + LbConfig.LATEST_ENVOY_MINOR + " (Envoy 1.x), got '" + envoyMinor + "'");
        }
    }
}
