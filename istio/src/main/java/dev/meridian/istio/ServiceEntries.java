package dev.meridian.istio;

import dev.meridian.core.Locality;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads Istio {@code ServiceEntry} and {@code WorkloadEntry} resources ({@code networking.istio.io}
 * {@code v1alpha3}, {@code v1beta1} or {@code v1}): Istio's way to declare a service's endpoints, with
 * their localities, labels and weights, in YAML.
 *
 * <p>Validation is Istio's ({@code ValidateServiceEntry} and {@code validateWorkloadEntry} in
 * {@code pkg/config/validation/validation.go}): what Istio rejects fails here with an
 * {@link IllegalArgumentException} naming the source, the YAML path and the value. Fields that do not
 * decide which endpoint is chosen ({@code addresses}, {@code location}, {@code subjectAltNames},
 * {@code serviceAccount}) are accepted without a word; {@code exportTo} is reported as ignored, and
 * unknown fields are reported with a hint, as {@link DestinationRules} does.
 *
 * <p>Stateless and thread-safe.
 */
public final class ServiceEntries {

    private static final String SERVICE_ENTRY = "ServiceEntry";
    private static final String WORKLOAD_ENTRY = "WorkloadEntry";
    /** The port protocols Istio knows ({@code protocol.Parse}, case-insensitive); empty means sniffing. */
    private static final Set<String> PROTOCOLS = Set.of("tcp", "udp", "grpc", "grpc-web", "http", "http_proxy", "http2",
            "https", "tls", "mongo", "redis", "mysql");
    private static final Set<String> HTTP_OR_TLS = Set.of("http", "http2", "http_proxy", "grpc", "grpc-web", "https",
            "tls");
    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile(
            "(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    private static final long UINT32_MAX = 0xFFFF_FFFFL;

    private ServiceEntries() {
    }

    /**
     * Parses one YAML document holding a ServiceEntry.
     *
     * @param sourceName names the input in messages, such as a file name
     * @throws IllegalArgumentException if the YAML is malformed, oversized or unsafe, or the entry is
     *         one Istio would reject
     */
    public static Parsed<ServiceEntry> parse(String sourceName, String yaml) {
        String source = DestinationRules.sourceName(sourceName);
        return readServiceEntry(source, YamlNode.loadDocument(source, yaml));
    }

    /**
     * Reads a ServiceEntry that is already loaded (one document of a multi-document file).
     *
     * @param sourceName names the input in messages
     * @param document the entry's top-level mapping
     * @throws IllegalArgumentException if the entry is one Istio would reject
     */
    public static Parsed<ServiceEntry> parse(String sourceName, Map<String, ?> document) {
        return readServiceEntry(DestinationRules.sourceName(sourceName), document);
    }

    /**
     * Parses one YAML document holding a WorkloadEntry.
     *
     * @throws IllegalArgumentException if the YAML is malformed, oversized or unsafe, or the entry is
     *         one Istio would reject
     */
    public static Parsed<WorkloadEntry> parseWorkloadEntry(String sourceName, String yaml) {
        String source = DestinationRules.sourceName(sourceName);
        return readWorkloadEntry(source, YamlNode.loadDocument(source, yaml));
    }

    /**
     * Reads a WorkloadEntry that is already loaded.
     *
     * @throws IllegalArgumentException if the entry is one Istio would reject
     */
    public static Parsed<WorkloadEntry> parseWorkloadEntry(String sourceName, Map<String, ?> document) {
        return readWorkloadEntry(DestinationRules.sourceName(sourceName), document);
    }

    private static Parsed<ServiceEntry> readServiceEntry(String source, Object document) {
        List<String> warnings = new ArrayList<>();
        try {
            return new Parsed<>(readServiceEntry(YamlNode.root(document, warnings)), warnings);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static Parsed<WorkloadEntry> readWorkloadEntry(String source, Object document) {
        List<String> warnings = new ArrayList<>();
        try {
            YamlNode root = YamlNode.root(document, warnings);
            ResourceHeader header = ResourceHeader.read(root, WORKLOAD_ENTRY, true);
            YamlNode spec = header.spec();
            WorkloadEntry spec0 = readWorkload(spec, null);
            spec.skip("serviceAccount");
            spec.finish();
            // ConvertWorkloadEntry: metadata.labels laid over spec.labels.
            Map<String, String> labels = new LinkedHashMap<>(spec0.labels());
            labels.putAll(header.labels());
            Locality locality = spec0.locality();
            if (locality.isUnknown() && !spec.has("locality")) {
                locality = localityFromLabels(spec.path(), labels);
            }
            return new Parsed<>(new WorkloadEntry(header.name(), header.namespace(), spec0.address(), spec0.ports(),
                    labels, locality, spec0.network(), spec0.weight()), warnings);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static ServiceEntry readServiceEntry(YamlNode root) {
        ResourceHeader header = ResourceHeader.read(root, SERVICE_ENTRY, true);
        YamlNode spec = header.spec();

        List<String> hosts = new ArrayList<>();
        List<?> hostItems = spec.list("hosts");
        if (hostItems == null || hostItems.isEmpty()) {
            throw new IllegalArgumentException(spec.path("hosts") + ": service entry must have at least one host, got "
                    + (hostItems == null ? "nothing" : "an empty list"));
        }
        for (int i = 0; i < hostItems.size(); i++) {
            String path = spec.path("hosts") + "[" + i + "]";
            if (!(hostItems.get(i) instanceof String h)) {
                throw new IllegalArgumentException(path + ": expected a string, got " + Values.describe(hostItems.get(i)));
            }
            if (h.equals("*")) {
                throw new IllegalArgumentException(path + ": invalid host, got '*' (a full wildcard is not allowed)");
            }
            hosts.add(IstioChecks.host(path, h));
        }

        ServiceEntry.Resolution resolution = readResolution(spec);
        List<ServiceEntry.Port> ports = readPorts(spec);
        Set<String> portNames = new HashSet<>();
        for (ServiceEntry.Port p : ports) {
            portNames.add(p.name());
        }

        Map<String, String> selector = null;
        YamlNode selectorNode = spec.mapping("workloadSelector");
        if (selectorNode != null) {
            selector = IstioChecks.stringMap(selectorNode.mapping("labels"), true);
            selectorNode.finish();
            if (selector.isEmpty()) {
                spec.warn(selectorNode.path("labels") + ": empty, so the entry selects every workload in its namespace");
            }
        }
        List<WorkloadEntry> endpoints = new ArrayList<>();
        List<?> endpointItems = spec.list("endpoints");
        if (endpointItems != null) {
            if (selector != null) {
                throw new IllegalArgumentException(spec.path("endpoints") + ": only one of workloadSelector or endpoints "
                        + "is allowed in a ServiceEntry, got both");
            }
            for (int i = 0; i < endpointItems.size(); i++) {
                String path = spec.path("endpoints") + "[" + i + "]";
                if (endpointItems.get(i) == null) {
                    throw new IllegalArgumentException(path + ": endpoint cannot be nil, got null");
                }
                YamlNode e = YamlNode.of(path, endpointItems.get(i), spec.warnings());
                WorkloadEntry endpoint = readWorkload(e, portNames);
                e.skip("serviceAccount");
                e.finish();
                checkEndpoint(path, endpoint, resolution, ports.size());
                endpoints.add(endpoint);
            }
        }
        checkResolution(spec, resolution, hosts, ports, endpoints, selector != null);

        spec.skip("addresses", "location", "subjectAltNames");
        spec.ignore("exportTo", "ignored by Meridian: the entry applies wherever it is given, whatever its visibility");
        spec.finish();
        return new ServiceEntry(header.apiVersion(), header.name(), header.namespace(), header.labels(),
                header.annotations(), hosts, ports, resolution, endpoints, selector);
    }

    private static ServiceEntry.Resolution readResolution(YamlNode spec) {
        String text = spec.stringField("resolution");
        if (text == null) {
            return ServiceEntry.Resolution.NONE;
        }
        try {
            return ServiceEntry.Resolution.valueOf(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(spec.path("resolution") + ": expected one of NONE, STATIC, DNS, "
                    + "DNS_ROUND_ROBIN, DYNAMIC_DNS, got " + Values.describe(text), e);
        }
    }

    private static List<ServiceEntry.Port> readPorts(YamlNode spec) {
        List<ServiceEntry.Port> ports = new ArrayList<>();
        List<?> items = spec.list("ports");
        if (items == null) {
            return ports;
        }
        Set<String> names = new HashSet<>();
        Set<Integer> numbers = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            String path = spec.path("ports") + "[" + i + "]";
            if (items.get(i) == null) {
                throw new IllegalArgumentException(path + ": service entry port may not be null, got null");
            }
            YamlNode p = YamlNode.of(path, items.get(i), spec.warnings());
            Long number = p.integer("number", 1, 65535);
            if (number == null) {
                throw new IllegalArgumentException(p.path("number") + ": required, got nothing");
            }
            String name = p.stringField("name");
            if (name == null || !DNS1123_LABEL.matcher(name).matches()) {
                // ValidatePortName.
                throw new IllegalArgumentException(p.path("name") + ": invalid port name, got " + Values.describe(name));
            }
            String protocol = p.stringField("protocol");
            if (protocol != null && !protocol.isEmpty() && !PROTOCOLS.contains(protocol.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException(p.path("protocol") + ": unsupported protocol, got "
                        + Values.describe(protocol));
            }
            Long target = p.integer("targetPort", 0, 65535);
            p.finish();
            if (!names.add(name)) {
                throw new IllegalArgumentException(p.path("name") + ": service entry port name already defined, got '"
                        + name + "'");
            }
            if (!numbers.add(number.intValue())) {
                throw new IllegalArgumentException(p.path("number") + ": service entry port already defined, got "
                        + number);
            }
            ports.add(new ServiceEntry.Port(number.intValue(), name, protocol, target == null ? 0 : target.intValue()));
        }
        return ports;
    }

    /** The fields a WorkloadEntry spec and an inline endpoint share. */
    private static WorkloadEntry readWorkload(YamlNode e, Set<String> portNames) {
        String address = e.stringField("address");
        String network = e.stringField("network");
        if ((address == null || address.isEmpty()) && (network == null || network.isEmpty())) {
            throw new IllegalArgumentException(e.path("address") + ": address is required, got "
                    + Values.describe(address));
        }
        if (address != null && address.startsWith(WorkloadEntry.UNIX_PREFIX) && e.has("ports")) {
            throw new IllegalArgumentException(e.path("ports") + ": unix endpoint " + Values.clip(address)
                    + " must not include ports");
        }
        Map<String, Integer> ports = new LinkedHashMap<>();
        YamlNode portBlock = e.mapping("ports");
        if (portBlock != null) {
            for (Map.Entry<?, ?> entry : portBlock.entries().entrySet()) {
                String name = String.valueOf(entry.getKey());
                String path = portBlock.path(name);
                if (!DNS1123_LABEL.matcher(name).matches()) {
                    throw new IllegalArgumentException(path + ": invalid port name, got " + Values.describe(name));
                }
                if (portNames != null && !portNames.contains(name)) {
                    throw new IllegalArgumentException(path + ": endpoint port " + Values.clip(name)
                            + " is not defined by the service entry (ports: " + new java.util.TreeSet<>(portNames) + ")");
                }
                if (entry.getValue() == null) {
                    throw new IllegalArgumentException(path + ": expected a port number, got null");
                }
                ports.put(name, YamlNode.integer(path, entry.getValue(), 1, 65535).intValue());
            }
        }
        Map<String, String> labels = IstioChecks.stringMap(e.mapping("labels"), true);
        String localityText = e.stringField("locality");
        Locality locality;
        try {
            locality = Locality.parse(localityText);
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(e.path("locality") + ": expected region/zone/subzone, got "
                    + Values.describe(localityText), ex);
        }
        if (locality.isUnknown()) {
            locality = localityFromLabels(e.path(), labels);
        }
        Long weight = e.integer("weight", 0, UINT32_MAX);
        if (weight != null && weight > dev.meridian.core.Endpoint.MAX_WEIGHT) {
            throw new IllegalArgumentException(e.path("weight") + ": Meridian supports weights up to "
                    + dev.meridian.core.Endpoint.MAX_WEIGHT + ", got " + weight);
        }
        return new WorkloadEntry(null, null, address, ports, labels, locality, network,
                weight == null ? 0 : weight.intValue());
    }

    /** Istio's fallback when {@code locality} is empty: the locality label, dots read as slashes. */
    private static Locality localityFromLabels(String path, Map<String, String> labels) {
        // GetLocalityLabel (pkg/model/proxy.go): topology.istio.io/locality first, then istio-locality.
        String label = labels.get("topology.istio.io/locality");
        if (label == null) {
            label = labels.get("istio-locality");
        }
        if (label == null || label.isEmpty()) {
            return Locality.UNKNOWN;
        }
        // SanitizeLocalityLabel: label values cannot hold '/', so '.' stands for it unless '/' is present.
        String text = label.contains("/") ? label : label.replace('.', '/');
        try {
            return Locality.parse(text);
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException((path.isEmpty() ? "" : path + ".") + "labels: locality label must be "
                    + "region.zone.subzone, got " + Values.describe(label), ex);
        }
    }

    private static void checkEndpoint(String path, WorkloadEntry endpoint, ServiceEntry.Resolution resolution,
                                      int portCount) {
        String address = endpoint.address();
        if (endpoint.isUnixSocket()) {
            if (portCount != 1) {
                throw new IllegalArgumentException(path + ".address: exactly 1 service port required for unix endpoints, "
                        + "got " + portCount);
            }
            return;
        }
        if (address.isEmpty() || isIpAddress(address)) {
            return;
        }
        if (resolution == ServiceEntry.Resolution.STATIC) {
            throw new IllegalArgumentException(path + ".address: endpoint address is not a valid IP address, got "
                    + Values.describe(address));
        }
    }

    private static void checkResolution(YamlNode spec, ServiceEntry.Resolution resolution, List<String> hosts,
                                        List<ServiceEntry.Port> ports, List<WorkloadEntry> endpoints,
                                        boolean hasSelector) {
        switch (resolution) {
            case NONE:
                if (!endpoints.isEmpty()) {
                    throw new IllegalArgumentException(spec.path("endpoints") + ": no endpoints should be provided for "
                            + "resolution type none, got " + endpoints.size());
                }
                if (hasSelector) {
                    spec.warn(spec.path("workloadSelector") + ": should not be set when resolution mode is NONE");
                }
                break;
            case DNS_ROUND_ROBIN:
                if (endpoints.size() > 1) {
                    throw new IllegalArgumentException(spec.path("endpoints") + ": there must only be 0 or 1 endpoint for "
                            + "resolution mode DNS_ROUND_ROBIN, got " + endpoints.size());
                }
                break;
            case DYNAMIC_DNS:
                for (int i = 0; i < hosts.size(); i++) {
                    if (!hosts.get(i).startsWith("*")) {
                        throw new IllegalArgumentException(spec.path("hosts") + "[" + i + "]: host must be wildcarded "
                                + "for resolution mode DYNAMIC_DNS, got '" + Values.clip(hosts.get(i)) + "'");
                    }
                }
                if (!endpoints.isEmpty()) {
                    throw new IllegalArgumentException(spec.path("endpoints") + ": endpoints cannot be set for "
                            + "resolution type DYNAMIC_DNS, got " + endpoints.size());
                }
                break;
            default:
                break;
        }
        if (resolution != ServiceEntry.Resolution.NONE && hosts.size() > 1) {
            // Plain TCP cannot tell several hosts apart on one port.
            for (ServiceEntry.Port p : ports) {
                if (!HTTP_OR_TLS.contains(p.protocol().toLowerCase(Locale.ROOT))) {
                    throw new IllegalArgumentException(spec.path("hosts") + ": multiple hosts provided with non-HTTP, "
                            + "non-TLS ports, got port " + p.number() + " with protocol "
                            + Values.describe(p.protocol()));
                }
            }
        }
    }

    /** Go's {@code netip.ParseAddr} in essence: dotted-quad IPv4 without leading zeros, or an IPv6 literal. */
    static boolean isIpAddress(String address) {
        if (IPV4.matcher(address).matches()) {
            return true;
        }
        if (address.indexOf(':') < 0 || !address.matches("[0-9A-Fa-f:.]+")) {
            return false;
        }
        try {
            // A literal with ':' is parsed, never looked up.
            InetAddress.getByName(address);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
