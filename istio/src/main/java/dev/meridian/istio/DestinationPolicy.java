package dev.meridian.istio;

import dev.meridian.core.Endpoint;
import dev.meridian.core.IstioRelease;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.SlowStartConfig;
import dev.meridian.outlier.IstioOutlierTranslation;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.ExcludedEndpoint;
import dev.meridian.topology.LocalityLbSetting;
import dev.meridian.topology.LocalityPriorities;
import dev.meridian.topology.PriorityAssignment;
import java.util.ArrayList;
import java.util.List;

/**
 * The settings that decide endpoint choice for one destination, as Istio's cluster builder
 * generates them from a DestinationRule and the mesh-wide {@code localityLbSetting}
 * ({@code pilot/pkg/networking/core/cluster_traffic_policy.go}: {@code applyLoadBalancer},
 * {@code applyOutlierDetection}): the {@code lb} configuration (policy, panic threshold, ring or
 * table size, slow start), the {@code outlier} detection Envoy runs, and the two locality settings
 * that {@link #assign} turns into priorities for a caller.
 *
 * <p>Istio's defaults hold where the rule is silent: {@code LEAST_REQUEST} when no {@code simple}
 * or {@code consistentHash} is given, Envoy's 50% panic threshold without outlier detection and
 * {@code minHealthPercent} (default 0, no panic) with it. {@link #notes()} says, one line each, what
 * the translation did that a reader of the rule would not expect.
 *
 * <p>The rules are those of one Istio release ({@link #release()}, default {@link IstioRelease#LATEST})
 * and the Envoy it ships, where they changed over time: the default algorithm (before 1.14,
 * {@code ROUND_ROBIN}), the legacy {@code consecutiveErrors} (mapped before 1.7, ignored since) and
 * Envoy's outlier rules ({@link OutlierDetectionConfig#envoyMinor()}).
 *
 * <p>Immutable and thread-safe; the factory methods are stateless and may be called from any thread.
 * Cold path: they allocate and throw {@link IllegalArgumentException} for a rule Envoy cannot run.
 *
 * @param meshLocality the mesh-wide {@code localityLbSetting}, or null for none
 * @param ruleLocality the rule's {@code trafficPolicy.loadBalancer.localityLbSetting}, which replaces
 *        the mesh's entirely; null when the rule has none
 * @param lb the load balancer configuration, before locality weighting and zone-aware routing are
 *        decided for a caller and an endpoint set
 * @param outlier the outlier detection configuration, or null when the rule has none
 * @param notes what Istio's translation did that a reader should know
 * @param release the Istio release whose rules were applied
 * @param port the destination port the caller uses, which selects {@code portLevelSettings}; null
 *        when not given
 */
public record DestinationPolicy(LocalityLbSetting meshLocality, LocalityLbSetting ruleLocality, LbConfig lb,
                                OutlierDetectionConfig outlier, List<String> notes, IstioRelease release,
                                Integer port) {

    /** Istio's first release whose default algorithm is LEAST_REQUEST (istio/istio#37220, tag 1.14.0). */
    public static final int ISTIO_DEFAULT_LEAST_REQUEST = 14;

    public DestinationPolicy {
        if (lb == null) {
            throw new IllegalArgumentException("lb: required, got null");
        }
        notes = notes == null ? List.of() : List.copyOf(notes);
        release = release == null ? IstioRelease.LATEST : release;
    }

    /** A policy under the latest release's rules, with no port given. */
    public DestinationPolicy(LocalityLbSetting meshLocality, LocalityLbSetting ruleLocality, LbConfig lb,
                             OutlierDetectionConfig outlier, List<String> notes) {
        this(meshLocality, ruleLocality, lb, outlier, notes, IstioRelease.LATEST, null);
    }

    /**
     * The policy for traffic to a DestinationRule's host, or to one of its subsets: the subset's
     * {@code loadBalancer} and {@code outlierDetection} blocks replace the rule's, as Istio merges
     * them ({@link DestinationRule#policyFor}).
     *
     * @param rule the DestinationRule, or null when the destination has none
     * @param subset the subset traffic is pinned to, or null for the whole host
     * @param meshLocality the mesh-wide {@code localityLbSetting} ({@link MeshConfigs#MESH_DEFAULT} when
     *        the mesh config does not set one), or null for none
     * @throws IllegalArgumentException when the subset is not in the rule, when a subset is named
     *         without a rule, or when the rule asks for {@code PASSTHROUGH}
     */
    public static DestinationPolicy from(DestinationRule rule, String subset, LocalityLbSetting meshLocality) {
        return from(rule, subset, null, meshLocality, IstioRelease.LATEST);
    }

    /**
     * The policy for traffic to a DestinationRule's host (or one of its subsets) on one port, under
     * one Istio release's rules: {@code portLevelSettings} for the port replace the policy they sit
     * in ({@link DestinationRule#policyFor(String, Integer)}).
     *
     * @param rule the DestinationRule, or null when the destination has none
     * @param subset the subset traffic is pinned to, or null for the whole host
     * @param port the destination port the caller uses, or null when not known
     * @param meshLocality the mesh-wide {@code localityLbSetting}, or null for none
     * @param release the Istio release whose rules apply; null for {@link IstioRelease#LATEST}
     * @throws IllegalArgumentException as {@link #from(DestinationRule, String, LocalityLbSetting)}, or
     *         when the port is outside 1..65535
     */
    public static DestinationPolicy from(DestinationRule rule, String subset, Integer port,
                                         LocalityLbSetting meshLocality, IstioRelease release) {
        if (rule == null && subset != null) {
            throw new IllegalArgumentException("subset: '" + subset + "' needs a destinationRule that defines it");
        }
        if (port != null && (port < 1 || port > 65535)) {
            throw new IllegalArgumentException("port: must be 1..65535, got " + port);
        }
        List<String> portNotes = new ArrayList<>();
        if (rule != null) {
            portNotes(rule, subset, port, portNotes);
        }
        DestinationPolicy p = from(rule == null ? null : rule.policyFor(subset, port), meshLocality, release);
        if (portNotes.isEmpty() && port == null) {
            return p;
        }
        portNotes.addAll(p.notes());
        return new DestinationPolicy(p.meshLocality(), p.ruleLocality(), p.lb(), p.outlier(), portNotes, p.release(),
                port);
    }

    private static void portNotes(DestinationRule rule, String subset, Integer port, List<String> notes) {
        TrafficPolicy own = rule.trafficPolicy();
        TrafficPolicy sub = subset == null ? null : rule.subset(subset).map(Subset::trafficPolicy).orElse(null);
        boolean anyPortLevel = own != null && !own.portLevelSettings().isEmpty()
                || sub != null && !sub.portLevelSettings().isEmpty();
        if (!anyPortLevel) {
            return;
        }
        if (port == null) {
            notes.add("portLevelSettings apply to traffic for their port, and no caller port is given, so the policy "
                    + "outside them is used");
            return;
        }
        boolean matched = own != null && own.portLevel(port) != null || sub != null && sub.portLevel(port) != null;
        notes.add(matched
                ? "portLevelSettings for port " + port + " replace the traffic policy they sit in: a loadBalancer or "
                + "outlierDetection the entry does not write falls back to Istio's default, not to the rule's "
                + "(GetPortLevelTrafficPolicy)"
                : "no portLevelSettings entry for port " + port + ", so the policy outside them applies");
    }

    /**
     * The policy a traffic policy (already merged for a subset, if any) gives.
     *
     * @param policy the traffic policy, or null for Istio's defaults
     * @param meshLocality the mesh-wide {@code localityLbSetting}, or null for none
     * @throws IllegalArgumentException when the policy asks for {@code PASSTHROUGH}
     */
    public static DestinationPolicy from(TrafficPolicy policy, LocalityLbSetting meshLocality) {
        return from(policy, meshLocality, IstioRelease.LATEST);
    }

    /**
     * The policy a traffic policy (already merged for a subset and narrowed to a port, if any)
     * gives under one Istio release's rules.
     *
     * @param policy the traffic policy, or null for Istio's defaults
     * @param meshLocality the mesh-wide {@code localityLbSetting}, or null for none
     * @param release the Istio release whose rules apply; null for {@link IstioRelease#LATEST}
     * @throws IllegalArgumentException when the policy asks for {@code PASSTHROUGH}
     */
    public static DestinationPolicy from(TrafficPolicy policy, LocalityLbSetting meshLocality, IstioRelease release) {
        IstioRelease r = release == null ? IstioRelease.LATEST : release;
        List<String> notes = new ArrayList<>();
        if (!r.equals(IstioRelease.LATEST)) {
            notes.add("Istio " + r + " rules apply (its sidecar runs Envoy 1." + r.envoyMinor() + "), not those of the "
                    + "latest release " + IstioRelease.LATEST);
        }
        LoadBalancerSettings lb = policy == null ? null : policy.loadBalancer();
        // The Envoy the release ships decides Envoy's own rules, e.g. whether DRAINING hosts are
        // excluded (LbConfig.ENVOY_EXCLUDES_DRAINING).
        LbConfig.Builder config = LbConfig.builder().policy(lbPolicy(lb, r, notes)).envoyRelease(r.envoyMinor());
        if (lb != null && lb.consistentHash() != null) {
            ConsistentHash.HashAlgorithm algorithm = lb.consistentHash().algorithm();
            if (algorithm instanceof ConsistentHash.RingHash ring && ring.minimumRingSize() != null
                    && ring.minimumRingSize() > 0) {
                config.ringHashMinimumSize((int) Math.min(Integer.MAX_VALUE, ring.minimumRingSize()));
            } else if (algorithm instanceof ConsistentHash.Maglev maglev) {
                config.maglevTableSize((int) maglev.tableSize());
            }
        }
        if (lb != null && lb.warmupDuration() != null) {
            // Istio's applyRoundRobinLoadBalancer / applyLeastRequestLoadBalancer (cluster_traffic_policy.go):
            // setWarmup passes warmup.duration, aggression (default 1.0) and minimumPercent (default 10)
            // to Envoy's slow_start_config; the older warmupDurationSecs sets only the window.
            config.slowStart(new SlowStartConfig(lb.warmupDuration(),
                    lb.warmupAggression() == null ? SlowStartConfig.DEFAULT_AGGRESSION : lb.warmupAggression(),
                    lb.warmupMinimumPercent() == null ? SlowStartConfig.DEFAULT_MIN_WEIGHT_PERCENT
                            : lb.warmupMinimumPercent()));
        }
        OutlierDetectionConfig outlier = null;
        OutlierDetection od = policy == null ? null : policy.outlierDetection();
        if (od != null) {
            IstioOutlierTranslation t = IstioOutlierTranslation.translate(r, od.consecutiveErrors(),
                    od.consecutive5xxErrors(), od.consecutiveGatewayErrors(), od.consecutiveLocalOriginFailures(),
                    od.splitExternalLocalOriginErrors(), od.interval(), od.baseEjectionTime(),
                    od.maxEjectionPercent(), od.minHealthPercent());
            outlier = t.config();
            // With outlier detection Istio always writes healthy_panic_threshold = minHealthPercent
            // (default 0, which disables panic); without it Envoy's default of 50% stands.
            config.panicThreshold(t.healthyPanicThreshold());
            for (String note : t.notes()) {
                // The DestinationRule reader has already warned that current Istio ignores the legacy
                // field, with its YAML path; a release that still maps it keeps its own note.
                if (!(od.usesLegacyConsecutiveErrors() && note.startsWith("outlierDetection.consecutiveErrors")
                        && r.atLeast(IstioOutlierTranslation.ISTIO_IGNORES_CONSECUTIVE_ERRORS))) {
                    notes.add(note);
                }
            }
        }
        LocalityLbSetting ruleLocality = lb == null ? null : lb.localityLbSetting();
        return new DestinationPolicy(meshLocality, ruleLocality, config.build(), outlier, notes, r, null);
    }

    /**
     * Istio's locality priorities for a caller over an endpoint set under this policy: which
     * locality setting applies, and whether failover applies at all (only with outlier detection).
     */
    public PriorityAssignment assign(List<Endpoint> endpoints, Caller caller) {
        return LocalityPriorities.assign(endpoints, caller, meshLocality, ruleLocality, outlier != null);
    }

    /**
     * Istio's priorities for a caller of a Kubernetes Service: first the endpoints Istio sends to the
     * sidecar ({@link KubernetesService#sentEndpoints}), then locality priorities over them with the
     * Service's traffic distribution between the rule's and the mesh's setting
     * ({@link LocalityPriorities#assign(List, Caller, LocalityLbSetting, LocalityLbSetting,
     * dev.meridian.topology.TrafficDistribution, IstioRelease, boolean)}). Endpoints Istio drops come
     * first in {@link PriorityAssignment#excluded()}, each with its reason.
     *
     * @param service the destination's Service, {@link KubernetesService#NONE} for a plain one
     * @param release the Istio release whose rules apply ({@link IstioRelease#LATEST} by default)
     */
    public PriorityAssignment assign(List<Endpoint> endpoints, Caller caller, KubernetesService service,
                                     IstioRelease release) {
        if (endpoints == null) {
            throw new IllegalArgumentException("endpoints: must not be null");
        }
        KubernetesService.SentEndpoints sent = service.sentEndpoints(endpoints, release);
        List<String> warnings = new ArrayList<>();
        PriorityAssignment a = LocalityPriorities.assign(sent.sent(), caller, meshLocality, ruleLocality,
                service.istioTrafficDistribution(release, warnings), release, outlier != null);
        if (sent.excluded().isEmpty() && warnings.isEmpty()) {
            return a;
        }
        List<ExcludedEndpoint> excluded = new ArrayList<>(sent.excluded());
        excluded.addAll(a.excluded());
        warnings.addAll(a.warnings());
        return new PriorityAssignment(a.applied(), a.reason(), a.mode(), a.localityWeighted(), a.priorities(), excluded,
                warnings);
    }

    /**
     * The load balancer configuration for a Kubernetes Service: {@link #lb()}, with the panic threshold
     * 0 when Istio sends the Service's unhealthy endpoints ({@link KubernetesService#supportsUnhealthyEndpoints};
     * {@code cluster_traffic_policy.go} {@code applyLoadBalancer} writes {@code healthy_panic_threshold: 0},
     * so a sidecar never sends traffic to a not-ready pod, even when few are ready).
     */
    public LbConfig lbFor(KubernetesService service, IstioRelease release) {
        if (!service.supportsUnhealthyEndpoints(release) || lb.panicThreshold() == 0) {
            return lb;
        }
        return lb.toBuilder().panicThreshold(0).build();
    }

    /** What {@link #lbFor} changed, one sentence, or null when it changed nothing. */
    public String serviceNote(KubernetesService service, IstioRelease release) {
        if (!service.supportsUnhealthyEndpoints(release) || lb.panicThreshold() == 0) {
            return null;
        }
        return "panicThreshold: Istio writes healthy_panic_threshold 0 in place of " + fmt(lb.panicThreshold())
                + " because it sends this Service's unhealthy endpoints ("
                + (service.sendUnhealthyEndpoints() ? "PILOT_SEND_UNHEALTHY_ENDPOINTS" : "its trafficDistribution")
                + "; cluster_traffic_policy.go applyLoadBalancer), so not-ready endpoints never take traffic";
    }

    private static String fmt(double percent) {
        return percent == Math.rint(percent) ? Long.toString((long) percent) : Double.toString(percent);
    }

    private static LbPolicy lbPolicy(LoadBalancerSettings lb, IstioRelease release, List<String> notes) {
        if (lb != null && lb.consistentHash() != null) {
            return lb.consistentHash().algorithm() instanceof ConsistentHash.Maglev ? LbPolicy.MAGLEV : LbPolicy.RING_HASH;
        }
        SimplePolicy simple = lb == null || lb.simple() == null ? SimplePolicy.UNSPECIFIED : lb.simple();
        return switch (simple) {
            case ROUND_ROBIN -> LbPolicy.ROUND_ROBIN;
            case RANDOM -> LbPolicy.RANDOM;
            case LEAST_REQUEST -> LbPolicy.LEAST_REQUEST;
            // Istio's applySimpleDefaultLoadBalancer: LEAST_REQUEST has been the default since 1.14
            // (istio/istio#37220, "Switch default LB algorithm to LEAST_REQUEST", tag 1.14.0); before
            // it, ROUND_ROBIN.
            case UNSPECIFIED -> release.atLeast(ISTIO_DEFAULT_LEAST_REQUEST) ? LbPolicy.LEAST_REQUEST : LbPolicy.ROUND_ROBIN;
            case PASSTHROUGH -> throw new IllegalArgumentException("destinationRule.spec.trafficPolicy.loadBalancer.simple: "
                    + "PASSTHROUGH sends each request to its original destination, so there is no endpoint to choose");
        };
    }
}
