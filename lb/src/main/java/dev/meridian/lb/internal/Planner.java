package dev.meridian.lb.internal;

import dev.meridian.core.EndpointTable;
import dev.meridian.lb.HostPlan;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.LoadPlan;
import dev.meridian.lb.LocalityPlan;
import dev.meridian.lb.PriorityPlan;
import dev.meridian.lb.SpillConfig;
import dev.meridian.lb.SpillPlan;
import dev.meridian.lb.SpillState;
import dev.meridian.lb.ZoneAwareConfig;
import dev.meridian.lb.ZoneAwarePlan;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a {@link Snapshot} into a {@link LoadPlan}: the expected share of requests for every
 * priority, locality and host. It derives no decision of its own: the chance of each (priority,
 * healthy or degraded) choice is the snapshot's priority load, the chance of each host set after
 * that is the {@link Route#planShares} the builder worked out along with the route the pick path
 * follows, and within a host set shares follow the policy's weights. Cold path; stateless and
 * thread-safe.
 */
public final class Planner {
    private Planner() {
    }

    /**
     * Plans a snapshot at a point in time (slow-start weights depend on it).
     *
     * <p>Host shares are given for round robin and random. For least request the locality shares
     * assume no requests in flight; for the hash policies they assume uniformly distributed keys.
     */
    public static LoadPlan plan(Snapshot s, long now) {
        return plan(s, now, null);
    }

    /**
     * Plans a snapshot with the spill-over state its picks are given: the share of priority 0's
     * picks that the state diverts goes to the snapshot's spill target, along that priority's route;
     * priority loads stay Envoy's. Without spill-over configured the state is ignored.
     *
     * @param spill the latest spill-over evaluation, or null for the state at rest
     */
    public static LoadPlan plan(Snapshot s, long now, SpillState spill) {
        EndpointTable table = s.table;
        double[] mass = new double[table.size()];
        boolean slowStart = s.slowStartActiveAt(now);
        PriorityLoad load = s.load;
        boolean hash = s.policy == LbPolicy.RING_HASH || s.policy == LbPolicy.MAGLEV;
        Route[] routes = s.routes();
        SpillConfig spillConfig = s.config.spill();
        int target = s.spillTargetPriority();
        SpillPlan spillPlan = null;
        double diverted = 0;
        if (spillConfig != null) {
            SpillState state = spill != null ? spill : SpillState.atRest(s.spillCapacity, target, now);
            spillPlan = new SpillPlan(spillConfig, state);
            diverted = target < 0 ? 0 : state.fraction();
        }
        for (PriorityLevel level : s.levels) {
            int p = level.priority;
            double kept = p == 0 ? 1 - diverted : 1;
            if (hash) {
                double chance = (load.healthyLoad(p) + load.degradedLoad(p)) / 100.0;
                ring(level, chance * kept, mass);
                if (p == 0 && diverted > 0) {
                    ring(s.levels[target], chance * diverted, mass);
                }
                continue;
            }
            follow(s, routes[p << 1], load.healthyLoad(p) / 100.0 * kept, mass, slowStart, now);
            follow(s, routes[p << 1 | 1], load.degradedLoad(p) / 100.0 * kept, mass, slowStart, now);
            if (p == 0 && diverted > 0) {
                follow(s, routes[target << 1], (load.healthyLoad(0) + load.degradedLoad(0)) / 100.0 * diverted, mass,
                        slowStart, now);
            }
        }
        boolean closedForm = s.policy == LbPolicy.ROUND_ROBIN || s.policy == LbPolicy.RANDOM;
        List<PriorityPlan> priorities = new ArrayList<>();
        for (PriorityLevel level : s.levels) {
            int p = level.priority;
            boolean[] excluded = new boolean[table.size()];
            for (int h : level.excludedHosts) {
                excluded[h] = true;
            }
            List<LocalityPlan> localities = new ArrayList<>();
            for (int li = 0; li < level.localityIds.length; li++) {
                int lid = level.localityIds[li];
                List<HostPlan> hosts = new ArrayList<>();
                double share = 0;
                for (int h : level.allByLocality[li].hosts) {
                    share += mass[h] * 100;
                    hosts.add(new HostPlan(h, closedForm ? mass[h] * 100 : null, s.ejected[h], excluded[h]));
                }
                localities.add(new LocalityPlan(lid, table.locality(lid), level.localityWeights[li],
                        level.effectiveWeights[li], share, hosts));
            }
            priorities.add(new PriorityPlan(p, level.all.hosts.length, level.excludedHosts.length,
                    level.healthy.hosts.length, level.degraded.hosts.length, load.healthyLoad(p), load.degradedLoad(p),
                    level.panic, localities));
        }
        return new LoadPlan(s.policy, s.overprovisioningFactor, s.panicThreshold, priorities,
                s.config.envoyRelease(), s.config.excludesDraining(), s.config.weightedPriorityHealth(),
                s.config.activeRequestBias(), zonePlan(s), spillPlan);
    }

    /** Spreads a chance over a hashed level's table by the share of it each host holds. */
    private static void ring(PriorityLevel level, double chance, double[] mass) {
        if (chance > 0 && level.ring != null) {
            double[] f = level.ring.fractions(level.all.hosts);
            for (int i = 0; i < f.length; i++) {
                mass[level.all.hosts[i]] += chance * f[i];
            }
        }
    }

    /** Zone-aware routing as the builder applied it, or null without a local cluster. */
    private static ZoneAwarePlan zonePlan(Snapshot s) {
        ZoneAwareConfig z = s.config.zoneAware();
        if (z == null) {
            return null;
        }
        boolean weighted = s.config.localityWeighted();
        ZoneAwareConfig applied = weighted ? z.withEnvoyDefaults() : z;
        Route.ZoneRoute route = s.levels.length == 0 ? null : s.levels[0].zone;
        String state = route == null ? "NO_LOCALITY_ROUTING" : route.direct ? "LOCALITY_DIRECT" : "LOCALITY_RESIDUAL";
        return new ZoneAwarePlan(state, weighted, applied.minClusterSize(), applied.routingEnabledPercent(),
                applied.forceLocalZone() ? applied.forceLocalZoneMinSize() : null, applied.localityBasis().name());
    }

    /** Spreads a choice's chance over the host sets its route may end in. */
    private static void follow(Snapshot s, Route route, double chance, double[] mass, boolean slowStart, long now) {
        if (chance <= 0) {
            return;
        }
        for (int i = 0; i < route.planSources.length; i++) {
            spread(s, route.planSources[i], chance * route.planShares[i], mass, slowStart, now);
        }
    }

    private static void spread(Snapshot s, HostSource source, double chance, double[] mass, boolean slowStart,
                               long now) {
        int[] hosts = source.hosts;
        int n = hosts.length;
        if (n == 0 || chance <= 0) {
            return;
        }
        boolean weighted = s.policy != LbPolicy.RANDOM && (!source.equalWeights || slowStart);
        if (!weighted) {
            for (int h : hosts) {
                mass[h] += chance / n;
            }
            return;
        }
        double[] w = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            w[i] = slowStart ? s.slowStart.weight(hosts[i], source.weights[i], now) : source.weights[i];
            sum += w[i];
        }
        for (int i = 0; i < n; i++) {
            mass[hosts[i]] += chance * w[i] / sum;
        }
    }
}
