package dev.meridian.istio;

import dev.meridian.topology.LocalityLbSetting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads Istio {@code DestinationRule} resources ({@code networking.istio.io/v1alpha3},
 * {@code v1beta1} or {@code v1}) into {@link DestinationRule}.
 *
 * <p>Validation is Istio's ({@code ValidateDestinationRule} in {@code pkg/config/validation/validation.go}
 * and the CRD schema): what Istio rejects fails here with an {@link IllegalArgumentException} naming
 * the source, the YAML path and the value. What Istio accepts with a warning, what Meridian ignores,
 * and fields no version of the schema defines come back as warnings, each starting with its YAML
 * path. Blocks that do not decide which endpoint is chosen ({@code connectionPool}, {@code tls},
 * {@code tunnel}, {@code proxyProtocol}) and those Meridian does not apply ({@code exportTo},
 * {@code workloadSelector}) are accepted, reported, and not validated. {@code portLevelSettings}
 * entries are read: their {@code loadBalancer} and {@code outlierDetection} apply to traffic for
 * their port ({@link TrafficPolicy#forPort}).
 *
 * <p>Stateless and thread-safe.
 */
public final class DestinationRules {

    private static final String KIND = "DestinationRule";

    private DestinationRules() {
    }

    /**
     * Parses one YAML document holding a DestinationRule.
     *
     * @param sourceName names the input in messages, such as a file name
     * @param yaml the document
     * @return the rule and the warnings about it
     * @throws IllegalArgumentException if the YAML is malformed, oversized or unsafe, or the rule is
     *         one Istio would reject
     */
    public static Parsed<DestinationRule> parse(String sourceName, String yaml) {
        String source = sourceName(sourceName);
        return read(source, YamlNode.loadDocument(source, yaml));
    }

    /**
     * Reads a DestinationRule that is already loaded, such as one embedded in a larger file: maps,
     * lists, strings, numbers and booleans as a YAML library produces them.
     *
     * @param sourceName names the input in messages
     * @param document the rule's top-level mapping ({@code apiVersion}, {@code kind}, {@code metadata},
     *        {@code spec})
     * @return the rule and the warnings about it
     * @throws IllegalArgumentException if the rule is one Istio would reject
     */
    public static Parsed<DestinationRule> parse(String sourceName, Map<String, ?> document) {
        return read(sourceName(sourceName), document);
    }

    static String sourceName(String sourceName) {
        return sourceName == null || sourceName.isEmpty() ? "<input>" : sourceName;
    }

    private static Parsed<DestinationRule> read(String source, Object document) {
        List<String> warnings = new ArrayList<>();
        try {
            return new Parsed<>(readRule(YamlNode.root(document, warnings)), warnings);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static DestinationRule readRule(YamlNode root) {
        ResourceHeader header = ResourceHeader.read(root, KIND, false);
        YamlNode spec = header.spec();

        String host = IstioChecks.host(spec.path("host"), spec.requiredString("host"));
        TrafficPolicy policy = spec.has("trafficPolicy") ? readTrafficPolicy(spec.mapping("trafficPolicy")) : null;
        List<Subset> subsets = new ArrayList<>();
        List<?> subsetItems = spec.list("subsets");
        if (subsetItems != null) {
            for (int i = 0; i < subsetItems.size(); i++) {
                subsets.add(readSubset(YamlNode.of(spec.path("subsets") + "[" + i + "]", subsetItems.get(i),
                        spec.warnings())));
            }
        }
        spec.ignore("exportTo", "ignored by Meridian: the rule applies wherever it is given, whatever its visibility");
        spec.ignore("workloadSelector", "ignored by Meridian: the rule applies to every caller it is given, "
                + "not only the selected workloads");
        spec.finish();

        warnFailoverWithoutOutlierDetection(spec, policy, subsets);
        return new DestinationRule(header.apiVersion(), header.name(), header.namespace(), host, policy, subsets);
    }

    private static void warnFailoverWithoutOutlierDetection(YamlNode spec, TrafficPolicy policy,
                                                            List<Subset> subsets) {
        // Istio's validateLoadBalancer warns "outlier detection policy must be provided for failover",
        // and its cluster builder then leaves failover out. Judged on the merged policy a cluster gets.
        if (wantsFailoverWithoutOutlierDetection(policy)) {
            spec.warn(spec.path("trafficPolicy.loadBalancer.localityLbSetting") + ": failover and failoverPriority "
                    + "take effect only with outlierDetection; this trafficPolicy has none, so Istio does not apply them");
        }
        for (int i = 0; i < subsets.size(); i++) {
            Subset s = subsets.get(i);
            TrafficPolicy own = s.trafficPolicy();
            TrafficPolicy merged = policy == null ? own : policy.overriddenBy(own);
            if (own != null && own.loadBalancer() != null && wantsFailoverWithoutOutlierDetection(merged)) {
                spec.warn(spec.path("subsets") + "[" + i + "].trafficPolicy.loadBalancer.localityLbSetting: failover "
                        + "and failoverPriority take effect only with outlierDetection; subset '" + s.name()
                        + "' has none, so Istio does not apply them");
            }
        }
    }

    private static boolean wantsFailoverWithoutOutlierDetection(TrafficPolicy policy) {
        return policy != null && policy.loadBalancer() != null && !policy.hasOutlierDetection()
                && LocalitySettingReader.wantsFailover(policy.loadBalancer().localityLbSetting());
    }

    private static TrafficPolicy readTrafficPolicy(YamlNode tp) {
        LoadBalancerSettings lb = tp.has("loadBalancer") ? readLoadBalancer(tp.mapping("loadBalancer")) : null;
        OutlierDetection od = tp.has("outlierDetection") ? readOutlierDetection(tp.mapping("outlierDetection")) : null;
        boolean anyField = lb != null || od != null;
        anyField |= tp.ignore("connectionPool",
                "ignored by Meridian: connection pool limits do not change which endpoint is chosen");
        anyField |= tp.ignore("tls", "ignored by Meridian: TLS settings do not change which endpoint is chosen");
        anyField |= tp.ignore("tunnel", "ignored by Meridian: tunnelling does not change which endpoint is chosen");
        anyField |= tp.ignore("proxyProtocol",
                "ignored by Meridian: the PROXY protocol does not change which endpoint is chosen");
        List<PortTrafficPolicy> ports = new ArrayList<>();
        List<?> portItems = tp.list("portLevelSettings");
        if (portItems != null) {
            anyField = true;
            for (int i = 0; i < portItems.size(); i++) {
                PortTrafficPolicy p = readPortTrafficPolicy(YamlNode.of(tp.path("portLevelSettings") + "[" + i + "]",
                        portItems.get(i), tp.warnings()));
                for (PortTrafficPolicy earlier : ports) {
                    if (earlier.port() == p.port()) {
                        tp.warn(tp.path("portLevelSettings") + "[" + i + "].port.number: " + p.port()
                                + " already has an entry; Istio uses the first (GetPortLevelTrafficPolicy), so this one "
                                + "never applies");
                    }
                }
                ports.add(p);
            }
        }
        tp.finish();
        if (!anyField) {
            // Istio's validateTrafficPolicy.
            throw new IllegalArgumentException(tp.path() + ": traffic policy must have at least one field");
        }
        return new TrafficPolicy(lb, od, ports);
    }

    /** One {@code portLevelSettings} entry, validated as Istio's {@code validatePortTrafficPolicies}. */
    private static PortTrafficPolicy readPortTrafficPolicy(YamlNode p) {
        YamlNode port = p.mapping("port");
        if (port == null) {
            throw new IllegalArgumentException(p.path("port") + ": portTrafficPolicy must have valid port, got nothing");
        }
        Long number = port.integer("number", 1, 65535);
        port.finish();
        if (number == null) {
            throw new IllegalArgumentException(port.path("number") + ": required, got nothing");
        }
        LoadBalancerSettings lb = p.has("loadBalancer") ? readLoadBalancer(p.mapping("loadBalancer")) : null;
        OutlierDetection od = p.has("outlierDetection") ? readOutlierDetection(p.mapping("outlierDetection")) : null;
        boolean anyField = lb != null || od != null;
        anyField |= p.ignore("connectionPool",
                "ignored by Meridian: connection pool limits do not change which endpoint is chosen");
        anyField |= p.ignore("tls", "ignored by Meridian: TLS settings do not change which endpoint is chosen");
        p.finish();
        if (!anyField) {
            throw new IllegalArgumentException(p.path() + ": port traffic policy must have at least one field");
        }
        if (lb != null && od == null && LocalitySettingReader.wantsFailover(lb.localityLbSetting())) {
            p.warn(p.path("loadBalancer.localityLbSetting") + ": failover and failoverPriority take effect only with "
                    + "outlierDetection; this port's policy has none (port-level settings do not inherit the rule's), "
                    + "so Istio does not apply them");
        }
        return new PortTrafficPolicy(number.intValue(), lb, od);
    }

    private static LoadBalancerSettings readLoadBalancer(YamlNode m) {
        SimplePolicy simple = readSimple(m);
        ConsistentHash hash = m.has("consistentHash") ? readConsistentHash(m.mapping("consistentHash")) : null;
        if (simple != null && hash != null) {
            // One protobuf oneof (lb_policy): the decoder refuses both.
            throw new IllegalArgumentException(m.path() + ": set either 'simple' or 'consistentHash', not both; got simple "
                    + simple + " and a consistentHash");
        }
        LocalityLbSetting locality = m.has("localityLbSetting")
                ? LocalitySettingReader.read(m.mapping("localityLbSetting")) : null;
        Duration warmupSecs = IstioChecks.atLeastOneMillisecond(m.path("warmupDurationSecs"),
                m.duration("warmupDurationSecs"));
        Warmup w = m.has("warmup") ? readWarmup(m.mapping("warmup")) : null;
        Duration warmup = w == null ? null : w.duration();
        m.finish();
        if (warmup != null && warmupSecs != null) {
            // Istio's cluster builder consults warmup before warmupDurationSecs.
            m.warn(m.path("warmupDurationSecs") + ": overridden by warmup.duration ("
                    + IstioDuration.format(warmup) + "), as in Istio");
        }
        return new LoadBalancerSettings(simple, hash, locality, warmup != null ? warmup : warmupSecs,
                w == null ? null : w.aggression(), w == null ? null : w.minimumPercent());
    }

    /** {@code warmup}: the window and the two ramp settings Istio passes to slow_start_config. */
    private record Warmup(Duration duration, Double aggression, Double minimumPercent) {
    }

    private static SimplePolicy readSimple(YamlNode m) {
        String text = m.stringField("simple");
        if (text == null) {
            return null;
        }
        switch (text) {
            case "UNSPECIFIED":
                return SimplePolicy.UNSPECIFIED;
            case "ROUND_ROBIN":
                return SimplePolicy.ROUND_ROBIN;
            case "LEAST_REQUEST":
                return SimplePolicy.LEAST_REQUEST;
            case "RANDOM":
                return SimplePolicy.RANDOM;
            case "PASSTHROUGH":
                return SimplePolicy.PASSTHROUGH;
            case "LEAST_CONN":
                m.warn(m.path("simple") + ": LEAST_CONN is deprecated; read as LEAST_REQUEST, as Istio does");
                return SimplePolicy.LEAST_REQUEST;
            default:
                throw new IllegalArgumentException(m.path("simple") + ": expected one of UNSPECIFIED, ROUND_ROBIN, "
                        + "LEAST_REQUEST, RANDOM, PASSTHROUGH, LEAST_CONN, got " + Values.describe(text));
        }
    }

    private static Warmup readWarmup(YamlNode w) {
        Duration duration = IstioChecks.protoDuration(w.path("duration"), w.duration("duration"));
        if (duration == null) {
            throw new IllegalArgumentException(w.path("duration") + ": required, got nothing");
        }
        Double minimumPercent = w.number("minimumPercent");
        if (minimumPercent != null && (minimumPercent < 0 || minimumPercent > 100)) {
            throw new IllegalArgumentException(w.path("minimumPercent") + ": must be from 0 to 100, got " + minimumPercent);
        }
        Double aggression = w.number("aggression");
        if (aggression != null && aggression < 1) {
            throw new IllegalArgumentException(w.path("aggression") + ": must be at least 1, got " + aggression);
        }
        w.finish();
        // Istio's setWarmup (cluster_traffic_policy.go, istio/istio#53472, first in 1.24) passes both
        // to Envoy's slow_start_config: aggression (default 1.0) and min_weight_percent (default 10).
        return new Warmup(duration, aggression, minimumPercent);
    }

    private static ConsistentHash readConsistentHash(YamlNode c) {
        List<String> keysWritten = new ArrayList<>();
        ConsistentHash.HashKey key = null;
        String header = c.stringField("httpHeaderName");
        if (header != null) {
            keysWritten.add("httpHeaderName");
            key = new ConsistentHash.HttpHeader(header);
        }
        if (c.has("httpCookie")) {
            keysWritten.add("httpCookie");
            key = readCookie(c.mapping("httpCookie"));
        }
        Boolean sourceIp = c.bool("useSourceIp");
        if (sourceIp != null) {
            keysWritten.add("useSourceIp");
            key = sourceIp ? new ConsistentHash.SourceIp() : null;
        }
        String query = c.stringField("httpQueryParameterName");
        if (query != null) {
            keysWritten.add("httpQueryParameterName");
            key = new ConsistentHash.HttpQueryParameter(query);
        }
        if (keysWritten.size() > 1) {
            throw new IllegalArgumentException(c.path() + ": set only one of httpHeaderName, httpCookie, useSourceIp, "
                    + "httpQueryParameterName; got " + String.join(" and ", keysWritten));
        }

        ConsistentHash.HashAlgorithm algorithm = null;
        YamlNode ring = c.mapping("ringHash");
        YamlNode maglev = c.mapping("maglev");
        if (ring != null && maglev != null) {
            throw new IllegalArgumentException(c.path() + ": set only one of ringHash and maglev, got both");
        }
        if (ring != null) {
            Long size = ring.integer("minimumRingSize", 0, Long.MAX_VALUE);
            ring.finish();
            algorithm = new ConsistentHash.RingHash(size);
        }
        if (maglev != null) {
            Long size = maglev.integer("tableSize", 0, Long.MAX_VALUE);
            maglev.finish();
            ConsistentHash.checkTableSize(maglev.path("tableSize"), size == null ? 0 : size);
            algorithm = new ConsistentHash.Maglev(size);
        }
        Long legacyRingSize = c.integer("minimumRingSize", 0, Long.MAX_VALUE);
        c.finish();
        if (legacyRingSize != null && legacyRingSize != 0) {
            if (algorithm != null) {
                // Istio's validateLoadBalancer.
                throw new IllegalArgumentException(c.path("minimumRingSize") + ": only one of minimumRingSize or "
                        + "maglev/ringHash can be set, got minimumRingSize " + legacyRingSize + " with "
                        + (ring != null ? "ringHash" : "maglev"));
            }
            algorithm = new ConsistentHash.RingHash(legacyRingSize);
        }
        if (legacyRingSize != null) {
            c.warn(c.path("minimumRingSize") + ": deprecated; read as ringHash.minimumRingSize: " + legacyRingSize);
        }
        return new ConsistentHash(key, algorithm);
    }

    private static ConsistentHash.HttpCookie readCookie(YamlNode cookie) {
        String name = cookie.stringField("name");
        String path = cookie.stringField("path");
        // The CRD opts ttl out of the 1ms minimum: zero means a session cookie.
        Duration ttl = cookie.duration("ttl");
        cookie.finish();
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(cookie.path("name") + ": required for httpCookie, got "
                    + Values.describe(name));
        }
        return new ConsistentHash.HttpCookie(name, path, ttl);
    }

    private static OutlierDetection readOutlierDetection(YamlNode o) {
        Integer consecutiveErrors = o.intValue("consecutiveErrors");
        Integer consecutive5xx = o.intValue("consecutive5xxErrors");
        Integer consecutiveGateway = o.intValue("consecutiveGatewayErrors");
        Integer localOrigin = o.intValue("consecutiveLocalOriginFailures");
        Boolean split = o.bool("splitExternalLocalOriginErrors");
        Duration interval = o.duration("interval");
        Duration baseEjectionTime = o.duration("baseEjectionTime");
        Integer maxEjectionPercent = o.intValue("maxEjectionPercent");
        Integer minHealthPercent = o.intValue("minHealthPercent");
        o.finish();
        OutlierDetection.validate(o.path(), consecutiveErrors, consecutive5xx, consecutiveGateway, localOrigin, split,
                interval, baseEjectionTime, maxEjectionPercent, minHealthPercent);
        if (consecutiveErrors != null) {
            o.warn(legacyConsecutiveErrorsWarning(o.path("consecutiveErrors"), consecutiveErrors));
        }
        return new OutlierDetection(consecutiveErrors, consecutive5xx, consecutiveGateway, localOrigin, split,
                interval, baseEjectionTime, maxEjectionPercent, minHealthPercent);
    }

    private static String legacyConsecutiveErrorsWarning(String path, int value) {
        if (value == 0) {
            return path + ": deprecated, and 0 has no effect (Istio before 1.7 translated it only when positive, "
                    + "later releases ignore it); use consecutiveGatewayErrors or consecutive5xxErrors";
        }
        return path + ": deprecated, and ignored since Istio 1.7 (istio/istio#24087): the sidecar keeps Envoy's "
                + "defaults, 5 consecutive 5xx (500-599, plain 500 included) eject a host and gateway errors are "
                + "counted but not enforced, whatever the " + value + " written here; only Istio before 1.7 mapped it "
                + "to " + value + " consecutive gateway errors (502, 503, 504) with 5xx ejection off (see istioVersion); "
                + "write consecutive5xxErrors or consecutiveGatewayErrors instead";
    }

    private static Subset readSubset(YamlNode s) {
        String name = IstioChecks.subsetName(s.path("name"), s.requiredString("name"));
        Map<String, String> labels = new LinkedHashMap<>();
        YamlNode labelBlock = s.mapping("labels");
        if (labelBlock != null) {
            for (Map.Entry<?, ?> e : labelBlock.entries().entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException(labelBlock.path() + ": label keys must be strings, got "
                            + Values.describe(e.getKey()));
                }
                String valuePath = labelBlock.path(key);
                if (!(e.getValue() instanceof String value)) {
                    throw new IllegalArgumentException(valuePath + ": expected a string, got "
                            + Values.describe(e.getValue())
                            + (e.getValue() instanceof Number || e.getValue() instanceof Boolean
                                    ? " (quote it to make it a string)" : ""));
                }
                IstioChecks.labelKey(labelBlock.path(), key);
                IstioChecks.labelValue(valuePath, value);
                labels.put(key, value);
            }
        }
        TrafficPolicy policy = s.has("trafficPolicy") ? readTrafficPolicy(s.mapping("trafficPolicy")) : null;
        s.finish();
        return new Subset(name, labels, policy);
    }
}
