package dev.meridian.simulator;

import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.LocalityLbSetting;
import java.util.List;

/**
 * The settings that decide endpoint choice for one destination, after Istio's translation: the
 * mesh-wide and the DestinationRule's locality settings, the load balancer configuration Istio
 * generates (policy, panic threshold) and the outlier detection Envoy runs, if any.
 *
 * <p>Immutable and thread-safe.
 *
 * @param meshLocality the mesh-wide {@code localityLbSetting}, or null
 * @param ruleLocality the DestinationRule's {@code localityLbSetting}, or null
 * @param lb the load balancer configuration before locality weighting is decided
 * @param outlier the outlier detection configuration, or null when the rule has none
 * @param notes what Istio's translation did that a reader should know
 */
public record MeshPolicy(LocalityLbSetting meshLocality, LocalityLbSetting ruleLocality, LbConfig lb,
                         OutlierDetectionConfig outlier, List<String> notes) {
    public MeshPolicy {
        notes = notes == null ? List.of() : List.copyOf(notes);
    }
}
