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
 * @param warmupAggression {@code warmup.aggression}, at least 1; null when not written (Istio then
 *        passes 1.0)
 * @param warmupMinimumPercent {@code warmup.minimumPercent}, 0 to 100; null when not written (Istio
 *        then passes 10)
 */
public record LoadBalancerSettings(SimplePolicy simple, ConsistentHash consistentHash,
                           LocalityLbSetting localityLbSetting, Duration warmupDuration,
                           Double warmupAggression, Double warmupMinimumPercent) {

    public LoadBalancerSettings {
        if (simple != null && consistentHash != null) {
            throw new IllegalArgumentException("loadBalancer: set either 'simple' or 'consistentHash', not both; got simple "
                    + simple + " and a consistentHash");
        }
        IstioChecks.atLeastOneMillisecond("loadBalancer.warmupDuration", warmupDuration);
        if (warmupAggression != null && !(warmupAggression >= 1) || warmupAggression != null && warmupAggression.isInfinite()) {
            throw new IllegalArgumentException("loadBalancer.warmup.aggression: must be at least 1, got " + warmupAggression);
        }
        if (warmupMinimumPercent != null && !(warmupMinimumPercent >= 0 && warmupMinimumPercent <= 100)) {
            throw new IllegalArgumentException("loadBalancer.warmup.minimumPercent: must be from 0 to 100, got "
                    + warmupMinimumPercent);
        }
        if ((warmupAggression != null || warmupMinimumPercent != null) && warmupDuration == null) {
            throw new IllegalArgumentException("loadBalancer.warmup.duration: required with aggression or "
                    + "minimumPercent, got nothing");
        }
    }

    /** Settings without {@code warmup.aggression} and {@code warmup.minimumPercent}. */
    public LoadBalancerSettings(SimplePolicy simple, ConsistentHash consistentHash,
                                LocalityLbSetting localityLbSetting, Duration warmupDuration) {
        this(simple, consistentHash, localityLbSetting, warmupDuration, null, null);
    }
}
