package dev.meridian.spring;

import dev.meridian.core.Endpoint;
import dev.meridian.core.IstioRelease;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.outlier.IstioOutlierTranslation;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.LocalityLbSetting;
import dev.meridian.topology.LocalityPriorities;
import dev.meridian.topology.PriorityAssignment;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertyResolver;
import org.springframework.core.env.PropertySource;

/**
 * The settings of one load-balanced service, read from the application's properties under
 * {@value #PREFIX} and validated: the caller's locality, the balancing policy, Istio's
 * {@code localityLbSetting} and {@code outlierDetection} in property form, and the control thread's
 * period. Each setting may be given for one service under {@code meridian.loadbalancer.clients.<serviceId>.}
 * (as Spring Cloud's {@code spring.cloud.loadbalancer.clients.<serviceId>.}), which wins over the
 * plain key; the caller's own settings ({@code region}, {@code subzone}, {@code caller-labels}) are
 * the application's, not a service's.
 *
 * <p>The decisions are Istio's for a DestinationRule with these fields, under Istio's default mesh
 * configuration ({@code localityLbSetting: {enabled: true}}), as {@code DestinationPolicy} makes them:
 * locality failover applies only when outlier detection is configured; with it, the panic threshold
 * is {@code min-health-percent} (default 0: no panic), without it Envoy's 50%; the default policy is
 * {@code LEAST_REQUEST}.
 *
 * <p>Immutable and thread-safe.
 */
public final class MeridianLoadBalancerProperties {

    /** The prefix of every key. */
    public static final String PREFIX = "meridian.loadbalancer.";

    private static final String CLIENTS = "clients.";
    private static final List<String> CALLER_KEYS = List.of("region", "subzone", "caller-labels");
    private static final String OD = "outlier-detection.";
    private static final List<String> OUTLIER_KEYS = List.of("enabled", "consecutive-5xx-errors",
            "consecutive-gateway-errors", "consecutive-local-origin-failures", "split-external-local-origin-errors",
            "interval", "base-ejection-time", "max-ejection-percent", "min-health-percent");
    private static final Pattern SERVICE_KEY = Pattern.compile("policy|control-period|locality\\.enabled"
            + "|locality\\.failover-priority|locality\\.(failover|distribute)\\[\\d+]\\.(from|to)"
            + "|outlier-detection\\.(" + String.join("|", OUTLIER_KEYS) + ")");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

    private final String serviceId;
    private final Caller caller;
    private final LbPolicy policy;
    private final LocalityLbSetting locality;
    private final OutlierDetectionConfig outlier;
    private final double panicThreshold;
    private final Duration controlPeriod;
    private final List<String> notes;

    private MeridianLoadBalancerProperties(String serviceId, Caller caller, LbPolicy policy, LocalityLbSetting locality,
                                           OutlierDetectionConfig outlier, double panicThreshold,
                                           Duration controlPeriod, List<String> notes) {
        this.serviceId = serviceId;
        this.caller = caller;
        this.policy = policy;
        this.locality = locality;
        this.outlier = outlier;
        this.panicThreshold = panicThreshold;
        this.controlPeriod = controlPeriod;
        this.notes = List.copyOf(notes);
    }

    /**
     * Reads and validates one service's settings. Cold path.
     *
     * @param properties the application's properties (its {@code Environment}); when it is a
     *     {@link ConfigurableEnvironment}, every key under {@value #PREFIX} is checked, so a misspelt
     *     key is an error rather than a silently ignored setting
     * @param serviceId the service, as Spring Cloud's {@code loadbalancer.client.name}
     * @param callerZone the caller's zone: Spring Cloud's {@code spring.cloud.loadbalancer.zone}
     *     ({@code LoadBalancerZoneConfig}); null or empty for none
     * @throws IllegalArgumentException naming the key and the value of the first setting that is
     *     malformed, out of range or unknown
     */
    public static MeridianLoadBalancerProperties read(PropertyResolver properties, String serviceId, String callerZone) {
        if (properties == null) {
            throw new IllegalArgumentException("properties: must not be null");
        }
        if (serviceId == null || serviceId.isBlank()) {
            throw new IllegalArgumentException("serviceId: must not be blank, got '" + serviceId + "'");
        }
        if (properties instanceof ConfigurableEnvironment env) {
            checkKeys(env);
        }
        Reader r = new Reader(properties, serviceId);
        Caller caller = caller(r, callerZone);
        LbPolicy policy = policy(r);
        LocalityLbSetting locality = locality(r);
        List<String> notes = new ArrayList<>();
        OutlierDetectionConfig outlier = null;
        double panic = LbConfig.DEFAULT_PANIC_THRESHOLD;
        if (outlierConfigured(r)) {
            Integer consecutive5xx = r.integer(OD + "consecutive-5xx-errors", 0, Integer.MAX_VALUE);
            Integer consecutiveGateway = r.integer(OD + "consecutive-gateway-errors", 0, Integer.MAX_VALUE);
            Integer consecutiveLocalOrigin = r.integer(OD + "consecutive-local-origin-failures", 0, Integer.MAX_VALUE);
            Boolean split = r.bool(OD + "split-external-local-origin-errors");
            Duration interval = r.duration(OD + "interval");
            Duration baseEjectionTime = r.duration(OD + "base-ejection-time");
            Integer maxEjectionPercent = r.integer(OD + "max-ejection-percent", 0, 100);
            Integer minHealthPercent = r.integer(OD + "min-health-percent", 0, 100);
            IstioOutlierTranslation t;
            try {
                t = IstioOutlierTranslation.translate(IstioRelease.LATEST, null, consecutive5xx, consecutiveGateway,
                        consecutiveLocalOrigin, split, interval, baseEjectionTime, maxEjectionPercent,
                        minHealthPercent);
            } catch (IllegalArgumentException e) {
                // Istio's validation names Istio's fields; say where they came from.
                throw new IllegalArgumentException(PREFIX + OD + "* (service '" + serviceId + "'): " + e.getMessage(),
                        e);
            }
            outlier = t.config();
            panic = t.healthyPanicThreshold();
            notes.addAll(t.notes());
        }
        Duration period = r.duration("control-period");
        return new MeridianLoadBalancerProperties(serviceId, caller, policy, locality, outlier, panic,
                period == null ? ControlThread.DEFAULT_PERIOD : period, notes);
    }

    private static Caller caller(Reader r, String callerZone) {
        String region = r.global("region");
        String subzone = r.global("subzone");
        Locality locality;
        try {
            locality = new Locality(region, callerZone, subzone);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the caller's locality (" + PREFIX + "region '" + region
                    + "', spring.cloud.loadbalancer.zone '" + callerZone + "', " + PREFIX + "subzone '" + subzone
                    + "'): " + e.getMessage(), e);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        String text = r.global("caller-labels");
        if (text != null && !text.isBlank()) {
            for (String pair : text.split(",")) {
                int eq = pair.indexOf('=');
                if (eq <= 0 || eq == pair.length() - 1) {
                    throw new IllegalArgumentException(PREFIX + "caller-labels: each entry must be key=value, got '"
                            + text + "'");
                }
                labels.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
            }
        }
        return new Caller(locality, labels);
    }

    private static LbPolicy policy(Reader r) {
        String text = r.get("policy");
        if (text == null) {
            // Istio's applySimpleDefaultLoadBalancer: LEAST_REQUEST since 1.14.
            return LbPolicy.LEAST_REQUEST;
        }
        return switch (text.strip().toUpperCase(Locale.ROOT).replace('-', '_')) {
            case "ROUND_ROBIN" -> LbPolicy.ROUND_ROBIN;
            case "LEAST_REQUEST" -> LbPolicy.LEAST_REQUEST;
            case "RANDOM" -> LbPolicy.RANDOM;
            default -> throw new IllegalArgumentException(r.where("policy")
                    + ": must be ROUND_ROBIN, LEAST_REQUEST or RANDOM, got '" + text + "'");
        };
    }

    private static LocalityLbSetting locality(Reader r) {
        Boolean enabled = r.bool("locality.enabled");
        List<LocalityLbSetting.Failover> failover = new ArrayList<>();
        String scope = r.listScope("locality.failover");
        for (int i = 0; r.hasIndexed(scope, "locality.failover", i); i++) {
            String key = "locality.failover[" + i + "]";
            try {
                failover.add(new LocalityLbSetting.Failover(r.raw(scope + key + ".from"), r.raw(scope + key + ".to")));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PREFIX + scope + key + ": " + e.getMessage(), e);
            }
        }
        List<LocalityLbSetting.Distribute> distribute = new ArrayList<>();
        scope = r.listScope("locality.distribute");
        for (int i = 0; r.hasIndexed(scope, "locality.distribute", i); i++) {
            String key = "locality.distribute[" + i + "]";
            String to = r.raw(scope + key + ".to");
            try {
                distribute.add(new LocalityLbSetting.Distribute(r.raw(scope + key + ".from"), weights(to)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PREFIX + scope + key + ": " + e.getMessage(), e);
            }
        }
        List<String> failoverPriority = new ArrayList<>();
        String fp = r.get("locality.failover-priority");
        if (fp != null && !fp.isBlank()) {
            for (String label : fp.split(",")) {
                failoverPriority.add(label.strip());
            }
        }
        if (enabled == null && failover.isEmpty() && distribute.isEmpty() && failoverPriority.isEmpty()) {
            // No rule-level setting: the mesh's default applies.
            return null;
        }
        try {
            return new LocalityLbSetting(enabled, distribute, failover, failoverPriority);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PREFIX + "locality.* (service '" + r.serviceId + "'): " + e.getMessage(),
                    e);
        }
    }

    /** {@code r1/z1/*=80,r1/z2/*=20}, in the order written. */
    private static Map<String, Integer> weights(String text) {
        Map<String, Integer> to = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return to;
        }
        for (String pair : text.split(",")) {
            int eq = pair.lastIndexOf('=');
            Integer weight = null;
            if (eq > 0) {
                try {
                    weight = Integer.valueOf(pair.substring(eq + 1).strip());
                } catch (NumberFormatException e) {
                    weight = null;
                }
            }
            if (weight == null) {
                throw new IllegalArgumentException("to: each entry must be locality=percent, got '" + text + "'");
            }
            to.put(pair.substring(0, eq).strip(), weight);
        }
        return to;
    }

    private static boolean outlierConfigured(Reader r) {
        Boolean enabled = r.bool(OD + "enabled");
        if (enabled != null) {
            return enabled;
        }
        // As writing Istio's outlierDetection block: any field turns it on.
        for (String key : OUTLIER_KEYS) {
            if (r.get(OD + key) != null) {
                return true;
            }
        }
        return false;
    }

    private static void checkKeys(ConfigurableEnvironment env) {
        TreeSet<String> keys = new TreeSet<>();
        for (PropertySource<?> source : env.getPropertySources()) {
            if (source instanceof EnumerablePropertySource<?> e) {
                for (String name : e.getPropertyNames()) {
                    if (name.startsWith(PREFIX)) {
                        keys.add(name);
                    }
                }
            }
        }
        for (String key : keys) {
            String rest = key.substring(PREFIX.length());
            if (CALLER_KEYS.contains(rest) || SERVICE_KEY.matcher(rest).matches()) {
                continue;
            }
            if (rest.startsWith(CLIENTS)) {
                String scoped = rest.substring(CLIENTS.length());
                if (perService(scoped)) {
                    continue;
                }
                for (String callerKey : CALLER_KEYS) {
                    if (scoped.endsWith("." + callerKey)) {
                        throw new IllegalArgumentException(key + ": the caller's " + callerKey
                                + " is the application's, not a service's: set " + PREFIX + callerKey + ", got '"
                                + env.getProperty(key) + "'");
                    }
                }
            }
            throw new IllegalArgumentException(key + ": unknown setting, got '" + env.getProperty(key)
                    + "' (known: region, subzone, caller-labels, policy, control-period, locality.enabled, "
                    + "locality.failover[i].from/to, locality.distribute[i].from/to, locality.failover-priority, "
                    + "outlier-detection." + String.join("/", OUTLIER_KEYS) + ", each but the first three also under "
                    + PREFIX + "clients.<serviceId>.)");
        }
    }

    /** Whether {@code <serviceId>.<service key>}, for a non-empty service id. */
    private static boolean perService(String scoped) {
        for (int dot = scoped.indexOf('.'); dot > 0; dot = scoped.indexOf('.', dot + 1)) {
            if (SERVICE_KEY.matcher(scoped.substring(dot + 1)).matches()) {
                return true;
            }
        }
        return false;
    }

    /** The service these settings are for. */
    public String serviceId() {
        return serviceId;
    }

    /** The caller: its locality and its labels for {@code failoverPriority}. */
    public Caller caller() {
        return caller;
    }

    /** The balancing policy. */
    public LbPolicy policy() {
        return policy;
    }

    /** The rule-level {@code localityLbSetting}, or null when none is set (Istio's default mesh setting applies). */
    public LocalityLbSetting locality() {
        return locality;
    }

    /** The outlier detection, or null when it is not configured. */
    public OutlierDetectionConfig outlier() {
        return outlier;
    }

    /** The healthy panic threshold in percent; 0 disables panic. */
    public double panicThreshold() {
        return panicThreshold;
    }

    /** The control thread's period between timed drains. */
    public Duration controlPeriod() {
        return controlPeriod;
    }

    /** What Istio's translation did that a reader of the properties may not expect. */
    public List<String> notes() {
        return notes;
    }

    /**
     * The caller's priorities over a service's endpoints, as Istio assigns them. Cold path.
     *
     * @throws IllegalArgumentException when an address repeats
     */
    public PriorityAssignment assign(List<Endpoint> endpoints) {
        return LocalityPriorities.assign(endpoints, caller, LocalityLbSetting.DEFAULT, locality, outlier != null);
    }

    /** The balancing configuration for an assignment: Envoy's locality-weighted balancing when Istio turns it on. */
    public LbConfig lbConfig(PriorityAssignment assignment) {
        return LbConfig.builder()
                .policy(policy)
                .panicThreshold(panicThreshold)
                .localityWeighted(assignment.localityWeighted())
                .envoyRelease(IstioRelease.LATEST.envoyMinor())
                .build();
    }

    @Override
    public String toString() {
        return "MeridianLoadBalancerProperties[" + serviceId + ", caller " + caller.locality() + ", " + policy
                + ", locality " + locality + ", outlier " + outlier + ", panic " + panicThreshold + "%]";
    }

    /** Looks a key up for one service: its per-service key first, then the plain one. */
    private static final class Reader {
        private final PropertyResolver properties;
        private final String client;
        final String serviceId;

        Reader(PropertyResolver properties, String serviceId) {
            this.properties = properties;
            this.serviceId = serviceId;
            this.client = CLIENTS + serviceId + ".";
        }

        /** The value for the service, or null. */
        String get(String key) {
            String v = properties.getProperty(PREFIX + client + key);
            return v != null ? v : properties.getProperty(PREFIX + key);
        }

        /** The full key a service setting is read from, for messages. */
        String where(String key) {
            return properties.getProperty(PREFIX + client + key) != null ? PREFIX + client + key : PREFIX + key;
        }

        String global(String key) {
            return properties.getProperty(PREFIX + key);
        }

        String raw(String scopedKey) {
            return properties.getProperty(PREFIX + scopedKey);
        }

        /** The service's scope when it lists any entry of an indexed list, else the plain scope: lists replace, never merge. */
        String listScope(String key) {
            return hasIndexed(client, key, 0) ? client : "";
        }

        boolean hasIndexed(String scope, String key, int i) {
            String base = PREFIX + scope + key + "[" + i + "]";
            return properties.getProperty(base + ".from") != null || properties.getProperty(base + ".to") != null;
        }

        Integer integer(String key, int min, int max) {
            String text = get(key);
            if (text == null) {
                return null;
            }
            long value;
            try {
                value = Long.parseLong(text.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where(key) + ": must be a whole number " + min + ".." + max
                        + ", got '" + text + "'");
            }
            if (value < min || value > max) {
                throw new IllegalArgumentException(where(key) + ": must be " + min + ".." + max + ", got '" + text
                        + "'");
            }
            return (int) value;
        }

        Boolean bool(String key) {
            String text = get(key);
            if (text == null) {
                return null;
            }
            String t = text.strip().toLowerCase(Locale.ROOT);
            if (t.equals("true") || t.equals("false")) {
                return Boolean.valueOf(t);
            }
            throw new IllegalArgumentException(where(key) + ": must be true or false, got '" + text + "'");
        }

        /** {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h} (as Istio writes durations) or ISO-8601 ({@code PT10S}). */
        Duration duration(String key) {
            String text = get(key);
            if (text == null) {
                return null;
            }
            String t = text.strip();
            Duration d = null;
            Matcher m = DURATION.matcher(t);
            try {
                if (m.matches()) {
                    long n = Long.parseLong(m.group(1));
                    d = switch (m.group(2)) {
                        case "ms" -> Duration.ofMillis(n);
                        case "s" -> Duration.ofSeconds(n);
                        case "m" -> Duration.ofMinutes(n);
                        default -> Duration.ofHours(n);
                    };
                } else if (t.startsWith("P") || t.startsWith("p")) {
                    d = Duration.parse(t);
                }
                if (d != null && (d.isNegative() || d.isZero() || d.toNanos() % 1_000_000 != 0)) {
                    d = null;
                }
            } catch (ArithmeticException | NumberFormatException | DateTimeParseException e) {
                d = null;
            }
            if (d == null) {
                throw new IllegalArgumentException(where(key) + ": must be a positive whole number of milliseconds "
                        + "such as 500ms, 10s, 5m, 1h or PT10S, got '" + text + "'");
            }
            return d;
        }
    }
}
