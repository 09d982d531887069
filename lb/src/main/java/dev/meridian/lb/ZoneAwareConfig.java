package dev.meridian.lb;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Envoy's zone-aware routing inputs ({@code common_lb_config.zone_aware_lb_config} plus the local
 * cluster): the caller's own locality, how many hosts of the caller's own cluster run in each
 * locality and how many of those are healthy (and their weight), the minimum upstream cluster size,
 * the percent of requests routed zone-aware, {@code force_local_zone} and {@code locality_basis}.
 *
 * <p>Immutable and thread-safe.
 */
public final class ZoneAwareConfig {

    /** Envoy's default {@code min_cluster_size}. */
    public static final int DEFAULT_MIN_CLUSTER_SIZE = 6;
    /** Envoy's default {@code routing_enabled}. */
    public static final double DEFAULT_ROUTING_ENABLED_PERCENT = 100.0;
    /** {@link #forceLocalZoneMinSize()} when {@code force_local_zone} is not set. */
    public static final int FORCE_LOCAL_ZONE_OFF = -1;
    /**
     * The first Envoy release with {@code force_local_zone} (envoyproxy/envoy#39058, which replaced
     * 1.34's {@code force_locality_direct_routing}; in the 1.35 API reference, not in 1.34's).
     */
    public static final int ENVOY_FORCE_LOCAL_ZONE = 35;
    /**
     * The first Envoy release with {@code locality_basis} (envoyproxy/envoy#39803, merged after the
     * 1.35 branch: absent from the 1.35.1 API reference, present in later ones).
     */
    public static final int ENVOY_LOCALITY_BASIS = 36;

    /**
     * Envoy's {@code ZoneAwareLbConfig.locality_basis}: what the per-locality percentages of
     * zone-aware routing are proportional to ({@code calculateLocalityPercentages}).
     */
    public enum LocalityBasis {
        /** The number of healthy hosts in the locality (Envoy's default). */
        HEALTHY_HOSTS_NUM,
        /** The sum of the load-balancing weights of the healthy hosts in the locality. */
        HEALTHY_HOSTS_WEIGHT;

        /**
         * Parses Envoy's enum name.
         *
         * @throws IllegalArgumentException naming the field and the value when it is neither
         */
        public static LocalityBasis parse(String text) {
            for (LocalityBasis b : values()) {
                if (b.name().equals(text)) {
                    return b;
                }
            }
            throw new IllegalArgumentException("zoneAware.localityBasis: must be HEALTHY_HOSTS_NUM or "
                    + "HEALTHY_HOSTS_WEIGHT, got '" + text + "'");
        }
    }

    private final Locality localLocality;
    private final Map<Locality, Integer> localHosts;
    private final Map<Locality, Integer> localHealthyHosts;
    private final int minClusterSize;
    private final double routingEnabledPercent;
    private final Map<Locality, Long> localHealthyWeights;
    private final Map<Locality, Integer> localDrainingHosts;
    private final int forceLocalZoneMinSize;
    private final LocalityBasis localityBasis;

    private ZoneAwareConfig(Builder b) {
        this.localLocality = b.localLocality;
        this.localHosts = Collections.unmodifiableMap(new LinkedHashMap<>(b.localHosts));
        this.localHealthyHosts = Collections.unmodifiableMap(new LinkedHashMap<>(b.localHealthyHosts));
        this.minClusterSize = b.minClusterSize;
        this.routingEnabledPercent = b.routingEnabledPercent;
        this.localHealthyWeights = Collections.unmodifiableMap(new LinkedHashMap<>(b.localHealthyWeights));
        this.localDrainingHosts = Collections.unmodifiableMap(new LinkedHashMap<>(b.localDrainingHosts));
        this.forceLocalZoneMinSize = b.forceLocalZoneMinSize;
        this.localityBasis = b.localityBasis;
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

    /**
     * The weight of the healthy hosts of the caller's own cluster per locality, which
     * {@link LocalityBasis#HEALTHY_HOSTS_WEIGHT} compares; by default each healthy host weighs 1.
     */
    public Map<Locality, Long> localHealthyWeights() {
        return localHealthyWeights;
    }

    /**
     * Hosts of the caller's own cluster reported DRAINING, per locality: Envoy from 1.30 leaves them
     * out of the local cluster's host count when it checks the local cluster for panic.
     */
    public Map<Locality, Integer> localDrainingHosts() {
        return localDrainingHosts;
    }

    /** True when {@code force_local_zone} is set. */
    public boolean forceLocalZone() {
        return forceLocalZoneMinSize != FORCE_LOCAL_ZONE_OFF;
    }

    /**
     * {@code force_local_zone.min_size}: with at least this many healthy upstream hosts in the
     * caller's locality, all zone-aware traffic stays there; {@link #FORCE_LOCAL_ZONE_OFF} when not set.
     */
    public int forceLocalZoneMinSize() {
        return forceLocalZoneMinSize;
    }

    /** Envoy's {@code locality_basis}; default {@link LocalityBasis#HEALTHY_HOSTS_NUM}. */
    public LocalityBasis localityBasis() {
        return localityBasis;
    }

    /**
     * The same caller and local cluster with every zone-aware knob at Envoy's default: what Envoy
     * runs when the cluster's locality config is {@code locality_weighted_lb_config}, which is one
     * {@code oneof} with {@code zone_aware_lb_config}, and locality weighting picks no locality.
     */
    public ZoneAwareConfig withEnvoyDefaults() {
        Builder b = new Builder().localLocality(localLocality);
        b.localHosts.putAll(localHosts);
        b.localHealthyHosts.putAll(localHealthyHosts);
        b.localHealthyWeights.putAll(localHealthyWeights);
        b.localDrainingHosts.putAll(localDrainingHosts);
        return b.build();
    }

    /**
     * Refuses a knob the Envoy release does not have; {@link LbConfig.Builder#build} calls it.
     *
     * @throws IllegalArgumentException naming the knob, its value and the release
     */
    void checkEnvoyRelease(int envoyMinor) {
        if (forceLocalZone() && envoyMinor < ENVOY_FORCE_LOCAL_ZONE) {
            throw new IllegalArgumentException("zoneAware.forceLocalZone: needs Envoy 1." + ENVOY_FORCE_LOCAL_ZONE
                    + " (envoyproxy/envoy#39058), got minSize " + forceLocalZoneMinSize + " for Envoy 1." + envoyMinor);
        }
        if (localityBasis != LocalityBasis.HEALTHY_HOSTS_NUM && envoyMinor < ENVOY_LOCALITY_BASIS) {
            throw new IllegalArgumentException("zoneAware.localityBasis: needs Envoy 1." + ENVOY_LOCALITY_BASIS
                    + " (envoyproxy/envoy#39803), got " + localityBasis + " for Envoy 1." + envoyMinor);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ZoneAwareConfig z && localLocality.equals(z.localLocality)
                && localHosts.equals(z.localHosts) && localHealthyHosts.equals(z.localHealthyHosts)
                && minClusterSize == z.minClusterSize
                && Double.compare(routingEnabledPercent, z.routingEnabledPercent) == 0
                && localHealthyWeights.equals(z.localHealthyWeights)
                && localDrainingHosts.equals(z.localDrainingHosts)
                && forceLocalZoneMinSize == z.forceLocalZoneMinSize && localityBasis == z.localityBasis;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(localLocality, localHosts, localHealthyHosts, minClusterSize,
                routingEnabledPercent, localHealthyWeights, localDrainingHosts, forceLocalZoneMinSize, localityBasis);
    }

    @Override
    public String toString() {
        return "ZoneAwareConfig[local=" + localLocality + ", localHosts=" + localHosts
                + ", localHealthyHosts=" + localHealthyHosts + ", localHealthyWeights=" + localHealthyWeights
                + ", localDrainingHosts=" + localDrainingHosts
                + ", minClusterSize=" + minClusterSize + ", routingEnabledPercent=" + routingEnabledPercent
                + ", forceLocalZoneMinSize=" + forceLocalZoneMinSize + ", localityBasis=" + localityBasis + "]";
    }

    /** Collects zone-aware inputs. Not thread-safe. */
    public static final class Builder {
        private Locality localLocality;
        private final Map<Locality, Integer> localHosts = new LinkedHashMap<>();
        private final Map<Locality, Integer> localHealthyHosts = new LinkedHashMap<>();
        private int minClusterSize = DEFAULT_MIN_CLUSTER_SIZE;
        private double routingEnabledPercent = DEFAULT_ROUTING_ENABLED_PERCENT;
        private final Map<Locality, Long> localHealthyWeights = new LinkedHashMap<>();
        private final Map<Locality, Integer> localDrainingHosts = new LinkedHashMap<>();
        private int forceLocalZoneMinSize = FORCE_LOCAL_ZONE_OFF;
        private LocalityBasis localityBasis = LocalityBasis.HEALTHY_HOSTS_NUM;

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
            localHealthyWeights.put(locality, (long) healthyHosts);
            return this;
        }

        /**
         * The weight of the caller's own cluster's healthy hosts in a locality, for
         * {@link LocalityBasis#HEALTHY_HOSTS_WEIGHT} (replaces the default of one per healthy host).
         */
        public Builder localHealthyWeight(Locality locality, long weight) {
            if (locality == null) {
                throw new IllegalArgumentException("zoneAware.localHealthyWeight: locality must not be null");
            }
            if (weight < 0) {
                throw new IllegalArgumentException("zoneAware.localHealthyWeight['" + locality
                        + "']: must be >= 0, got " + weight);
            }
            localHealthyWeights.put(locality, weight);
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
                boolean healthy = localCluster.health(h).isHealthy();
                localHosts.merge(l, 1, Integer::sum);
                localHealthyHosts.merge(l, healthy ? 1 : 0, Integer::sum);
                localHealthyWeights.merge(l, healthy ? (long) localCluster.weight(h) : 0L, Long::sum);
                if (localCluster.health(h) == dev.meridian.core.HealthStatus.DRAINING) {
                    localDrainingHosts.merge(l, 1, Integer::sum);
                }
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
         * Envoy's {@code force_local_zone} with its {@code min_size} (Envoy's default when the
         * message is set: 1): route every zone-aware pick to the caller's locality when it has at
         * least this many healthy upstream hosts, and do zone-aware routing even when the caller's
         * own cluster spans one locality. Needs Envoy {@value #ENVOY_FORCE_LOCAL_ZONE}.
         *
         * @throws IllegalArgumentException when negative
         */
        public Builder forceLocalZone(int minSize) {
            if (minSize < 0) {
                throw new IllegalArgumentException("zoneAware.forceLocalZone.minSize: must be >= 0, got " + minSize);
            }
            this.forceLocalZoneMinSize = minSize;
            return this;
        }

        /** Envoy's {@code locality_basis}; needs Envoy {@value #ENVOY_LOCALITY_BASIS} unless HEALTHY_HOSTS_NUM. */
        public Builder localityBasis(LocalityBasis basis) {
            if (basis == null) {
                throw new IllegalArgumentException("zoneAware.localityBasis: must not be null");
            }
            this.localityBasis = basis;
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
