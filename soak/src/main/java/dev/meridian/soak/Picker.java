package dev.meridian.soak;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.outlier.LocalOriginResult;
import java.util.SplittableRandom;

/**
 * A request thread: in each step it picks (plain picks, retry picks with priorities excluded, and
 * picks by hash key), records each outcome as the step's bursts say, keeps some requests open across
 * steps for least request, and notes for every pick the publications it was made between. After the
 * step's first barrier it checks each pick against the publications it could have seen.
 *
 * <p>Not thread-safe: one thread runs it. Its counters are read by the control thread while this
 * thread is between barriers and not picking.
 */
final class Picker implements Runnable {

    private static final int OUTSTANDING = 8;

    private final ClusterSoak soak;
    private final Cluster cluster;
    private final AddressPool pool;
    private final SplittableRandom random;
    private final int minPicks;
    private final int maxPicks;

    // One step's picks, checked and cleared after the step.
    private final long[] before;
    private final long[] after;
    private final long[] masks;
    private final byte[] kinds;
    private final Host[] picked;

    /** Requests started and not yet finished, finished when their slot is reused or at a rest step. */
    private final Host[] outstanding = new Host[OUTSTANDING];
    private int nextSlot;

    final long[] picksByAddress;
    /** HTTP successes recorded (each ends the address's runs of 5xx). */
    final long[] successesByAddress;
    /** HTTP 500s recorded in {@link Burst.Mode#HTTP_500} bursts. */
    final long[] failures500ByAddress;
    long picks;
    long excludingPicks;
    long hashPicks;
    long nothing;
    /** Picks during which a new snapshot was published. */
    long raced;
    /** Picks begun while the control thread was draining. */
    long duringDrain;
    long started;
    long finished;
    long failuresRecorded;

    Picker(ClusterSoak soak, Cluster cluster, AddressPool pool, long seed, int minPicks, int maxPicks) {
        this.soak = soak;
        this.cluster = cluster;
        this.pool = pool;
        this.random = new SplittableRandom(seed);
        this.minPicks = minPicks;
        this.maxPicks = maxPicks;
        before = new long[maxPicks];
        after = new long[maxPicks];
        masks = new long[maxPicks];
        kinds = new byte[maxPicks];
        picked = new Host[maxPicks];
        picksByAddress = new long[pool.size()];
        successesByAddress = new long[pool.size()];
        failures500ByAddress = new long[pool.size()];
    }

    @Override
    public void run() {
        try {
            for (;;) {
                StepPlan plan = soak.plan;
                long step = plan.step;
                int n = 0;
                // Picks go on while the control thread drains: the step ends when it has finished and
                // this thread has made its minimum, or when the buffer is full.
                while (n < maxPicks && !soak.failed() && (n < minPicks || soak.driverDoneStep < step)) {
                    pickOnce(n++, plan);
                }
                if (plan.finishOutstanding) {
                    finishOutstanding();
                }
                soak.phaser.arriveAndAwaitAdvance();
                verify(n, step);
                soak.phaser.arriveAndAwaitAdvance();
                if (plan.measureHeap) {
                    soak.phaser.arriveAndAwaitAdvance();
                }
                if (soak.stopAfterStep == step) {
                    return;
                }
            }
        } catch (Throwable t) {
            soak.fail("picker " + Thread.currentThread().getName() + " threw " + t);
        } finally {
            finishOutstanding();
            soak.phaser.arriveAndDeregister();
        }
    }

    private void pickOnce(int i, StepPlan plan) {
        int k = random.nextInt(10);
        byte kind;
        long mask = 0;
        Host h;
        if (soak.draining) {
            duringDrain++;
        }
        long b = cluster.publications();
        if (k < 6) {
            kind = PublishedView.PICK;
            h = cluster.pick();
        } else if (k < 8) {
            kind = PublishedView.PICK_EXCLUDING;
            mask = (1L << random.nextInt(4)) | (random.nextInt(4) == 0 ? 1L << random.nextInt(4) : 0);
            h = cluster.pickExcluding(mask);
            excludingPicks++;
        } else {
            kind = PublishedView.PICK_HASH;
            h = cluster.pick(random.nextLong());
            hashPicks++;
        }
        long a = cluster.publications();
        before[i] = b;
        after[i] = a;
        masks[i] = mask;
        kinds[i] = kind;
        picked[i] = h;
        picks++;
        if (a != b) {
            raced++;
        }
        if (h == null) {
            nothing++;
            return;
        }
        int id = pool.id(h.address());
        if (id < 0) {
            return;  // verify() reports it
        }
        picksByAddress[id]++;
        cluster.requestStarted(h);
        started++;
        Burst burst = plan.bursts[id];
        if (burst == null) {
            succeed(h, id);
        } else {
            fail(h, id, burst.mode);
        }
        if (random.nextInt(4) == 0) {
            Host old = outstanding[nextSlot];
            outstanding[nextSlot] = h;
            nextSlot = (nextSlot + 1) % OUTSTANDING;
            if (old != null) {
                cluster.requestFinished(old);
                finished++;
            }
        } else {
            cluster.requestFinished(h);
            finished++;
        }
    }

    private void succeed(Host h, int id) {
        int r = random.nextInt(20);
        if (r == 0) {
            // A TCP-level success: a 200 without split errors, a local-origin success with them,
            // which leaves the 5xx run alone, so it is not counted as ending one.
            cluster.recordLocalOrigin(h, LocalOriginResult.SUCCESS_FINAL);
            return;
        }
        if (r == 1) {
            cluster.recordLocalOrigin(h, LocalOriginResult.CONNECT_SUCCESS);
        }
        cluster.record(h, r == 2 ? 404 : 200);
        successesByAddress[id]++;
    }

    private void fail(Host h, int id, Burst.Mode mode) {
        failuresRecorded++;
        switch (mode) {
            case HTTP_500 -> {
                cluster.record(h, 500);
                failures500ByAddress[id]++;
            }
            case GATEWAY_503 -> cluster.record(h, 503);
            case CONNECT_FAILED -> cluster.recordLocalOrigin(h,
                    random.nextInt(4) == 0 ? LocalOriginResult.RESET : LocalOriginResult.CONNECT_FAILED);
            case TIMEOUT -> cluster.recordLocalOrigin(h, LocalOriginResult.TIMEOUT);
            case FLAKY_500 -> {
                if (random.nextBoolean()) {
                    cluster.record(h, 500);
                } else {
                    failuresRecorded--;
                    cluster.record(h, 200);
                    successesByAddress[id]++;
                }
            }
        }
    }

    private void finishOutstanding() {
        for (int s = 0; s < OUTSTANDING; s++) {
            if (outstanding[s] != null) {
                cluster.requestFinished(outstanding[s]);
                outstanding[s] = null;
                finished++;
            }
        }
    }

    /** Checks the step's picks against the publications each was made between, and lets go of the handles. */
    private void verify(int n, long step) {
        ViewIndex views = soak.views;
        for (int i = 0; i < n; i++) {
            Host h = picked[i];
            picked[i] = null;
            long b = before[i];
            long a = after[i];
            if (soak.failed()) {
                continue;
            }
            if (a < b) {
                soak.fail("publications went back from " + b + " to " + a + " across a pick", step);
                continue;
            }
            int id = h == null ? -1 : pool.id(h.address());
            if (h != null && id < 0) {
                soak.fail("picked " + h + ", an address never in the set", step);
                continue;
            }
            boolean allowed = false;
            for (long p = b; p <= a && !allowed; p++) {
                PublishedView v = views.get(p);
                if (v == null) {
                    soak.fail("publication " + p + " is no longer held for a pick of step " + step, step);
                    return;
                }
                allowed = h != null ? v.mayReturn(kinds[i], masks[i], id, h)
                        : v.mayReturnNothing(kinds[i], masks[i]);
            }
            if (!allowed) {
                StringBuilder why = new StringBuilder();
                why.append(describe(kinds[i], masks[i])).append(" made between publications ").append(b).append(" and ")
                        .append(a).append(h != null ? " returned " + h + ", which none of them could return"
                                : " returned no host while each had a healthy host and a route to one");
                for (long p = b; p <= a; p++) {
                    why.append("\n  ").append(views.get(p).describe(id));
                }
                soak.fail(why.toString(), step);
            }
        }
    }

    private static String describe(byte kind, long mask) {
        return switch (kind) {
            case PublishedView.PICK -> "pick()";
            case PublishedView.PICK_EXCLUDING -> "pickExcluding(0b" + Long.toBinaryString(mask) + ")";
            default -> "pick(hashKey)";
        };
    }
}
