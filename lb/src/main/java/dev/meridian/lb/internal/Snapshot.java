package dev.meridian.lb.internal;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.ZoneAwareConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import dev.meridian.core.NanoClock;

/**
 * Everything the pick path needs for one endpoint table and one set of ejections, computed once on
 * the cold path: effective host states, Envoy's priority load, per-priority host lists (all,
 * healthy, degraded, and the same per locality), locality schedules, zone-aware routing state and,
 * for the hash policies, one table per priority.
 *
 * <p>Immutable apart from its atomic round-robin sequences and the shared active-request counts;
 * thread-safe. {@link #pick} and {@link #pickHash} never throw and never allocate.
 */
public final class Snapshot {

    /** Returned when no host can take the request. */
    public static final int NO_HOST = -1;

    /** A host that takes traffic as healthy. */
    public static final byte HEALTHY = 0;
    /** A host that takes traffic only when healthy hosts are short. */
    public static final byte DEGRADED = 1;
    /** A host that takes traffic only in panic: reported unhealthy, draining, timed out, or ejected. */
    public static final byte UNAVAILABLE = 2;

    /** Slow-start time of a host that has been healthy since before it could be in slow start. */
    public static final long ESTABLISHED = Long.MIN_VALUE;
    /** Slow-start time of a host that has not been healthy yet: it starts when it first is. */
    public static final long NOT_YET_HEALTHY = Long.MAX_VALUE;

    /** Scale of locality weights in the stride scheduler. */
    private static final long LOCALITY_SCALE = 1L << 20;
    /** Tries of the weighted least-request rejection sampler before it settles for the best seen. */
    private static final int LEAST_REQUEST_TRIES = 64;
    /**
     * Visits of weighted round robin under slow start before it keeps the last host visited. With
     * every host at the 10% floor a pick is still accepted 1 time in 10, so this is reached only
     * when nearly all of a source's weight sits far below 10% (minWeightPercent under 10).
     */
    private static final int SLOW_START_VISITS = 256;
    /** 2^64 / golden ratio: the step of the sequence that chooses a point on the cumulative weights. */
    private static final long GOLDEN_STEP = 0x9E3779B97F4A7C15L;
    /** 2^64 × (√2 − 1): the step of the sequence that accepts a slow-start host, independent of the first. */
    private static final long SQRT2_STEP = 0x6A09E667F3BCC908L;
    private static final double TWO_TO_MINUS_53 = 0x1.0p-53;
    private static final long NANOS_PER_MILLI = 1_000_000L;

    final EndpointTable table;
    /** The table's endpoints by host id, held here so a pick reaches its endpoint in one load. */
    private final Endpoint[] endpoints;
    final boolean[] ejected;
    final byte[] state;
    final PriorityLoad load;
    /** For each {@code hash mod 100}: {@code priority << 1 | 1 when degraded}. */
    private final int[] choice;
    /** The entry of every {@link #choice} when one (priority, degraded) takes all the load, else -1. */
    private final int soleChoice;
    private final boolean hashed;
    private final boolean roundRobin;
    /** Whether slow start is configured and some host's slow start has begun: the clock must be read. */
    private final boolean slowStartPossible;
    final Level[] levels;
    private final Sequences sequences;
    private final ActiveRequests active;
    final long[] slowStartSince;
    private final long latestSlowStart;

    final LbPolicy policy;
    final int panicThreshold;
    final int overprovisioningFactor;
    final boolean localityWeighted;
    final boolean failTrafficOnPanic;
    private final int choiceCount;
    private final double activeRequestBias;
    final long slowStartWindowMillis;
    private final double aggression;
    private final double minWeightFraction;

    /** One source of hosts: the hosts Envoy would balance over after choosing priority and locality. */
    static final class Source {
        final int[] hosts;
        final int[] weights;
        /** {@code cumulative[i]}: the sum of {@code weights[0..i]}; the last is the total. */
        final long[] cumulative;
        final boolean equalWeights;
        final int maxWeight;
        final int slot;
        /** {@code floor((2^64 - 1) / hosts.length)}, for rotation without a 64-bit division. */
        final long reciprocal;
        /** Weighted round robin's lookup over {@link #cumulative}; null unless weighted round robin may use it. */
        final WeightedIndex index;

        Source(int[] hosts, EndpointTable table, int slot, boolean roundRobin) {
            this.hosts = hosts;
            this.weights = new int[hosts.length];
            this.cumulative = new long[hosts.length];
            int max = 0;
            long sum = 0;
            boolean equal = true;
            for (int i = 0; i < hosts.length; i++) {
                weights[i] = table.weight(hosts[i]);
                max = Math.max(max, weights[i]);
                sum += weights[i];
                cumulative[i] = sum;
                equal &= weights[i] == weights[0];
            }
            this.maxWeight = max;
            this.equalWeights = equal;
            this.slot = slot;
            this.reciprocal = hosts.length == 0 ? 0 : Long.divideUnsigned(-1L, hosts.length);
            // Slow start can make a source of equal weights weighted, so every round-robin source
            // with more than one host gets its index.
            this.index = roundRobin && hosts.length > 1 ? new WeightedIndex(cumulative) : null;
        }
    }

    /**
     * A lock-free weighted walk over localities by effective weight, scaled to integers: the heaviest
     * locality to {@code LOCALITY_SCALE} (2^20), every other with a positive weight to at least 1.
     */
    static final class LocalitySchedule {
        final long[] scaled;
        final double[] effective;
        final double total;
        final int slot;
        /** The only locality with a positive weight, or -1 when there are several. */
        final int only;
        final WeightedIndex index;

        LocalitySchedule(double[] effective, int slot) {
            this.effective = effective;
            this.slot = slot;
            double max = 0;
            double sum = 0;
            for (double e : effective) {
                max = Math.max(max, e);
                sum += e;
            }
            this.total = sum;
            scaled = new long[effective.length];
            long[] cumulative = new long[effective.length];
            long sumScaled = 0;
            int positive = 0;
            int last = -1;
            for (int i = 0; i < effective.length; i++) {
                scaled[i] = effective[i] <= 0 ? 0 : Math.max(1, Math.round(effective[i] / max * LOCALITY_SCALE));
                sumScaled += scaled[i];
                cumulative[i] = sumScaled;
                if (scaled[i] > 0) {
                    positive++;
                    last = i;
                }
            }
            this.only = positive == 1 ? last : -1;
            this.index = new WeightedIndex(cumulative);
        }
    }

    /** Envoy's zone-aware routing state for priority 0 ({@code regenerateLocalityRoutingStructures}). */
    static final class ZoneRoute {
        final int[] bucketLocalityIds;
        final Source[] healthyBuckets;
        final Source[] degradedBuckets;
        final boolean direct;
        final long localPercentToRoute;
        final long[] residual;
        final boolean localPanic;
        final int routingEnabled;

        ZoneRoute(int[] bucketLocalityIds, Source[] healthyBuckets, Source[] degradedBuckets, boolean direct,
                  long localPercentToRoute, long[] residual, boolean localPanic, int routingEnabled) {
            this.bucketLocalityIds = bucketLocalityIds;
            this.healthyBuckets = healthyBuckets;
            this.degradedBuckets = degradedBuckets;
            this.direct = direct;
            this.localPercentToRoute = localPercentToRoute;
            this.residual = residual;
            this.localPanic = localPanic;
            this.routingEnabled = routingEnabled;
        }
    }

    /** One priority level. */
    static final class Level {
        final int priority;
        /** Whether the priority is in panic; copied from the priority load for the pick path. */
        boolean panic;
        Source all;
        Source healthy;
        Source degraded;
        int[] localityIds;
        int[] localityWeights;
        Source[] allByLocality;
        Source[] healthyByLocality;
        Source[] degradedByLocality;
        LocalitySchedule healthySchedule;
        LocalitySchedule degradedSchedule;
        ZoneRoute zone;
        HashRing ring;

        Level(int priority) {
            this.priority = priority;
        }
    }

    private Snapshot(LbConfig config, EndpointTable table, boolean[] ejected, ActiveRequests active,
                     long[] slowStartSince, long sequenceStart) {
        this.table = table;
        this.endpoints = new Endpoint[table.size()];
        for (int h = 0; h < endpoints.length; h++) {
            endpoints[h] = table.endpoint(h);
        }
        this.ejected = ejected;
        this.active = active;
        this.slowStartSince = slowStartSince;
        this.policy = config.policy();
        // Envoy rounds the healthy_panic_threshold percent to an integer (PROTOBUF_PERCENT_TO_ROUNDED_INTEGER).
        this.panicThreshold = (int) Math.round(config.panicThreshold());
        this.overprovisioningFactor = config.overprovisioningFactor();
        this.localityWeighted = config.localityWeighted();
        this.failTrafficOnPanic = config.failTrafficOnPanic();
        this.choiceCount = config.leastRequestChoiceCount();
        this.activeRequestBias = config.activeRequestBias();
        if (config.slowStart() != null && (policy == LbPolicy.ROUND_ROBIN || policy == LbPolicy.LEAST_REQUEST)) {
            this.slowStartWindowMillis = config.slowStart().window().toMillis();
            this.aggression = config.slowStart().aggression();
            this.minWeightFraction = config.slowStart().minWeightPercent() / 100.0;
        } else {
            this.slowStartWindowMillis = 0;
            this.aggression = 1.0;
            this.minWeightFraction = 0.1;
        }

        int n = table.size();
        state = new byte[n];
        for (int h = 0; h < n; h++) {
            HealthStatus s = table.health(h);
            state[h] = ejected[h] ? UNAVAILABLE : s.isHealthy() ? HEALTHY : s.isDegraded() ? DEGRADED : UNAVAILABLE;
        }
        long latest = ESTABLISHED;
        if (slowStartWindowMillis > 0) {
            for (long since : slowStartSince) {
                if (since != ESTABLISHED && since != NOT_YET_HEALTHY && since > latest) {
                    latest = since;
                }
            }
        }
        this.latestSlowStart = latest;
        this.slowStartPossible = slowStartWindowMillis > 0 && latest != ESTABLISHED;
        this.hashed = policy == LbPolicy.RING_HASH || policy == LbPolicy.MAGLEV;
        this.roundRobin = policy == LbPolicy.ROUND_ROBIN;

        int priorities = Math.max(1, table.priorityCount());
        int[] hosts = new int[priorities];
        int[] healthy = new int[priorities];
        int[] degraded = new int[priorities];
        for (int h = 0; h < n; h++) {
            int p = table.priority(h);
            hosts[p]++;
            if (state[h] == HEALTHY) {
                healthy[p]++;
            } else if (state[h] == DEGRADED) {
                degraded[p]++;
            }
        }
        load = PriorityLoad.compute(hosts, healthy, degraded, overprovisioningFactor, panicThreshold);
        choice = new int[100];
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
        int sole = choice[0];
        for (int b = 1; b < 100; b++) {
            if (choice[b] != sole) {
                sole = -1;
                break;
            }
        }
        this.soleChoice = sole;

        levels = new Level[priorities];
        int[] slots = {0};
        for (int p = 0; p < priorities; p++) {
            levels[p] = buildLevel(p, slots);
        }
        ZoneAwareConfig zoneAware = config.zoneAware();
        if (zoneAware != null && !localityWeighted && policy != LbPolicy.RING_HASH && policy != LbPolicy.MAGLEV) {
            levels[0].zone = buildZoneRoute(levels[0], zoneAware, slots);
        }
        if (policy == LbPolicy.RING_HASH || policy == LbPolicy.MAGLEV) {
            for (int p = 0; p < priorities; p++) {
                levels[p].ring = buildRing(levels[p], load.panic(p), config);
            }
        }
        sequences = new Sequences(slots[0], sequenceStart);
    }

    /**
     * Builds a snapshot.
     *
     * @param ejected per host id, true when ejected by outlier detection (length {@code table.size()})
     * @param active the active-request counters by host id
     * @param slowStartSince per host id, when its slow start began, {@link #ESTABLISHED} or
     *     {@link #NOT_YET_HEALTHY}; hosts not yet healthy that are healthy now start at {@code now}
     */
    public static Snapshot build(LbConfig config, EndpointTable table, boolean[] ejected, ActiveRequests active,
                                 long[] slowStartSince, RandomSource random, long now) {
        long[] since = slowStartSince.clone();
        for (int h = 0; h < table.size(); h++) {
            if (since[h] == NOT_YET_HEALTHY && !ejected[h] && table.health(h).isHealthy()) {
                since[h] = now;
            }
        }
        return new Snapshot(config, table, ejected, active, since, random.nextLong());
    }


    private Level buildLevel(int p, int[] slots) {
        Level level = new Level(p);
        level.panic = load.panic(p);
        int n = table.size();
        int[] all = new int[n];
        int[] h = new int[n];
        int[] d = new int[n];
        int na = 0;
        int nh = 0;
        int nd = 0;
        int[] localityCount = new int[table.localityCount()];
        for (int host = 0; host < n; host++) {
            if (table.priority(host) != p) {
                continue;
            }
            all[na++] = host;
            localityCount[table.localityId(host)]++;
            if (state[host] == HEALTHY) {
                h[nh++] = host;
            } else if (state[host] == DEGRADED) {
                d[nd++] = host;
            }
        }
        boolean rr = policy == LbPolicy.ROUND_ROBIN;
        level.all = new Source(Arrays.copyOf(all, na), table, slots[0]++, rr);
        level.healthy = new Source(Arrays.copyOf(h, nh), table, slots[0]++, rr);
        level.degraded = new Source(Arrays.copyOf(d, nd), table, slots[0]++, rr);

        int localities = 0;
        for (int c : localityCount) {
            if (c > 0) {
                localities++;
            }
        }
        level.localityIds = new int[localities];
        level.localityWeights = new int[localities];
        level.allByLocality = new Source[localities];
        level.healthyByLocality = new Source[localities];
        level.degradedByLocality = new Source[localities];
        // One pass buckets the level's hosts by locality, keeping host-id order within each.
        int[] indexOfLocality = new int[localityCount.length];
        int li = 0;
        for (int lid = 0; lid < localityCount.length; lid++) {
            if (localityCount[lid] > 0) {
                level.localityIds[li] = lid;
                indexOfLocality[lid] = li++;
            }
        }
        int[][] allBy = new int[localities][];
        int[][] healthyBy = new int[localities][];
        int[][] degradedBy = new int[localities][];
        int[] fillAll = new int[localities];
        int[] fillHealthy = new int[localities];
        int[] fillDegraded = new int[localities];
        for (int i = 0; i < localities; i++) {
            allBy[i] = new int[localityCount[level.localityIds[i]]];
            healthyBy[i] = new int[allBy[i].length];
            degradedBy[i] = new int[allBy[i].length];
        }
        for (int k = 0; k < na; k++) {
            int host = all[k];
            int i = indexOfLocality[table.localityId(host)];
            allBy[i][fillAll[i]++] = host;
            if (state[host] == HEALTHY) {
                healthyBy[i][fillHealthy[i]++] = host;
            } else if (state[host] == DEGRADED) {
                degradedBy[i][fillDegraded[i]++] = host;
            }
        }
        for (int i = 0; i < localities; i++) {
            level.allByLocality[i] = new Source(allBy[i], table, slots[0]++, rr);
            level.healthyByLocality[i] = new Source(Arrays.copyOf(healthyBy[i], fillHealthy[i]), table, slots[0]++,
                    rr);
            level.degradedByLocality[i] = new Source(Arrays.copyOf(degradedBy[i], fillDegraded[i]), table,
                    slots[0]++, rr);
            level.localityWeights[i] = table.localityWeight(allBy[i][0]);
        }
        if (localityWeighted) {
            level.healthySchedule = schedule(level, level.healthyByLocality, level.healthy, slots);
            level.degradedSchedule = schedule(level, level.degradedByLocality, level.degraded, slots);
        }
        return level;
    }

    /**
     * Envoy's {@code LocalityWrr::rebuildLocalityScheduler}: no schedule without locality weights or
     * without eligible hosts, or when every effective weight is zero.
     */
    private LocalitySchedule schedule(Level level, Source[] eligible, Source eligibleAll, int[] slots) {
        boolean anyWeight = false;
        for (int w : level.localityWeights) {
            anyWeight |= w > 0;
        }
        if (!anyWeight || eligibleAll.hosts.length == 0) {
            return null;
        }
        double[] effective = new double[eligible.length];
        boolean anyEffective = false;
        for (int i = 0; i < eligible.length; i++) {
            effective[i] = effectiveLocalityWeight(level.localityWeights[i], eligible[i].hosts.length,
                    level.allByLocality[i].hosts.length, overprovisioningFactor);
            anyEffective |= effective[i] > 0;
        }
        return anyEffective ? new LocalitySchedule(effective, slots[0]++) : null;
    }

    /** Envoy's {@code effectiveLocalityWeight}: weight × min(1, factor/100 × eligible/total). */
    public static double effectiveLocalityWeight(int weight, int eligible, int total, int overprovisioningFactor) {
        if (total == 0) {
            return 0.0;
        }
        double ratio = 1.0 * eligible / total;
        return weight * Math.min(1.0, (overprovisioningFactor / 100.0) * ratio);
    }

    private ZoneRoute buildZoneRoute(Level level, ZoneAwareConfig z, int[] slots) {
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
        if (localLocalities < 2) {
            return null;
        }
        if (z.localHosts().getOrDefault(local, 0) == 0) {
            return null;
        }
        if (level.healthy.hosts.length < z.minClusterSize()) {
            return null;
        }
        int[] bucketLocalityIds = new int[buckets];
        Source[] healthyBuckets = new Source[buckets];
        Source[] degradedBuckets = new Source[buckets];
        for (int b = 0; b < buckets; b++) {
            int i = order.get(b);
            bucketLocalityIds[b] = level.localityIds[i];
            healthyBuckets[b] = level.healthyByLocality[i];
            degradedBuckets[b] = level.degradedByLocality[i];
        }
        // calculateLocalityPercentages, in units of 1/10000.
        long totalLocal = 0;
        for (int c : z.localHealthyHosts().values()) {
            totalLocal += c;
        }
        long totalUpstream = level.healthy.hosts.length;
        long[] localPct = new long[buckets];
        long[] upstreamPct = new long[buckets];
        for (int b = 0; b < buckets; b++) {
            int upstream = healthyBuckets[b].hosts.length;
            if (upstream == 0) {
                continue;
            }
            long localCount = z.localHealthyHosts().getOrDefault(table.locality(bucketLocalityIds[b]), 0);
            localPct[b] = totalLocal > 0 ? 10000L * localCount / totalLocal : 0;
            upstreamPct[b] = totalUpstream > 0 ? 10000L * upstream / totalUpstream : 0;
        }
        int localHostsTotal = 0;
        int localHealthyTotal = 0;
        for (Map.Entry<Locality, Integer> e : z.localHosts().entrySet()) {
            localHostsTotal += e.getValue();
            localHealthyTotal += z.localHealthyHosts().getOrDefault(e.getKey(), 0);
        }
        boolean localPanic = PriorityLoad.inPanic(localHostsTotal, localHealthyTotal, 0, panicThreshold);
        int routingEnabled = (int) Math.round(z.routingEnabledPercent());
        if (hasLocal && upstreamPct[0] > 0 && upstreamPct[0] >= localPct[0]) {
            return new ZoneRoute(bucketLocalityIds, healthyBuckets, degradedBuckets, true, 10000, new long[buckets],
                    localPanic, routingEnabled);
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
        return new ZoneRoute(bucketLocalityIds, healthyBuckets, degradedBuckets, false, localPercentToRoute, residual,
                localPanic, routingEnabled);
    }

    private HashRing buildRing(Level level, boolean panic, LbConfig config) {
        // Envoy's thread-aware balancers hash over healthy hosts, or all hosts in panic; degraded
        // hosts are not in the table (thread_aware_lb_impl.cc normalizeWeights).
        Source flat = panic ? level.all : level.healthy;
        Source[] perLocality = panic ? level.allByLocality : level.healthyByLocality;
        long localitySum = 0;
        for (int w : level.localityWeights) {
            localitySum += w;
        }
        List<Integer> ids = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        if (!localityWeighted || localitySum == 0) {
            addNormalized(flat.hosts, 1.0, ids, weights);
        } else {
            for (int i = 0; i < perLocality.length; i++) {
                if (level.localityWeights[i] != 0) {
                    addNormalized(perLocality[i].hosts, (double) level.localityWeights[i] / localitySum, ids, weights);
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

    // ---------------------------------------------------------------------------------------------
    // Pick path: no allocation, no exception.

    /** Picks a host for a request without a hash key. */
    public int pick(RandomSource random, NanoClock clock) {
        if (hashed) {
            // Without a key, Envoy's hash balancers hash a random value.
            return pickHash(random.nextLong());
        }
        if (table.size() == 0) {
            return NO_HOST;
        }
        // With one priority taking all the load (the healthy case) there is nothing to draw.
        int c = soleChoice >= 0 ? soleChoice : choice[random.nextInt(100)];
        Level level = levels[c >>> 1];
        boolean degraded = (c & 1) != 0;
        Source source;
        if (level.panic) {
            if (failTrafficOnPanic) {
                return NO_HOST;
            }
            source = level.all;
        } else {
            LocalitySchedule schedule = degraded ? level.degradedSchedule : level.healthySchedule;
            if (schedule != null) {
                int li = pickLocality(schedule);
                source = degraded ? level.degradedByLocality[li] : level.healthyByLocality[li];
            } else if (level.zone != null) {
                source = zoneSource(level, degraded, random);
                if (source == null) {
                    return NO_HOST;
                }
            } else {
                source = degraded ? level.degraded : level.healthy;
            }
        }
        return pickHost(source, random, clock);
    }

    /** Picks a host for a hash key with a consistent-hash policy; the key also chooses the priority. */
    public int pickHash(long hash) {
        if (table.size() == 0) {
            return NO_HOST;
        }
        // Envoy's hash % 100, kept exactly: the key must choose the same priority as in Envoy.
        int c = soleChoice >= 0 ? soleChoice : choice[(int) Long.remainderUnsigned(hash, 100)];
        Level level = levels[c >>> 1];
        HashRing ring = level.ring;
        return ring == null ? NO_HOST : ring.pick(hash);
    }

    private Source zoneSource(Level level, boolean degraded, RandomSource random) {
        ZoneRoute z = level.zone;
        Source whole = degraded ? level.degraded : level.healthy;
        if (z.routingEnabled < 100 && random.nextInt(100) >= z.routingEnabled) {
            return whole;
        }
        if (z.localPanic) {
            return failTrafficOnPanic ? null : whole;
        }
        int bucket;
        if (z.direct || random.nextInt(10000) < z.localPercentToRoute) {
            bucket = 0;
        } else {
            int buckets = z.residual.length;
            long total = z.residual[buckets - 1];
            if (total == 0) {
                bucket = random.nextInt(buckets);
            } else {
                // Residual capacities are in units of 1/10000, so the total fits an int.
                long threshold = random.nextInt((int) total);
                bucket = 0;
                while (threshold >= z.residual[bucket]) {
                    bucket++;
                }
            }
        }
        return degraded ? z.degradedBuckets[bucket] : z.healthyBuckets[bucket];
    }

    /**
     * The locality for the next value of the schedule's sequence, on the same golden-ratio walk over
     * cumulative (scaled) weights as weighted round robin: shares are scaled weight over their sum,
     * consecutive picks spread evenly. A schedule with one weighted locality takes no sequence value.
     */
    private int pickLocality(LocalitySchedule s) {
        if (s.only >= 0) {
            return s.only;
        }
        return s.index.find(sequences.next(s.slot) * GOLDEN_STEP);
    }

    private int pickHost(Source source, RandomSource random, NanoClock clock) {
        int[] hosts = source.hosts;
        int n = hosts.length;
        if (n == 0) {
            return NO_HOST;
        }
        if (n == 1) {
            return hosts[0];
        }
        if (roundRobin) {
            long now = slowStartPossible ? clock.nanoTime() : 0;
            boolean slowStart = slowStartPossible && slowStartActive(now);
            if (source.equalWeights && !slowStart) {
                return hosts[remainder(sequences.next(source.slot), n, source.reciprocal)];
            }
            return weightedRoundRobin(source, slowStart, now);
        }
        if (policy == LbPolicy.RANDOM) {
            return hosts[random.nextInt(n)];
        }
        long now = slowStartPossible ? clock.nanoTime() : 0;
        boolean slowStart = slowStartPossible && slowStartActive(now);
        if (source.equalWeights && !slowStart) {
            return leastOfChoices(hosts, random);
        }
        return weightedLeastRequest(source, random, slowStart, now);
    }

    /**
     * {@code Long.remainderUnsigned(value, n)} without a 64-bit division (Barrett reduction):
     * {@code reciprocal = floor((2^64 - 1) / n)} makes the quotient estimate exact or one short, so
     * one conditional subtraction finishes it.
     */
    static int remainder(long value, int n, long reciprocal) {
        long r = value - WeightedIndex.unsignedMultiplyHigh(value, reciprocal) * n;
        return (int) (r >= n ? r - n : r);
    }

    /**
     * Weighted round robin on the source's atomic sequence: value {@code s} is the point
     * {@code s × 2^64/φ mod 2^64} (a golden-ratio Weyl sequence) scaled onto the cumulative weights,
     * and the host whose stretch holds it is picked, found through the source's guide table
     * ({@link WeightedIndex}; the same host a binary search finds). Every point of the sequence is
     * equally likely over its period, so shares are weight over total weight exactly, and
     * consecutive points are spread as evenly as any sequence can be, so any run of N picks is
     * within O(log N) picks of those shares for every host. A pick takes one atomic increment (on
     * the calling thread's stripe, see {@link Sequences}) and O(1) expected steps, whatever the
     * weights.
     *
     * <p>Under slow start a visited host is kept when a second, independent sequence
     * ({@code s × 2^64(√2 − 1)}) falls below its slow-start factor, read at the time of the visit as
     * Envoy's EDF re-reads a host's weight when it puts the host back; otherwise the next value is
     * visited. Shares are then weight × factor over their sum, and a pick visits on average at most
     * 1 / (the smallest factor), 10 with Envoy's default floor.
     */
    private int weightedRoundRobin(Source source, boolean slowStart, long now) {
        int[] hosts = source.hosts;
        WeightedIndex index = source.index;
        int last = hosts[0];
        for (int visit = 0; visit < SLOW_START_VISITS; visit++) {
            long seq = sequences.next(source.slot);
            int i = index.find(seq * GOLDEN_STEP);
            last = hosts[i];
            if (!slowStart) {
                return last;
            }
            double factor = slowStartWeight(last, 1.0, now);
            if (factor >= 1.0 || ((seq * SQRT2_STEP) >>> 11) * TWO_TO_MINUS_53 < factor) {
                return last;
            }
        }
        return last;
    }

    private int leastOfChoices(int[] hosts, RandomSource random) {
        int n = hosts.length;
        int candidate = hosts[random.nextInt(n)];
        int candidateActive = activeRequests(candidate);
        for (int c = 1; c < choiceCount; c++) {
            int sampled = hosts[random.nextInt(n)];
            int sampledActive = activeRequests(sampled);
            if (sampledActive < candidateActive) {
                candidate = sampled;
                candidateActive = sampledActive;
            }
        }
        return candidate;
    }

    /**
     * Envoy's weighted least request puts hosts on an EDF schedule with weight
     * {@code weight / (active + 1)^bias}, read when the host is scheduled. Here a host is drawn
     * uniformly and kept with probability {@code dynamicWeight / maxWeight} (rejection sampling),
     * which gives the same long-run shares for the same weights without a shared schedule.
     */
    private int weightedLeastRequest(Source source, RandomSource random, boolean slowStart, long now) {
        int[] hosts = source.hosts;
        int n = hosts.length;
        double max = source.maxWeight;
        int best = hosts[0];
        double bestWeight = -1;
        for (int t = 0; t < LEAST_REQUEST_TRIES; t++) {
            int i = random.nextInt(n);
            int host = hosts[i];
            double w = slowStart ? slowStartWeight(host, source.weights[i], now) : source.weights[i];
            if (activeRequestBias != 0.0) {
                double a = activeRequests(host) + 1.0;
                w = activeRequestBias == 1.0 ? w / a : w / Math.pow(a, activeRequestBias);
            }
            if (random.nextDouble() * max < w) {
                return host;
            }
            if (w > bestWeight) {
                best = host;
                bestWeight = w;
            }
        }
        return best;
    }

    private boolean slowStartActive(long now) {
        if (slowStartWindowMillis == 0 || latestSlowStart == ESTABLISHED) {
            return false;
        }
        return (now - latestSlowStart) / NANOS_PER_MILLI <= slowStartWindowMillis;
    }

    /** Envoy's {@code applySlowStartFactor}, in milliseconds as Envoy counts them. */
    double slowStartWeight(int host, double weight, long now) {
        long since = slowStartSince[host];
        if (state[host] != HEALTHY || since == ESTABLISHED || since == NOT_YET_HEALTHY) {
            return weight;
        }
        long elapsedMillis = (now - since) / NANOS_PER_MILLI;
        if (elapsedMillis >= slowStartWindowMillis) {
            return weight;
        }
        double timeFactor = (double) Math.max(1L, elapsedMillis) / slowStartWindowMillis;
        double ramp = aggression == 1.0 || timeFactor == 1.0 ? timeFactor : Math.pow(timeFactor, 1.0 / aggression);
        return weight * Math.max(ramp, minWeightFraction);
    }

    /** The number of requests in flight to a host, never negative. */
    public int activeRequests(int host) {
        return active.get(host);
    }

    // ---------------------------------------------------------------------------------------------
    // Cold-path accessors.

    public EndpointTable table() {
        return table;
    }

    /** The endpoint with this host id; hot path, no bounds beyond the array's own. */
    public Endpoint endpoint(int host) {
        return endpoints[host];
    }

    public boolean ejected(int host) {
        return ejected[host];
    }

    public ActiveRequests activeCounts() {
        return active;
    }

    public long slowStartSince(int host) {
        return slowStartSince[host];
    }

    public LbPolicy policy() {
        return policy;
    }

    public PriorityLoad load() {
        return load;
    }

    /** Whether slow start weights apply at this time. */
    boolean slowStartActiveAt(long now) {
        return slowStartActive(now);
    }

    /** How far a source's sequence has advanced: one per host visited by round robin; for tests. */
    long sequenceValue(Source source) {
        return sequences.peek(source.slot);
    }

    boolean slowStartConfigured() {
        return slowStartWindowMillis > 0;
    }
}
