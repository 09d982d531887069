package dev.meridian.lb.internal;

/**
 * Envoy's priority load for one endpoint set: per-priority healthy and degraded availability with
 * the overprovisioning factor, the integer load percentages that sum to 100, and the panic flags.
 * This follows {@code LoadBalancerBase::recalculatePerPriorityState}, {@code distributeLoad},
 * {@code recalculatePerPriorityPanic}, {@code recalculateLoadInTotalPanic} and
 * {@code isHostSetInPanic} in Envoy's {@code load_balancer_impl.cc}, integer arithmetic included.
 *
 * <p>Immutable and thread-safe once computed.
 */
public final class PriorityLoad {
    private final int[] healthyAvailability;
    private final int[] degradedAvailability;
    private final int[] healthyLoad;
    private final int[] degradedLoad;
    private final boolean[] panic;
    private final int normalizedTotalAvailability;
    private final boolean totalPanic;

    private PriorityLoad(int priorities) {
        healthyAvailability = new int[priorities];
        degradedAvailability = new int[priorities];
        healthyLoad = new int[priorities];
        degradedLoad = new int[priorities];
        panic = new boolean[priorities];
        normalizedTotalAvailability = 0;
        totalPanic = false;
    }

    private PriorityLoad(int[] ha, int[] da, int[] hl, int[] dl, boolean[] panic, int normalized, boolean totalPanic) {
        this.healthyAvailability = ha;
        this.degradedAvailability = da;
        this.healthyLoad = hl;
        this.degradedLoad = dl;
        this.panic = panic;
        this.normalizedTotalAvailability = normalized;
        this.totalPanic = totalPanic;
    }

    /**
     * Computes the load with no excluded hosts and priority health by host count.
     *
     * @param hosts hosts per priority (at least one priority)
     * @param healthy healthy hosts per priority
     * @param degraded degraded hosts per priority
     * @param overprovisioningFactor percent, e.g. 140
     * @param panicThreshold integer percent 0..100; 0 disables panic
     */
    public static PriorityLoad compute(int[] hosts, int[] healthy, int[] degraded, int overprovisioningFactor,
                                       int panicThreshold) {
        return compute(hosts, new int[hosts.length], healthy, degraded, null, overprovisioningFactor, panicThreshold);
    }

    /**
     * Computes the load as {@code recalculatePerPriorityState} does: a priority's health and panic
     * count its hosts minus its excluded ones ({@code hosts().size() - excludedHosts().size()}), and
     * with {@code weighted_priority_health} its health is healthy weight over the weight of its
     * hosts minus the excluded ones' weight; total panic splits load by all hosts, excluded ones
     * included ({@code recalculateLoadInTotalPanic} counts {@code hosts().size()}).
     *
     * @param hosts hosts per priority (at least one priority), excluded ones included
     * @param excluded excluded hosts per priority
     * @param healthy healthy hosts per priority
     * @param degraded degraded hosts per priority
     * @param weights null for health by count; else {@code weights[p] = {weight of the hosts that
     *     are not excluded, healthy weight, degraded weight}}
     * @param overprovisioningFactor percent, e.g. 140
     * @param panicThreshold integer percent 0..100; 0 disables panic
     */
    public static PriorityLoad compute(int[] hosts, int[] excluded, int[] healthy, int[] degraded, long[][] weights,
                                       int overprovisioningFactor, int panicThreshold) {
        int n = hosts.length;
        int[] ha = new int[n];
        int[] da = new int[n];
        for (int p = 0; p < n; p++) {
            int counted = hosts[p] - excluded[p];
            long total = weights == null ? counted : weights[p][0];
            if (counted > 0 && total > 0) {
                long h = weights == null ? healthy[p] : weights[p][1];
                long d = weights == null ? degraded[p] : weights[p][2];
                // Integer division exactly as Envoy: factor × healthy / total, capped at 100.
                ha[p] = (int) Math.min(100L, overprovisioningFactor * h / total);
                da[p] = (int) Math.min(100L, overprovisioningFactor * d / total);
            }
        }
        long sum = 0;
        for (int p = 0; p < n; p++) {
            sum += ha[p] + da[p];
        }
        int normalized = (int) Math.min(100L, sum);
        int[] hl = new int[n];
        int[] dl = new int[n];
        if (normalized > 0) {
            int remaining = 100;
            int firstHealthy = -1;
            for (int p = 0; p < n; p++) {
                if (firstHealthy < 0 && ha[p] > 0) {
                    firstHealthy = p;
                }
                hl[p] = Math.min(remaining, ha[p] * 100 / normalized);
                remaining -= hl[p];
            }
            int firstDegraded = -1;
            for (int p = 0; p < n; p++) {
                if (firstDegraded < 0 && da[p] > 0) {
                    firstDegraded = p;
                }
                dl[p] = Math.min(remaining, da[p] * 100 / normalized);
                remaining -= dl[p];
            }
            // What is left is rounding; Envoy gives it to the first priority with healthy
            // availability, else the first with degraded availability.
            if (remaining != 0) {
                if (firstHealthy >= 0) {
                    hl[firstHealthy] += remaining;
                } else {
                    dl[firstDegraded] += remaining;
                }
            }
        }
        boolean[] panic = new boolean[n];
        if (panicThreshold == 0 && normalized == 0) {
            // Panic disabled and nothing available: Envoy keeps choosePriority's sum at 100 by
            // sending everything to P0, where no host will be found.
            hl[0] = 100;
            return new PriorityLoad(ha, da, hl, dl, panic, normalized, false);
        }
        boolean total = true;
        for (int p = 0; p < n; p++) {
            panic[p] = normalized != 100 && inPanic(hosts[p] - excluded[p], healthy[p], degraded[p], panicThreshold);
            total &= panic[p];
        }
        if (!total && normalized == 0) {
            // Only reachable with an overprovisioning factor below 100: nothing has integer
            // availability yet no level is in panic. Envoy computes no load here and its
            // choosePriority falls back to P0 healthy; that fallback is made explicit.
            hl[0] = 100;
        }
        if (total) {
            long all = 0;
            for (int h : hosts) {
                all += h;
            }
            java.util.Arrays.fill(dl, 0);
            if (all == 0) {
                java.util.Arrays.fill(hl, 0);
                hl[0] = 100;
            } else {
                int remaining = 100;
                int firstNonEmpty = -1;
                for (int p = 0; p < n; p++) {
                    if (firstNonEmpty < 0 && hosts[p] != 0) {
                        firstNonEmpty = p;
                    }
                    hl[p] = (int) (100L * hosts[p] / all);
                    remaining -= hl[p];
                }
                hl[firstNonEmpty] += remaining;
            }
        }
        return new PriorityLoad(ha, da, hl, dl, panic, normalized, total);
    }

    /** Envoy's {@code isHostSetInPanic}: available percent (healthy + degraded) below the threshold. */
    public static boolean inPanic(int hosts, int healthy, int degraded, int panicThreshold) {
        double healthyPercent = hosts == 0 ? 0.0 : 100.0 * healthy / hosts;
        double degradedPercent = hosts == 0 ? 0.0 : 100.0 * degraded / hosts;
        return healthyPercent + degradedPercent < panicThreshold;
    }

    /** An empty load for a set with no priorities: everything to P0. */
    static PriorityLoad none() {
        PriorityLoad l = new PriorityLoad(1);
        l.healthyLoad[0] = 100;
        return l;
    }

    public int priorities() {
        return healthyLoad.length;
    }

    public int healthyAvailability(int p) {
        return healthyAvailability[p];
    }

    public int degradedAvailability(int p) {
        return degradedAvailability[p];
    }

    public int healthyLoad(int p) {
        return healthyLoad[p];
    }

    public int degradedLoad(int p) {
        return degradedLoad[p];
    }

    public boolean panic(int p) {
        return panic[p];
    }

    public int normalizedTotalAvailability() {
        return normalizedTotalAvailability;
    }

    public boolean totalPanic() {
        return totalPanic;
    }
}
