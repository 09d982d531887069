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
 */
public record DestinationPolicy(LocalityLbSetting meshLocality, LocalityLbSetting ruleLocality, LbConfig lb,
                                OutlierDetectionConfig outlier, List<String> notes) {

    public DestinationPolicy {
        if (lb == null) {
            throw new IllegalArgumentException("lb: required, got null");
        }
        notes = notes == null ? List.of() : List.copyOf(notes);
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
        if (rule == null && subset != null) {
            throw new IllegalArgumentException("subset: '" + subset + "' needs a destinationRule that defines it");
        }
        return from(rule == null ? null : rule.policyFor(subset), meshLocality);
    }

    /**
     * The policy a traffic policy (already merged for a subset, if any) gives.
     *
     * @param policy the traffic policy, or null for Istio's defaults
     * @param meshLocality the mesh-wide {@code localityLbSetting}, or null for none
     * @throws IllegalArgumentException when the policy asks for {@code PASSTHROUGH}
     */
    public static DestinationPolicy from(TrafficPolicy policy, LocalityLbSetting meshLocality) {
        List<String> notes = new ArrayList<>();
        LoadBalancerSettings lb = policy == null ? null : policy.loadBalancer();
        LbConfig.Builder config = LbConfig.builder().policy(lbPolicy(lb, notes));
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
            // Istio sets Envoy's slow_start_config.slow_start_window from warmupDurationSecs for
            // ROUND_ROBIN and LEAST_REQUEST; aggression and minimum weight keep Envoy's defaults.
            config.slowStart(SlowStartConfig.of(lb.warmupDuration()));
        }
        OutlierDetectionConfig outlier = null;
        OutlierDetection od = policy == null ? null : policy.outlierDetection();
        if (od != null) {
            IstioOutlierTranslation t = IstioOutlierTranslation.translate(od.consecutiveErrors(),
                    od.consecutive5xxErrors(), od.consecutiveGatewayErrors(), od.consecutiveLocalOriginFailures(),
                    od.splitExternalLocalOriginErrors(), od.interval(), od.baseEjectionTime(),
                    od.maxEjectionPercent(), od.minHealthPercent());
            outlier = t.config();
            // With outlier detection Istio always writes healthy_panic_threshold = minHealthPercent
            // (default 0, which disables panic); without it Envoy's default of 50% stands.
            config.panicThreshold(t.healthyPanicThreshold());
            for (String note : t.notes()) {
                // The DestinationRule reader has already warned about the legacy field, with its YAML path.
                if (!(od.usesLegacyConsecutiveErrors() && note.startsWith("outlierDetection.consecutiveErrors"))) {
                    notes.add(note);
                }
            }
        }
        LocalityLbSetting ruleLocality = lb == null ? null : lb.localityLbSetting();
        return new DestinationPolicy(meshLocality, ruleLocality, config.build(), outlier, notes);
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

    private static LbPolicy lbPolicy(LoadBalancerSettings lb, List<String> notes) {
        if (lb != null && lb.consistentHash() != null) {
            return lb.consistentHash().algorithm() instanceof ConsistentHash.Maglev ? LbPolicy.MAGLEV : LbPolicy.RING_HASH;
        }
        SimplePolicy simple = lb == null || lb.simple() == null ? SimplePolicy.UNSPECIFIED : lb.simple();
        return switch (simple) {
            case ROUND_ROBIN -> LbPolicy.ROUND_ROBIN;
            case RANDOM -> LbPolicy.RANDOM;
            case LEAST_REQUEST -> LbPolicy.LEAST_REQUEST;
            // Istio's applySimpleDefaultLoadBalancer: LEAST_REQUEST has been the default since 1.14.
            case UNSPECIFIED -> LbPolicy.LEAST_REQUEST;
            case PASSTHROUGH -> throw new IllegalArgumentException("destinationRule.spec.trafficPolicy.loadBalancer.simple: "
                    + "PASSTHROUGH sends each request to its original destination, so there is no endpoint to choose");
        };
    }
}
