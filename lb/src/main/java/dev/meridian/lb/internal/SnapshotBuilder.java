package dev.meridian.lb.internal;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.SpillConfig;
import dev.meridian.lb.ZoneAwareConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The cold half of a {@link Snapshot}: derives, once, everything a pick and a plan need from one
 * endpoint table, one set of ejections and the configuration: effective host states, Envoy's
 * priority load and its table of 100 choices, the host sets per priority and per locality,
 * effective locality weights, zone-aware routing state, slow-start state, hash tables, and for each
 * (priority, healthy or degraded) choice the {@link Route} a pick follows. Allocates freely.
 *
 * <p>Not thread-safe: one builder builds one snapshot on one thread; the snapshot it returns is
 * thread-safe.
 */
final class SnapshotBuilder {

    /** Scale of locality weights in the locality walk. */
    private static final long LOCALITY_SCALE = 1L << 20;

    final LbConfig config;
    final EndpointTable table;
    final boolean[] ejected;
    final ActiveRequests active;
    /** Per host id, when its slow start began; hosts not yet healthy that are healthy now start at the build time. */
    final long[] slowStartSince;
    final LbPolicy policy;
    /** Envoy rounds the healthy_panic_threshold percent to an integer (PROTOBUF_PERCENT_TO_ROUNDED_INTEGER). */
    final int panicThreshold;
    final int overprovisioningFactor;
    final byte[] state;
    /**
     * Per host id, whether Envoy excludes the host ({@code excludeBasedOnHealthFlag} in
     * {@code upstream_impl.cc}): reported DRAINING under an Envoy that excludes draining hosts
     * ({@link LbConfig#excludesDraining}). An excluded host is not healthy either; it stays in the
     * priority's hosts, so panic and total panic may still pick it, but it is left out of the host
     * count behind priority health, panic and effective locality weight.
     */
    final boolean[] excluded;
    final PriorityLoad load;
    /** For each {@code random mod 100} or {@code hash mod 100}: {@code priority << 1 | 1 when degraded}. */
    final int[] choice;
    /** The entry of every {@link #choice} when one (priority, degraded) takes all the load, else -1. */
    final int soleChoice;
    final PriorityLevel[] levels;
    /** By choice ({@code priority << 1 | 1 when degraded}): what a pick does next. */
    final Route[] routes;
    final SlowStart slowStart;
    /** How many sequences the host sources and locality walks use. */
    final int sequenceCount;
    /** Where the round-robin sequences start; Envoy starts round robin at a random index. */
    final long sequenceStart;
    /** Sequences handed out so far. */
    private int slots;
    /** Zone-aware buckets in order (the caller's locality first), as indexes of priority 0's localities. */
    private int[] zoneOrder;
    /**
     * With spill-over configured, the choice ({@code priority << 1}, healthy) that diverted picks
     * follow: the first priority after 0 with healthy hosts and not in panic; -1 when there is none
     * or spill-over is off.
     */
    final int spillChoice;
    /** With spill-over configured, priority 0's hosts that take traffic (healthy or degraded); else empty. */
    final int[] spillHosts;
    /** Requests in flight {@link #spillHosts} serve at utilization 1; 0 without spill-over. */
    final double spillCapacity;

    private SnapshotBuilder(LbConfig config, EndpointTable table, boolean[] ejected, ActiveRequests active,
                            long[] slowStartSince, RandomSource random, long now) {
        this.config = config;
        this.table = table;
        this.ejected = ejected;
        this.active = active;
        this.policy = config.policy();
        this.panicThreshold = (int) Math.round(config.panicThreshold());
        this.overprovisioningFactor = config.overprovisioningFactor();
        int n = table.size();
        state = new byte[n];
        for (int h = 0; h < n; h++) {
            HealthStatus s = table.health(h);
            state[h] = ejected[h] ? Snapshot.UNAVAILABLE : s.isHealthy() ? Snapshot.HEALTHY
                    : s.isDegraded() ? Snapshot.DEGRADED : Snapshot.UNAVAILABLE;
        }
        long[] since = slowStartSince.clone();
        for (int h = 0; h < n; h++) {
            if (since[h] == Snapshot.NOT_YET_HEALTHY && !ejected[h] && table.health(h).isHealthy()) {
                since[h] = now;
            }
        }
        this.slowStartSince = since;
        this.slowStart = new SlowStart(config.slowStart(), policy, since, state, now);

        excluded = new boolean[n];
        if (config.excludesDraining()) {
            for (int h = 0; h < n; h++) {
                excluded[h] = table.health(h) == HealthStatus.DRAINING;
            }
        }
        int priorities = Math.max(1, table.priorityCount());
        int[] hosts = new int[priorities];
        int[] excludedCount = new int[priorities];
        int[] healthy = new int[priorities];
        int[] degraded = new int[priorities];
        // weighted_priority_health: {weight of the hosts not excluded, healthy weight, degraded weight}.
        long[][] weights = config.weightedPriorityHealth() ? new long[priorities][3] : null;
        for (int h = 0; h < n; h++) {
            int p = table.priority(h);
            hosts[p]++;
            if (excluded[h]) {
                excludedCount[p]++;
            } else if (weights != null) {
                weights[p][0] += table.weight(h);
            }
            if (state[h] == Snapshot.HEALTHY) {
                healthy[p]++;
                if (weights != null) {
                    weights[p][1] += table.weight(h);
                }
            } else if (state[h] == Snapshot.DEGRADED) {
                degraded[p]++;
                if (weights != null) {
                    weights[p][2] += table.weight(h);
                }
            }
        }
        load = PriorityLoad.compute(hosts, excludedCount, healthy, degraded, weights, overprovisioningFactor,
                panicThreshold);
        choice = choiceTable(load, priorities);
        int sole = choice[0];
        for (int b = 1; b < 100; b++) {
            if (choice[b] != sole) {
                sole = -1;
                break;
            }
        }
        this.soleChoice = sole;

        boolean hashed = policy == LbPolicy.RING_HASH || policy == LbPolicy.MAGLEV;
        levels = new PriorityLevel[priorities];
        for (int p = 0; p < priorities; p++) {
            levels[p] = buildLevel(p);
        }
        routes = new Route[2 * priorities];
        ZoneAwareConfig zoneAware = config.zoneAware();
        // With locality weighting Envoy still computes zone-aware routing whenever a local cluster
        // is configured (ZoneAwareLoadBalancerBase::regenerateLocalityRoutingStructures runs for any
        // local_priority_set_), and hostSourceToUse falls through to it when chooseHealthyLocality /
        // chooseDegradedLocality picks no locality. locality_weighted_lb_config and
        // zone_aware_lb_config are one oneof, so on that path every zone-aware knob is at its default.
        ZoneAwareConfig zoneInputs = zoneAware == null ? null
                : config.localityWeighted() ? zoneAware.withEnvoyDefaults() : zoneAware;
        Route.ZoneRoute zone = zoneInputs != null && !hashed ? buildZoneRoute(levels[0], zoneInputs) : null;
        levels[0].zone = zone;
        for (int p = 0; p < priorities; p++) {
            routes[p << 1] = route(levels[p], false, p == 0 ? zone : null);
            routes[p << 1 | 1] = route(levels[p], true, p == 0 ? zone : null);
        }
        if (hashed) {
            for (int p = 0; p < priorities; p++) {
                levels[p].ring = buildRing(levels[p]);
            }
        }
        this.sequenceCount = slots;
        this.sequenceStart = random.nextLong();

        SpillConfig spill = config.spill();
        int target = -1;
        if (spill != null) {
            for (int p = 1; p < priorities && target < 0; p++) {
                if (!load.panic(p) && levels[p].healthy.hosts.length > 0) {
                    target = p << 1;
                }
            }
        }
        this.spillChoice = target;
        this.spillHosts = spill == null ? new int[0] : availableHosts(levels[0]);
        this.spillCapacity = spill == null ? 0 : capacity(levels[0], spill);
    }

    /** Priority 0's hosts that take traffic outside panic: its healthy hosts, then its degraded ones. */
    private static int[] availableHosts(PriorityLevel level) {
        int[] h = level.healthy.hosts;
        int[] d = level.degraded.hosts;
        int[] all = Arrays.copyOf(h, h.length + d.length);
        System.arraycopy(d, 0, all, h.length, d.length);
        return all;
    }

    /**
     * The capacity of a level's available hosts: per locality, its configured capacity times the
     * share of its counted hosts (not excluded) that are available, or else the hosts' weights times
     * the capacity per unit of weight.
     */
    private double capacity(PriorityLevel level, SpillConfig spill) {
        double total = 0;
        for (int li = 0; li < level.localityIds.length; li++) {
            int available = level.healthyByLocality[li].hosts.length + level.degradedByLocality[li].hosts.length;
            Double configured = spill.localityCapacity().get(table.locality(level.localityIds[li]));
            if (configured != null) {
                int counted = level.allByLocality[li].hosts.length - level.excludedByLocality[li];
                total += counted <= 0 ? 0 : configured * Math.min(available, counted) / counted;
                continue;
            }
            long weight = 0;
            for (int h : level.healthyByLocality[li].hosts) {
                weight += table.weight(h);
            }
            for (int h : level.degradedByLocality[li].hosts) {
                weight += table.weight(h);
            }
            total += spill.hostCapacity() * weight;
        }
        return total;
    }

    /** See {@link Snapshot#build}. */
    static Snapshot build(LbConfig config, EndpointTable table, boolean[] ejected, ActiveRequests active,
                                 long[] slowStartSince, RandomSource random, long now) {
        return new Snapshot(new SnapshotBuilder(config, table, ejected, active, slowStartSince, random, now));
    }

    /** Envoy's {@code choosePriority} as a table: bucket {@code b} of 100 to its (priority, degraded). */
    private static int[] choiceTable(PriorityLoad load, int priorities) {
        int[] choice = new int[100];
        int cumulative = 0;
        int bucket = 0;
        for (int p = 0; p < priorities; p++) {
            cumulative += load.healthyLoad(p);
            while (bucket < cumulative && bucket < 100) {
                choice[bucket++] = p << 1;
            }
        }
        for (int p = 0; p < priorities; p++) {
            cumulative += load.degradedLoad(p);
            while (bucket < cumulative && bucket < 100) {
                choice[bucket++] = p << 1 | 1;
            }
        }
        // choice[] is already 0 (P0, healthy) past the sum, which is Envoy's fallback too.
        return choice;
    }

    /** A host set that no route can end in, or not with round robin: no lookup. */
    private HostSource source(int[] hosts) {
        return source(hosts, false);
    }

    /** @param picked whether a round-robin route may end in the set, which then needs its lookup */
    private HostSource source(int[] hosts, boolean picked) {
        return new HostSource(hosts, table, slots++, picked && policy == LbPolicy.ROUND_ROBIN);
    }

    private PriorityLevel buildLevel(int p) {
        int n = table.size();
        int[] all = new int[n];
        int[] h = new int[n];
        int[] d = new int[n];
        int na = 0;
        int nh = 0;
        int nd = 0;
        int[] localityCount = new int[table.localityCount()];
        int[] localityExcluded = new int[table.localityCount()];
        int[] ex = new int[n];
        int ne = 0;
        for (int host = 0; host < n; host++) {
            if (table.priority(host) != p) {
                continue;
            }
            all[na++] = host;
            localityCount[table.localityId(host)]++;
            if (excluded[host]) {
                localityExcluded[table.localityId(host)]++;
                ex[ne++] = host;
            }
            if (state[host] == Snapshot.HEALTHY) {
                h[nh++] = host;
            } else if (state[host] == Snapshot.DEGRADED) {
                d[nd++] = host;
            }
        }
        // All hosts are picked from only in panic; per locality, only healthy and degraded hosts.
        boolean panic = load.panic(p);
        HostSource allSource = source(Arrays.copyOf(all, na), panic);
        HostSource healthySource = source(Arrays.copyOf(h, nh), !panic);
        HostSource degradedSource = source(Arrays.copyOf(d, nd), !panic);

        int localities = 0;
        for (int c : localityCount) {
            if (c > 0) {
                localities++;
            }
        }
        int[] localityIds = new int[localities];
        int[] localityWeights = new int[localities];
        double[] effective = new double[localities];
        HostSource[] allByLocality = new HostSource[localities];
        HostSource[] healthyByLocality = new HostSource[localities];
        HostSource[] degradedByLocality = new HostSource[localities];
        // One pass buckets the level's hosts by locality, keeping host-id order within each.
        int[] indexOfLocality = new int[localityCount.length];
        int li = 0;
        for (int lid = 0; lid < localityCount.length; lid++) {
            if (localityCount[lid] > 0) {
                localityIds[li] = lid;
                indexOfLocality[lid] = li++;
            }
        }
        int[][] allBy = new int[localities][];
        int[][] healthyBy = new int[localities][];
        int[][] degradedBy = new int[localities][];
        int[] fillHealthy = new int[localities];
        int[] fillDegraded = new int[localities];
        int[] fillAll = new int[localities];
        int[] excludedByLocality = new int[localities];
        for (int i = 0; i < localities; i++) {
            excludedByLocality[i] = localityExcluded[localityIds[i]];
            allBy[i] = new int[localityCount[localityIds[i]]];
            healthyBy[i] = new int[allBy[i].length];
            degradedBy[i] = new int[allBy[i].length];
        }
        for (int k = 0; k < na; k++) {
            int host = all[k];
            int i = indexOfLocality[table.localityId(host)];
            allBy[i][fillAll[i]++] = host;
            if (state[host] == Snapshot.HEALTHY) {
                healthyBy[i][fillHealthy[i]++] = host;
            } else if (state[host] == Snapshot.DEGRADED) {
                degradedBy[i][fillDegraded[i]++] = host;
            }
        }
        for (int i = 0; i < localities; i++) {
            allByLocality[i] = source(allBy[i]);
            healthyByLocality[i] = source(Arrays.copyOf(healthyBy[i], fillHealthy[i]), !panic);
            degradedByLocality[i] = source(Arrays.copyOf(degradedBy[i], fillDegraded[i]), !panic);
            localityWeights[i] = table.localityWeight(allBy[i][0]);
            effective[i] = effectiveLocalityWeight(localityWeights[i], fillHealthy[i],
                    allBy[i].length - excludedByLocality[i], overprovisioningFactor);
        }
        return new PriorityLevel(p, panic, allSource, healthySource, degradedSource, localityIds,
                localityWeights, effective, allByLocality, healthyByLocality, degradedByLocality,
                Arrays.copyOf(ex, ne), excludedByLocality);
    }

    /**
     * The route of one (priority, healthy or degraded) choice, in Envoy's order: a priority in panic
     * balances over all its hosts (or none with failTrafficOnPanic), then locality weights, then
     * zone-aware routing (priority 0 only), else the whole healthy or degraded set.
     */
    private Route route(PriorityLevel level, boolean degraded, Route.ZoneRoute zone) {
        if (level.panic) {
            return config.failTrafficOnPanic() ? Route.noHost() : Route.oneSource(level.all);
        }
        HostSource whole = degraded ? level.degraded : level.healthy;
        HostSource[] byLocality = degraded ? level.degradedByLocality : level.healthyByLocality;
        if (config.localityWeighted()) {
            Route weighted = localityRoute(level, byLocality, whole);
            if (weighted != null) {
                return weighted;
            }
        }
        if (zone != null) {
            return Route.zone(whole, degraded ? zoneBuckets(level, level.degradedByLocality)
                    : zoneBuckets(level, level.healthyByLocality), zone, config.failTrafficOnPanic());
        }
        return Route.oneSource(whole);
    }

    /**
     * Envoy's {@code LocalityWrr::rebuildLocalityScheduler}: no schedule (null) without locality
     * weights or without eligible hosts, or when every effective weight is zero. A schedule with
     * one weighted locality is that locality's hosts, with no locality step.
     *
     * <p>Effective weights are scaled to integers for the walk, the heaviest locality to
     * {@code LOCALITY_SCALE} (2^20), every other with a positive weight to at least 1.
     */
    private Route localityRoute(PriorityLevel level, HostSource[] eligible, HostSource eligibleAll) {
        boolean anyWeight = false;
        for (int w : level.localityWeights) {
            anyWeight |= w > 0;
        }
        if (!anyWeight || eligibleAll.hosts.length == 0) {
            return null;
        }
        int k = eligible.length;
        double[] effective = new double[k];
        double max = 0;
        double sum = 0;
        for (int i = 0; i < k; i++) {
            effective[i] = effectiveLocalityWeight(level.localityWeights[i], eligible[i].hosts.length,
                    level.allByLocality[i].hosts.length - level.excludedByLocality[i], overprovisioningFactor);
            max = Math.max(max, effective[i]);
            sum += effective[i];
        }
        if (max <= 0) {
            return null;
        }
        long[] cumulative = new long[k];
        long sumScaled = 0;
        int positive = 0;
        int last = -1;
        double[] shares = new double[k];
        for (int i = 0; i < k; i++) {
            long scaled = effective[i] <= 0 ? 0 : Math.max(1, Math.round(effective[i] / max * LOCALITY_SCALE));
            sumScaled += scaled;
            cumulative[i] = sumScaled;
            shares[i] = effective[i] > 0 ? effective[i] / sum : 0;
            if (scaled > 0) {
                positive++;
                last = i;
            }
        }
        if (positive == 1) {
            return Route.oneSource(eligible[last]);
        }
        return Route.locality(eligible, new WeightedIndex(cumulative), slots++, shares);
    }

    /**
     * Envoy's {@code HostSetImpl::effectiveLocalityWeight}: weight × min(1, factor/100 ×
     * eligible/total), where total is the locality's hosts minus its excluded hosts; 0 when that is 0.
     */
    static double effectiveLocalityWeight(int weight, int eligible, int total, int overprovisioningFactor) {
        if (total == 0) {
            return 0.0;
        }
        double ratio = 1.0 * eligible / total;
        return weight * Math.min(1.0, (overprovisioningFactor / 100.0) * ratio);
    }

    private HostSource[] zoneBuckets(PriorityLevel level, HostSource[] byLocality) {
        HostSource[] buckets = new HostSource[zoneOrder.length];
        for (int b = 0; b < buckets.length; b++) {
            buckets[b] = byLocality[zoneOrder[b]];
        }
        return buckets;
    }

    private Route.ZoneRoute buildZoneRoute(PriorityLevel level, ZoneAwareConfig z) {
        Locality local = z.localLocality();
        // Upstream buckets: the caller's locality first when P0 has hosts there, then the others
        // sorted by region, zone and subzone (Envoy's LocalityLess).
        List<Integer> order = new ArrayList<>();
        int localIndex = -1;
        for (int i = 0; i < level.localityIds.length; i++) {
            if (table.locality(level.localityIds[i]).equals(local)) {
                localIndex = i;
            } else {
                order.add(i);
            }
        }
        Comparator<Integer> byLocality = Comparator
                .comparing((Integer i) -> table.locality(level.localityIds[i]).region())
                .thenComparing(i -> table.locality(level.localityIds[i]).zone())
                .thenComparing(i -> table.locality(level.localityIds[i]).subzone());
        order.sort(byLocality);
        boolean hasLocal = localIndex >= 0;
        if (hasLocal) {
            order.add(0, localIndex);
        }
        int buckets = order.size();
        // earlyExitNonLocalityRouting
        if (buckets < 2) {
            return null;
        }
        int localLocalities = 0;
        for (int c : z.localHosts().values()) {
            if (c > 0) {
                localLocalities++;
            }
        }
        // earlyExitNonLocalityRouting; force_local_zone skips the check on the local cluster's
        // localities (envoyproxy/envoy#39058).
        if (localLocalities < 2 && !z.forceLocalZone()) {
            return null;
        }
        if (z.localHosts().getOrDefault(local, 0) == 0) {
            return null;
        }
        if (level.healthy.hosts.length < z.minClusterSize()) {
            return null;
        }
        zoneOrder = new int[buckets];
        for (int b = 0; b < buckets; b++) {
            zoneOrder[b] = order.get(b);
        }
        // calculateLocalityPercentages, in units of 1/10000, over healthy host counts or, with
        // locality_basis HEALTHY_HOSTS_WEIGHT, the healthy hosts' weights (envoyproxy/envoy#39803).
        boolean byWeight = z.localityBasis() == ZoneAwareConfig.LocalityBasis.HEALTHY_HOSTS_WEIGHT;
        long totalLocal = 0;
        for (Map.Entry<Locality, Integer> e : z.localHealthyHosts().entrySet()) {
            totalLocal += byWeight ? z.localHealthyWeights().getOrDefault(e.getKey(), 0L) : e.getValue();
        }
        long[] upstreamAmount = new long[buckets];
        long totalUpstream = 0;
        for (int b = 0; b < buckets; b++) {
            int[] hosts = level.healthyByLocality[zoneOrder[b]].hosts;
            if (byWeight) {
                for (int h : hosts) {
                    upstreamAmount[b] += table.weight(h);
                }
            } else {
                upstreamAmount[b] = hosts.length;
            }
            totalUpstream += upstreamAmount[b];
        }
        long[] localPct = new long[buckets];
        long[] upstreamPct = new long[buckets];
        for (int b = 0; b < buckets; b++) {
            int upstream = level.healthyByLocality[zoneOrder[b]].hosts.length;
            if (upstream == 0) {
                continue;
            }
            Locality bucketLocality = table.locality(level.localityIds[zoneOrder[b]]);
            long localAmount = byWeight ? z.localHealthyWeights().getOrDefault(bucketLocality, 0L)
                    : z.localHealthyHosts().getOrDefault(bucketLocality, 0);
            localPct[b] = totalLocal > 0 ? 10000L * localAmount / totalLocal : 0;
            upstreamPct[b] = totalUpstream > 0 ? 10000L * upstreamAmount[b] / totalUpstream : 0;
        }
        int localHostsTotal = 0;
        int localHealthyTotal = 0;
        for (Map.Entry<Locality, Integer> e : z.localHosts().entrySet()) {
            localHostsTotal += e.getValue();
            localHealthyTotal += z.localHealthyHosts().getOrDefault(e.getKey(), 0);
            if (config.excludesDraining()) {
                // isHostSetInPanic(localHostSet()) counts the local hosts minus the excluded ones.
                localHostsTotal -= z.localDrainingHosts().getOrDefault(e.getKey(), 0);
            }
        }
        boolean localPanic = PriorityLoad.inPanic(localHostsTotal, localHealthyTotal, 0, panicThreshold);
        int routingEnabled = (int) Math.round(z.routingEnabledPercent());
        // LocalityDirect: the local locality's upstream share covers its local share, or
        // force_local_zone holds and the local locality has at least min_size healthy upstream hosts.
        boolean forced = hasLocal && z.forceLocalZone()
                && level.healthyByLocality[zoneOrder[0]].hosts.length >= z.forceLocalZoneMinSize();
        if (hasLocal && ((upstreamPct[0] > 0 && upstreamPct[0] >= localPct[0]) || forced)) {
            return new Route.ZoneRoute(true, 10000, new long[buckets], localPanic, routingEnabled);
        }
        long localPercentToRoute = hasLocal && localPct[0] > 0 ? upstreamPct[0] * 10000 / localPct[0] : 0;
        long[] residual = new long[buckets];
        for (int b = 0; b < buckets; b++) {
            long last = b > 0 ? residual[b - 1] : 0;
            if (b == 0 && hasLocal) {
                residual[b] = last;
                continue;
            }
            residual[b] = upstreamPct[b] > localPct[b] ? last + upstreamPct[b] - localPct[b] : last;
        }
        return new Route.ZoneRoute(false, localPercentToRoute, residual, localPanic, routingEnabled);
    }

    private HashRing buildRing(PriorityLevel level) {
        // Envoy's thread-aware balancers hash over healthy hosts, or all hosts in panic; degraded
        // hosts are not in the table (thread_aware_lb_impl.cc normalizeWeights).
        HostSource flat = level.panic ? level.all : level.healthy;
        HostSource[] perLocality = level.panic ? level.allByLocality : level.healthyByLocality;
        long localitySum = 0;
        for (int w : level.localityWeights) {
            localitySum += w;
        }
        List<Integer> ids = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        if (!config.localityWeighted() || localitySum == 0) {
            addNormalized(flat.hosts, 1.0, ids, weights);
        } else {
            for (int i = 0; i < perLocality.length; i++) {
                if (level.localityWeights[i] != 0) {
                    addNormalized(perLocality[i].hosts, (double) level.localityWeights[i] / localitySum, ids,
                            weights);
                }
            }
        }
        int[] hostIds = ids.stream().mapToInt(Integer::intValue).toArray();
        String[] addresses = new String[hostIds.length];
        double[] w = new double[hostIds.length];
        for (int i = 0; i < hostIds.length; i++) {
            addresses[i] = table.endpoint(hostIds[i]).address();
            w[i] = weights.get(i);
        }
        HashRing.Weighted weighted = new HashRing.Weighted(hostIds, addresses, w);
        return policy == LbPolicy.RING_HASH
                ? HashRing.ring(weighted, config.ringHashMinimumSize(), config.ringHashMaximumSize())
                : HashRing.maglev(weighted, config.maglevTableSize());
    }

    private void addNormalized(int[] hosts, double scale, List<Integer> ids, List<Double> weights) {
        long sum = 0;
        for (int h : hosts) {
            sum += table.weight(h);
        }
        for (int h : hosts) {
            ids.add(h);
            weights.add(table.weight(h) * scale / sum);
        }
    }
}
