package dev.meridian.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.SlowStartConfig;
import dev.meridian.lb.ZoneAwareConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.RuntimeDouble;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.common.v3.LocalityLbConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.load_balancing_policies.maglev.v3.Maglev;
import io.envoyproxy.envoy.extensions.load_balancing_policies.random.v3.Random;
import io.envoyproxy.envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash;
import io.envoyproxy.envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality;
import io.envoyproxy.envoy.type.v3.Percent;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Envoy's {@code Cluster} (CDS) to {@link ClusterSettings} and back: the load-balancing policy
 * with its typed configuration, {@code common_lb_config} and {@code outlier_detection}, with
 * Envoy's defaults where a field is absent. Which field maps where, which is warned and which is
 * not about endpoint choice: {@code FieldRules} and docs/xds.md.
 *
 * <p>Envoy facts followed (source files of envoyproxy/envoy):
 * <ul>
 *   <li>{@code load_balancing_policy}, when set, supersedes {@code lb_policy}; Envoy uses the first
 *       policy of its list that it supports ({@code cluster.proto}); Meridian uses the first one
 *       it can run and warns about each one it passed over.</li>
 *   <li>The panic threshold is {@code common_lb_config.healthy_panic_threshold} rounded to a whole
 *       percent, default 50, for every policy, typed or not
 *       ({@code PROTOBUF_PERCENT_TO_ROUNDED_INTEGER_OR_DEFAULT(..., healthy_panic_threshold, 100, 50)}).</li>
 *   <li>With a typed policy, locality weighting and zone-aware routing come from the policy's own
 *       {@code locality_lb_config}; with {@code lb_policy}, from {@code common_lb_config}
 *       ({@code TypedRoundRobinLbConfig(const ClusterProto&)} converts the one into the other).</li>
 *   <li>Outlier detection's defaults are {@code DetectorConfig}'s
 *       ({@code source/common/upstream/outlier_detection_impl.cc}), which
 *       {@link OutlierDetectionConfig} already holds.</li>
 * </ul>
 *
 * <p>Zone-aware routing needs the caller's own cluster and locality, which a {@code Cluster} does
 * not carry: its knobs other than {@code fail_traffic_on_panic} are reported, and
 * {@link #zoneAware} builds Meridian's {@link ZoneAwareConfig} from them once the local cluster is
 * known.
 *
 * <p>Thread-safe: stateless.
 */
public final class EnvoyClusters {

    private static final String ROOT = "cluster";
    /** The warning on zone-aware knobs; ConfigDumps drops it once it has applied them. */
    static final String ZONE_AWARE_NEEDS_LOCAL_CLUSTER = "zone-aware routing needs the caller's own cluster"
            + " (bootstrap cluster_manager.local_cluster_name), which a Cluster does not carry: it applies once"
            + " EnvoyClusters.zoneAware builds it (ConfigDumps does when the dump names a local cluster)";
    private static final String POLICY_PREFIX = "type.googleapis.com/envoy.extensions.load_balancing_policies.";

    private EnvoyClusters() {
    }

    /**
     * Envoy Cluster → settings, as Envoy 1.{@code envoyMinor} would run it.
     *
     * @throws IllegalArgumentException naming the proto field and value when Envoy would reject the
     *     resource or Meridian cannot run it at all (e.g. lb_policy CLUSTER_PROVIDED, a
     *     load_balancing_policy list with no policy Meridian supports)
     */
    public static Translated<ClusterSettings> fromEnvoy(Cluster cluster, int envoyMinor) {
        if (cluster == null) {
            throw new IllegalArgumentException(ROOT + ": must not be null");
        }
        if (envoyMinor < LbConfig.OLDEST_ENVOY_MINOR || envoyMinor > LbConfig.LATEST_ENVOY_MINOR) {
            throw new IllegalArgumentException("envoyMinor: must be " + LbConfig.OLDEST_ENVOY_MINOR + ".."
                    + LbConfig.LATEST_ENVOY_MINOR + " (Envoy 1.x), got '" + envoyMinor + "'");
        }
        String name = cluster.getName();
        if (name.isBlank()) {
            throw new IllegalArgumentException(ROOT + ".name: must not be empty, got '" + name + "'");
        }
        WarningList warnings = new WarningList();
        FieldRules.warnUnmapped(cluster, ROOT, warnings);
        discoveryType(cluster, warnings);

        LbConfig.Builder lb = LbConfig.builder().envoyRelease(envoyMinor);
        Cluster.CommonLbConfig common = cluster.getCommonLbConfig();
        if (cluster.hasCommonLbConfig()) {
            FieldRules.warnUnmapped(common, ROOT + ".common_lb_config", warnings);
            if (common.hasHealthyPanicThreshold()) {
                lb.panicThreshold(panicThreshold(common.getHealthyPanicThreshold(),
                        ROOT + ".common_lb_config.healthy_panic_threshold", warnings));
            }
        }
        if (cluster.hasLoadBalancingPolicy() && cluster.getLoadBalancingPolicy().getPoliciesCount() > 0) {
            typedPolicy(cluster, lb, warnings);
        } else {
            legacyPolicy(cluster, lb, warnings);
        }

        OutlierDetectionConfig outlier = cluster.hasOutlierDetection()
                ? outlierDetection(cluster.getOutlierDetection(), envoyMinor, ROOT + ".outlier_detection", warnings)
                : null;
        LbConfig built = at(ROOT + ".lb_policy", cluster.getLbPolicy(), lb::build);
        return new Translated<>(new ClusterSettings(name, built, outlier), warnings.toList());
    }

    // ================================================================== discovery type

    private static void discoveryType(Cluster cluster, WarningList warnings) {
        if (cluster.getClusterDiscoveryTypeCase() == Cluster.ClusterDiscoveryTypeCase.CLUSTER_TYPE) {
            throw new IllegalArgumentException(ROOT + ".cluster_type: a custom cluster type chooses hosts its own"
                    + " way, which Meridian cannot run, got '" + cluster.getClusterType().getName() + "'");
        }
        switch (cluster.getType()) {
            case EDS -> { }
            case STATIC -> { }  // the endpoints are the load_assignment, warned by its rule
            case STRICT_DNS, LOGICAL_DNS -> warnings.add(ROOT + ".type", cluster.getType() + ": Envoy resolves the"
                    + " load_assignment's host names; Meridian does not resolve DNS and uses the names as given");
            case ORIGINAL_DST -> throw new IllegalArgumentException(ROOT + ".type: ORIGINAL_DST sends each request"
                    + " to its original destination, which Meridian cannot run, got 'ORIGINAL_DST'");
            default -> throw new IllegalArgumentException(ROOT + ".type: must be one of STATIC, STRICT_DNS,"
                    + " LOGICAL_DNS, EDS, ORIGINAL_DST, got '" + cluster.getTypeValue() + "'");
        }
    }

    // ================================================================== lb_policy and its configs

    private static void legacyPolicy(Cluster cluster, LbConfig.Builder lb, WarningList warnings) {
        Cluster.LbPolicy policy = cluster.getLbPolicy();
        String path = ROOT + ".lb_policy";
        switch (policy) {
            case ROUND_ROBIN -> lb.policy(LbPolicy.ROUND_ROBIN);
            case LEAST_REQUEST -> lb.policy(LbPolicy.LEAST_REQUEST);
            case RANDOM -> lb.policy(LbPolicy.RANDOM);
            case RING_HASH -> lb.policy(LbPolicy.RING_HASH);
            case MAGLEV -> lb.policy(LbPolicy.MAGLEV);
            case CLUSTER_PROVIDED -> throw new IllegalArgumentException(path + ": the cluster type chooses hosts"
                    + " itself, which Meridian cannot run, got 'CLUSTER_PROVIDED'");
            case LOAD_BALANCING_POLICY_CONFIG -> throw new IllegalArgumentException(path
                    + ": LOAD_BALANCING_POLICY_CONFIG needs cluster.load_balancing_policy with at least one policy,"
                    + " got none");
            default -> throw new IllegalArgumentException(path + ": must be one of ROUND_ROBIN, LEAST_REQUEST,"
                    + " RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG, got '"
                    + cluster.getLbPolicyValue() + "'");
        }
        Cluster.LbConfigCase config = cluster.getLbConfigCase();
        Cluster.LbConfigCase expected = switch (policy) {
            case ROUND_ROBIN -> Cluster.LbConfigCase.ROUND_ROBIN_LB_CONFIG;
            case LEAST_REQUEST -> Cluster.LbConfigCase.LEAST_REQUEST_LB_CONFIG;
            case RING_HASH -> Cluster.LbConfigCase.RING_HASH_LB_CONFIG;
            case MAGLEV -> Cluster.LbConfigCase.MAGLEV_LB_CONFIG;
            default -> Cluster.LbConfigCase.LBCONFIG_NOT_SET;
        };
        if (config != Cluster.LbConfigCase.LBCONFIG_NOT_SET && config != expected
                && config != Cluster.LbConfigCase.ORIGINAL_DST_LB_CONFIG) {
            warnings.add(ROOT + "." + config.name().toLowerCase(java.util.Locale.ROOT), "lb_policy is " + policy
                    + ": Envoy reads only that policy's config (LegacyTypedRoundRobinLbConfig and its siblings):"
                    + " ignored");
        } else if (config == expected) {
            switch (config) {
                case ROUND_ROBIN_LB_CONFIG -> {
                    Cluster.RoundRobinLbConfig c = cluster.getRoundRobinLbConfig();
                    FieldRules.warnUnmapped(c, ROOT + ".round_robin_lb_config", warnings);
                    if (c.hasSlowStartConfig()) {
                        lb.slowStart(slowStart(c.getSlowStartConfig(), ROOT + ".round_robin_lb_config.slow_start_config",
                                warnings));
                    }
                }
                case LEAST_REQUEST_LB_CONFIG -> {
                    Cluster.LeastRequestLbConfig c = cluster.getLeastRequestLbConfig();
                    String p = ROOT + ".least_request_lb_config";
                    FieldRules.warnUnmapped(c, p, warnings);
                    if (c.hasChoiceCount()) {
                        choiceCount(lb, c.getChoiceCount(), p + ".choice_count");
                    }
                    if (c.hasActiveRequestBias()) {
                        activeRequestBias(lb, c.getActiveRequestBias(), p + ".active_request_bias", warnings);
                    }
                    if (c.hasSlowStartConfig()) {
                        lb.slowStart(slowStart(c.getSlowStartConfig(), p + ".slow_start_config", warnings));
                    }
                }
                case RING_HASH_LB_CONFIG -> {
                    Cluster.RingHashLbConfig c = cluster.getRingHashLbConfig();
                    String p = ROOT + ".ring_hash_lb_config";
                    FieldRules.warnUnmapped(c, p, warnings);
                    ringSizes(lb, c.hasMinimumRingSize() ? c.getMinimumRingSize() : null,
                            c.hasMaximumRingSize() ? c.getMaximumRingSize() : null, p);
                    if (c.getHashFunction() == Cluster.RingHashLbConfig.HashFunction.MURMUR_HASH_2) {
                        warnings.add(p + ".hash_function", "MURMUR_HASH_2: Meridian hashes with xxHash64 (XX_HASH);"
                                + " the same keys land on other hosts");
                    } else if (c.getHashFunction() != Cluster.RingHashLbConfig.HashFunction.XX_HASH) {
                        throw new IllegalArgumentException(p + ".hash_function: must be XX_HASH or MURMUR_HASH_2,"
                                + " got '" + c.getHashFunctionValue() + "'");
                    }
                }
                case MAGLEV_LB_CONFIG -> {
                    Cluster.MaglevLbConfig c = cluster.getMaglevLbConfig();
                    FieldRules.warnUnmapped(c, ROOT + ".maglev_lb_config", warnings);
                    if (c.hasTableSize()) {
                        maglevTableSize(lb, c.getTableSize(), ROOT + ".maglev_lb_config.table_size");
                    }
                }
                default -> { }
            }
        }
        if (cluster.hasCommonLbConfig()) {
            Cluster.CommonLbConfig common = cluster.getCommonLbConfig();
            switch (common.getLocalityConfigSpecifierCase()) {
                case LOCALITY_WEIGHTED_LB_CONFIG -> lb.localityWeighted(true);
                case ZONE_AWARE_LB_CONFIG -> {
                    Cluster.CommonLbConfig.ZoneAwareLbConfig z = common.getZoneAwareLbConfig();
                    String p = ROOT + ".common_lb_config.zone_aware_lb_config";
                    FieldRules.warnUnmapped(z, p, warnings);
                    zoneAwareKnobs(z.hasRoutingEnabled() ? z.getRoutingEnabled() : null,
                            z.hasMinClusterSize() ? z.getMinClusterSize() : null, p, warnings);
                    lb.failTrafficOnPanic(z.getFailTrafficOnPanic());
                }
                default -> { }
            }
        }
    }

    private static void typedPolicy(Cluster cluster, LbConfig.Builder lb, WarningList warnings) {
        String listPath = ROOT + ".load_balancing_policy.policies";
        if (cluster.getLbPolicy() != Cluster.LbPolicy.ROUND_ROBIN
                && cluster.getLbPolicy() != Cluster.LbPolicy.LOAD_BALANCING_POLICY_CONFIG) {
            warnings.add(ROOT + ".lb_policy", cluster.getLbPolicy() + ": load_balancing_policy supersedes it"
                    + " (cluster.proto): ignored");
        }
        if (cluster.getLbConfigCase() != Cluster.LbConfigCase.LBCONFIG_NOT_SET) {
            warnings.add(ROOT + "." + cluster.getLbConfigCase().name().toLowerCase(java.util.Locale.ROOT),
                    "load_balancing_policy supersedes lb_policy and its config: ignored");
        }
        if (cluster.hasCommonLbConfig()
                && cluster.getCommonLbConfig().getLocalityConfigSpecifierCase()
                != Cluster.CommonLbConfig.LocalityConfigSpecifierCase.LOCALITYCONFIGSPECIFIER_NOT_SET) {
            warnings.add(ROOT + ".common_lb_config." + cluster.getCommonLbConfig().getLocalityConfigSpecifierCase()
                    .name().toLowerCase(java.util.Locale.ROOT), "with load_balancing_policy, Envoy takes locality"
                    + " settings from the policy's locality_lb_config: ignored");
        }
        if (!choosePolicy(cluster.getLoadBalancingPolicy(), listPath, lb, warnings)) {
            throw new IllegalArgumentException(listPath + ": no policy Meridian can run (round_robin, least_request,"
                    + " random, ring_hash, maglev), got "
                    + typeNames(cluster.getLoadBalancingPolicy()));
        }
    }

    /** Picks the first policy of the list Meridian runs; false when there is none. */
    private static boolean choosePolicy(LoadBalancingPolicy list, String listPath, LbConfig.Builder lb,
                                        WarningList warnings) {
        FieldRules.warnUnmapped(list, listPath.substring(0, listPath.lastIndexOf('.')), warnings);
        boolean chosen = false;
        for (int i = 0; i < list.getPoliciesCount(); i++) {
            String path = listPath + "[" + i + "].typed_extension_config";
            TypedExtensionConfig config = list.getPolicies(i).getTypedExtensionConfig();
            String type = config.getTypedConfig().getTypeUrl();
            if (chosen) {
                warnings.add(path, "Envoy uses the first policy it supports; this one comes after it: not used");
                continue;
            }
            chosen = applyPolicy(config.getTypedConfig(), path + ".typed_config", lb, warnings);
            if (!chosen) {
                warnings.add(path, "'" + type + "' (" + config.getName() + ") is not a policy Meridian runs"
                        + (type.endsWith(".WrrLocality") || type.endsWith(".ClientSideWeightedRoundRobin")
                        ? " (host weights from ORCA load reports are not modelled)" : "")
                        + ": passed over for the next one, where Envoy would use it if it supports it");
            }
        }
        return chosen;
    }

    private static boolean applyPolicy(Any any, String path, LbConfig.Builder lb, WarningList warnings) {
        String type = any.getTypeUrl();
        if (!type.startsWith(POLICY_PREFIX)) {
            return false;
        }
        switch (type.substring(POLICY_PREFIX.length())) {
            case "round_robin.v3.RoundRobin" -> {
                RoundRobin c = unpack(any, RoundRobin.class, path);
                FieldRules.warnUnmapped(c, path, warnings);
                lb.policy(LbPolicy.ROUND_ROBIN);
                if (c.hasSlowStartConfig()) {
                    lb.slowStart(slowStart(c.getSlowStartConfig(), path + ".slow_start_config", warnings));
                }
                if (c.hasLocalityLbConfig()) {
                    localityLbConfig(c.getLocalityLbConfig(), path + ".locality_lb_config", lb, warnings);
                }
            }
            case "least_request.v3.LeastRequest" -> {
                LeastRequest c = unpack(any, LeastRequest.class, path);
                FieldRules.warnUnmapped(c, path, warnings);
                lb.policy(LbPolicy.LEAST_REQUEST);
                if (c.hasChoiceCount()) {
                    choiceCount(lb, c.getChoiceCount(), path + ".choice_count");
                }
                if (c.hasActiveRequestBias()) {
                    activeRequestBias(lb, c.getActiveRequestBias(), path + ".active_request_bias", warnings);
                }
                if (c.hasSlowStartConfig()) {
                    lb.slowStart(slowStart(c.getSlowStartConfig(), path + ".slow_start_config", warnings));
                }
                if (c.hasLocalityLbConfig()) {
                    localityLbConfig(c.getLocalityLbConfig(), path + ".locality_lb_config", lb, warnings);
                }
            }
            case "random.v3.Random" -> {
                Random c = unpack(any, Random.class, path);
                FieldRules.warnUnmapped(c, path, warnings);
                lb.policy(LbPolicy.RANDOM);
                if (c.hasLocalityLbConfig()) {
                    localityLbConfig(c.getLocalityLbConfig(), path + ".locality_lb_config", lb, warnings);
                }
            }
            case "ring_hash.v3.RingHash" -> {
                RingHash c = unpack(any, RingHash.class, path);
                FieldRules.warnUnmapped(c, path, warnings);
                lb.policy(LbPolicy.RING_HASH);
                ringSizes(lb, c.hasMinimumRingSize() ? c.getMinimumRingSize() : null,
                        c.hasMaximumRingSize() ? c.getMaximumRingSize() : null, path);
                switch (c.getHashFunction()) {
                    case DEFAULT_HASH, XX_HASH -> { }
                    case MURMUR_HASH_2 -> warnings.add(path + ".hash_function", "MURMUR_HASH_2: Meridian hashes"
                            + " with xxHash64 (XX_HASH); the same keys land on other hosts");
                    default -> throw new IllegalArgumentException(path + ".hash_function: must be DEFAULT_HASH,"
                            + " XX_HASH or MURMUR_HASH_2, got '" + c.getHashFunctionValue() + "'");
                }
                if (c.hasConsistentHashingLbConfig()) {
                    FieldRules.warnUnmapped(c.getConsistentHashingLbConfig(), path + ".consistent_hashing_lb_config",
                            warnings);
                }
                lb.localityWeighted(c.hasLocalityWeightedLbConfig());
            }
            case "maglev.v3.Maglev" -> {
                Maglev c = unpack(any, Maglev.class, path);
                FieldRules.warnUnmapped(c, path, warnings);
                lb.policy(LbPolicy.MAGLEV);
                if (c.hasTableSize()) {
                    maglevTableSize(lb, c.getTableSize(), path + ".table_size");
                }
                if (c.hasConsistentHashingLbConfig()) {
                    FieldRules.warnUnmapped(c.getConsistentHashingLbConfig(), path + ".consistent_hashing_lb_config",
                            warnings);
                }
                lb.localityWeighted(c.hasLocalityWeightedLbConfig());
            }
            case "wrr_locality.v3.WrrLocality" -> {
                // Envoy's wrr_locality takes the first endpoint-picking policy it knows and accepts
                // only client_side_weighted_round_robin there (wrr_locality/config.h loadConfig:
                // "Currently WrrLocalityLoadBalancer only supports ClientSideWeightedRoundRobin...");
                // that policy weighs hosts by ORCA load reports, which Meridian does not model.
                WrrLocality c = unpack(any, WrrLocality.class, path);
                String inner = path + ".endpoint_picking_policy.policies";
                for (int i = 0; i < c.getEndpointPickingPolicy().getPoliciesCount(); i++) {
                    String url = c.getEndpointPickingPolicy().getPolicies(i).getTypedExtensionConfig().getTypedConfig()
                            .getTypeUrl();
                    if (EnvoyJson.typeOf(url) == null) {
                        continue;  // an extension Envoy may not have either: it looks further, as Envoy does
                    }
                    if (!url.endsWith(".ClientSideWeightedRoundRobin")) {
                        throw new IllegalArgumentException(inner + "[" + i + "]: Envoy's wrr_locality accepts only"
                                + " client_side_weighted_round_robin here (wrr_locality/config.h), got '" + url + "'");
                    }
                    return false;
                }
                throw new IllegalArgumentException(inner + ": Envoy's wrr_locality needs an endpoint-picking policy"
                        + " it knows (\"No supported endpoint picking policy.\"), got none");
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static void localityLbConfig(LocalityLbConfig c, String path, LbConfig.Builder lb, WarningList warnings) {
        FieldRules.warnUnmapped(c, path, warnings);
        switch (c.getLocalityConfigSpecifierCase()) {
            case LOCALITY_WEIGHTED_LB_CONFIG -> lb.localityWeighted(true);
            case ZONE_AWARE_LB_CONFIG -> {
                LocalityLbConfig.ZoneAwareLbConfig z = c.getZoneAwareLbConfig();
                FieldRules.warnUnmapped(z, path + ".zone_aware_lb_config", warnings);
                zoneAwareKnobs(z.hasRoutingEnabled() ? z.getRoutingEnabled() : null,
                        z.hasMinClusterSize() ? z.getMinClusterSize() : null, path + ".zone_aware_lb_config", warnings);
                lb.failTrafficOnPanic(z.getFailTrafficOnPanic());
            }
            default -> { }
        }
    }

    private static void zoneAwareKnobs(Percent routingEnabled, UInt64Value minClusterSize, String path,
                                       WarningList warnings) {
        String why = ZONE_AWARE_NEEDS_LOCAL_CLUSTER;
        if (routingEnabled != null) {
            percent(routingEnabled, path + ".routing_enabled");
            warnings.add(path + ".routing_enabled", why);
        }
        if (minClusterSize != null) {
            warnings.add(path + ".min_cluster_size", why);
        }
    }

    private static <T extends Message> T unpack(Any any, Class<T> type, String path) {
        try {
            return any.unpack(type);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(path + ": not a valid " + type.getSimpleName() + ", got '"
                    + any.getTypeUrl() + "' (" + e.getMessage() + ")", e);
        }
    }

    private static String typeNames(LoadBalancingPolicy list) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < list.getPoliciesCount(); i++) {
            b.append(i == 0 ? "'" : ", '").append(list.getPolicies(i).getTypedExtensionConfig().getTypedConfig()
                    .getTypeUrl()).append("'");
        }
        return b.append("]").toString();
    }

    // ================================================================== values

    private static double panicThreshold(Percent p, String path, WarningList warnings) {
        double v = percent(p, path);
        // PROTOBUF_PERCENT_TO_ROUNDED_INTEGER_OR_DEFAULT: std::round, half away from zero
        double rounded = Math.floor(v + 0.5);
        if (rounded != v) {
            warnings.add(path + ".value", "Envoy rounds the threshold to a whole percent: " + v + " runs as "
                    + (int) rounded);
        }
        return rounded;
    }

    private static double percent(Percent p, String path) {
        double v = p.getValue();
        if (!(v >= 0 && v <= 100)) {
            throw new IllegalArgumentException(path + ".value: must be 0..100, got '" + v + "'");
        }
        return v;
    }

    private static void choiceCount(LbConfig.Builder lb, UInt32Value value, String path) {
        int n = value.getValue();
        if (n < 2) {
            throw new IllegalArgumentException(path + ": must be >= 2, got '" + Integer.toUnsignedString(n) + "'");
        }
        lb.leastRequestChoiceCount(n);
    }

    private static void activeRequestBias(LbConfig.Builder lb, RuntimeDouble bias, String path,
                                          WarningList warnings) {
        double v = bias.getDefaultValue();
        // LeastRequestLoadBalancer: a negative or NaN bias is logged and replaced with 1.0
        if (!(v >= 0) || Double.isInfinite(v)) {
            warnings.add(path + ".default_value", "Envoy replaces an invalid bias (" + v + ") with 1.0");
            v = LbConfig.DEFAULT_ACTIVE_REQUEST_BIAS;
        }
        lb.activeRequestBias(v);
    }

    private static void ringSizes(LbConfig.Builder lb, UInt64Value min, UInt64Value max, String path) {
        long minimum = LbConfig.DEFAULT_RING_HASH_MINIMUM_SIZE;
        long maximum = LbConfig.DEFAULT_RING_HASH_MAXIMUM_SIZE;
        if (min != null) {
            minimum = min.getValue();
            long v = minimum;
            at(path + ".minimum_ring_size", Long.toUnsignedString(v), () -> lb.ringHashMinimumSize(toInt(v)));
        }
        if (max != null) {
            maximum = max.getValue();
            long v = maximum;
            at(path + ".maximum_ring_size", Long.toUnsignedString(v), () -> lb.ringHashMaximumSize(toInt(v)));
        }
        // RingHashLoadBalancer's constructor, with the defaults filled in: "ring hash:
        // minimum_ring_size (..) > maximum_ring_size (..)"
        if (minimum > maximum) {
            throw new IllegalArgumentException(path + ".minimum_ring_size: must not exceed maximum_ring_size "
                    + maximum + " (ring_hash_lb.cc rejects it), got '" + minimum + "'");
        }
    }

    private static void maglevTableSize(LbConfig.Builder lb, UInt64Value size, String path) {
        long v = size.getValue();
        at(path, Long.toUnsignedString(v), () -> lb.maglevTableSize(toInt(v)));
    }

    private static int toInt(long v) {
        return v < 0 || v > Integer.MAX_VALUE ? -1 : (int) v;
    }

    private static SlowStartConfig slowStart(Cluster.SlowStartConfig c, String path, WarningList warnings) {
        FieldRules.warnUnmapped(c, path, warnings);
        return slowStart(c.hasSlowStartWindow() ? c.getSlowStartWindow() : null,
                c.hasAggression() ? c.getAggression() : null,
                c.hasMinWeightPercent() ? c.getMinWeightPercent() : null, path, warnings);
    }

    private static SlowStartConfig slowStart(
            io.envoyproxy.envoy.extensions.load_balancing_policies.common.v3.SlowStartConfig c, String path,
            WarningList warnings) {
        FieldRules.warnUnmapped(c, path, warnings);
        return slowStart(c.hasSlowStartWindow() ? c.getSlowStartWindow() : null,
                c.hasAggression() ? c.getAggression() : null,
                c.hasMinWeightPercent() ? c.getMinWeightPercent() : null, path, warnings);
    }

    /**
     * Envoy's {@code EdfLoadBalancerBase}: the window in whole milliseconds, 0 (or absent) turns slow
     * start off; aggression default 1.0, and a value at or below 0 is replaced with 1.0; minimum
     * weight percent default 10.
     */
    private static SlowStartConfig slowStart(com.google.protobuf.Duration window, RuntimeDouble aggression,
                                             Percent minWeight, String path, WarningList warnings) {
        Duration w = window == null ? Duration.ZERO : duration(window, path + ".slow_start_window");
        double a = SlowStartConfig.DEFAULT_AGGRESSION;
        if (aggression != null) {
            a = aggression.getDefaultValue();
            if (!(a > 0) || Double.isInfinite(a)) {
                warnings.add(path + ".aggression.default_value", "Envoy replaces an aggression at or below 0 ("
                        + a + ") with 1.0");
                a = SlowStartConfig.DEFAULT_AGGRESSION;
            }
        }
        double m = minWeight == null ? SlowStartConfig.DEFAULT_MIN_WEIGHT_PERCENT
                : percent(minWeight, path + ".min_weight_percent");
        if (w.toMillis() <= 0) {
            return null;
        }
        return new SlowStartConfig(Duration.ofMillis(w.toMillis()), a, m);
    }

    private static Duration duration(com.google.protobuf.Duration d, String path) {
        if (d.getSeconds() < 0 || d.getNanos() < 0 || d.getNanos() > 999_999_999) {
            throw new IllegalArgumentException(path + ": must not be negative, got '" + d.getSeconds() + "s "
                    + d.getNanos() + "ns'");
        }
        return Duration.ofSeconds(d.getSeconds(), d.getNanos());
    }

    private static Duration positive(com.google.protobuf.Duration d, String path) {
        Duration v = duration(d, path);
        if (v.isZero()) {
            throw new IllegalArgumentException(path + ": must be greater than 0, got '0s'");
        }
        return v;
    }

    /** Runs a builder setter; its IllegalArgumentException is rethrown naming the proto field and value. */
    private static <T> T at(String path, Object value, java.util.function.Supplier<T> setter) {
        try {
            return setter.get();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            int colon = m.indexOf(": ");
            throw new IllegalArgumentException(path + ": " + (colon >= 0 ? m.substring(colon + 2) : m)
                    + (m.contains("got") ? "" : ", got '" + value + "'"), e);
        }
    }

    private static void at(String path, Object value, Runnable setter) {
        at(path, value, () -> {
            setter.run();
            return null;
        });
    }

    // ================================================================== outlier detection

    private static OutlierDetectionConfig outlierDetection(OutlierDetection o, int envoyMinor, String path,
                                                           WarningList warnings) {
        FieldRules.warnUnmapped(o, path, warnings);
        OutlierDetectionConfig.Builder b = OutlierDetectionConfig.builder().envoyRelease(envoyMinor);
        if (o.hasInterval()) {
            Duration d = positive(o.getInterval(), path + ".interval");
            at(path + ".interval", d, () -> b.interval(d));
        }
        if (o.hasBaseEjectionTime()) {
            Duration d = positive(o.getBaseEjectionTime(), path + ".base_ejection_time");
            at(path + ".base_ejection_time", d, () -> b.baseEjectionTime(d));
        }
        if (o.hasMaxEjectionTime()) {
            Duration d = positive(o.getMaxEjectionTime(), path + ".max_ejection_time");
            at(path + ".max_ejection_time", d, () -> b.maxEjectionTime(d));
        }
        if (o.hasMaxEjectionTimeJitter()) {
            Duration d = duration(o.getMaxEjectionTimeJitter(), path + ".max_ejection_time_jitter");
            at(path + ".max_ejection_time_jitter", d, () -> b.maxEjectionTimeJitter(d));
        }
        u32(o.hasMaxEjectionPercent(), o.getMaxEjectionPercent(), path + ".max_ejection_percent", b::maxEjectionPercent);
        if (o.hasAlwaysEjectOneHost()) {
            boolean v = o.getAlwaysEjectOneHost().getValue();
            if (v && envoyMinor < OutlierDetectionConfig.ENVOY_ALWAYS_EJECT_ONE_HOST) {
                warnings.add(path + ".always_eject_one_host", "Envoy 1." + envoyMinor + " does not have this field"
                        + " (from 1." + OutlierDetectionConfig.ENVOY_ALWAYS_EJECT_ONE_HOST + "): ignored, as it would");
            } else {
                b.alwaysEjectOneHost(v);
            }
        }
        u32(o.hasConsecutive5Xx(), o.getConsecutive5Xx(), path + ".consecutive_5xx", b::consecutive5xx);
        u32(o.hasEnforcingConsecutive5Xx(), o.getEnforcingConsecutive5Xx(), path + ".enforcing_consecutive_5xx",
                b::enforcingConsecutive5xx);
        u32(o.hasConsecutiveGatewayFailure(), o.getConsecutiveGatewayFailure(), path + ".consecutive_gateway_failure",
                b::consecutiveGatewayFailure);
        u32(o.hasEnforcingConsecutiveGatewayFailure(), o.getEnforcingConsecutiveGatewayFailure(),
                path + ".enforcing_consecutive_gateway_failure", b::enforcingConsecutiveGatewayFailure);
        b.splitExternalLocalOriginErrors(o.getSplitExternalLocalOriginErrors());
        u32(o.hasConsecutiveLocalOriginFailure(), o.getConsecutiveLocalOriginFailure(),
                path + ".consecutive_local_origin_failure", b::consecutiveLocalOriginFailure);
        u32(o.hasEnforcingConsecutiveLocalOriginFailure(), o.getEnforcingConsecutiveLocalOriginFailure(),
                path + ".enforcing_consecutive_local_origin_failure", b::enforcingConsecutiveLocalOriginFailure);
        u32(o.hasSuccessRateMinimumHosts(), o.getSuccessRateMinimumHosts(), path + ".success_rate_minimum_hosts",
                b::successRateMinimumHosts);
        u32(o.hasSuccessRateRequestVolume(), o.getSuccessRateRequestVolume(), path + ".success_rate_request_volume",
                b::successRateRequestVolume);
        u32(o.hasSuccessRateStdevFactor(), o.getSuccessRateStdevFactor(), path + ".success_rate_stdev_factor",
                b::successRateStdevFactor);
        u32(o.hasEnforcingSuccessRate(), o.getEnforcingSuccessRate(), path + ".enforcing_success_rate",
                b::enforcingSuccessRate);
        u32(o.hasEnforcingLocalOriginSuccessRate(), o.getEnforcingLocalOriginSuccessRate(),
                path + ".enforcing_local_origin_success_rate", b::enforcingLocalOriginSuccessRate);
        u32(o.hasFailurePercentageThreshold(), o.getFailurePercentageThreshold(),
                path + ".failure_percentage_threshold", b::failurePercentageThreshold);
        u32(o.hasFailurePercentageMinimumHosts(), o.getFailurePercentageMinimumHosts(),
                path + ".failure_percentage_minimum_hosts", b::failurePercentageMinimumHosts);
        u32(o.hasFailurePercentageRequestVolume(), o.getFailurePercentageRequestVolume(),
                path + ".failure_percentage_request_volume", b::failurePercentageRequestVolume);
        u32(o.hasEnforcingFailurePercentage(), o.getEnforcingFailurePercentage(),
                path + ".enforcing_failure_percentage", b::enforcingFailurePercentage);
        u32(o.hasEnforcingFailurePercentageLocalOrigin(), o.getEnforcingFailurePercentageLocalOrigin(),
                path + ".enforcing_failure_percentage_local_origin", b::enforcingFailurePercentageLocalOrigin);
        return at(path + ".max_ejection_time", o.hasMaxEjectionTime() ? o.getMaxEjectionTime() : "absent", b::build);
    }

    private static void u32(boolean present, UInt32Value value, String path, Consumer<Integer> setter) {
        if (!present) {
            return;
        }
        int v = value.getValue();
        if (v < 0) {
            throw new IllegalArgumentException(path + ": Meridian holds values up to " + Integer.MAX_VALUE + ", got '"
                    + Integer.toUnsignedString(v) + "'");
        }
        at(path, v, () -> setter.accept(v));
    }

    // ================================================================== zone-aware routing

    /**
     * Meridian's zone-aware routing inputs for this cluster once the caller's own cluster is known,
     * as Envoy runs zone-aware routing when the bootstrap names a {@code local_cluster_name}:
     * {@code routing_enabled} (default 100%) and {@code min_cluster_size} (default 6) from the
     * cluster's zone-aware config, or Envoy's defaults when the cluster has none.
     *
     * @param cluster the upstream cluster
     * @param local the caller's locality and its own cluster's hosts, as a builder with at least the
     *     local locality set; this method sets the knobs and builds it
     * @return the inputs, or null when the cluster weights localities instead (zone-aware routing
     *     and locality weighting are one {@code oneof} in Envoy)
     * @throws IllegalArgumentException naming the field when a knob is out of range
     */
    public static ZoneAwareConfig zoneAware(Cluster cluster, ZoneAwareConfig.Builder local) {
        if (cluster == null || local == null) {
            throw new IllegalArgumentException("zoneAware: cluster and local must not be null");
        }
        Percent routing = null;
        UInt64Value minSize = null;
        String path;
        if (cluster.hasLoadBalancingPolicy() && cluster.getLoadBalancingPolicy().getPoliciesCount() > 0) {
            LbConfig.Builder probe = LbConfig.builder();
            if (!choosePolicy(cluster.getLoadBalancingPolicy(), ROOT + ".load_balancing_policy.policies", probe,
                    new WarningList()) || probe.build().localityWeighted()) {
                return null;
            }
            LocalityLbConfig.ZoneAwareLbConfig z = typedZoneAware(cluster.getLoadBalancingPolicy());
            path = ROOT + ".load_balancing_policy";
            if (z != null) {
                routing = z.hasRoutingEnabled() ? z.getRoutingEnabled() : null;
                minSize = z.hasMinClusterSize() ? z.getMinClusterSize() : null;
            }
        } else {
            Cluster.CommonLbConfig common = cluster.getCommonLbConfig();
            if (common.hasLocalityWeightedLbConfig()) {
                return null;
            }
            path = ROOT + ".common_lb_config.zone_aware_lb_config";
            Cluster.CommonLbConfig.ZoneAwareLbConfig z = common.getZoneAwareLbConfig();
            routing = z.hasRoutingEnabled() ? z.getRoutingEnabled() : null;
            minSize = z.hasMinClusterSize() ? z.getMinClusterSize() : null;
        }
        if (routing != null) {
            double v = percent(routing, path + ".routing_enabled");
            at(path + ".routing_enabled", v, () -> local.routingEnabledPercent(v));
        }
        if (minSize != null) {
            long v = minSize.getValue();
            at(path + ".min_cluster_size", Long.toUnsignedString(v), () -> local.minClusterSize(toInt(v)));
        }
        return local.build();
    }

    private static LocalityLbConfig.ZoneAwareLbConfig typedZoneAware(LoadBalancingPolicy list) {
        for (LoadBalancingPolicy.Policy p : list.getPoliciesList()) {
            Any any = p.getTypedExtensionConfig().getTypedConfig();
            try {
                if (any.is(RoundRobin.class)) {
                    return any.unpack(RoundRobin.class).getLocalityLbConfig().getZoneAwareLbConfig();
                }
                if (any.is(LeastRequest.class)) {
                    return any.unpack(LeastRequest.class).getLocalityLbConfig().getZoneAwareLbConfig();
                }
                if (any.is(Random.class)) {
                    return any.unpack(Random.class).getLocalityLbConfig().getZoneAwareLbConfig();
                }
            } catch (InvalidProtocolBufferException e) {
                return null;
            }
            if (any.is(RingHash.class) || any.is(Maglev.class)) {
                return null;
            }
        }
        return null;
    }

    // ================================================================== Meridian → Envoy

    /**
     * Settings → an EDS-typed Envoy Cluster (endpoints over ADS) that Envoy runs the same way:
     * {@code lb_policy} with its config, {@code common_lb_config} and {@code outlier_detection}
     * with every field written. The overprovisioning factor and {@code weighted_priority_health}
     * are the assignment's ({@link LoadAssignments#toEnvoy(LoadAssignment)}), and the caller's own
     * cluster behind zone-aware routing is the bootstrap's: neither is written here.
     * {@link #fromEnvoy} reads the result back to equal settings when the Envoy release is the
     * settings' and the settings have no zone-aware inputs.
     *
     * @throws IllegalArgumentException when Envoy cannot express the settings: a panic threshold
     *     that is not a whole percent, slow start with a policy other than round robin or least
     *     request, or locality weighting together with zone-aware knobs
     */
    public static Cluster toEnvoy(ClusterSettings settings) {
        if (settings == null) {
            throw new IllegalArgumentException("clusterSettings: must not be null");
        }
        LbConfig lb = settings.lb();
        Cluster.Builder c = Cluster.newBuilder()
                .setName(settings.name())
                .setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ConfigSource.newBuilder()
                        .setAds(AggregatedConfigSource.getDefaultInstance())
                        .setResourceApiVersion(ApiVersion.V3)));
        if (lb.slowStart() != null && lb.policy() != LbPolicy.ROUND_ROBIN && lb.policy() != LbPolicy.LEAST_REQUEST) {
            throw new IllegalArgumentException("clusterSettings.lb.slowStart: Envoy has slow start for ROUND_ROBIN"
                    + " and LEAST_REQUEST only (cluster " + settings.name() + "), got " + lb.slowStart() + " with "
                    + lb.policy());
        }
        switch (lb.policy()) {
            case ROUND_ROBIN -> {
                c.setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
                if (lb.slowStart() != null) {
                    c.setRoundRobinLbConfig(Cluster.RoundRobinLbConfig.newBuilder()
                            .setSlowStartConfig(slowStart(lb.slowStart())));
                }
            }
            case LEAST_REQUEST -> {
                c.setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST);
                Cluster.LeastRequestLbConfig.Builder lr = Cluster.LeastRequestLbConfig.newBuilder()
                        .setChoiceCount(UInt32Value.of(lb.leastRequestChoiceCount()))
                        .setActiveRequestBias(RuntimeDouble.newBuilder().setDefaultValue(lb.activeRequestBias())
                                .setRuntimeKey("upstream.least_request.active_request_bias"));
                if (lb.slowStart() != null) {
                    lr.setSlowStartConfig(slowStart(lb.slowStart()));
                }
                c.setLeastRequestLbConfig(lr);
            }
            case RANDOM -> c.setLbPolicy(Cluster.LbPolicy.RANDOM);
            case RING_HASH -> c.setLbPolicy(Cluster.LbPolicy.RING_HASH)
                    .setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder()
                            .setMinimumRingSize(UInt64Value.of(lb.ringHashMinimumSize()))
                            .setMaximumRingSize(UInt64Value.of(lb.ringHashMaximumSize())));
            case MAGLEV -> c.setLbPolicy(Cluster.LbPolicy.MAGLEV)
                    .setMaglevLbConfig(Cluster.MaglevLbConfig.newBuilder()
                            .setTableSize(UInt64Value.of(lb.maglevTableSize())));
        }
        if (lb.panicThreshold() != Math.rint(lb.panicThreshold())) {
            throw new IllegalArgumentException("clusterSettings.lb.panicThreshold: Envoy runs whole percents only"
                    + " (cluster " + settings.name() + "), got " + lb.panicThreshold());
        }
        Cluster.CommonLbConfig.Builder common = Cluster.CommonLbConfig.newBuilder()
                .setHealthyPanicThreshold(Percent.newBuilder().setValue(lb.panicThreshold()));
        ZoneAwareConfig zone = lb.zoneAware();
        if (lb.localityWeighted()) {
            if (lb.failTrafficOnPanic() || zone != null) {
                throw new IllegalArgumentException("clusterSettings.lb.localityWeighted: Envoy's locality weighting"
                        + " and zone-aware routing (fail_traffic_on_panic included) are one oneof (cluster "
                        + settings.name() + "), got both");
            }
            common.setLocalityWeightedLbConfig(Cluster.CommonLbConfig.LocalityWeightedLbConfig.getDefaultInstance());
        } else if (lb.failTrafficOnPanic() || zone != null) {
            Cluster.CommonLbConfig.ZoneAwareLbConfig.Builder z = Cluster.CommonLbConfig.ZoneAwareLbConfig.newBuilder()
                    .setFailTrafficOnPanic(lb.failTrafficOnPanic());
            if (zone != null) {
                z.setRoutingEnabled(Percent.newBuilder().setValue(zone.routingEnabledPercent()))
                        .setMinClusterSize(UInt64Value.of(zone.minClusterSize()));
            }
            common.setZoneAwareLbConfig(z);
        }
        c.setCommonLbConfig(common);
        if (settings.outlierDetection() != null) {
            c.setOutlierDetection(outlierDetection(settings.outlierDetection()));
        }
        return c.build();
    }

    private static Cluster.SlowStartConfig slowStart(SlowStartConfig s) {
        return Cluster.SlowStartConfig.newBuilder()
                .setSlowStartWindow(protoDuration(s.window()))
                .setAggression(RuntimeDouble.newBuilder().setDefaultValue(s.aggression())
                        .setRuntimeKey("upstream.slow_start.aggression"))
                .setMinWeightPercent(Percent.newBuilder().setValue(s.minWeightPercent()))
                .build();
    }

    private static OutlierDetection outlierDetection(OutlierDetectionConfig o) {
        OutlierDetection.Builder b = OutlierDetection.newBuilder()
                .setInterval(protoDuration(o.interval()))
                .setBaseEjectionTime(protoDuration(o.baseEjectionTime()))
                .setMaxEjectionTime(protoDuration(o.maxEjectionTime()))
                .setMaxEjectionPercent(UInt32Value.of(o.maxEjectionPercent()))
                .setConsecutive5Xx(UInt32Value.of(o.consecutive5xx()))
                .setEnforcingConsecutive5Xx(UInt32Value.of(o.enforcingConsecutive5xx()))
                .setConsecutiveGatewayFailure(UInt32Value.of(o.consecutiveGatewayFailure()))
                .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(o.enforcingConsecutiveGatewayFailure()))
                .setSplitExternalLocalOriginErrors(o.splitExternalLocalOriginErrors())
                .setConsecutiveLocalOriginFailure(UInt32Value.of(o.consecutiveLocalOriginFailure()))
                .setEnforcingConsecutiveLocalOriginFailure(UInt32Value.of(o.enforcingConsecutiveLocalOriginFailure()))
                .setSuccessRateMinimumHosts(UInt32Value.of(o.successRateMinimumHosts()))
                .setSuccessRateRequestVolume(UInt32Value.of(o.successRateRequestVolume()))
                .setSuccessRateStdevFactor(UInt32Value.of(o.successRateStdevFactor()))
                .setEnforcingSuccessRate(UInt32Value.of(o.enforcingSuccessRate()))
                .setEnforcingLocalOriginSuccessRate(UInt32Value.of(o.enforcingLocalOriginSuccessRate()))
                .setFailurePercentageThreshold(UInt32Value.of(o.failurePercentageThreshold()))
                .setFailurePercentageMinimumHosts(UInt32Value.of(o.failurePercentageMinimumHosts()))
                .setFailurePercentageRequestVolume(UInt32Value.of(o.failurePercentageRequestVolume()))
                .setEnforcingFailurePercentage(UInt32Value.of(o.enforcingFailurePercentage()))
                .setEnforcingFailurePercentageLocalOrigin(UInt32Value.of(o.enforcingFailurePercentageLocalOrigin()));
        if (!o.maxEjectionTimeJitter().isZero()) {
            b.setMaxEjectionTimeJitter(protoDuration(o.maxEjectionTimeJitter()));
        }
        if (o.alwaysEjectOneHost()) {
            b.setAlwaysEjectOneHost(BoolValue.of(true));
        }
        return b.build();
    }

    private static com.google.protobuf.Duration protoDuration(Duration d) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }
}
