package dev.meridian.lb;

import java.util.Objects;

/**
 * A validated load-balancer configuration with Envoy's defaults: round robin, overprovisioning
 * factor 140, panic threshold 50%, no locality weighting, no zone-aware routing, least request over
 * 2 choices with active request bias 1.0, ring sizes 1024 to 8388608, Maglev table 65537, no slow
 * start, traffic not failed on panic, priority health by host count, no capacity-aware spill-over,
 * and the rules of the latest Envoy release Meridian models ({@link Builder#envoyRelease}).
 *
 * <p>The overprovisioning factor and {@code weighted_priority_health} are Envoy's per-assignment
 * settings ({@code ClusterLoadAssignment.policy}); one configuration balances one cluster, so they
 * apply to every priority of that cluster's assignment, as in Envoy.
 *
 * <p>Immutable and thread-safe.
 */
public final class LbConfig {

    /** Envoy's default overprovisioning factor, in percent. */
    public static final int DEFAULT_OVERPROVISIONING_FACTOR = 140;
    /** Envoy's default healthy panic threshold, in percent. */
    public static final double DEFAULT_PANIC_THRESHOLD = 50.0;
    /** Envoy's default least-request choice count. */
    public static final int DEFAULT_CHOICE_COUNT = 2;
    /** Envoy's default active request bias. */
    public static final double DEFAULT_ACTIVE_REQUEST_BIAS = 1.0;
    /** Envoy's default minimum ring size. */
    public static final int DEFAULT_RING_HASH_MINIMUM_SIZE = 1024;
    /** Envoy's default (and largest allowed) maximum ring size. */
    public static final int DEFAULT_RING_HASH_MAXIMUM_SIZE = 8_388_608;
    /** Envoy's default Maglev table size. */
    public static final int DEFAULT_MAGLEV_TABLE_SIZE = 65_537;
    /** Envoy's largest allowed Maglev table size. */
    public static final int MAX_MAGLEV_TABLE_SIZE = 5_000_011;

    /** The latest Envoy release Meridian models (the one Istio 1.30 ships); the default. */
    public static final int LATEST_ENVOY_MINOR = 38;
    /** The oldest Envoy release Meridian models (the one Istio 1.5 ships). */
    public static final int OLDEST_ENVOY_MINOR = 13;
    /**
     * The first Envoy release that excludes hosts EDS reports DRAINING from priority health, panic
     * and effective locality weight ({@code excludeBasedOnHealthFlag} in {@code upstream_impl.cc}):
     * envoyproxy/envoy#30622, first released in 1.30.0 (changelogs/1.30.0.yaml, "Upstream now
     * excludes hosts set to DRAINING state via EDS from load balancing and panic routing threshold
     * calculation"). Before it, {@code setEdsHealthFlag} treated DRAINING like UNHEALTHY.
     */
    public static final int ENVOY_EXCLUDES_DRAINING = 30;
    /**
     * The first Envoy release with {@code ClusterLoadAssignment.policy.weighted_priority_health}
     * (envoyproxy/envoy#27883, changelogs/1.27.0.yaml).
     */
    public static final int ENVOY_WEIGHTED_PRIORITY_HEALTH = 27;

    private static final LbConfig DEFAULTS = new Builder().build();

    private final LbPolicy policy;
    private final int overprovisioningFactor;
    private final double panicThreshold;
    private final boolean localityWeighted;
    private final ZoneAwareConfig zoneAware;
    private final int leastRequestChoiceCount;
    private final double activeRequestBias;
    private final int ringHashMinimumSize;
    private final int ringHashMaximumSize;
    private final int maglevTableSize;
    private final SlowStartConfig slowStart;
    private final boolean failTrafficOnPanic;
    private final boolean weightedPriorityHealth;
    private final int envoyMinor;
    private final SpillConfig spill;

    private LbConfig(Builder b) {
        policy = b.policy;
        overprovisioningFactor = b.overprovisioningFactor;
        panicThreshold = b.panicThreshold;
        localityWeighted = b.localityWeighted;
        zoneAware = b.zoneAware;
        leastRequestChoiceCount = b.leastRequestChoiceCount;
        activeRequestBias = b.activeRequestBias;
        ringHashMinimumSize = b.ringHashMinimumSize;
        ringHashMaximumSize = b.ringHashMaximumSize;
        maglevTableSize = b.maglevTableSize;
        slowStart = b.slowStart;
        failTrafficOnPanic = b.failTrafficOnPanic;
        weightedPriorityHealth = b.weightedPriorityHealth;
        envoyMinor = b.envoyMinor;
        spill = b.spill;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Envoy's defaults. */
    public static LbConfig defaults() {
        return DEFAULTS;
    }

    /** A builder that starts from this configuration. */
    public Builder toBuilder() {
        return new Builder()
                .policy(policy)
                .overprovisioningFactor(overprovisioningFactor)
                .panicThreshold(panicThreshold)
                .localityWeighted(localityWeighted)
                .zoneAware(zoneAware)
                .leastRequestChoiceCount(leastRequestChoiceCount)
                .activeRequestBias(activeRequestBias)
                .ringHashMinimumSize(ringHashMinimumSize)
                .ringHashMaximumSize(ringHashMaximumSize)
                .maglevTableSize(maglevTableSize)
                .slowStart(slowStart)
                .failTrafficOnPanic(failTrafficOnPanic)
                .weightedPriorityHealth(weightedPriorityHealth)
                .envoyRelease(envoyMinor)
                .spill(spill);
    }

    /** This configuration with capacity-aware spill-over as given, or without it for null. */
    public LbConfig withSpill(SpillConfig spill) {
        return toBuilder().spill(spill).build();
    }

    public LbPolicy policy() {
        return policy;
    }

    /** The overprovisioning factor in percent (Envoy's {@code overprovisioning_factor}). */
    public int overprovisioningFactor() {
        return overprovisioningFactor;
    }

    /** The healthy panic threshold in percent; 0 disables panic. */
    public double panicThreshold() {
        return panicThreshold;
    }

    /** True when locality weights choose the locality (Envoy's {@code locality_weighted_lb_config}). */
    public boolean localityWeighted() {
        return localityWeighted;
    }

    /** Zone-aware routing inputs, or null when zone-aware routing is off. */
    public ZoneAwareConfig zoneAware() {
        return zoneAware;
    }

    public int leastRequestChoiceCount() {
        return leastRequestChoiceCount;
    }

    public double activeRequestBias() {
        return activeRequestBias;
    }

    public int ringHashMinimumSize() {
        return ringHashMinimumSize;
    }

    public int ringHashMaximumSize() {
        return ringHashMaximumSize;
    }

    public int maglevTableSize() {
        return maglevTableSize;
    }

    /** Slow start for newly added hosts, or null when off. */
    public SlowStartConfig slowStart() {
        return slowStart;
    }

    /** True when a priority in panic fails the request instead of balancing over all its hosts. */
    public boolean failTrafficOnPanic() {
        return failTrafficOnPanic;
    }

    /**
     * True when a priority's health is its healthy hosts' weight over its hosts' weight instead of
     * the counts (Envoy's {@code ClusterLoadAssignment.policy.weighted_priority_health},
     * {@code LoadBalancerBase::recalculatePerPriorityState}); panic still compares counts.
     */
    public boolean weightedPriorityHealth() {
        return weightedPriorityHealth;
    }

    /**
     * Capacity-aware spill-over from priority 0 to the next priority, Meridian's own rule, or null
     * when off (the default: picks are Envoy's). A {@code Cluster}'s control thread measures the
     * load and decides; see {@link SpillConfig}.
     */
    public SpillConfig spill() {
        return spill;
    }

    /** The minor version of the Envoy release whose rules apply (Envoy 1.x). */
    public int envoyRelease() {
        return envoyMinor;
    }

    /**
     * Whether hosts reported DRAINING are excluded (left out of the host count behind priority
     * health, panic and effective locality weight): from Envoy {@value #ENVOY_EXCLUDES_DRAINING} on.
     */
    public boolean excludesDraining() {
        return envoyMinor >= ENVOY_EXCLUDES_DRAINING;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LbConfig c
                && policy == c.policy
                && overprovisioningFactor == c.overprovisioningFactor
                && Double.compare(panicThreshold, c.panicThreshold) == 0
                && localityWeighted == c.localityWeighted
                && Objects.equals(zoneAware, c.zoneAware)
                && leastRequestChoiceCount == c.leastRequestChoiceCount
                && Double.compare(activeRequestBias, c.activeRequestBias) == 0
                && ringHashMinimumSize == c.ringHashMinimumSize
                && ringHashMaximumSize == c.ringHashMaximumSize
                && maglevTableSize == c.maglevTableSize
                && Objects.equals(slowStart, c.slowStart)
                && failTrafficOnPanic == c.failTrafficOnPanic
                && weightedPriorityHealth == c.weightedPriorityHealth
                && envoyMinor == c.envoyMinor
                && Objects.equals(spill, c.spill);
    }

    @Override
    public int hashCode() {
        return Objects.hash(policy, overprovisioningFactor, panicThreshold, localityWeighted, zoneAware,
                leastRequestChoiceCount, activeRequestBias, ringHashMinimumSize, ringHashMaximumSize,
                maglevTableSize, slowStart, failTrafficOnPanic, weightedPriorityHealth, envoyMinor, spill);
    }

    @Override
    public String toString() {
        return "LbConfig[policy=" + policy + ", overprovisioningFactor=" + overprovisioningFactor
                + ", panicThreshold=" + panicThreshold + ", localityWeighted=" + localityWeighted
                + ", zoneAware=" + zoneAware + ", leastRequestChoiceCount=" + leastRequestChoiceCount
                + ", activeRequestBias=" + activeRequestBias + ", ringHashMinimumSize=" + ringHashMinimumSize
                + ", ringHashMaximumSize=" + ringHashMaximumSize + ", maglevTableSize=" + maglevTableSize
                + ", slowStart=" + slowStart + ", failTrafficOnPanic=" + failTrafficOnPanic
                + ", weightedPriorityHealth=" + weightedPriorityHealth + ", envoyRelease=1." + envoyMinor
                + ", spill=" + spill + "]";
    }

    /** Collects and validates a configuration; each setter rejects a bad value at once. Not thread-safe. */
    public static final class Builder {
        private LbPolicy policy = LbPolicy.ROUND_ROBIN;
        private int overprovisioningFactor = DEFAULT_OVERPROVISIONING_FACTOR;
        private double panicThreshold = DEFAULT_PANIC_THRESHOLD;
        private boolean localityWeighted;
        private ZoneAwareConfig zoneAware;
        private int leastRequestChoiceCount = DEFAULT_CHOICE_COUNT;
        private double activeRequestBias = DEFAULT_ACTIVE_REQUEST_BIAS;
        private int ringHashMinimumSize = DEFAULT_RING_HASH_MINIMUM_SIZE;
        private int ringHashMaximumSize = DEFAULT_RING_HASH_MAXIMUM_SIZE;
        private int maglevTableSize = DEFAULT_MAGLEV_TABLE_SIZE;
        private SlowStartConfig slowStart;
        private boolean failTrafficOnPanic;
        private boolean weightedPriorityHealth;
        private int envoyMinor = LATEST_ENVOY_MINOR;
        private SpillConfig spill;

        private Builder() {
        }

        public Builder policy(LbPolicy policy) {
            if (policy == null) {
                throw new IllegalArgumentException("policy: must not be null");
            }
            this.policy = policy;
            return this;
        }

        /**
         * The assignment's {@code overprovisioning_factor}: percent, at least 1 (Envoy's proto:
         * {@code gt: 0}); default 140.
         */
        public Builder overprovisioningFactor(int percent) {
            if (percent < 1) {
                throw new IllegalArgumentException("overprovisioningFactor: must be >= 1, got " + percent);
            }
            this.overprovisioningFactor = percent;
            return this;
        }

        /** Percent, 0 to 100; 0 disables panic; default 50. */
        public Builder panicThreshold(double percent) {
            if (!(percent >= 0 && percent <= 100)) {
                throw new IllegalArgumentException("panicThreshold: must be 0..100, got " + percent);
            }
            this.panicThreshold = percent;
            return this;
        }

        public Builder localityWeighted(boolean localityWeighted) {
            this.localityWeighted = localityWeighted;
            return this;
        }

        /** Zone-aware routing inputs, or null to turn zone-aware routing off. */
        public Builder zoneAware(ZoneAwareConfig zoneAware) {
            this.zoneAware = zoneAware;
            return this;
        }

        /** At least 2 (Envoy's {@code choice_count}); default 2. */
        public Builder leastRequestChoiceCount(int choices) {
            if (choices < 2) {
                throw new IllegalArgumentException("leastRequestChoiceCount: must be >= 2, got " + choices);
            }
            this.leastRequestChoiceCount = choices;
            return this;
        }

        /** At least 0, finite (Envoy's {@code active_request_bias}); default 1.0. */
        public Builder activeRequestBias(double bias) {
            if (!(bias >= 0) || Double.isInfinite(bias)) {
                throw new IllegalArgumentException("activeRequestBias: must be a finite number >= 0, got " + bias);
            }
            this.activeRequestBias = bias;
            return this;
        }

        /** 1 to 8388608; default 1024. */
        public Builder ringHashMinimumSize(int size) {
            if (size < 1 || size > DEFAULT_RING_HASH_MAXIMUM_SIZE) {
                throw new IllegalArgumentException("ringHashMinimumSize: must be 1.." + DEFAULT_RING_HASH_MAXIMUM_SIZE
                        + ", got " + size);
            }
            this.ringHashMinimumSize = size;
            return this;
        }

        /** 1 to 8388608, not below the minimum (checked at build); default 8388608. */
        public Builder ringHashMaximumSize(int size) {
            if (size < 1 || size > DEFAULT_RING_HASH_MAXIMUM_SIZE) {
                throw new IllegalArgumentException("ringHashMaximumSize: must be 1.." + DEFAULT_RING_HASH_MAXIMUM_SIZE
                        + ", got " + size);
            }
            this.ringHashMaximumSize = size;
            return this;
        }

        /** A prime up to 5000011; default 65537. */
        public Builder maglevTableSize(int size) {
            if (size < 2 || size > MAX_MAGLEV_TABLE_SIZE || !isPrime(size)) {
                throw new IllegalArgumentException("maglevTableSize: must be a prime no larger than "
                        + MAX_MAGLEV_TABLE_SIZE + ", got " + size);
            }
            this.maglevTableSize = size;
            return this;
        }

        /**
         * Capacity-aware spill-over from priority 0 to the next priority, or null to turn it off
         * (the default, which keeps Envoy's picks).
         */
        public Builder spill(SpillConfig spill) {
            this.spill = spill;
            return this;
        }

        /** Slow start for new hosts, or null to turn it off. */
        public Builder slowStart(SlowStartConfig slowStart) {
            this.slowStart = slowStart;
            return this;
        }

        public Builder failTrafficOnPanic(boolean failTrafficOnPanic) {
            this.failTrafficOnPanic = failTrafficOnPanic;
            return this;
        }

        /**
         * Envoy's {@code ClusterLoadAssignment.policy.weighted_priority_health}: priority health by
         * host weight; default false. Needs Envoy {@value #ENVOY_WEIGHTED_PRIORITY_HEALTH} or later
         * (checked at build).
         */
        public Builder weightedPriorityHealth(boolean weightedPriorityHealth) {
            this.weightedPriorityHealth = weightedPriorityHealth;
            return this;
        }

        /**
         * The Envoy release whose rules apply, as its minor version (Envoy 1.x); default
         * {@value #LATEST_ENVOY_MINOR}. An Istio release names its Envoy ({@code IstioRelease.envoyMinor()}).
         *
         * @throws IllegalArgumentException outside {@value #OLDEST_ENVOY_MINOR}..{@value #LATEST_ENVOY_MINOR}
         */
        public Builder envoyRelease(int envoyMinor) {
            if (envoyMinor < OLDEST_ENVOY_MINOR || envoyMinor > LATEST_ENVOY_MINOR) {
                throw new IllegalArgumentException("envoyRelease: must be 1." + OLDEST_ENVOY_MINOR + " to 1."
                        + LATEST_ENVOY_MINOR + ", got 1." + envoyMinor);
            }
            this.envoyMinor = envoyMinor;
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @throws IllegalArgumentException when the ring hash minimum exceeds the maximum, or a
         *     setting needs a later Envoy release than {@link #envoyRelease}
         */
        public LbConfig build() {
            if (ringHashMinimumSize > ringHashMaximumSize) {
                throw new IllegalArgumentException("ringHashMinimumSize: must not exceed ringHashMaximumSize "
                        + ringHashMaximumSize + ", got " + ringHashMinimumSize);
            }
            if (weightedPriorityHealth && envoyMinor < ENVOY_WEIGHTED_PRIORITY_HEALTH) {
                throw new IllegalArgumentException("weightedPriorityHealth: needs Envoy 1."
                        + ENVOY_WEIGHTED_PRIORITY_HEALTH + " (envoyproxy/envoy#27883), got true for Envoy 1." + envoyMinor);
            }
            if (zoneAware != null) {
                zoneAware.checkEnvoyRelease(envoyMinor);
            }
            return new LbConfig(this);
        }

        private static boolean isPrime(int n) {
            if (n < 4) {
                return n >= 2;
            }
            if (n % 2 == 0) {
                return false;
            }
            for (int d = 3; (long) d * d <= n; d += 2) {
                if (n % d == 0) {
                    return false;
                }
            }
            return true;
        }
    }
}
