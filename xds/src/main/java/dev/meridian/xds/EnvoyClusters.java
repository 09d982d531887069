package dev.meridian.xds;

import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.util.List;

/** Stand-in for the translation contract (replaced by the xds-translate branch): lb_policy only. */
public final class EnvoyClusters {
    private EnvoyClusters() {
    }

    public static Translated<ClusterSettings> fromEnvoy(Cluster cluster, int envoyMinor) {
        LbPolicy policy = switch (cluster.getLbPolicy()) {
            case ROUND_ROBIN -> LbPolicy.ROUND_ROBIN;
            case LEAST_REQUEST -> LbPolicy.LEAST_REQUEST;
            case RANDOM -> LbPolicy.RANDOM;
            case RING_HASH -> LbPolicy.RING_HASH;
            case MAGLEV -> LbPolicy.MAGLEV;
            default -> throw new IllegalArgumentException("cluster.lb_policy: Meridian cannot run "
                    + cluster.getLbPolicy() + " (cluster " + cluster.getName() + ")");
        };
        LbConfig lb = LbConfig.builder().policy(policy).envoyRelease(envoyMinor).build();
        return new Translated<>(new ClusterSettings(cluster.getName(), lb, null), List.of());
    }

    public static Cluster toEnvoy(ClusterSettings settings) {
        throw new UnsupportedOperationException("stand-in");
    }
}
