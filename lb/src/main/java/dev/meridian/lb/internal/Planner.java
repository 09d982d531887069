package dev.meridian.lb.internal;

import dev.meridian.core.EndpointTable;
import dev.meridian.lb.HostPlan;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.LoadPlan;
import dev.meridian.lb.LocalityPlan;
import dev.meridian.lb.PriorityPlan;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a {@link Snapshot} into a {@link LoadPlan}: the expected share of requests for every
 * priority, locality and host, by walking the same decisions the pick path takes with their
 * probabilities instead of random draws. Cold path; stateless and thread-safe.
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
        EndpointTable table = s.table;
        double[] mass = new double[table.size()];
        boolean slowStart = s.slowStartActiveAt(now);
        PriorityLoad load = s.load;
        boolean hash = s.policy == LbPolicy.RING_HASH || s.policy == LbPolicy.MAGLEV;
        for (Snapshot.Level level : s.levels) {
            int p = level.priority;
            if (hash) {
                double chance = (load.healthyLoad(p) + load.degradedLoad(p)) / 100.0;
                if (chance > 0 && level.ring != null) {
                    double[] f = level.ring.fractions(level.all.hosts);
                    for (int i = 0; i < f.length; i++) {
                        mass[level.all.hosts[i]] += chance * f[i];
                    }
                }
                continue;
            }
            planAvailability(s, level, false, load.healthyLoad(p) / 100.0, mass, slowStart, now);
            planAvailability(s, level, true, load.degradedLoad(p) / 100.0, mass, slowStart, now);
        }
        boolean closedForm = s.policy == LbPolicy.ROUND_ROBIN || s.policy == LbPolicy.RANDOM;
        List<PriorityPlan> priorities = new ArrayList<>();
        for (Snapshot.Level level : s.levels) {
            int p = level.priority;
            List<LocalityPlan> localities = new ArrayList<>();
            for (int li = 0; li < level.localityIds.length; li++) {
                int lid = level.localityIds[li];
                List<HostPlan> hosts = new ArrayList<>();
                double share = 0;
                for (int h : level.allByLocality[li].hosts) {
                    share += mass[h] * 100;
                    hosts.add(new HostPlan(h, closedForm ? mass[h] * 100 : null, s.ejected[h]));
                }
                double effective = Snapshot.effectiveLocalityWeight(level.localityWeights[li],
                        level.healthyByLocality[li].hosts.length, level.allByLocality[li].hosts.length,
                        s.overprovisioningFactor);
                localities.add(new LocalityPlan(lid, table.locality(lid), level.localityWeights[li], effective, share,
                        hosts));
            }
            priorities.add(new PriorityPlan(p, level.all.hosts.length, level.healthy.hosts.length,
                    level.degraded.hosts.length, load.healthyLoad(p), load.degradedLoad(p), load.panic(p),
                    localities));
        }
        return new LoadPlan(s.policy, s.overprovisioningFactor, s.panicThreshold, priorities);
    }

    private static void planAvailability(Snapshot s, Snapshot.Level level, boolean degraded, double chance,
                                         double[] mass, boolean slowStart, long now) {
        if (chance <= 0) {
            return;
        }
        if (s.load.panic(level.priority)) {
            if (!s.failTrafficOnPanic) {
                spread(s, level.all, chance, mass, slowStart, now);
            }
            return;
        }
        Snapshot.LocalitySchedule schedule = degraded ? level.degradedSchedule : level.healthySchedule;
        Snapshot.Source whole = degraded ? level.degraded : level.healthy;
        if (schedule != null) {
            Snapshot.Source[] byLocality = degraded ? level.degradedByLocality : level.healthyByLocality;
            for (int li = 0; li < byLocality.length; li++) {
                if (schedule.effective[li] > 0) {
                    spread(s, byLocality[li], chance * schedule.effective[li] / schedule.total, mass, slowStart, now);
                }
            }
            return;
        }
        Snapshot.ZoneRoute z = level.zone;
        if (z == null) {
            spread(s, whole, chance, mass, slowStart, now);
            return;
        }
        double enabled = Math.min(100, z.routingEnabled) / 100.0;
        spread(s, whole, chance * (1 - enabled), mass, slowStart, now);
        double routed = chance * enabled;
        if (z.localPanic) {
            if (!s.failTrafficOnPanic) {
                spread(s, whole, routed, mass, slowStart, now);
            }
            return;
        }
        Snapshot.Source[] buckets = degraded ? z.degradedBuckets : z.healthyBuckets;
        int n = buckets.length;
        double local = z.direct ? 1.0 : Math.min(1.0, z.localPercentToRoute / 10000.0);
        spread(s, buckets[0], routed * local, mass, slowStart, now);
        double rest = routed * (1 - local);
        long total = z.residual[n - 1];
        for (int b = 0; b < n; b++) {
            double part;
            if (total == 0) {
                part = 1.0 / n;
            } else {
                part = (double) (z.residual[b] - (b > 0 ? z.residual[b - 1] : 0)) / total;
            }
            spread(s, buckets[b], rest * part, mass, slowStart, now);
        }
    }

    private static void spread(Snapshot s, Snapshot.Source source, double chance, double[] mass, boolean slowStart,
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
            w[i] = slowStart ? s.slowStartWeight(hosts[i], source.weights[i], now) : source.weights[i];
            sum += w[i];
        }
        for (int i = 0; i < n; i++) {
            mass[hosts[i]] += chance * w[i] / sum;
        }
    }
}
