package dev.meridian.lb;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Envoy's zone-aware routing inputs ({@code common_lb_config.zone_aware_lb_config} plus the local
 * cluster): the caller's own locality, how many hosts of the caller's own cluster run in each
 * locality and how many of those are healthy, the minimum upstream cluster size and the percent of
 * requests routed zone-aware.
 *
 * <p>Immutable and thread-safe.
 */
public final class ZoneAwareConfig {

    /** Envoy's default {@code min_cluster_size}. */
    public static final int DEFAULT_MIN_CLUSTER_SIZE = 6;
    /** Envoy's default {@code routing_enabled}. */
    public static final double DEFAULT_ROUTING_ENABLED_PERCENT = 100.0;

    private final Locality localLocality;
    private final Map<Locality, Integer> localHosts;
    private final Map<Locality, Integer> localHealthyHosts;
    private final int minClusterSize;
    private final double routingEnabledPercent;

    private ZoneAwareConfig(Builder b) {
        this.localLocality = b.localLocality;
        this.localHosts = Collections.unmodifiableMap(new LinkedHashMap<>(b.localHosts));
        this.localHealthyHosts = Collections.unmodifiableMap(new LinkedHashMap<>(b.localHealthyHosts));
        this.minClusterSize = b.minClusterSize;
        this.routingEnabledPercent = b.routingEnabledPercent;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The locality the caller runs in. */
    public Locality localLocality() {
        return localLocality;
    }

    /** All hosts of the caller's own cluster per locality, in the order given. */
    public Map<Locality, Integer> localHosts() {
        return localHosts;
    }

    /** Healthy hosts of the caller's own cluster per locality, in the order given. */
    public Map<Locality, Integer> localHealthyHosts() {
        return localHealthyHosts;
    }

    /** Upstream clusters with fewer hosts than this at the chosen priority skip zone-aware routing. */
    public int minClusterSize() {
        return minClusterSize;
    }

    /** Percent of requests that are routed zone-aware; the rest use locality-unaware selection. */
    public double routingEnabledPercent() {
        return routingEnabledPercent;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ZoneAwareConfig z && localLocality.equals(z.localLocality)
                && localHosts.equals(z.localHosts) && localHealthyHosts.equals(z.localHealthyHosts)
                && minClusterSize == z.minClusterSize
                && Double.compare(routingEnabledPercent, z.routingEnabledPercent) == 0;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(localLocality, localHosts, localHealthyHosts, minClusterSize,
                routingEnabledPercent);
    }

    @Override
    public String toString() {
        return "ZoneAwareConfig[local=" + localLocality + ", localHosts=" + localHosts
                + ", localHealthyHosts=" + localHealthyHosts
                + ", minClusterSize=" + minClusterSize + ", routingEnabledPercent=" + routingEnabledPercent + "]";
    }

    /** Collects zone-aware inputs. Not thread-safe. */
    public static final class Builder {
        private Locality localLocality;
        private final Map<Locality, Integer> localHosts = new LinkedHashMap<>();
        private final Map<Locality, Integer> localHealthyHosts = new LinkedHashMap<>();
        private int minClusterSize = DEFAULT_MIN_CLUSTER_SIZE;
        private double routingEnabledPercent = DEFAULT_ROUTING_ENABLED_PERCENT;

        private Builder() {
        }

        /** The caller's locality; required. */
        public Builder localLocality(Locality locality) {
            if (locality == null) {
                throw new IllegalArgumentException("zoneAware.localLocality: must not be null");
            }
            this.localLocality = locality;
            return this;
        }

        /**
         * The caller's own cluster in a locality: all of its hosts there and how many are healthy
         * (replaces earlier counts for that locality).
         */
        public Builder localHosts(Locality locality, int hosts, int healthyHosts) {
            if (locality == null) {
                throw new IllegalArgumentException("zoneAware.localHosts: locality must not be null");
            }
            if (hosts < 0) {
                throw new IllegalArgumentException("zoneAware.localHosts['" + locality + "']: must be >= 0, got "
                        + hosts);
            }
            if (healthyHosts < 0 || healthyHosts > hosts) {
                throw new IllegalArgumentException("zoneAware.localHealthyHosts['" + locality + "']: must be 0.."
                        + hosts + ", got " + healthyHosts);
            }
            localHosts.put(locality, hosts);
            localHealthyHosts.put(locality, healthyHosts);
            return this;
        }

        /** The caller's own cluster in a locality, all of its hosts there healthy. */
        public Builder localHealthyHosts(Locality locality, int healthyHosts) {
            if (healthyHosts < 0) {
                throw new IllegalArgumentException("zoneAware.localHealthyHosts['" + locality
                        + "']: must be >= 0, got " + healthyHosts);
            }
            return localHosts(locality, healthyHosts, healthyHosts);
        }

        /** Counts the priority-0 hosts of the caller's own cluster, and the healthy ones, per locality. */
        public Builder localCluster(EndpointTable localCluster) {
            if (localCluster == null) {
                throw new IllegalArgumentException("zoneAware.localCluster: must not be null");
            }
            for (int h = 0; h < localCluster.size(); h++) {
                if (localCluster.priority(h) != 0) {
                    continue;
                }
                Locality l = localCluster.locality(localCluster.localityId(h));
                localHosts.merge(l, 1, Integer::sum);
                localHealthyHosts.merge(l, localCluster.health(h).isHealthy() ? 1 : 0, Integer::sum);
            }
            return this;
        }

        /** Envoy's {@code min_cluster_size}, at least 0; default 6. */
        public Builder minClusterSize(int minClusterSize) {
            if (minClusterSize < 0) {
                throw new IllegalArgumentException("zoneAware.minClusterSize: must be >= 0, got " + minClusterSize);
            }
            this.minClusterSize = minClusterSize;
            return this;
        }

        /** Envoy's {@code routing_enabled}, 0 to 100 percent; default 100. */
        public Builder routingEnabledPercent(double percent) {
            if (!(percent >= 0 && percent <= 100)) {
                throw new IllegalArgumentException("zoneAware.routingEnabledPercent: must be 0..100, got " + percent);
            }
            this.routingEnabledPercent = percent;
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @throws IllegalArgumentException when the local locality is missing
         */
        public ZoneAwareConfig build() {
            if (localLocality == null) {
                throw new IllegalArgumentException("zoneAware.localLocality: must be set, got null");
            }
            return new ZoneAwareConfig(this);
        }
    }
}
