package dev.meridian.istio;

import dev.meridian.topology.LocalityLbSetting;
import java.time.Duration;

/**
 * Istio's {@code LoadBalancerSettings} as written in a DestinationRule.
 *
 * <p>{@code simple} and {@code consistentHash} are members of one protobuf oneof, so at most one is
 * set; when neither is, Istio picks its default algorithm. A {@code localityLbSetting} written here
 * replaces the mesh-wide one entirely (no merging), as Istio's proto documents.
 *
 * <p>Immutable and thread-safe.
 *
 * @param simple the {@code simple} algorithm; null when not written
 * @param consistentHash the {@code consistentHash} settings; null when not written
 * @param localityLbSetting the rule's {@code localityLbSetting}; null when not written
 * @param warmupDuration the slow-start window: {@code warmup.duration}, or else the older
 *        {@code warmupDurationSecs}; null when neither was written
 */
public record LoadBalancerSettings(SimplePolicy simple, ConsistentHash consistentHash,
                           LocalityLbSetting localityLbSetting, Duration warmupDuration) {

    public LoadBalancerSettings {
        if (simple != null && consistentHash != null) {
            throw new IllegalArgumentException("loadBalancer: set either 'simple' or 'consistentHash', not both; got simple "
                    + simple + " and a consistentHash");
        }
        IstioChecks.atLeastOneMillisecond("loadBalancer.warmupDuration", warmupDuration);
    }
}
