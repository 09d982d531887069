package dev.meridian.soak;

import java.time.Duration;

/**
 * What one soak run did and found. Immutable and thread-safe.
 *
 * @param settings what was run
 * @param failure the first broken invariant, with the seed, the step and the latest commands, or
 *     null when every check held
 * @param steps steps run
 * @param wall wall-clock time of the run
 * @param picks picks made by all pickers
 * @param excludingPicks of which retry picks with priorities excluded
 * @param hashPicks of which picks by hash key
 * @param nothing picks that found no host
 * @param picksOnHosts picks that returned a host, summed over the hosts
 * @param raced picks during which a snapshot was published
 * @param duringDrain picks begun while the control thread was draining
 * @param failuresRecorded failed requests recorded (HTTP 5xx and local-origin failures)
 * @param publications snapshots published
 * @param drains drains run by the control thread
 * @param updates endpoint sets replaced
 * @param healthChanges health changes sent
 * @param lbChanges balancing configurations applied
 * @param outlierChanges outlier-detection configurations applied (or detection switched off)
 * @param bursts failure bursts
 * @param ejectionChecks bursts that had to end in an ejection and were checked
 * @param ejections ejections the listener heard
 * @param returns returns the listener heard
 * @param endedByDeparture ejections ended by the host leaving the set
 * @param ejectedAtEnd hosts ejected at the end
 * @param restChecks times every request was finished and every host's in-flight count checked
 * @param heapBefore heap used after a full collection once warmed up, in bytes
 * @param heapAfter heap used after a full collection at the end, in bytes
 * @param gcCount collections during the run (all collectors)
 * @param gcTime time spent collecting during the run
 */
record SoakReport(ClusterSoak.Settings settings, String failure, long steps, Duration wall, long picks,
                  long excludingPicks, long hashPicks, long nothing, long picksOnHosts, long raced, long duringDrain,
                  long failuresRecorded, long publications, long drains, long updates, long healthChanges,
                  long lbChanges, long outlierChanges, long bursts, long ejectionChecks, long ejections,
                  long returns, long endedByDeparture, long ejectedAtEnd, long restChecks, long heapBefore,
                  long heapAfter, long gcCount, Duration gcTime) {

    /** Heap growth from warm-up to the end, as a fraction of the heap after warm-up. */
    double heapGrowth() {
        return heapBefore == 0 ? 0.0 : (double) (heapAfter - heapBefore) / heapBefore;
    }

    String text() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("Cluster soak, seed %d, %s of %s time, %d pickers, steps of %s%n", settings.seed(),
                human(settings.length()), settings.realTime() ? "real" : "virtual", settings.pickers(),
                human(settings.step())));
        b.append(String.format("  result           %s%n", failure == null ? "every invariant held" : "FAILED"));
        b.append(String.format("  wall time        %s (%d steps)%n", human(wall), steps));
        b.append(String.format("  picks            %,d (%,d pickExcluding, %,d pick(hash)); %,d found no host;"
                + " %,d on hosts%n", picks, excludingPicks, hashPicks, nothing, picksOnHosts));
        b.append(String.format("  overlap          %,d picks begun during a drain, %,d spanned a publication%n",
                duringDrain, raced));
        b.append(String.format("  failures sent    %,d%n", failuresRecorded));
        b.append(String.format("  publications     %,d from %,d drains%n", publications, drains));
        b.append(String.format("  commands         %,d endpoint updates, %,d health changes, %,d lb configs,"
                + " %,d outlier configs%n", updates, healthChanges, lbChanges, outlierChanges));
        b.append(String.format("  ejections        %,d ejected, %,d returned, %,d ended by leaving the set,"
                + " %,d still ejected%n", ejections, returns, endedByDeparture, ejectedAtEnd));
        b.append(String.format("  bursts           %,d, of which %,d checked to end in an ejection%n", bursts,
                ejectionChecks));
        b.append(String.format("  in-flight checks %,d (every request finished, every count 0)%n", restChecks));
        b.append(String.format("  heap after GC    %,d bytes after warm-up, %,d at the end (%+.2f%%)%n", heapBefore,
                heapAfter, 100 * heapGrowth()));
        b.append(String.format("  GC               %,d collections, %s%n", gcCount, human(gcTime)));
        if (failure != null) {
            b.append(failure).append('\n');
        }
        return b.toString();
    }

    private static String human(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 120_000) {
            return String.format("%.1f s", ms / 1000.0);
        }
        return String.format("%.1f min", ms / 60_000.0);
    }
}
