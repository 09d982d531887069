package dev.meridian.grpc;

import dev.meridian.core.IstioRelease;
import dev.meridian.core.Locality;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.istio.DestinationRule;
import dev.meridian.istio.DestinationRules;
import dev.meridian.istio.MeshConfigs;
import dev.meridian.istio.Parsed;
import dev.meridian.topology.Caller;
import dev.meridian.topology.LocalityLbSetting;
import io.grpc.Attributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The {@code meridian_locality} entry of a service config, read and validated: who calls (its
 * locality and labels), the mesh-wide {@code localityLbSetting}, and the destination's Istio policy
 * as inline {@code loadBalancer} and {@code outlierDetection} blocks (a DestinationRule's
 * {@code trafficPolicy} fields, validated by the {@code istio} module's reader exactly as a rule's),
 * a whole DestinationRule, or the host of a DestinationRule the name resolver knows.
 *
 * <p>Immutable and thread-safe. Parsing is cold and throws {@link IllegalArgumentException} naming
 * the field and the value.
 */
final class LocalityPolicyConfig {

    static final String CALLER_LOCALITY = "callerLocality";
    static final String CALLER_LABELS = "callerLabels";
    static final String LOCALITY_LB_SETTING = "localityLbSetting";
    static final String LOAD_BALANCER = "loadBalancer";
    static final String OUTLIER_DETECTION = "outlierDetection";
    static final String DESTINATION_RULE = "destinationRule";
    static final String SUBSET = "subset";
    private static final List<String> FIELDS = List.of(CALLER_LOCALITY, CALLER_LABELS, LOCALITY_LB_SETTING,
            LOAD_BALANCER, OUTLIER_DETECTION, DESTINATION_RULE, SUBSET);

    /** The source name the istio readers put in front of their messages. */
    private static final String SOURCE = MeridianLocalityLoadBalancerProvider.POLICY_NAME;
    /** Where the inline blocks sit in the DestinationRule they are read as; left out of messages. */
    private static final String INLINE_PATH = "spec.trafficPolicy.";

    /** No configuration: everything from the name resolver, else Istio's defaults. */
    static final LocalityPolicyConfig DEFAULT = new LocalityPolicyConfig(null, null, null, null, null, List.of());

    /** The caller, or null to take the resolver's {@link MeridianAttributes#CALLER}. */
    final Caller caller;
    /** The mesh-wide setting, or null to take the resolver's (else Istio's default). */
    final LocalityLbSetting meshLocality;
    /** The destination's rule (inline blocks or a whole rule), or null. */
    final DestinationRule rule;
    /** The host of a rule the resolver knows, or null. */
    final String ruleHost;
    /** The subset of {@link #rule} traffic is pinned to, or null. */
    final String subset;
    /** What the readers accepted but Meridian does not model, each with its path. */
    final List<String> warnings;

    private LocalityPolicyConfig(Caller caller, LocalityLbSetting meshLocality, DestinationRule rule, String ruleHost,
                                 String subset, List<String> warnings) {
        this.caller = caller;
        this.meshLocality = meshLocality;
        this.rule = rule;
        this.ruleHost = ruleHost;
        this.subset = subset;
        this.warnings = List.copyOf(warnings);
    }

    /**
     * Reads a service config's {@code meridian_locality} object (as grpc-java's JSON parser gives it:
     * numbers as doubles).
     *
     * @throws IllegalArgumentException naming the field and the value when the config is invalid
     */
    static LocalityPolicyConfig parse(Map<String, ?> raw) {
        if (raw == null || raw.isEmpty()) {
            return DEFAULT;
        }
        for (String key : raw.keySet()) {
            if (!FIELDS.contains(key)) {
                throw new IllegalArgumentException(SOURCE + ": unknown field '" + key + "' (known: "
                        + String.join(", ", FIELDS) + ")");
            }
        }
        List<String> warnings = new ArrayList<>();
        Caller caller = readCaller(raw);
        LocalityLbSetting mesh = null;
        Object setting = raw.get(LOCALITY_LB_SETTING);
        if (setting != null) {
            Parsed<LocalityLbSetting> parsed = MeshConfigs.parseLocalityLbSetting(SOURCE,
                    Map.of(LOCALITY_LB_SETTING, numbersAsIntegers(mapping(LOCALITY_LB_SETTING, setting))));
            mesh = parsed.value();
            warnings.addAll(parsed.warnings());
        }
        Object loadBalancer = raw.get(LOAD_BALANCER);
        Object outlier = raw.get(OUTLIER_DETECTION);
        Object ruleField = raw.get(DESTINATION_RULE);
        String subset = string(SUBSET, raw.get(SUBSET));
        DestinationRule rule = null;
        String ruleHost = null;
        if (ruleField != null) {
            if (loadBalancer != null || outlier != null) {
                throw new IllegalArgumentException(SOURCE + ": " + DESTINATION_RULE + ": give either a DestinationRule or "
                        + LOAD_BALANCER + "/" + OUTLIER_DETECTION + " blocks, not both");
            }
            if (ruleField instanceof String host) {
                if (host.isBlank()) {
                    throw new IllegalArgumentException(SOURCE + ": " + DESTINATION_RULE
                            + ": a host or a DestinationRule, got ''");
                }
                ruleHost = host.strip();
            } else {
                Parsed<DestinationRule> parsed = DestinationRules.parse(SOURCE + " " + DESTINATION_RULE,
                        numbersAsIntegers(mapping(DESTINATION_RULE, ruleField)));
                rule = parsed.value();
                warnings.addAll(parsed.warnings());
                if (subset != null && rule.subset(subset).isEmpty()) {
                    throw new IllegalArgumentException(SOURCE + ": " + SUBSET + ": the DestinationRule has no subset '"
                            + subset + "'");
                }
            }
        } else if (loadBalancer != null || outlier != null) {
            if (subset != null) {
                throw new IllegalArgumentException(SOURCE + ": " + SUBSET + ": '" + subset + "' needs a "
                        + DESTINATION_RULE + " that defines it");
            }
            rule = inlineRule(loadBalancer, outlier, warnings);
        } else if (subset != null) {
            throw new IllegalArgumentException(SOURCE + ": " + SUBSET + ": '" + subset + "' needs a "
                    + DESTINATION_RULE + " that defines it");
        }
        return new LocalityPolicyConfig(caller, mesh, rule, ruleHost, subset, warnings);
    }

    /** True when the config names a caller or any part of the policy (a decided balancing ignores them). */
    boolean setsPolicyOrCaller() {
        return caller != null || meshLocality != null || rule != null || ruleHost != null;
    }

    private static Caller readCaller(Map<String, ?> raw) {
        String locality = string(CALLER_LOCALITY, raw.get(CALLER_LOCALITY));
        Object labels = raw.get(CALLER_LABELS);
        if (locality == null && labels == null) {
            return null;
        }
        Locality parsed;
        try {
            parsed = Locality.parse(locality);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(SOURCE + ": " + CALLER_LOCALITY + ": expected region/zone/subzone, got '"
                    + locality + "'", e);
        }
        Map<String, String> labelMap = new LinkedHashMap<>();
        if (labels != null) {
            for (Map.Entry<?, ?> e : mapping(CALLER_LABELS, labels).entrySet()) {
                if (!(e.getValue() instanceof String value)) {
                    throw new IllegalArgumentException(SOURCE + ": " + CALLER_LABELS + "." + e.getKey()
                            + ": expected a string, got " + describe(e.getValue()));
                }
                labelMap.put((String) e.getKey(), value);
            }
        }
        return new Caller(parsed, labelMap);
    }

    /** The inline blocks read as the trafficPolicy of a DestinationRule, messages without the rule's path. */
    private static DestinationRule inlineRule(Object loadBalancer, Object outlier, List<String> warnings) {
        Map<String, Object> trafficPolicy = new LinkedHashMap<>();
        if (loadBalancer != null) {
            trafficPolicy.put(LOAD_BALANCER, numbersAsIntegers(mapping(LOAD_BALANCER, loadBalancer)));
        }
        if (outlier != null) {
            trafficPolicy.put(OUTLIER_DETECTION, numbersAsIntegers(mapping(OUTLIER_DETECTION, outlier)));
        }
        Map<String, Object> document = Map.of(
                "apiVersion", "networking.istio.io/v1",
                "kind", "DestinationRule",
                "metadata", Map.of("name", "meridian-locality"),
                "spec", Map.of("host", "service-config.meridian-locality", "trafficPolicy", trafficPolicy));
        try {
            Parsed<DestinationRule> parsed = DestinationRules.parse(SOURCE, document);
            for (String w : parsed.warnings()) {
                warnings.add(w.replace(INLINE_PATH, ""));
            }
            return parsed.value();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace(INLINE_PATH, ""), e);
        }
    }

    /**
     * The destination's policy for one resolution: this config's rule (or the rule it names by host)
     * under its mesh setting, else the resolver's policy, else Istio's defaults.
     *
     * @throws IllegalArgumentException when a rule named by host is not among the resolver's, or the
     *     rule cannot be run (a {@code PASSTHROUGH} policy)
     */
    DestinationPolicy policy(Attributes resolution) {
        DestinationPolicy fromResolver = resolution.get(MeridianAttributes.DESTINATION_POLICY);
        IstioRelease release = resolution.get(MeridianAttributes.ISTIO_RELEASE);
        if (release == null) {
            release = fromResolver == null ? IstioRelease.LATEST : fromResolver.release();
        }
        LocalityLbSetting mesh = meshLocality != null ? meshLocality
                : fromResolver != null ? fromResolver.meshLocality() : MeshConfigs.MESH_DEFAULT;
        DestinationRule r = rule;
        if (ruleHost != null) {
            Map<String, DestinationRule> known = resolution.get(MeridianAttributes.DESTINATION_RULES);
            r = known == null ? null : known.get(ruleHost);
            if (r == null) {
                throw new IllegalArgumentException(SOURCE + ": " + DESTINATION_RULE + ": the name resolver knows no "
                        + "DestinationRule for host '" + ruleHost + "' (known: "
                        + (known == null ? "none" : new TreeSet<>(known.keySet())) + ")");
            }
        }
        if (r != null) {
            return DestinationPolicy.from(r, subset, null, mesh, release);
        }
        if (fromResolver != null) {
            return meshLocality == null ? fromResolver
                    : new DestinationPolicy(mesh, fromResolver.ruleLocality(), fromResolver.lb(), fromResolver.outlier(),
                            fromResolver.notes(), fromResolver.release(), fromResolver.port());
        }
        return DestinationPolicy.from((DestinationRule) null, null, null, mesh, release);
    }

    private static Map<?, ?> mapping(String field, Object value) {
        if (value instanceof Map<?, ?> m) {
            for (Object k : m.keySet()) {
                if (!(k instanceof String)) {
                    throw new IllegalArgumentException(SOURCE + ": " + field + ": keys must be strings, got "
                            + describe(k));
                }
            }
            return m;
        }
        throw new IllegalArgumentException(SOURCE + ": " + field + ": expected an object, got " + describe(value));
    }

    private static String string(String field, Object value) {
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw new IllegalArgumentException(SOURCE + ": " + field + ": expected a string, got " + describe(value));
    }

    private static String describe(Object value) {
        return value instanceof String s ? "'" + s + "'" : String.valueOf(value);
    }

    /**
     * JSON has one number type, and grpc-java's parser reads every number as a double; the istio
     * readers take integers where Istio's schema has them. Integral doubles become longs, others stay
     * (and are refused by the reader, naming them), as a YAML reader would have typed them.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> numbersAsIntegers(Map<?, ?> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            copy.put((String) e.getKey(), integral(e.getValue()));
        }
        return copy;
    }

    private static Object integral(Object value) {
        if (value instanceof Double d && !d.isInfinite() && d == Math.rint(d) && Math.abs(d) < 0x1p53) {
            return d.longValue();
        }
        if (value instanceof Map<?, ?> m) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                copy.put(e.getKey(), integral(e.getValue()));
            }
            return copy;
        }
        if (value instanceof List<?> l) {
            List<Object> copy = new ArrayList<>(l.size());
            for (Object o : l) {
                copy.add(integral(o));
            }
            return copy;
        }
        return value;
    }

    @Override
    public String toString() {
        return "meridian_locality config[caller " + caller + ", mesh " + meshLocality + ", rule "
                + (rule != null ? rule.host() : ruleHost) + (subset == null ? "" : ", subset " + subset) + "]";
    }
}
