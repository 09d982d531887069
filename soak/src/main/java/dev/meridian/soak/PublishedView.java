package dev.meridian.soak;

import dev.meridian.cluster.Host;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import java.util.List;

/**
 * What one publication of a cluster showed its pickers, recorded by the control thread right after
 * the drain that published it, and what Envoy's rules allow a pick from it to return. The priority
 * arithmetic is written here again from Envoy's source and not taken from {@code lb}, so that a pick
 * is checked against an independent account:
 * <ul>
 *   <li>priority health and load: {@code LoadBalancerBase::recalculatePerPriorityState} and
 *       {@code distributeLoad} ({@code source/extensions/load_balancing_policies/common/load_balancer_impl.cc}):
 *       {@code min(100, factor × healthy / (hosts − excluded))} in integers, load in priority order,
 *       healthy before degraded, the rounding left over to the first priority with healthy (else
 *       degraded) availability; panic never when the normalized total is 100, else when healthy% +
 *       degraded% is below the threshold; in total panic load by host count;
 *   <li>a priority in panic balances over all its hosts, or fails the request with
 *       {@code fail_traffic_on_panic} ({@code ZoneAwareLoadBalancerBase::hostSourceToUse});
 *   <li>the hash policies build each priority's table from its healthy hosts, or all of them in
 *       panic, never from degraded ones, and ignore {@code fail_traffic_on_panic}
 *       ({@code normalizeWeights} and {@code LoadBalancerImpl::chooseHost} in
 *       {@code source/extensions/load_balancing_policies/common/thread_aware_lb_impl.cc});
 *   <li>a retry pick with priorities excluded redistributes their availability
 *       ({@code adjustForAttemptedPriorities} in
 *       {@code source/extensions/retry/priority/previous_priorities/previous_priorities.cc}).
 * </ul>
 * The soak leaves out what would make this account incomplete: zone-aware routing, weighted
 * priority health, an overprovisioning factor other than 140, and locality weights given to some
 * localities of a table but not others.
 *
 * <p>Immutable and thread-safe once published to the pickers (the harness hands it over through a
 * barrier).
 */
final class PublishedView {

    static final byte ABSENT = 0;
    static final byte HEALTHY = 1;
    static final byte DEGRADED = 2;
    static final byte UNAVAILABLE = 3;

    /** What a picker called: {@code pick()}, {@code pickExcluding(mask)} or {@code pick(hashKey)}. */
    static final byte PICK = 0;
    static final byte PICK_EXCLUDING = 1;
    static final byte PICK_HASH = 2;

    /** Masks of excluded priorities worked out in advance: every subset of priorities 0 to 3. */
    static final int EXCLUSION_MASKS = 16;

    final long publication;
    private final Host[] handles;
    private final byte[] state;
    private final int[] priorityOf;
    private final int[] hosts;
    private final int[] excluded;
    private final int[] healthy;
    private final int[] degraded;
    private final int[] healthyAvailability;
    private final int[] degradedAvailability;
    private final int[] healthyLoad;
    private final int[] degradedLoad;
    /** {@link #healthyLoad} then {@link #degradedLoad}, as one array. */
    private final int[] loads;
    private final boolean[] panic;
    /**
     * By mask of excluded priorities 1..15, the load a retry pick distributes: healthy loads, then
     * degraded loads. Worked out when the publication is recorded, so the pickers share it
     * without allocating while they check.
     */
    private final int[][] loadsExcluding = new int[EXCLUSION_MASKS][];
    private final boolean hashed;
    private final boolean failTrafficOnPanic;
    private final boolean anyHealthy;
    private final int overprovisioningFactor;

    private PublishedView(long publication, Host[] handles, byte[] state, int[] priorityOf, int[] hosts,
                          int[] excluded, int[] healthy, int[] degraded, LbConfig config) {
        this.publication = publication;
        this.handles = handles;
        this.state = state;
        this.priorityOf = priorityOf;
        this.hosts = hosts;
        this.excluded = excluded;
        this.healthy = healthy;
        this.degraded = degraded;
        this.hashed = config.policy() == LbPolicy.RING_HASH || config.policy() == LbPolicy.MAGLEV;
        this.failTrafficOnPanic = config.failTrafficOnPanic();
        this.overprovisioningFactor = config.overprovisioningFactor();
        int n = hosts.length;
        healthyAvailability = new int[n];
        degradedAvailability = new int[n];
        healthyLoad = new int[n];
        degradedLoad = new int[n];
        panic = new boolean[n];
        boolean any = false;
        for (int p = 0; p < n; p++) {
            any |= healthy[p] > 0;
        }
        anyHealthy = any;
        computeLoad((int) Math.round(config.panicThreshold()));
        loads = new int[2 * n];
        System.arraycopy(healthyLoad, 0, loads, 0, n);
        System.arraycopy(degradedLoad, 0, loads, n, n);
        for (int mask = 1; mask < EXCLUSION_MASKS; mask++) {
            loadsExcluding[mask] = loadExcluding(mask);
        }
    }

    /**
     * Records a publication.
     *
     * @param table the published table
     * @param handles the published handles, in host-id order
     * @param detecting whether outlier detection is on (a snapshot counts ejections only then)
     * @param config the balancing configuration the publication was built with
     * @throws IllegalArgumentException for a configuration or table this account does not cover
     */
    static PublishedView of(long publication, EndpointTable table, List<Host> handles, boolean detecting,
                            LbConfig config, AddressPool pool) {
        if (config.zoneAware() != null || config.weightedPriorityHealth()) {
            throw new IllegalArgumentException("config: zone-aware routing and weighted priority health are "
                    + "not modelled here, got " + config);
        }
        Host[] byAddress = new Host[pool.size()];
        byte[] state = new byte[pool.size()];
        int[] priorityOf = new int[pool.size()];
        int priorities = Math.max(1, table.priorityCount());
        int[] hosts = new int[priorities];
        int[] excluded = new int[priorities];
        int[] healthy = new int[priorities];
        int[] degraded = new int[priorities];
        for (int h = 0; h < table.size(); h++) {
            int id = pool.id(table.address(h));
            if (id < 0) {
                throw new IllegalArgumentException("table: address " + table.address(h) + " is not the pool's");
            }
            Host handle = handles.get(h);
            byAddress[id] = handle;
            int p = table.priority(h);
            priorityOf[id] = p;
            hosts[p]++;
            HealthStatus health = table.health(h);
            if (config.excludesDraining() && health == HealthStatus.DRAINING) {
                excluded[p]++;
            }
            boolean ejected = detecting && handle.isEjected();
            if (!ejected && health.isHealthy()) {
                state[id] = HEALTHY;
                healthy[p]++;
            } else if (!ejected && health.isDegraded()) {
                state[id] = DEGRADED;
                degraded[p]++;
            } else {
                state[id] = UNAVAILABLE;
            }
        }
        return new PublishedView(publication, byAddress, state, priorityOf, hosts, excluded, healthy, degraded,
                config);
    }

    /**
     * Envoy's {@code recalculatePerPriorityState}, {@code distributeLoad},
     * {@code recalculatePerPriorityPanic} and {@code recalculateLoadInTotalPanic}.
     */
    private void computeLoad(int panicThreshold) {
        int n = hosts.length;
        int sum = 0;
        for (int p = 0; p < n; p++) {
            int counted = hosts[p] - excluded[p];
            if (counted > 0) {
                healthyAvailability[p] = Math.min(100, overprovisioningFactor * healthy[p] / counted);
                degradedAvailability[p] = Math.min(100, overprovisioningFactor * degraded[p] / counted);
            }
            sum += healthyAvailability[p] + degradedAvailability[p];
        }
        int normalized = Math.min(100, sum);
        if (normalized > 0) {
            distribute(healthyAvailability, degradedAvailability, normalized, healthyLoad, degradedLoad, false);
        }
        if (panicThreshold == 0 && normalized == 0) {
            // Nothing available and panic off: everything to P0, where no host is found.
            healthyLoad[0] = 100;
            return;
        }
        boolean total = true;
        for (int p = 0; p < n; p++) {
            int counted = hosts[p] - excluded[p];
            double healthyPercent = counted == 0 ? 0.0 : 100.0 * healthy[p] / counted;
            double degradedPercent = counted == 0 ? 0.0 : 100.0 * degraded[p] / counted;
            panic[p] = normalized != 100 && healthyPercent + degradedPercent < panicThreshold;
            total &= panic[p];
        }
        if (total) {
            int all = 0;
            for (int h : hosts) {
                all += h;
            }
            java.util.Arrays.fill(healthyLoad, 0);
            java.util.Arrays.fill(degradedLoad, 0);
            if (all == 0) {
                healthyLoad[0] = 100;
                return;
            }
            int remaining = 100;
            int firstNonEmpty = -1;
            for (int p = 0; p < n; p++) {
                if (firstNonEmpty < 0 && hosts[p] > 0) {
                    firstNonEmpty = p;
                }
                healthyLoad[p] = 100 * hosts[p] / all;
                remaining -= healthyLoad[p];
            }
            healthyLoad[firstNonEmpty] += remaining;
        }
    }

    /**
     * Load in priority order, healthy then degraded. {@code distributeLoad} hands what rounding
     * leaves to the first priority with healthy availability (else degraded); the retry plugin's
     * copy of it instead goes round again until nothing is left.
     */
    private static void distribute(int[] healthyAvailability, int[] degradedAvailability, int total,
                                   int[] healthyLoad, int[] degradedLoad, boolean repeat) {
        int n = healthyAvailability.length;
        int remaining = 100;
        do {
            for (int p = 0; p < n; p++) {
                int delta = Math.min(remaining, healthyAvailability[p] * 100 / total);
                healthyLoad[p] += delta;
                remaining -= delta;
            }
            for (int p = 0; p < n; p++) {
                int delta = Math.min(remaining, degradedAvailability[p] * 100 / total);
                degradedLoad[p] += delta;
                remaining -= delta;
            }
        } while (repeat && remaining != 0);
        if (remaining != 0) {
            for (int p = 0; p < n; p++) {
                if (healthyAvailability[p] > 0) {
                    healthyLoad[p] += remaining;
                    return;
                }
            }
            for (int p = 0; p < n; p++) {
                if (degradedAvailability[p] > 0) {
                    degradedLoad[p] += remaining;
                    return;
                }
            }
        }
    }

    /** Whether some host is healthy and not ejected (every endpoint's weight is at least 1). */
    boolean anyHealthy() {
        return anyHealthy;
    }

    /** The handle the publication had for an address, or null. */
    Host handle(int addressId) {
        return handles[addressId];
    }

    /** {@link #HEALTHY}, {@link #DEGRADED}, {@link #UNAVAILABLE} (ejected, or reported neither) or {@link #ABSENT}. */
    byte state(int addressId) {
        return handles[addressId] == null ? ABSENT : state[addressId];
    }

    int priorities() {
        return hosts.length;
    }

    int hosts(int p) {
        return hosts[p];
    }

    int excluded(int p) {
        return excluded[p];
    }

    int healthy(int p) {
        return healthy[p];
    }

    int degraded(int p) {
        return degraded[p];
    }

    int healthyLoad(int p) {
        return healthyLoad[p];
    }

    int degradedLoad(int p) {
        return degradedLoad[p];
    }

    boolean panic(int p) {
        return panic[p];
    }

    /**
     * The load a pick follows, healthy loads then degraded loads by priority: the publication's
     * own, or for a retry pick with priorities excluded (with a non-hash policy) the load the
     * retry plugin distributes over what is left.
     */
    private int[] load(byte kind, long excludedPriorities) {
        if (hashed || kind != PICK_EXCLUDING || excludedPriorities == 0) {
            return loads;
        }
        return excludedPriorities > 0 && excludedPriorities < EXCLUSION_MASKS
                ? loadsExcluding[(int) excludedPriorities] : loadExcluding(excludedPriorities);
    }

    /**
     * {@code adjustForAttemptedPriorities}: with nothing available outside the excluded priorities
     * the exclusion is dropped; with nothing available at all the publication's load stands.
     */
    private int[] loadExcluding(long excludedPriorities) {
        long mask = excludedPriorities;
        int total = availabilityOutside(mask);
        if (total == 0) {
            mask = 0;
            total = availabilityOutside(0);
            if (total == 0) {
                return loads;
            }
        }
        int n = hosts.length;
        int[] ha = new int[n];
        int[] da = new int[n];
        for (int p = 0; p < n; p++) {
            if (!excludedPriority(mask, p)) {
                ha[p] = healthyAvailability[p];
                da[p] = degradedAvailability[p];
            }
        }
        int[] hl = new int[n];
        int[] dl = new int[n];
        distribute(ha, da, total, hl, dl, true);
        int[] out = new int[2 * n];
        System.arraycopy(hl, 0, out, 0, n);
        System.arraycopy(dl, 0, out, n, n);
        return out;
    }

    /**
     * Whether a pick of this kind from this publication may return this handle for this address:
     * the address had this handle, its priority has load, and the choice leads to a set holding
     * it: all the priority's hosts in panic (unless a non-hash policy fails traffic on panic), else
     * its healthy hosts, and with a non-hash policy its degraded hosts when they have load.
     *
     * @param kind {@link #PICK}, {@link #PICK_EXCLUDING} or {@link #PICK_HASH}
     * @param excludedPriorities the mask given to {@code pickExcluding}
     */
    boolean mayReturn(byte kind, long excludedPriorities, int addressId, Host handle) {
        if (handle == null || handles[addressId] != handle) {
            return false;
        }
        int[] l = load(kind, excludedPriorities);
        int n = hosts.length;
        int p = priorityOf[addressId];
        int healthyShare = l[p];
        int degradedShare = l[n + p];
        if (panic[p]) {
            return healthyShare + degradedShare > 0 && (hashed || !failTrafficOnPanic);
        }
        byte s = state[addressId];
        if (hashed) {
            // A degraded choice at this priority hashes into the same table of healthy hosts.
            return s == HEALTHY && healthyShare + degradedShare > 0;
        }
        return (s == HEALTHY && healthyShare > 0) || (s == DEGRADED && degradedShare > 0);
    }

    /**
     * Whether a pick of this kind from this publication may find no host: when no host is healthy,
     * or when a (priority, healthy or degraded) choice with load leads to an empty set, which with
     * the rules above happens for a non-hash policy failing traffic on panic, and for a hash policy
     * whose load reaches a priority's degraded hosts that its table leaves out.
     *
     * @param kind {@link #PICK}, {@link #PICK_EXCLUDING} or {@link #PICK_HASH}
     * @param excludedPriorities the mask given to {@code pickExcluding}
     */
    boolean mayReturnNothing(byte kind, long excludedPriorities) {
        if (!anyHealthy) {
            return true;
        }
        int[] l = load(kind, excludedPriorities);
        int n = hosts.length;
        for (int p = 0; p < n; p++) {
            if (l[p] > 0 && emptyChoice(p, false)) {
                return true;
            }
            if (l[n + p] > 0 && emptyChoice(p, true)) {
                return true;
            }
        }
        return false;
    }

    private int availabilityOutside(long mask) {
        int total = 0;
        for (int p = 0; p < hosts.length; p++) {
            if (!excludedPriority(mask, p)) {
                total += healthyAvailability[p] + degradedAvailability[p];
            }
        }
        return Math.min(100, total);
    }

    private static boolean excludedPriority(long mask, int p) {
        return p < 64 && (mask & (1L << p)) != 0;
    }

    private boolean emptyChoice(int p, boolean degradedChoice) {
        if (panic[p]) {
            return hosts[p] == 0 || (failTrafficOnPanic && !hashed);
        }
        if (hashed) {
            return healthy[p] == 0;
        }
        return degradedChoice ? degraded[p] == 0 : healthy[p] == 0;
    }

    /** One line on this publication, and on an address in it when {@code addressId} is not negative. */
    String describe(int addressId) {
        StringBuilder b = new StringBuilder("publication ").append(publication).append(':');
        for (int p = 0; p < hosts.length; p++) {
            b.append(" P").append(p).append("{hosts ").append(hosts[p]).append(", excluded ").append(excluded[p])
                    .append(", healthy ").append(healthy[p]).append(", degraded ").append(degraded[p])
                    .append(", load ").append(healthyLoad[p]).append('/').append(degradedLoad[p])
                    .append(panic[p] ? ", panic}" : "}");
        }
        b.append(hashed ? ", hash policy" : "").append(failTrafficOnPanic ? ", fail traffic on panic" : "");
        if (addressId >= 0) {
            String[] names = {"absent", "healthy", "degraded", "unavailable"};
            b.append("; the address: ").append(names[state(addressId)]);
            if (handles[addressId] != null) {
                b.append(" at P").append(priorityOf[addressId]);
            }
        }
        return b.toString();
    }
}
