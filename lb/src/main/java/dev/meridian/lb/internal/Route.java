package dev.meridian.lb.internal;

/**
 * What a pick does once it has chosen a priority and healthy or degraded hosts: Envoy's decision
 * between panic, locality weights, zone-aware routing and the whole host set, taken once when the
 * snapshot is built. The pick path follows {@link #kind}; {@link Planner} reads the same decision
 * as {@link #planSources} and {@link #planShares}, the chance of each host source, so the two can
 * not drift apart.
 *
 * <p>Immutable and thread-safe.
 */
final class Route {
    /** No host: failTrafficOnPanic in a priority in panic. */
    static final int NO_HOST = 0;
    /** Always {@link #source}: the whole set, the set in panic, or the one weighted locality. */
    static final int ONE_SOURCE = 1;
    /** A locality by effective weight ({@code locality_wrr.cc}), then its hosts. */
    static final int LOCALITY = 2;
    /** Envoy's zone-aware routing over {@link #buckets}, or {@link #source} when it is skipped. */
    static final int ZONE = 3;

    final int kind;
    /** {@link #ONE_SOURCE}: the hosts; {@link #ZONE}: the whole set, when routing is skipped. */
    final HostSource source;
    /** {@link #LOCALITY}: per locality index; {@link #ZONE}: per zone-aware bucket, local first. */
    final HostSource[] buckets;
    /** {@link #LOCALITY}: the walk over scaled effective locality weights. */
    final WeightedIndex localityIndex;
    /** {@link #LOCALITY}: the locality walk's sequence in {@link Sequences}. */
    final int localitySlot;
    /** {@link #ZONE}: the routing state. */
    final ZoneRoute zone;
    /** The sources a pick may end in, for the planner. */
    final HostSource[] planSources;
    /** {@code planShares[i]}: the chance that a pick following this route ends in {@code planSources[i]}. */
    final double[] planShares;

    private Route(int kind, HostSource source, HostSource[] buckets, WeightedIndex localityIndex, int localitySlot,
                  ZoneRoute zone, HostSource[] planSources, double[] planShares) {
        this.kind = kind;
        this.source = source;
        this.buckets = buckets;
        this.localityIndex = localityIndex;
        this.localitySlot = localitySlot;
        this.zone = zone;
        this.planSources = planSources;
        this.planShares = planShares;
    }

    static Route noHost() {
        return new Route(NO_HOST, null, null, null, -1, null, new HostSource[0], new double[0]);
    }

    static Route oneSource(HostSource source) {
        return new Route(ONE_SOURCE, source, null, null, -1, null, new HostSource[] {source}, new double[] {1.0});
    }

    /** @param shares the chance of each locality, for the planner: effective weight over the total */
    static Route locality(HostSource[] byLocality, WeightedIndex index, int slot, double[] shares) {
        return new Route(LOCALITY, null, byLocality, index, slot, null, byLocality, shares);
    }

    /**
     * @param failTrafficOnPanic whether a pick finds no host when the local cluster is in panic
     */
    static Route zone(HostSource whole, HostSource[] buckets, ZoneRoute z, boolean failTrafficOnPanic) {
        // The chances of the sampling in Snapshot.zoneSource, in the same order.
        int n = buckets.length;
        HostSource[] sources = new HostSource[n + 1];
        double[] shares = new double[n + 1];
        sources[0] = whole;
        System.arraycopy(buckets, 0, sources, 1, n);
        double enabled = Math.min(100, z.routingEnabled) / 100.0;
        shares[0] = 1 - enabled;
        if (z.localPanic) {
            if (!failTrafficOnPanic) {
                shares[0] = 1;
            }
        } else {
            double local = z.direct ? 1.0 : Math.min(1.0, z.localPercentToRoute / 10000.0);
            shares[1] = enabled * local;
            double rest = enabled * (1 - local);
            long total = z.residual[n - 1];
            for (int b = 0; b < n; b++) {
                double part = total == 0 ? 1.0 / n
                        : (double) (z.residual[b] - (b > 0 ? z.residual[b - 1] : 0)) / total;
                shares[b + 1] += rest * part;
            }
        }
        return new Route(ZONE, whole, buckets, null, -1, z, sources, shares);
    }

    /** Envoy's zone-aware routing state for priority 0 ({@code regenerateLocalityRoutingStructures}). */
    static final class ZoneRoute {
        final boolean direct;
        /** The share of requests kept in the caller's locality, in units of 1/10000. */
        final long localPercentToRoute;
        /** Cumulative residual capacity per bucket, in units of 1/10000. */
        final long[] residual;
        final boolean localPanic;
        /** Percent of requests that zone-aware routing applies to. */
        final int routingEnabled;

        ZoneRoute(boolean direct, long localPercentToRoute, long[] residual, boolean localPanic, int routingEnabled) {
            this.direct = direct;
            this.localPercentToRoute = localPercentToRoute;
            this.residual = residual;
            this.localPanic = localPanic;
            this.routingEnabled = routingEnabled;
        }
    }
}
