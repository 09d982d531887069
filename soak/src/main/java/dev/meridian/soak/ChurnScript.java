package dev.meridian.soak;

import dev.meridian.cluster.Cluster;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.lb.SlowStartConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What happens to the destination, drawn from one seed: endpoint churn every few seconds (hosts
 * added and removed, moved between localities and priorities, reweighted, relabelled, reordered,
 * the whole set replaced, now and then emptied), health changes more often, a new balancing
 * configuration every minute or so, a new outlier-detection configuration every few minutes
 * (sometimes none), and bursts of failures on a few addresses at a time. The same seed gives the
 * same commands at the same times; what the cluster then decides also depends on how the picking
 * threads interleave.
 *
 * <p>Not thread-safe: the control thread owns it.
 */
final class ChurnScript {

    private static final long SECOND = 1_000_000_000L;
    private static final HealthStatus[] HEALTH_CHANGES = {
        HealthStatus.HEALTHY, HealthStatus.HEALTHY, HealthStatus.HEALTHY, HealthStatus.HEALTHY, HealthStatus.UNKNOWN,
        HealthStatus.UNHEALTHY, HealthStatus.UNHEALTHY, HealthStatus.DEGRADED, HealthStatus.DEGRADED,
        HealthStatus.DRAINING, HealthStatus.TIMEOUT};
    private static final int[] MAGLEV_SIZES = {251, 1021, 4093, 65_537};
    private static final int LOG_LINES = 40;

    private final SplittableRandom random;
    private final AddressPool pool;
    private final long stepNanos;

    // The endpoint set the script wants, per address.
    private final boolean[] present;
    private final int[] locality;
    /** A priority given by hand, or -1 for the caller's proximity to the locality. */
    private final int[] priorityOverride;
    private final int[] weight;
    private final HealthStatus[] health;
    private final int[] version;
    private boolean localityWeighted;
    /** The weight of each locality at each priority, when the table carries locality weights. */
    private final int[][] localityWeight = new int[4][AddressPool.LOCALITIES.length];
    private int rotation;

    private LbConfig lb;
    private OutlierDetectionConfig outlier;

    private long nextChurnAt;
    private long nextHealthAt;
    private long nextLbAt;
    private long nextOutlierAt;
    private long nextBurstAt;
    private final Burst[] bursts;
    /** Per address, the step after which it may fail again (its last burst has been checked). */
    private final long[] quietFrom;

    private final String[] log = new String[LOG_LINES];
    private long logged;
    /** The time the notes being written belong to, in nanoseconds since the start. */
    private long noteAt;

    long updates;
    long healthChanges;
    long lbChanges;
    long outlierChanges;
    long burstCount;

    ChurnScript(long seed, AddressPool pool, long stepNanos) {
        this.random = new SplittableRandom(seed);
        this.pool = pool;
        this.stepNanos = stepNanos;
        int n = pool.size();
        present = new boolean[n];
        locality = new int[n];
        priorityOverride = new int[n];
        weight = new int[n];
        health = new HealthStatus[n];
        version = new int[n];
        bursts = new Burst[n];
        quietFrom = new long[n];
        for (int id = 0; id < n; id++) {
            present[id] = random.nextInt(3) > 0;
            locality[id] = pool.homeLocality(id);
            priorityOverride[id] = -1;
            weight[id] = 1 + random.nextInt(4);
            health[id] = HealthStatus.HEALTHY;
        }
        newLocalityWeights();
        lb = randomLb();
        outlier = randomOutlier();
        nextChurnAt = churnGap();
        nextHealthAt = healthGap();
        nextLbAt = 20 * SECOND + random.nextLong(70 * SECOND);
        nextOutlierAt = 60 * SECOND + random.nextLong(240 * SECOND);
        nextBurstAt = 3 * SECOND;
    }

    EndpointTable table() {
        EndpointTable.Builder b = EndpointTable.builder();
        int n = pool.size();
        for (int i = 0; i < n; i++) {
            int id = (i + rotation) % n;
            if (!present[id]) {
                continue;
            }
            int p = priority(id);
            Endpoint e = Endpoint.parseAddress(pool.address(id), AddressPool.LOCALITIES[locality[id]],
                    Map.of("version", "v" + version[id]), weight[id], health[id], Endpoint.NO_PRIORITY);
            b.add(e, p, localityWeighted ? localityWeight[p][locality[id]] : 0);
        }
        return b.build();
    }

    /** Istio's proximity to a caller in the first locality: same zone 0, same region 1, elsewhere 2. */
    private int priority(int id) {
        if (priorityOverride[id] >= 0) {
            return priorityOverride[id];
        }
        int l = locality[id];
        return l == 0 ? 0 : AddressPool.LOCALITIES[l].region().equals(AddressPool.LOCALITIES[0].region()) ? 1 : 2;
    }

    LbConfig lb() {
        return lb;
    }

    OutlierDetectionConfig outlier() {
        return outlier;
    }

    /**
     * Queues on the cluster every command due by {@code now} (nanoseconds since the start): at most
     * one endpoint update, so that one drain never replaces the set twice.
     *
     * @return whether the outlier-detection configuration was replaced
     */
    boolean queueCommands(long now, Cluster cluster) {
        noteAt = now;
        boolean outlierChanged = false;
        if (now >= nextChurnAt) {
            churn();
            cluster.update(table());
            updates++;
            nextChurnAt = now + churnGap();
        }
        while (now >= nextHealthAt) {
            int id = random.nextInt(pool.size());
            HealthStatus status = HEALTH_CHANGES[random.nextInt(HEALTH_CHANGES.length)];
            if (present[id]) {
                health[id] = status;
            }
            // An absent address is ignored by the cluster; sending it anyway checks that.
            cluster.setHealth(pool.address(id), status);
            note("health " + pool.address(id) + " " + status + (present[id] ? "" : " (absent)"));
            healthChanges++;
            nextHealthAt += healthGap();
        }
        if (now >= nextLbAt) {
            lb = randomLb();
            cluster.configure(lb);
            note("lb " + lb);
            lbChanges++;
            nextLbAt = now + 20 * SECOND + random.nextLong(70 * SECOND);
        }
        if (now >= nextOutlierAt) {
            // Now and then detection is switched off for a while, which returns every ejected host.
            outlier = outlier != null && random.nextInt(8) == 0 ? null : randomOutlier();
            cluster.configure(outlier);
            note("outlier " + outlier);
            outlierChanges++;
            outlierChanged = true;
            nextOutlierAt = now + (outlier == null ? 30 * SECOND : 60 * SECOND + random.nextLong(240 * SECOND));
        }
        return outlierChanged;
    }

    /**
     * Queues the same endpoint set and configurations every time: every address in its home
     * locality, healthy, weight 1, no locality weights; round robin with Envoy's defaults; Envoy's
     * default outlier detection. The heap is measured in such a step, so two measurements compare
     * the same cluster state and a difference is what the hour left behind.
     */
    void queueReference(long now, Cluster cluster) {
        noteAt = now;
        for (int id = 0; id < pool.size(); id++) {
            present[id] = true;
            locality[id] = pool.homeLocality(id);
            priorityOverride[id] = -1;
            weight[id] = 1;
            health[id] = HealthStatus.HEALTHY;
        }
        localityWeighted = false;
        rotation = 0;
        lb = LbConfig.defaults();
        outlier = OutlierDetectionConfig.defaults();
        cluster.update(table());
        cluster.configure(lb);
        cluster.configure(outlier);
        note("reference state: every address, round robin, default outlier detection");
        updates++;
        lbChanges++;
        outlierChanges++;
    }

    private long churnGap() {
        return 2 * SECOND + random.nextLong(4 * SECOND);
    }

    private long healthGap() {
        return SECOND / 2 + random.nextLong(3 * SECOND / 2);
    }

    private void churn() {
        int n = pool.size();
        int kind = random.nextInt(100);
        if (count() == 0 && kind >= 3) {
            kind = 90;
        }
        if (kind < 3) {
            java.util.Arrays.fill(present, false);
            note("update: empty set");
        } else if (kind < 48) {
            StringBuilder what = new StringBuilder("update: ");
            for (int k = random.nextInt(3); k > 0; k--) {
                int id = random.nextInt(n);
                if (present[id]) {
                    present[id] = false;
                    what.append('-').append(pool.address(id)).append(' ');
                }
            }
            for (int k = 1 + random.nextInt(2); k > 0; k--) {
                int id = random.nextInt(n);
                if (!present[id]) {
                    present[id] = true;
                    health[id] = random.nextInt(5) == 0 ? HealthStatus.UNKNOWN : HealthStatus.HEALTHY;
                    what.append('+').append(pool.address(id)).append(' ');
                }
            }
            note(what.toString());
        } else if (kind < 73) {
            StringBuilder what = new StringBuilder("update: relabel ");
            for (int k = 1 + random.nextInt(3); k > 0; k--) {
                int id = random.nextInt(n);
                switch (random.nextInt(4)) {
                    case 0 -> locality[id] = random.nextInt(AddressPool.LOCALITIES.length);
                    case 1 -> priorityOverride[id] = random.nextInt(3) == 0 ? -1 : random.nextInt(4);
                    case 2 -> weight[id] = 1 + random.nextInt(4);
                    default -> version[id]++;
                }
                what.append(pool.address(id)).append(' ');
            }
            note(what.toString());
        } else if (kind < 83) {
            rotation = random.nextInt(n);
            note("update: reorder from " + rotation);
        } else if (kind < 95) {
            int size = 8 + random.nextInt(n - 7);
            java.util.Arrays.fill(present, false);
            for (int k = 0; k < size; k++) {
                present[random.nextInt(n)] = true;
            }
            for (int id = 0; id < n; id++) {
                priorityOverride[id] = -1;
                locality[id] = random.nextInt(6) == 0 ? random.nextInt(AddressPool.LOCALITIES.length)
                        : pool.homeLocality(id);
                health[id] = HealthStatus.HEALTHY;
            }
            localityWeighted = random.nextBoolean();
            newLocalityWeights();
            note("update: replace with " + count() + " hosts");
        } else {
            localityWeighted = !localityWeighted;
            newLocalityWeights();
            note("update: locality weights " + (localityWeighted ? "on" : "off"));
        }
    }

    private int count() {
        int c = 0;
        for (boolean p : present) {
            c += p ? 1 : 0;
        }
        return c;
    }

    private void newLocalityWeights() {
        for (int[] row : localityWeight) {
            for (int l = 0; l < row.length; l++) {
                row[l] = 1 + random.nextInt(4);
            }
        }
    }

    /**
     * The bursts of the step that starts at {@code step × step length}: those still running, and
     * new ones when one is due. An address fails in one burst at a time and only after its last one
     * was checked.
     *
     * @param started receives the bursts that begin in this step
     * @return per address, its burst in the step, or null
     */
    Burst[] burstsFor(long step, List<Burst> started) {
        Burst[] now = new Burst[pool.size()];
        for (int id = 0; id < bursts.length; id++) {
            if (bursts[id] != null && bursts[id].lastStep < step) {
                bursts[id] = null;
            }
            now[id] = bursts[id];
        }
        long at = step * stepNanos;
        noteAt = at;
        if (at >= nextBurstAt) {
            for (int k = 1 + random.nextInt(3); k > 0; k--) {
                // Most bursts hit a host that takes traffic: one at the first priority.
                int id = random.nextInt(5) < 3 ? firstPriorityHost() : random.nextInt(pool.size());
                if (id < 0 || bursts[id] != null || step < quietFrom[id] || (!present[id] && random.nextInt(5) > 0)) {
                    continue;
                }
                int m = random.nextInt(100);
                Burst.Mode mode = m < 45 ? Burst.Mode.HTTP_500 : m < 60 ? Burst.Mode.GATEWAY_503
                        : m < 72 ? Burst.Mode.CONNECT_FAILED : m < 82 ? Burst.Mode.TIMEOUT : Burst.Mode.FLAKY_500;
                long steps = Math.max(1, (2 * SECOND + random.nextLong(28 * SECOND)) / stepNanos);
                Burst b = new Burst(id, mode, step, step + steps - 1);
                bursts[id] = b;
                now[id] = b;
                // Checked in the step after its last; free again the step after that.
                quietFrom[id] = b.lastStep + 3;
                started.add(b);
                note("burst " + pool.address(id) + " " + b);
                burstCount++;
            }
            nextBurstAt = at + 4 * SECOND + random.nextLong(12 * SECOND);
        }
        return now;
    }

    /** A present address at priority 0, or -1 when there is none. */
    private int firstPriorityHost() {
        int n = pool.size();
        int from = random.nextInt(n);
        for (int i = 0; i < n; i++) {
            int id = (from + i) % n;
            if (present[id] && priority(id) == 0) {
                return id;
            }
        }
        return -1;
    }

    private LbConfig randomLb() {
        LbPolicy policy = LbPolicy.values()[random.nextInt(LbPolicy.values().length)];
        int[] thresholds = {0, 50, 50, 30, 80, 100};
        LbConfig.Builder b = LbConfig.builder().policy(policy)
                .panicThreshold(thresholds[random.nextInt(thresholds.length)])
                .failTrafficOnPanic(random.nextInt(5) == 0)
                .localityWeighted(random.nextBoolean());
        if (random.nextInt(10) == 0) {
            // Before Envoy 1.30 a draining host is not excluded from the counts.
            b.envoyRelease(29);
        }
        switch (policy) {
            case LEAST_REQUEST -> {
                double[] biases = {0.0, 0.5, 1.0, 2.0};
                b.leastRequestChoiceCount(2 + random.nextInt(3)).activeRequestBias(biases[random.nextInt(4)]);
            }
            case RING_HASH -> {
                int min = 16 << (2 * random.nextInt(4));
                b.ringHashMinimumSize(min).ringHashMaximumSize(Math.max(min, 1024 << (2 * random.nextInt(3))));
            }
            case MAGLEV -> b.maglevTableSize(MAGLEV_SIZES[random.nextInt(MAGLEV_SIZES.length)]);
            default -> {
            }
        }
        if ((policy == LbPolicy.ROUND_ROBIN || policy == LbPolicy.LEAST_REQUEST) && random.nextInt(3) == 0) {
            double[] aggression = {1.0, 2.0, 0.5};
            double[] floor = {10.0, 0.0, 50.0};
            b.slowStart(new SlowStartConfig(Duration.ofSeconds(5 + random.nextInt(56)),
                    aggression[random.nextInt(3)], floor[random.nextInt(3)]));
        }
        return b.build();
    }

    private OutlierDetectionConfig randomOutlier() {
        int[] maxPercent = {10, 34, 50, 100, 100, 100};
        long base = 2 + random.nextInt(29);
        OutlierDetectionConfig.Builder b = OutlierDetectionConfig.builder()
                .consecutive5xx(3 + random.nextInt(5))
                .enforcingConsecutive5xx(random.nextInt(5) == 0 ? 50 : 100)
                .interval(Duration.ofSeconds(1 + random.nextInt(10)))
                .baseEjectionTime(Duration.ofSeconds(base))
                .maxEjectionTime(random.nextBoolean() ? null : Duration.ofSeconds(base * (1 + random.nextInt(10))))
                .maxEjectionTimeJitter(Duration.ofMillis(random.nextInt(3) == 0 ? random.nextInt(2000) : 0))
                .maxEjectionPercent(maxPercent[random.nextInt(maxPercent.length)])
                .consecutiveGatewayFailure(3 + random.nextInt(3))
                .enforcingConsecutiveGatewayFailure(random.nextBoolean() ? 0 : 100)
                .splitExternalLocalOriginErrors(random.nextBoolean())
                .consecutiveLocalOriginFailure(3 + random.nextInt(3))
                .enforcingSuccessRate(random.nextBoolean() ? 0 : 100)
                .successRateMinimumHosts(3 + random.nextInt(3))
                .successRateRequestVolume(random.nextBoolean() ? 20 : 100)
                .enforcingFailurePercentage(random.nextBoolean() ? 0 : 100)
                .failurePercentageThreshold(random.nextBoolean() ? 85 : 50)
                .failurePercentageRequestVolume(random.nextBoolean() ? 20 : 50);
        return b.build();
    }

    private void note(String line) {
        log[(int) (logged++ % LOG_LINES)] = String.format("%9.3fs %s", noteAt / 1e9, line);
    }

    /** The last commands and bursts, oldest first, for a failure report. */
    List<String> recent() {
        List<String> out = new ArrayList<>();
        for (long i = Math.max(0, logged - LOG_LINES); i < logged; i++) {
            out.add(log[(int) (i % LOG_LINES)]);
        }
        return out;
    }
}
