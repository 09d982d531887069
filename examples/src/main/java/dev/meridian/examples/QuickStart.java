package dev.meridian.examples;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.LocalityLbSetting;
import dev.meridian.topology.LocalityPriorities;
import dev.meridian.topology.PriorityAssignment;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The README's quick start as a program: a caller in {@code r1/z1}, two endpoints beside it and one
 * in {@code r2}, round robin with outlier detection bound to the balancer. The "backend" is a
 * function that starts answering 503 from {@code r1} after ten requests, so the output shows nearby
 * access first and failover to {@code r2} once both {@code r1} hosts are ejected.
 *
 * <p>Run it with {@code java -cp ... dev.meridian.examples.QuickStart}. Not an API; not thread-safe.
 */
public final class QuickStart {
    private QuickStart() {
    }

    public static void main(String[] args) {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            run(scheduler, System.out);
        } finally {
            scheduler.shutdownNow();
        }
    }

    /**
     * Sends 30 requests and prints where each went.
     *
     * @return the endpoint the last request went to
     */
    static Endpoint run(ScheduledExecutorService scheduler, PrintStream out) {
        List<Endpoint> endpoints = List.of(
                Endpoint.of("10.1.0.11:9080", Locality.parse("r1/z1")),
                Endpoint.of("10.1.0.12:9080", Locality.parse("r1/z1")),
                Endpoint.of("10.2.0.13:9080", Locality.parse("r2/z1")));
        Caller me = Caller.at(Locality.parse("r1/z1"));

        // Istio's locality priorities for this caller (mesh default: locality LB enabled; the
        // destination has outlier detection, so failover applies).
        PriorityAssignment assignment = LocalityPriorities.assign(
                endpoints, me, LocalityLbSetting.DEFAULT, null, /* outlierDetectionConfigured */ true);

        // One owner for the destination: endpoints, configuration, ejections, detector state.
        Cluster reviews = Cluster.builder(LbConfig.builder().policy(LbPolicy.ROUND_ROBIN).panicThreshold(0).build())
                .endpoints(assignment.toTable())
                .outlierDetection(OutlierDetectionConfig.builder().consecutive5xx(5).maxEjectionPercent(100).build())
                .build();
        // Its control thread applies updates, completed runs of failures and sweeps, and publishes
        // one snapshot per batch.
        reviews.runOn(scheduler, Duration.ofMillis(100));

        Endpoint last = null;
        for (int request = 0; request < 30; request++) {
            // Per request, from any thread: no allocation, never throws.
            Host target = reviews.pick();
            if (target == null) {
                out.println("request " + request + ": no endpoint (empty or fully ejected set, panic disabled)");
                continue;
            }
            int status = send(target.endpoint(), request);
            reviews.record(target, status);
            out.println("request " + request + ": " + target.address() + " in " + target.endpoint().locality() + " -> "
                    + status);
            last = target.endpoint();
            // This program sends faster than the scheduler's period, so it also drains after each
            // request; calls never overlap, and one that finds another under way returns at once.
            reviews.drain();
        }
        return last;
    }

    /** The stand-in backend: r1 answers 503 from the tenth request on, r2 always answers 200. */
    private static int send(Endpoint target, int request) {
        return request >= 10 && target.locality().region().equals("r1") ? 503 : 200;
    }
}
