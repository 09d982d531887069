package dev.meridian.lb.internal;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.NanoClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;

/**
 * The pick path for one endpoint table and one set of ejections: final fields and arrays that
 * {@link SnapshotBuilder} filled on the cold path, read by {@link #pick} and {@link #pickHash}.
 * Nothing here derives anything: the choice of priority is a table of 100 entries, the decision
 * between panic, locality weights and zone-aware routing is a {@link Route} per choice, and when
 * the healthy case leaves nothing to choose (one priority takes all the load and it ends in one
 * host set) a pick goes straight to that set.
 *
 * <p>Thread-safe once published with a happens-before edge (a volatile write, as
 * {@code LoadBalancer} does), since one field is not final. Immutable apart from its round-robin
 * sequences ({@link Sequences}), the shared active-request counts, and that field: a flag that the
 * first pick to see the slow-start window over clears for good. {@link #pick}, {@link #pickEndpoint}
 * and {@link #pickHash} never throw and never allocate.
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

    /** Tries of the weighted least-request rejection sampler before its exact pass over the source. */
    private static final int LEAST_REQUEST_TRIES = 16;
    /**
     * Visits of weighted round robin under slow start before it keeps the last host visited. With
     * every host at the 10% floor a pick is still accepted 1 time in 10, so this is reached only
     * when nearly all of a source's weight sits far below 10% (minWeightPercent under 10).
     */
    private static final int SLOW_START_VISITS = 256;
    /** 2^64 × (√2 − 1): the step of the sequence that accepts a slow-start host, independent of the first. */
    private static final long SQRT2_STEP = 0x6A09E667F3BCC908L;
    private static final double TWO_TO_MINUS_53 = 0x1.0p-53;

    /** {@link #fastMode}: no shortcut; a pick goes through {@link #pickRouted}. */
    private static final int FAST_NONE = 0;
    /** {@link #fastMode}: round robin's plain rotation over {@link #fastHosts}. */
    private static final int FAST_ROTATE = 1;
    /** {@link #fastMode}: round robin's weighted walk, {@link #fastHosts} holding the host at each point. */
    private static final int FAST_POINTS = 2;

    // Hot: read by every pick.

    /**
     * Whether and how a round-robin pick without a key reaches its host from these fields alone:
     * when one priority takes all the load and its route is one host set of two or more hosts
     * whose round robin needs no search (equal weights, or weights small enough for a point
     * table). The same host {@link HostSource#roundRobin} would take, without reading the source.
     */
    private final int fastMode;
    /** {@link #FAST_ROTATE}: the host set's hosts; {@link #FAST_POINTS}: the host at each point. */
    private final int[] fastHosts;
    /** The endpoints of {@link #fastHosts}, entry for entry. */
    private final Endpoint[] fastEndpoints;
    /** {@link #FAST_ROTATE}: the number of hosts; {@link #FAST_POINTS}: the number of points. */
    private final long fastModulus;
    /** {@link #FAST_ROTATE}: {@code floor((2^64 - 1) / fastModulus)}. */
    private final long fastReciprocal;
    /** The host set's counter's offset from the start of a stripe of {@link #sequenceValues}. */
    private final int fastSequence;
    /** {@link Sequences#values} of {@link #sequences}, held here to save a load per pick. */
    private final long[] sequenceValues;
    /** {@link Sequences#widthShift} of {@link #sequences}. */
    private final int sequenceShift;
    /**
     * Whether a host may still be in slow start: a pick reads the clock only while this is true.
     * Cleared, with a plain write, by the first pick that reads a clock at or after
     * {@link SlowStart#endsAt}; a pick that races with that write reads the clock once more and
     * finds the same. Assumes the clock does not go back.
     */
    private boolean slowStartPending;
    /** The table's endpoints by host id, held here so a pick reaches its endpoint in one load. */
    private final Endpoint[] endpoints;

    // Warm: read by picks that draw a priority, follow a route or use another policy.

    /**
     * The host set every pick without a key ends in, when nothing is left to draw: one priority
     * takes all the load, it is not hashed and its route is one source. Null otherwise.
     */
    private final HostSource direct;
    private final boolean roundRobin;
    private final Sequences sequences;
    private final boolean hashed;
    private final boolean randomPolicy;
    /** For each {@code random mod 100} or {@code hash mod 100}: {@code priority << 1 | 1 when degraded}. */
    private final int[] choice;
    /** The entry of every {@link #choice} when one (priority, degraded) takes all the load, else -1. */
    private final int soleChoice;
    /** By choice: what a pick does after choosing a priority. */
    private final Route[] routes;
    /** By priority: the consistent-hash tables; null entries unless the policy hashes. */
    private final HashRing[] rings;
    final SlowStart slowStart;
    private final ActiveRequests active;
    private final int choiceCount;
    private final double activeRequestBias;
    private final boolean failTrafficOnPanic;
    /**
     * The choice a diverted pick follows ({@code priority << 1}, healthy): the first priority after
     * 0 with healthy hosts and not in panic, when spill-over is configured; -1 otherwise, and then
     * no pick is diverted whatever fraction it is given.
     */
    private final int spillChoice;

    // Cold: what the planner and the owner read.

    final EndpointTable table;
    final boolean[] ejected;
    final long[] slowStartSince;
    final PriorityLoad load;
    final PriorityLevel[] levels;
    final LbPolicy policy;
    final int panicThreshold;
    final int overprovisioningFactor;
    /** The configuration built from; for the planner. */
    final LbConfig config;
    /** With spill-over configured, priority 0's hosts that take traffic; else empty. */
    final int[] spillHosts;
    /** Requests in flight {@link #spillHosts} serve at utilization 1; 0 without spill-over. */
    final double spillCapacity;

    Snapshot(SnapshotBuilder b) {
        LbConfig config = b.config;
        this.config = config;
        this.table = b.table;
        this.endpoints = new Endpoint[table.size()];
        for (int h = 0; h < endpoints.length; h++) {
            endpoints[h] = table.endpoint(h);
        }
        this.ejected = b.ejected;
        this.active = b.active;
        this.slowStartSince = b.slowStartSince;
        this.slowStart = b.slowStart;
        this.slowStartPending = b.slowStart.pending;
        this.policy = b.policy;
        this.panicThreshold = b.panicThreshold;
        this.overprovisioningFactor = b.overprovisioningFactor;
        this.failTrafficOnPanic = config.failTrafficOnPanic();
        this.choiceCount = config.leastRequestChoiceCount();
        this.activeRequestBias = config.activeRequestBias();
        this.hashed = policy == LbPolicy.RING_HASH || policy == LbPolicy.MAGLEV;
        this.roundRobin = policy == LbPolicy.ROUND_ROBIN;
        this.randomPolicy = policy == LbPolicy.RANDOM;
        this.load = b.load;
        this.choice = b.choice;
        this.soleChoice = b.soleChoice;
        this.levels = b.levels;
        this.routes = b.routes;
        this.spillChoice = b.spillChoice;
        this.spillHosts = b.spillHosts;
        this.spillCapacity = b.spillCapacity;
        this.rings = new HashRing[levels.length];
        for (int p = 0; p < levels.length; p++) {
            rings[p] = levels[p].ring;
        }
        Route sole = soleChoice >= 0 ? routes[soleChoice] : null;
        this.direct = !hashed && endpoints.length > 0 && sole != null && sole.kind == Route.ONE_SOURCE
                ? sole.source : null;
        this.sequences = new Sequences(b.sequenceCount, b.sequenceStart);
        this.sequenceValues = sequences.values;
        this.sequenceShift = sequences.widthShift;
        int mode = FAST_NONE;
        if (roundRobin && direct != null && direct.hosts.length > 1) {
            mode = direct.equalWeights ? FAST_ROTATE : direct.hostAtPoint != null ? FAST_POINTS : FAST_NONE;
        }
        this.fastMode = mode;
        this.fastHosts = mode == FAST_ROTATE ? direct.hosts : mode == FAST_POINTS ? direct.hostAtPoint : null;
        this.fastModulus = mode == FAST_ROTATE ? direct.hosts.length : mode == FAST_POINTS ? direct.total : 0;
        this.fastReciprocal = mode == FAST_ROTATE ? direct.reciprocal : 0;
        this.fastSequence = mode == FAST_NONE ? 0 : Sequences.offset(direct.slot);
        if (fastHosts == null) {
            this.fastEndpoints = null;
        } else {
            this.fastEndpoints = new Endpoint[fastHosts.length];
            for (int i = 0; i < fastHosts.length; i++) {
                fastEndpoints[i] = endpoints[fastHosts[i]];
            }
        }
    }

    /**
     * Builds a snapshot: all derived state at once, on the calling thread. Cold path; allocates.
     *
     * @param ejected per host id, true when ejected by outlier detection (length {@code table.size()})
     * @param active the active-request counters by host id
     * @param slowStartSince per host id, when its slow start began, {@link #ESTABLISHED} or
     *     {@link #NOT_YET_HEALTHY}; hosts not yet healthy that are healthy now start at {@code now}
     * @param random draws where the round-robin sequences start
     * @param now the clock reading the snapshot is built at; when no host is in slow start at
     *     {@code now}, the snapshot's picks never read the clock
     */
    public static Snapshot build(LbConfig config, EndpointTable table, boolean[] ejected, ActiveRequests active,
                                 long[] slowStartSince, RandomSource random, long now) {
        return SnapshotBuilder.build(config, table, ejected, active, slowStartSince, random, now);
    }

    // ---------------------------------------------------------------------------------------------
    // Pick path: no allocation, no exception.

    /** Picks a host for a request without a hash key: its id, or {@link #NO_HOST}. */
    public int pick(RandomSource random, NanoClock clock) {
        int mode = fastMode;
        if (mode != FAST_NONE && !slowStartPending) {
            return fastHosts[fastIndex(mode)];
        }
        return pickSlow(random, clock);
    }

    /**
     * Picks a host for a request without a hash key with capacity-aware spill-over: a pick whose
     * priority choice lands in priority 0 goes, with probability {@code spill}, to the spill target
     * priority instead (its route, as a pick that chose it would follow), and stays when that finds
     * no host. With {@code spill} 0, or no target, this is {@link #pick(RandomSource, NanoClock)},
     * draw for draw.
     *
     * @param spill the share of priority 0's picks to divert, 0 to 1
     */
    public int pick(RandomSource random, NanoClock clock, double spill) {
        if (spill > 0.0 && spillChoice >= 0) {
            return pickSpilling(random, clock, spill);
        }
        return pick(random, clock);
    }

    /** A pick while spill-over diverts a share of priority 0's picks. */
    private int pickSpilling(RandomSource random, NanoClock clock, double spill) {
        if (hashed) {
            return pickHash(random.nextLong(), spill);
        }
        if (endpoints.length == 0) {
            return NO_HOST;
        }
        return followSpilling(soleChoice >= 0 ? soleChoice : choice[random.nextInt(100)], random, clock, spill);
    }

    /**
     * Follows the route of {@code c}, except that a choice in priority 0 goes, with probability
     * {@code spill}, to the spill target's route first, and stays when that finds no host.
     */
    private int followSpilling(int c, RandomSource random, NanoClock clock, double spill) {
        if (c >>> 1 == 0 && random.nextDouble() < spill) {
            int host = follow(routes[spillChoice], random, clock);
            if (host != NO_HOST) {
                return host;
            }
        }
        return follow(routes[c], random, clock);
    }

    /**
     * Picks an endpoint for a request without a hash key, as {@code endpoint(pick(random, clock))}
     * but null for {@link #NO_HOST}; the round-robin shortcut reads the endpoint straight from its
     * own table.
     */
    public Endpoint pickEndpoint(RandomSource random, NanoClock clock) {
        int mode = fastMode;
        if (mode != FAST_NONE && !slowStartPending) {
            return fastEndpoints[fastIndex(mode)];
        }
        int host = pickSlow(random, clock);
        return host < 0 ? null : endpoints[host];
    }

    /**
     * The round-robin shortcut: the entry of {@link #fastHosts} for the next value of the host
     * set's sequence, exactly the host {@link HostSource#roundRobin} takes for it.
     */
    private int fastIndex(int mode) {
        int stripe = Sequences.base(Sequences.stripe(), sequenceShift);
        long seq = Sequences.take(sequenceValues, stripe, stripe + fastSequence);
        return mode == FAST_ROTATE ? HostSource.remainder(seq, (int) fastModulus, fastReciprocal)
                : (int) WeightedIndex.unsignedMultiplyHigh(seq * HostSource.GOLDEN_STEP, fastModulus);
    }

    private int pickSlow(RandomSource random, NanoClock clock) {
        HostSource source = direct;
        if (source != null) {
            return pickHost(source, random, clock);
        }
        return pickRouted(random, clock);
    }

    /** A pick that draws a priority, follows a route other than one source, or hashes. */
    private int pickRouted(RandomSource random, NanoClock clock) {
        if (hashed) {
            // Without a key, Envoy's hash balancers hash a random value.
            return pickHash(random.nextLong());
        }
        if (endpoints.length == 0) {
            return NO_HOST;
        }
        // With one priority taking all the load (the healthy case) there is nothing to draw.
        int c = soleChoice >= 0 ? soleChoice : choice[random.nextInt(100)];
        return follow(routes[c], random, clock);
    }

    /** What a pick does once it has chosen a (priority, healthy or degraded): the route's host set, then a host. */
    private int follow(Route route, RandomSource random, NanoClock clock) {
        HostSource source;
        switch (route.kind) {
            case Route.ONE_SOURCE:
                source = route.source;
                break;
            case Route.LOCALITY:
                // The locality walk: the same golden-ratio sequence over cumulative (scaled) weights
                // as weighted round robin, so consecutive picks spread evenly over localities.
                source = route.buckets[route.localityIndex.find(
                        sequences.next(route.localitySlot) * HostSource.GOLDEN_STEP)];
                break;
            case Route.ZONE:
                source = zoneSource(route, random);
                break;
            default:
                return NO_HOST;
        }
        return source == null ? NO_HOST : pickHost(source, random, clock);
    }

    /**
     * Picks a host for a retry with some priorities excluded, the way Envoy's
     * {@code previous_priorities} retry plugin has the load balancer pick
     * ({@code source/extensions/retry/priority/previous_priorities/previous_priorities.cc},
     * {@code adjustForAttemptedPriorities} and {@code adjustedAvailability}): each excluded
     * priority's healthy and degraded availability counts as 0, the rest is normalized to at most
     * 100 and distributed as {@code distributeLoad} does (integer shares in priority order, healthy
     * before degraded, the rounding left over handed out again from the first priority), and
     * {@code choosePriority} draws from that load; the route of the chosen priority (its panic,
     * locality weights or zone-aware routing) is the normal pick's. When nothing outside the
     * excluded priorities is available, Envoy clears them and distributes over every priority; when
     * nothing is available at all, it keeps the original load, which is {@link #pick}.
     *
     * <p>Envoy's hash balancers (ring hash, Maglev) choose the priority from their own load and never
     * consult the retry plugin ({@code ThreadAwareLoadBalancerBase::LoadBalancerImpl::chooseHost}),
     * so with those this is {@link #pick}. Priorities from 64 on cannot be excluded. Never throws,
     * never allocates; costs O(priorities²) integer steps over {@link #pick}.
     *
     * @param excludedPriorities bit {@code p} set for each priority {@code p} to exclude; 0 is {@link #pick}
     */
    public int pickExcluding(long excludedPriorities, RandomSource random, NanoClock clock) {
        return pickExcluding(excludedPriorities, random, clock, 0.0);
    }

    /**
     * {@link #pickExcluding(long, RandomSource, NanoClock)} with capacity-aware spill-over: a pick
     * whose priority choice lands in priority 0 goes, with probability {@code spill}, to the spill
     * target priority unless that priority is excluded. With {@code spill} 0 it is that method,
     * draw for draw.
     *
     * @param spill the share of priority 0's picks to divert, 0 to 1
     */
    public int pickExcluding(long excludedPriorities, RandomSource random, NanoClock clock, double spill) {
        if (excludedPriorities == 0 || hashed || endpoints.length == 0) {
            return pick(random, clock, spill);
        }
        long excluded = excludedPriorities;
        int total = availabilityOutside(excluded);
        if (total == 0) {
            excluded = 0;
            total = availabilityOutside(0);
            if (total == 0) {
                return pick(random, clock, spill);
            }
        }
        boolean spilling = spill > 0.0 && spillChoice >= 0 && !isExcluded(excluded, spillChoice >>> 1);
        // choosePriority: the first (priority, healthy or degraded) whose cumulative load exceeds the draw.
        int draw = random.nextInt(100);
        int cumulative = 0;
        int priorities = load.priorities();
        for (int c = 0; c < 2 * priorities; c++) {
            int choice = c < priorities ? c << 1 : (c - priorities) << 1 | 1;
            cumulative += adjustedLoad(excluded, total, choice);
            if (draw < cumulative) {
                return spilling ? followSpilling(choice, random, clock, spill) : follow(routes[choice], random, clock);
            }
        }
        // The adjusted loads always sum to 100; kept for the compiler, as Envoy keeps its fallback.
        return follow(routes[0], random, clock);
    }

    /** Envoy's {@code adjustedAvailability}: healthy plus degraded availability outside the excluded priorities, at most 100. */
    private int availabilityOutside(long excluded) {
        int total = 0;
        for (int p = 0; p < load.priorities(); p++) {
            if (!isExcluded(excluded, p)) {
                total += load.healthyAvailability(p) + load.degradedAvailability(p);
            }
        }
        return Math.min(total, 100);
    }

    private static boolean isExcluded(long excluded, int priority) {
        return priority < 64 && (excluded & (1L << priority)) != 0;
    }

    /**
     * The share of one (priority, healthy or degraded) in the load that {@code adjustForAttemptedPriorities}
     * distributes: its loop replayed in full, keeping only that entry's sum, so no array is needed.
     * Every pass gives at least 1 to the first available entry, so the loop ends.
     */
    private int adjustedLoad(long excluded, int total, int choice) {
        int priorities = load.priorities();
        int remaining = 100;
        int share = 0;
        while (remaining != 0) {
            for (int p = 0; p < priorities; p++) {
                int availability = isExcluded(excluded, p) ? 0 : load.healthyAvailability(p);
                int delta = Math.min(remaining, availability * 100 / total);
                if (choice == p << 1) {
                    share += delta;
                }
                remaining -= delta;
            }
            for (int p = 0; p < priorities; p++) {
                int availability = isExcluded(excluded, p) ? 0 : load.degradedAvailability(p);
                int delta = Math.min(remaining, availability * 100 / total);
                if (choice == (p << 1 | 1)) {
                    share += delta;
                }
                remaining -= delta;
            }
        }
        return share;
    }

    /**
     * Picks a host for a request with a hash key: the hash policies choose the priority and the
     * host from the key, as Envoy's thread-aware balancers do; the other policies ignore it.
     */
    public int pick(long hashKey, RandomSource random, NanoClock clock) {
        return hashed ? pickHash(hashKey) : pick(random, clock);
    }

    /**
     * {@link #pick(long, RandomSource, NanoClock)} with capacity-aware spill-over; the hash policies
     * divert by the key (see {@link #pickHash(long, double)}), the others as
     * {@link #pick(RandomSource, NanoClock, double)}.
     */
    public int pick(long hashKey, RandomSource random, NanoClock clock, double spill) {
        return hashed ? pickHash(hashKey, spill) : pick(random, clock, spill);
    }

    /**
     * {@link #pickHash(long)} with capacity-aware spill-over: a key whose priority choice lands in
     * priority 0 goes to the spill target priority's table when a second value drawn from the key
     * (a 64-bit finalizer of it, independent of {@code hash mod 100} and of the table position)
     * falls below {@code spill}. A key therefore stays where it is while the fraction holds, and as
     * the fraction grows only keys that were kept move, so each key keeps one host per fraction.
     */
    public int pickHash(long hash, double spill) {
        if (spill > 0.0 && spillChoice >= 0 && endpoints.length > 0) {
            int c = soleChoice >= 0 ? soleChoice : choice[(int) Long.remainderUnsigned(hash, 100)];
            if (c >>> 1 == 0 && keyUnit(hash) < spill) {
                HashRing ring = rings[spillChoice >>> 1];
                int host = ring == null ? NO_HOST : ring.pick(hash);
                if (host != NO_HOST) {
                    return host;
                }
            }
        }
        return pickHash(hash);
    }

    /** A value in [0, 1) from a hash key: MurmurHash3's 64-bit finalizer, top 53 bits. */
    private static double keyUnit(long hash) {
        long h = hash;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (h >>> 11) * TWO_TO_MINUS_53;
    }

    /** Picks a host for a hash key with a consistent-hash policy; the key also chooses the priority. */
    public int pickHash(long hash) {
        if (endpoints.length == 0) {
            return NO_HOST;
        }
        // Envoy's hash % 100, kept exactly: the key must choose the same priority as in Envoy.
        int c = soleChoice >= 0 ? soleChoice : choice[(int) Long.remainderUnsigned(hash, 100)];
        HashRing ring = rings[c >>> 1];
        return ring == null ? NO_HOST : ring.pick(hash);
    }

    /** Envoy's {@code tryChooseLocalLocalityHosts}, with its draws in its order. */
    private HostSource zoneSource(Route route, RandomSource random) {
        Route.ZoneRoute z = route.zone;
        if (z.routingEnabled < 100 && random.nextInt(100) >= z.routingEnabled) {
            return route.source;
        }
        if (z.localPanic) {
            return failTrafficOnPanic ? null : route.source;
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
        return route.buckets[bucket];
    }

    private int pickHost(HostSource source, RandomSource random, NanoClock clock) {
        int[] hosts = source.hosts;
        int n = hosts.length;
        if (n <= 1) {
            return n == 0 ? NO_HOST : hosts[0];
        }
        if (roundRobin) {
            if (slowStartPending) {
                long now = clock.nanoTime();
                if (slowStartAt(now)) {
                    return slowStartRoundRobin(source, now);
                }
            }
            return source.roundRobin(sequences.next(source.slot));
        }
        if (randomPolicy) {
            return hosts[random.nextInt(n)];
        }
        long now = 0;
        boolean ramping = false;
        if (slowStartPending) {
            now = clock.nanoTime();
            ramping = slowStartAt(now);
        }
        if (source.equalWeights && !ramping) {
            return leastOfChoices(hosts, random);
        }
        return weightedLeastRequest(source, random, ramping, now);
    }

    /** Whether some host ramps at {@code now}; clears {@link #slowStartPending} for good when none does. */
    private boolean slowStartAt(long now) {
        if (slowStart.activeAt(now)) {
            return true;
        }
        slowStartPending = false;
        return false;
    }

    /**
     * Weighted round robin while slow start is in force, on the source's sequence (see
     * {@link HostSource#walk}): a visited host is kept when a second, independent sequence
     * ({@code s × 2^64(√2 − 1)}) falls below its slow-start factor, read at the time of the visit as
     * Envoy's EDF re-reads a host's weight when it puts the host back; otherwise the next value is
     * visited. Shares are then weight × factor over their sum, and a pick visits on average at most
     * 1 / (the smallest factor), 10 with Envoy's default floor.
     */
    private int slowStartRoundRobin(HostSource source, long now) {
        int last = source.hosts[0];
        for (int visit = 0; visit < SLOW_START_VISITS; visit++) {
            long seq = sequences.next(source.slot);
            last = source.walk(seq);
            double factor = slowStart.weight(last, 1.0, now);
            if (factor >= 1.0 || ((seq * SQRT2_STEP) >>> 11) * TWO_TO_MINUS_53 < factor) {
                return last;
            }
        }
        return last;
    }

    private int leastOfChoices(int[] hosts, RandomSource random) {
        int n = hosts.length;
        int candidate = hosts[random.nextInt(n)];
        int candidateActive = active.get(candidate);
        for (int c = 1; c < choiceCount; c++) {
            int sampled = hosts[random.nextInt(n)];
            int sampledActive = active.get(sampled);
            if (sampledActive < candidateActive) {
                candidate = sampled;
                candidateActive = sampledActive;
            }
        }
        return candidate;
    }

    /**
     * Envoy's weighted least request ({@code LeastRequestLoadBalancer::hostWeight} in
     * {@code source/extensions/load_balancing_policies/least_request/least_request_lb.cc}, on the
     * EDF schedule of {@code source/common/upstream/edf_scheduler.h}): host {@code i} has the dynamic
     * weight {@code d_i = w_i × s_i / (a_i + 1)^bias} ({@code w} its weight, {@code s} its slow-start
     * factor, {@code a} its requests in flight, {@code bias} {@code active_request_bias}), read when
     * the host is put back on the schedule, so with steady counts host {@code i} gets
     * {@code d_i / Σ d} of the picks. This draws from exactly that distribution, with no shared
     * schedule, no lock and no allocation:
     * <ol>
     *   <li>read every counter of the source once for the smallest count {@code m} (a plain pass of
     *       loads that stops at a 0; skipped when {@code bias} is 0);
     *   <li>draw a host uniformly and keep it with probability
     *       {@code (w_i / maxWeight) × s_i × ((m + 1) / (a_i + 1))^bias}, at most 1: rejection
     *       sampling against the envelope {@code maxWeight / (m + 1)^bias}, the largest dynamic
     *       weight the source can have at these counts, so kept draws follow {@code d_i} exactly
     *       whatever the load (the old envelope, the static maximum weight, accepted a draw about one
     *       time in {@code a + 1} and ended in a biased fallback);
     *   <li>after {@value #LEAST_REQUEST_TRIES} rejections, one exact pass (weighted reservoir
     *       sampling: each host replaces the choice with probability {@code d_i} over the running
     *       sum). Stopping after {@code K} tries and then drawing exactly is still exact:
     *       {@code P(i) = q_i/Q × (1 − (1 − Q)^K) + (1 − Q)^K × q_i/Q = q_i/Q}.
     * </ol>
     * The host at the smallest count is kept with probability {@code w_i s_i / maxWeight}, so a try
     * succeeds at least that often; with equal counts a pick takes {@code n × maxWeight / Σ w} tries
     * on average (1.33 for weights 1 and 2). Counters move while a pick reads them: a pick follows
     * the counts it read, as Envoy's schedule follows the weights it last read, and a count that
     * fell below {@code m} in between only caps that host's chance at 1.
     */
    private int weightedLeastRequest(HostSource source, RandomSource random, boolean ramping, long now) {
        int[] hosts = source.hosts;
        int n = hosts.length;
        double bias = activeRequestBias;
        int least = 0;
        if (bias != 0.0) {
            least = Integer.MAX_VALUE;
            for (int i = 0; i < n && least > 0; i++) {
                least = Math.min(least, active.get(hosts[i]));
            }
        }
        double maxWeight = source.maxWeight;
        double leastPlusOne = least + 1.0;
        for (int t = 0; t < LEAST_REQUEST_TRIES; t++) {
            int i = random.nextInt(n);
            int host = hosts[i];
            double keep = source.weights[i] / maxWeight;
            if (ramping) {
                keep = slowStart.weight(host, keep, now);
            }
            if (bias != 0.0) {
                double ratio = leastPlusOne / (active.get(host) + 1.0);
                keep *= bias == 1.0 ? ratio : Math.pow(ratio, bias);
            }
            if (keep >= 1.0 || random.nextDouble() < keep) {
                return host;
            }
        }
        int chosen = hosts[0];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            int host = hosts[i];
            double d = ramping ? slowStart.weight(host, source.weights[i], now) : source.weights[i];
            if (bias != 0.0) {
                double a = active.get(host) + 1.0;
                d = bias == 1.0 ? d / a : d / Math.pow(a, bias);
            }
            sum += d;
            if (d > 0 && random.nextDouble() * sum < d) {
                chosen = host;
            }
        }
        return chosen;
    }

    /** The number of requests in flight to a host, never negative. */
    public int activeRequests(int host) {
        return active.get(host);
    }

    /** The endpoint with this host id; hot path, no bounds beyond the array's own. */
    public Endpoint endpoint(int host) {
        return endpoints[host];
    }

    // ---------------------------------------------------------------------------------------------
    // Cold-path accessors.

    public EndpointTable table() {
        return table;
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

    /** The priority diverted picks go to, or -1 when spill-over is off or has no target. */
    public int spillTargetPriority() {
        return spillChoice < 0 ? -1 : spillChoice >>> 1;
    }

    /** Requests in flight priority 0's available hosts serve at utilization 1; 0 without spill-over. */
    public double spillCapacity() {
        return spillCapacity;
    }

    /** Requests in flight now on priority 0's available hosts; 0 without spill-over. Reads each counter once. */
    public long spillInFlight() {
        long sum = 0;
        for (int h : spillHosts) {
            sum += active.get(h);
        }
        return sum;
    }

    /**
     * The clock reading from which no host of this snapshot is in slow start any more, or
     * {@link Long#MIN_VALUE} when none was at the build time. An owner that rebuilds at this
     * reading gets a snapshot whose picks never read the clock; this snapshot stops reading it at
     * its first pick at or after this reading.
     */
    public long slowStartEndsAtNanos() {
        return slowStart.pending ? slowStart.endsAt : Long.MIN_VALUE;
    }

    /** Whether slow-start weights apply at this time. */
    boolean slowStartActiveAt(long now) {
        return slowStart.activeAt(now);
    }

    /** Whether a pick would still read the clock for slow start; for tests. */
    boolean slowStartPending() {
        return slowStartPending;
    }

    /** How far a source's sequence has advanced: one per host visited by round robin; for tests. */
    long sequenceValue(HostSource source) {
        return sequences.peek(source.slot);
    }

    /** By choice ({@code priority << 1 | 1 when degraded}): the routes; for the planner. */
    Route[] routes() {
        return routes;
    }

    /** The levels as built, by priority; for the planner and tests. */
    PriorityLevel[] levels() {
        return levels;
    }
}
