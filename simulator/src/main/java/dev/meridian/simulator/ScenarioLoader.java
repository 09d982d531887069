package dev.meridian.simulator;

import dev.meridian.core.Endpoint;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.istio.KubernetesService;
import dev.meridian.istio.YamlNode;
import dev.meridian.lb.SpillConfig;
import dev.meridian.outlier.LocalOriginResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a scenario: a YAML file path or the name of a built-in scenario, through Meridian's one YAML
 * reader ({@link YamlNode#parse}): YAML 1.2 core schema, tags never construct objects, and the length,
 * aliases and nesting of a document bounded.
 */
final class ScenarioLoader {
    static final List<String> BUILT_IN = List.of("cross-region", "cross-region-no-outlier", "bookinfo-multicluster",
            "zone-outage", "virtual-nodes", "cross-region-istio-1.6", "prefer-same-zone", "large-day", "zone-overload",
            "zone-overload-spill");
    /** A UTF-8 file longer than this cannot be within the reader's {@link YamlNode#MAX_CHARS}: refused unread. */
    private static final int MAX_BYTES = 4 * YamlNode.MAX_CHARS;
    /** The most endpoints a scenario may list, counts included: every caller's cluster holds each one. */
    static final int MAX_ENDPOINTS = 100_000;

    private ScenarioLoader() {
    }

    static RawScenario load(String nameOrPath) {
        String text;
        String source;
        if (BUILT_IN.contains(nameOrPath)) {
            source = "built-in scenario '" + nameOrPath + "'";
            try (InputStream in = ScenarioLoader.class.getResourceAsStream("/scenarios/" + nameOrPath + ".yaml")) {
                if (in == null) {
                    throw new InputException(source, "missing from the jar");
                }
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new InputException(source, "cannot read: " + e.getMessage());
            }
        } else {
            source = nameOrPath;
            Path p;
            try {
                p = Path.of(nameOrPath);
            } catch (InvalidPathException e) {
                throw new InputException(source, "not a file path (" + e.getReason() + ") and not a built-in scenario");
            }
            try {
                if (Files.size(p) > MAX_BYTES) {
                    throw new InputException(source, "file is larger than " + MAX_BYTES + " bytes");
                }
                text = Utf8Text.decode(source, Files.readAllBytes(p));
            } catch (NoSuchFileException e) {
                throw new InputException(source, "no such file, and not a built-in scenario (built-in: "
                        + String.join(", ", BUILT_IN) + ")");
            } catch (IOException e) {
                throw new InputException(source, "cannot read the file: " + e.getMessage());
            }
        }
        return parse(source, text);
    }

    /**
     * Reads a scenario's text.
     *
     * @throws InputException naming the file, the field and the value; the field readers'
     *     refusals ({@link YamlNode#error}) become one, as the simulator's API promises
     */
    static RawScenario parse(String source, String text) {
        try {
            return read(source, text);
        } catch (InputException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            String message = String.valueOf(e.getMessage());
            throw new InputException(source, message.startsWith(source + ": ")
                    ? message.substring(source.length() + 2) : message);
        }
    }

    private static RawScenario read(String source, String text) {
        YamlNode root;
        try {
            root = YamlNode.parse(source, text);
        } catch (IllegalArgumentException e) {
            // One line naming the file: snakeyaml-engine's messages quote the offending lines.
            String msg = String.valueOf(e.getMessage());
            if (msg.startsWith(source + ": ")) {
                msg = msg.substring(source.length() + 2);
            }
            throw new InputException(source, yamlProblem(source, msg));
        }
        if (!root.isMap()) {
            throw root.error("a scenario must be a YAML mapping");
        }
        root.allowOnly("name", "description", "caller", "mesh", "destinationRule", "subset", "endpoints",
                "simulation", "history", "planAt", "localCluster", "service", "envoy", "spill");
        String name = root.get("name").string(source);
        String description = root.get("description").string("");
        YamlNode caller = root.get("caller");
        caller.allowOnly("locality", "region", "zone", "subzone", "labels", "mode", "port");
        CallerMode mode = CallerMode.parse(caller.get("mode"));
        Locality callerLocality = locality(caller);
        Integer callerPort = null;
        if (caller.has("port")) {
            int port = caller.get("port").intValue(0);
            if (port < 1 || port > 65535) {
                throw caller.get("port").error("must be a port 1..65535, got " + caller.get("port").shown());
            }
            callerPort = port;
        }
        Map<String, String> callerLabels = caller.get("labels").stringMap();
        List<Endpoint> endpoints = endpoints(root.get("endpoints"));
        List<OutcomeEvent> history = history(root.get("history"));
        long last = history.isEmpty() ? 0 : history.get(history.size() - 1).atNanos();
        long planAt = root.has("planAt") ? duration(root.get("planAt")) : last;
        if (planAt < last) {
            throw root.get("planAt").error("must not come before the last history entry ("
                    + root.get("planAt").string("") + " < " + java.time.Duration.ofNanos(last) + ")");
        }
        return new RawScenario(source, name, description, callerLocality, callerLabels, root.get("mesh"),
                root.get("destinationRule"), root.get("subset").string(null), endpoints, root.get("simulation"),
                history, planAt, localCluster(root.get("localCluster")), service(root.get("service")), mode, callerPort,
                envoy(root.get("envoy"), spill(root.get("spill"))));
    }

    /**
     * {@code spill: {hostCapacity: 10, spillThreshold: 0.8, releaseThreshold: 0.6, localityCapacity:
     * {r1/z1: 40}, smoothing: 2s, evaluationInterval: 500ms}}: Meridian's capacity-aware spill-over
     * ({@code docs/spill.md}), of which only {@code hostCapacity} is required; null when absent.
     */
    static SpillConfig spill(YamlNode n) {
        if (n.isMissing()) {
            return null;
        }
        n.allowOnly("hostCapacity", "spillThreshold", "releaseThreshold", "localityCapacity", "smoothing",
                "evaluationInterval");
        if (!n.has("hostCapacity")) {
            throw n.get("hostCapacity").error("is required: the requests in flight one host of weight 1 serves at "
                    + "utilization 1");
        }
        YamlNode byLocality = n.get("localityCapacity");
        Map<Locality, Double> capacity = new java.util.LinkedHashMap<>();
        for (String key : byLocality.map().keySet()) {
            if (key.isEmpty() || key.split("/", -1).length > 3) {
                throw byLocality.get(key).error("expected a locality region/zone/subzone, got '" + key + "'");
            }
            double c = byLocality.get(key).doubleValue(0);
            if (!(c > 0)) {
                throw byLocality.get(key).error("must be a number > 0, got '" + byLocality.get(key).shown() + "'");
            }
            capacity.put(Locality.parse(key), c);
        }
        // Read first, so that a value of the wrong kind is reported as the file has it.
        double spillThreshold = n.get("spillThreshold").doubleValue(SpillConfig.DEFAULT_SPILL_THRESHOLD);
        double releaseThreshold = n.get("releaseThreshold").doubleValue(SpillConfig.DEFAULT_RELEASE_THRESHOLD);
        double hostCapacity = n.get("hostCapacity").doubleValue(0);
        long smoothing = n.get("smoothing").durationNanos(SpillConfig.DEFAULT_SMOOTHING_MILLIS * 1_000_000,
                YamlNode.MAX_SECONDS);
        long interval = n.get("evaluationInterval").durationNanos(
                SpillConfig.DEFAULT_EVALUATION_INTERVAL_MILLIS * 1_000_000, YamlNode.MAX_SECONDS);
        try {
            return new SpillConfig(spillThreshold, releaseThreshold, hostCapacity, capacity,
                    java.time.Duration.ofNanos(smoothing), java.time.Duration.ofNanos(interval));
        } catch (IllegalArgumentException e) {
            // SpillConfig names the field as spill.FIELD: report it at that field, with the value as written.
            String m = String.valueOf(e.getMessage());
            int colon = m.indexOf(": ");
            String field = m.startsWith("spill.") && colon > 0 ? m.substring("spill.".length(), colon) : "";
            YamlNode at = field.isEmpty() ? n : n.get(field);
            String problem = colon > 0 ? m.substring(colon + 2) : m;
            int got = problem.lastIndexOf(", got ");
            if (got >= 0 && at != n && !at.isMissing()) {
                problem = problem.substring(0, got) + ", got '" + at.shown() + "'";
            }
            throw at.error(problem);
        }
    }

    /**
     * {@code envoy: {overprovisioningFactor: 140, weightedPriorityHealth: false, activeRequestBias: 1.0}}:
     * Envoy-side settings Istio does not write; {@link EnvoySettings#NONE} when absent.
     */
    static EnvoySettings envoy(YamlNode n, SpillConfig spill) {
        if (n.isMissing()) {
            return spill == null ? EnvoySettings.NONE : new EnvoySettings(null, null, null, spill);
        }
        n.allowOnly("overprovisioningFactor", "weightedPriorityHealth", "activeRequestBias");
        Boolean weighted = null;
        if (n.has("weightedPriorityHealth")) {
            String w = n.get("weightedPriorityHealth").string("false");
            if (!w.equals("true") && !w.equals("false")) {
                throw n.get("weightedPriorityHealth").error("must be true or false, got '" + w + "'");
            }
            weighted = w.equals("true");
        }
        EnvoySettings s = new EnvoySettings(
                n.has("overprovisioningFactor") ? n.get("overprovisioningFactor").intValue(0) : null, weighted,
                n.has("activeRequestBias") ? n.get("activeRequestBias").doubleValue(0) : null, spill);
        try {
            s.applyTo(dev.meridian.lb.LbConfig.defaults());  // validates the numbers now, naming them
        } catch (IllegalArgumentException e) {
            throw n.error(e.getMessage());
        }
        return s;
    }

    /**
     * {@code service: {trafficDistribution: PreferSameZone, annotations: {...}, namespaceAnnotations:
     * {...}, labels: {...}, sendUnhealthyEndpoints: true}}: the destination's Kubernetes Service;
     * {@link KubernetesService#NONE} when absent.
     */
    static KubernetesService service(YamlNode n) {
        if (n.isMissing()) {
            return KubernetesService.NONE;
        }
        n.allowOnly("trafficDistribution", "annotations", "namespaceAnnotations", "labels", "sendUnhealthyEndpoints");
        String send = n.get("sendUnhealthyEndpoints").string("false");
        if (!send.equals("true") && !send.equals("false")) {
            throw n.get("sendUnhealthyEndpoints").error("must be true or false, got '" + send + "'");
        }
        try {
            return new KubernetesService(n.get("trafficDistribution").string(null), n.get("annotations").stringMap(),
                    n.get("namespaceAnnotations").stringMap(), n.get("labels").stringMap(), send.equals("true"));
        } catch (IllegalArgumentException e) {
            throw n.get("trafficDistribution").error(e.getMessage().replace("service.trafficDistribution: ", ""));
        }
    }

    /**
     * A syntax error on one line, named once: snakeyaml-engine's message repeats
     * {@code in FILE, line L, column C:} with a quoted excerpt after the context and the problem;
     * this keeps the problem's position up front and drops the repeats and excerpts.
     */
    static String yamlProblem(String source, String message) {
        String mark = "\\s+in " + java.util.regex.Pattern.quote(source) + ", line (\\d+), column (\\d+):";
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(mark).matcher(message);
        String where = null;
        while (m.find()) {
            where = "line " + m.group(1) + ", column " + m.group(2);
        }
        if (where == null) {
            return message.replaceAll("\\s+", " ").strip();
        }
        String text = message.replaceAll(mark + "(\\n {4}[^\\n]*)*", "").strip().replaceAll("\\s*\\n\\s*", ": ");
        return where + ": " + text.replaceAll("\\s+", " ");
    }

    /**
     * {@code localCluster: {endpoints: [...], minClusterSize: 6, routingEnabled: 100, forceLocalZone:
     * {minSize: 1}, localityBasis: HEALTHY_HOSTS_NUM}}: the caller's own service, for Envoy's
     * zone-aware routing; null when absent.
     */
    static LocalCluster localCluster(YamlNode n) {
        if (n.isMissing()) {
            return null;
        }
        n.allowOnly("endpoints", "minClusterSize", "routingEnabled", "forceLocalZone", "localityBasis");
        List<Endpoint> local = endpoints(n.get("endpoints"));
        if (local.isEmpty()) {
            throw n.get("endpoints").error("must list the caller's own endpoints");
        }
        int forceMinSize = dev.meridian.lb.ZoneAwareConfig.FORCE_LOCAL_ZONE_OFF;
        if (n.has("forceLocalZone")) {
            YamlNode force = n.get("forceLocalZone");
            force.allowOnly("minSize");
            // Envoy's ForceLocalZone.min_size defaults to 1 when the message is set.
            forceMinSize = force.get("minSize").intValue(1);
            if (forceMinSize < 0) {
                throw force.get("minSize").error("must be >= 0, got " + forceMinSize);
            }
        }
        dev.meridian.lb.ZoneAwareConfig.LocalityBasis basis = dev.meridian.lb.ZoneAwareConfig.LocalityBasis.HEALTHY_HOSTS_NUM;
        if (n.has("localityBasis")) {
            try {
                basis = dev.meridian.lb.ZoneAwareConfig.LocalityBasis.parse(n.get("localityBasis").requiredString());
            } catch (IllegalArgumentException e) {
                throw n.get("localityBasis").error(e.getMessage().replace("zoneAware.localityBasis: ", ""));
            }
        }
        try {
            LocalCluster c = new LocalCluster(dev.meridian.core.EndpointTable.of(local),
                    n.get("minClusterSize").intValue(dev.meridian.lb.ZoneAwareConfig.DEFAULT_MIN_CLUSTER_SIZE),
                    n.get("routingEnabled").doubleValue(dev.meridian.lb.ZoneAwareConfig.DEFAULT_ROUTING_ENABLED_PERCENT),
                    forceMinSize, basis);
            c.zoneAware(dev.meridian.core.Locality.UNKNOWN);  // validates the numbers now, naming them
            return c;
        } catch (IllegalArgumentException e) {
            throw n.error(e.getMessage());
        }
    }

    /**
     * {@code endpoints:} entries; an entry with {@code count: N} stands for N endpoints at N
     * consecutive IPv4 addresses from its {@code address}, with the same port, locality and labels.
     * At most {@link #MAX_ENDPOINTS} endpoints in all.
     */
    static List<Endpoint> endpoints(YamlNode list) {
        List<Endpoint> out = new ArrayList<>();
        for (YamlNode e : list.list()) {
            e.allowOnly("address", "locality", "region", "zone", "subzone", "labels", "weight", "health",
                    "priority", "count");
            Endpoint first;
            try {
                first = Endpoint.parseAddress(e.get("address").requiredString(), locality(e),
                        e.get("labels").stringMap(), e.get("weight").intValue(1),
                        HealthStatus.parse(e.path() + ".health", e.get("health").string(null)),
                        e.get("priority").intValue(Endpoint.NO_PRIORITY));
            } catch (IllegalArgumentException ex) {
                throw fieldError(e, ex);
            }
            int count = 1;
            if (e.has("count")) {
                YamlNode n = e.get("count");
                long c = n.longValue(1);
                if (c < 1 || c > MAX_ENDPOINTS) {
                    throw n.error("must be 1.." + MAX_ENDPOINTS + ", got '" + n.shown() + "'");
                }
                count = (int) c;
            }
            if (out.size() + (long) count > MAX_ENDPOINTS) {
                throw e.error("at most " + MAX_ENDPOINTS + " endpoints in all, got " + (out.size() + (long) count)
                        + " by this entry");
            }
            if (count == 1) {
                out.add(first);
                continue;
            }
            long base = ipv4(first.host());
            if (base < 0) {
                throw e.get("address").error("count needs an IPv4 address to count up from, got '"
                        + e.get("address").shown() + "'");
            }
            if (base + count - 1 > 0xFFFF_FFFFL) {
                throw e.get("count").error(count + " addresses from " + first.host() + " run past 255.255.255.255, got '"
                        + e.get("count").shown() + "'");
            }
            for (int i = 0; i < count; i++) {
                out.add(new Endpoint(ipv4(base + i), first.port(), first.locality(), first.labels(), first.weight(),
                        first.health(), first.priority()));
            }
        }
        return out;
    }

    /** The IPv4 address as an unsigned number, or -1 when the host is not a dotted quad. */
    static long ipv4(String host) {
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return -1;
        }
        long value = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                return -1;
            }
            int octet = Integer.parseInt(p);
            if (octet > 255) {
                return -1;
            }
            value = value << 8 | octet;
        }
        return value;
    }

    private static String ipv4(long value) {
        return ((value >>> 24) & 255) + "." + ((value >>> 16) & 255) + "." + ((value >>> 8) & 255) + "." + (value & 255);
    }

    /**
     * An endpoint's problem, named once: a field reader's message already names the file and path;
     * the core's {@code endpoint.weight: ...} names a field of this endpoint.
     */
    private static IllegalArgumentException fieldError(YamlNode endpoint, IllegalArgumentException ex) {
        String own = endpoint.error("").getMessage();  // "FILE: endpoints[0]: "
        String file = own.substring(0, own.length() - endpoint.path().length() - 2);
        String message = String.valueOf(ex.getMessage());
        if (message.startsWith(file + endpoint.path() + ": ")) {
            message = message.substring(file.length() + endpoint.path().length() + 2);
        } else if (message.startsWith(file)) {
            return ex;
        } else if (message.startsWith(endpoint.path() + ".")) {
            return new IllegalArgumentException(file + message, ex);
        }
        java.util.regex.Matcher field = java.util.regex.Pattern
                .compile("^(?:endpoint\\.)?(address|locality|labels|weight|health|priority): (.*)$").matcher(message);
        return field.matches() ? endpoint.get(field.group(1)).error(field.group(2)) : endpoint.error(message);
    }

    /**
     * {@code history:} entries, {@code {at: 1m, endpoint: "10.0.0.1:80", status: 503, count: 5}} or
     * with {@code localOrigin: connect-failure | timeout | reset} in place of {@code status}; sorted
     * by time, ties in file order.
     */
    static List<OutcomeEvent> history(YamlNode list) {
        List<OutcomeEvent> out = new ArrayList<>();
        for (YamlNode e : list.list()) {
            e.allowOnly("at", "endpoint", "status", "localOrigin", "count");
            long at = duration(e.get("at"));
            String address = e.get("endpoint").requiredString();
            int count = e.get("count").intValue(1);
            if (count < 1 || count > 1_000_000) {
                throw e.get("count").error("must be 1..1000000, got " + count);
            }
            if (e.has("status") == e.has("localOrigin")) {
                throw e.error("give exactly one of status or localOrigin");
            }
            if (e.has("status")) {
                int status = e.get("status").intValue(0);
                if (status < 100 || status > 599) {
                    throw e.get("status").error("must be an HTTP status 100..599, got " + status);
                }
                out.add(new OutcomeEvent(at, address, status, null, count));
            } else {
                String kind = e.get("localOrigin").requiredString();
                LocalOriginResult r = switch (kind) {
                    case "connect-failure" -> LocalOriginResult.CONNECT_FAILED;
                    case "timeout" -> LocalOriginResult.TIMEOUT;
                    case "reset" -> LocalOriginResult.RESET;
                    default -> throw e.get("localOrigin").error(
                            "expected connect-failure, timeout or reset, got '" + kind + "'");
                };
                out.add(new OutcomeEvent(at, address, 0, r, count));
            }
        }
        out.sort(java.util.Comparator.comparingLong(OutcomeEvent::atNanos));
        return out;
    }

    /** A required duration, in the grammar of every scenario duration ({@link YamlNode#durationNanos}). */
    static long duration(YamlNode n) {
        if (n.isMissing()) {
            throw n.error("is required");
        }
        return n.durationNanos(0, YamlNode.MAX_SECONDS);
    }

    /** {@code locality: r/z/s} or separate {@code region}, {@code zone}, {@code subzone} fields. */
    static Locality locality(YamlNode n) {
        try {
            if (n.has("locality")) {
                if (n.has("region") || n.has("zone") || n.has("subzone")) {
                    throw n.get("locality").error("give either locality or region/zone/subzone, not both");
                }
                return Locality.parse(n.get("locality").string(""));
            }
            return Locality.of(n.get("region").string(""), n.get("zone").string(""), n.get("subzone").string(""));
        } catch (IllegalArgumentException ex) {
            throw n.error(ex.getMessage());
        }
    }

    /** A scenario as read, before the Istio parts are validated. */
    record RawScenario(String source, String name, String description, Locality callerLocality,
                       Map<String, String> callerLabels, YamlNode mesh, YamlNode destinationRule, String subset,
                       List<Endpoint> endpoints, YamlNode simulation, List<OutcomeEvent> history,
                       long planAtNanos, LocalCluster localCluster, KubernetesService service,
                       CallerMode callerMode, Integer callerPort, EnvoySettings envoy) {
    }
}
