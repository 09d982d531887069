package dev.meridian.jcstress.outlier;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.outlier.OutlierDetector;
import java.util.ArrayList;
import java.util.List;
import dev.meridian.core.ManualClock;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Recording races sweeping and other recording in {@code dev.meridian.outlier.OutlierDetector}.
 * They back the claims in its Javadoc: recording is lock-free, and a recording thread that
 * completes a run of failures while another thread holds the transition lock hands the host over
 * without waiting and without the ejection being lost; ejections and returns are applied one at a
 * time, so the max ejection percent holds and the active count matches the ejected hosts.
 *
 * <p>Every state starts on a manual clock at 0 with ten hosts; runs are primed to one failure short
 * of their threshold, so that the actors' single results decide.
 */
public final class RecordAndSweepStress {

    static final EndpointTable TEN_HOSTS = tenHosts();

    static EndpointTable tenHosts() {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            endpoints.add(Endpoint.of("10.0.0." + i + ":8080", Locality.of("r1", "z1", "")));
        }
        return EndpointTable.of(endpoints);
    }

    static OutlierDetector detector(OutlierDetectionConfig config, ManualClock clock) {
        return OutlierDetector.create(config, TEN_HOSTS, RandomSource.seeded(1), clock, null);
    }

    static void fail(OutlierDetector detector, int host, int status, int times) {
        for (int i = 0; i < times; i++) {
            detector.record(host, status);
        }
    }

    /** The run that completes while the sweep holds the transition lock is applied, not lost. */
    @JCStressTest
    @Description("record() completing a run of 5xx races sweep(): the host is ejected exactly once")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "ejected, by the recording thread or by the sweep's drain")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "the completed run was lost while the sweep held the lock")
    @Outcome(expect = FORBIDDEN, desc = "the active count disagrees with the ejected hosts")
    @State
    public static class RunCompletedDuringSweep {
        final OutlierDetector detector = detector(OutlierDetectionConfig.defaults(), Clocks.manual());

        public RunCompletedDuringSweep() {
            fail(detector, 0, 500, 4);
        }

        @Actor
        public void record() {
            detector.record(0, 500);
        }

        @Actor
        public void sweep() {
            detector.sweep();
        }

        @Arbiter
        public void check(II_Result r) {
            r.r1 = detector.isEjected(0) ? 1 : 0;
            r.r2 = detector.ejectedCount();
        }
    }

    /** Two runs complete at once where the max ejection percent leaves room for one ejection. */
    @JCStressTest
    @Description("two record() calls complete runs on two hosts; 10% of 10 hosts allows one ejection")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "host 0 got the only slot")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "host 1 got the only slot")
    @Outcome(id = "1, 1", expect = FORBIDDEN, desc = "the max ejection percent was exceeded")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "a completed run was lost")
    @State
    public static class TwoRunsOneSlot {
        final OutlierDetector detector = detector(OutlierDetectionConfig.defaults(), Clocks.manual());

        public TwoRunsOneSlot() {
            fail(detector, 0, 500, 4);
            fail(detector, 1, 500, 4);
        }

        @Actor
        public void first() {
            detector.record(0, 500);
        }

        @Actor
        public void second() {
            detector.record(1, 500);
        }

        @Arbiter
        public void check(II_Result r) {
            r.r1 = detector.isEjected(0) ? 1 : 0;
            r.r2 = detector.isEjected(1) ? 1 : 0;
        }
    }

    /** One host completes its gateway run and its 5xx run at once, from two threads. */
    @JCStressTest
    @Description("two 503s complete a host's gateway and 5xx runs together: one ejection, not two")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "ejected once; the second detection found it ejected")
    @Outcome(id = "2, 1", expect = FORBIDDEN, desc = "ejected twice for one outage")
    @Outcome(expect = FORBIDDEN, desc = "lost, or the active count disagrees")
    @State
    public static class TwoRunsOneHost {
        final OutlierDetector detector = detector(OutlierDetectionConfig.builder()
                .enforcingConsecutiveGatewayFailure(100).build(), Clocks.manual());

        public TwoRunsOneHost() {
            fail(detector, 0, 503, 4);
        }

        @Actor
        public void first() {
            detector.record(0, 503);
        }

        @Actor
        public void second() {
            detector.record(0, 503);
        }

        @Arbiter
        public void check(II_Result r) {
            r.r1 = detector.ejectionCount(0);
            r.r2 = detector.ejectedCount();
        }
    }

    /** A sweep brings a host back while failures keep arriving for it. */
    @JCStressTest
    @Description("sweep() returning an ejected host races five 5xx for it")
    @Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "the return cleared a run that had started before it")
    @Outcome(id = "1, 1", expect = ACCEPTABLE_INTERESTING,
            desc = "ejected again: all five came after the return, or the run completed while it was still "
                    + "ejected and was applied just after the return, as Envoy's posted event would be")
    @Outcome(expect = FORBIDDEN, desc = "the active count disagrees with the ejected hosts")
    @State
    public static class ReturnDuringFailures {
        final ManualClock clock = Clocks.manual();
        final OutlierDetector detector = detector(OutlierDetectionConfig.defaults(), clock);

        public ReturnDuringFailures() {
            fail(detector, 0, 500, 5);
            clock.advance(30_000_000_000L);
        }

        @Actor
        public void sweep() {
            detector.sweep();
        }

        @Actor
        public void record() {
            fail(detector, 0, 500, 5);
        }

        @Arbiter
        public void check(II_Result r) {
            r.r1 = detector.isEjected(0) ? 1 : 0;
            r.r2 = detector.ejectedCount();
        }
    }
}
