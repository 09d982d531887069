package dev.meridian.simulator;

import dev.meridian.istio.ConsistentHash;
import dev.meridian.istio.OutlierDetection;
import dev.meridian.istio.SimplePolicy;
import dev.meridian.istio.TrafficPolicy;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.SlowStartConfig;
import dev.meridian.outlier.IstioOutlierTranslation;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.LocalityLbSetting;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a DestinationRule's traffic policy into the Envoy cluster settings Istio's cluster builder
 * generates ({@code pilot/pkg/networking/core/cluster_traffic_policy.go}: {@code applyLoadBalancer},
 * {@code applyOutlierDetection}). Stateless; cold path.
 */
final class IstioPolicy {
    private IstioPolicy() {
    }

    static MeshPolicy translate(LocalityLbSetting meshLocality, TrafficPolicy policy) {
        List<String> notes = new ArrayList<>();
        dev.meridian.istio.LoadBalancer lb = policy == null ? null : policy.loadBalancer();
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
        return new MeshPolicy(meshLocality, ruleLocality, config.build(), outlier, notes);
    }

    private static LbPolicy lbPolicy(dev.meridian.istio.LoadBalancer lb, List<String> notes) {
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
