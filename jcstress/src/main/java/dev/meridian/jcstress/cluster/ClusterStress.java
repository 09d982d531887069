package dev.meridian.jcstress.cluster;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.I_Result;

/**
 * The claims of {@code dev.meridian.cluster.Cluster}'s Javadoc under real races: a pick reads one
 * published snapshot, so it never returns a host outside it nor null while a healthy host exists;
 * a run of failures that completes while the control thread replaces the endpoint set, sweeps or
 * drains is decided exactly once, never lost; the max ejection percent holds when two runs
 * complete together.
 */
public final class ClusterStress {

    private ClusterStress() {
    }

    static Endpoint endpoint(String host, HealthStatus health) {
        return new Endpoint(host, 8080, Locality.of("r", "z", ""), Map.of(), 1, health, Endpoint.NO_PRIORITY);
    }

    static EndpointTable hosts(int n) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            endpoints.add(endpoint("10.0.0." + i, HealthStatus.HEALTHY));
        }
        return EndpointTable.of(endpoints);
    }

    /** The same hosts in reverse order: every host id changes, every address stays. */
    static EndpointTable reversed(EndpointTable t) {
        List<Endpoint> endpoints = new ArrayList<>(t.endpoints());
        java.util.Collections.reverse(endpoints);
        return EndpointTable.of(endpoints);
    }

    static final EndpointTable OLD = EndpointTable.builder().add(endpoint("10.0.1.1", HealthStatus.HEALTHY)).build();
    /** Two unhealthy hosts and one healthy one, panic disabled: a mix with OLD's parts picks wrongly. */
    static final EndpointTable NEW = EndpointTable.builder()
            .add(endpoint("10.0.2.1", HealthStatus.UNHEALTHY))
            .add(endpoint("10.0.2.2", HealthStatus.UNHEALTHY))
            .add(endpoint("10.0.2.3", HealthStatus.HEALTHY)).build();

    @JCStressTest
    @Description("pick() racing a batch publish (update + drain): a host of the old or of the new snapshot")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "the old snapshot's healthy host")
    @Outcome(id = "3", expect = ACCEPTABLE, desc = "the new snapshot's healthy host")
    @Outcome(id = "0", expect = FORBIDDEN, desc = "null while a healthy host exists")
    @Outcome(expect = FORBIDDEN, desc = "a host outside the published snapshot, or a mix of both")
    @State
    public static class PickDuringPublish {
        final Cluster cluster = Cluster.builder(LbConfig.builder().panicThreshold(0).build()).endpoints(OLD)
                .random(RandomSource.threadLocal()).clock(Clocks.manual()).build();

        @Actor
        public void publish() {
            cluster.update(NEW);
            cluster.drain();
        }

        @Actor
        public void pick(I_Result r) {
            Host h = cluster.pick();
            if (h == null) {
                r.r1 = 0;
            } else if (h.address().equals("10.0.1.1:8080")) {
                r.r1 = 1;
            } else if (h.address().equals("10.0.2.3:8080")) {
                r.r1 = 3;
            } else {
                r.r1 = -1;
            }
        }
    }

    /** Ten hosts, host 1's 5xx run primed to one short of Envoy's default 5, max ejection 100%. */
    static Cluster primed(ManualClock clock) {
        Cluster c = Cluster.builder(LbConfig.builder().panicThreshold(0).build()).endpoints(hosts(10))
                .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(100)
                        .interval(Duration.ofSeconds(10)).build())
                .random(RandomSource.seeded(1)).clock(clock).build();
        Host h = c.host("10.0.0.1:8080");
        for (int i = 0; i < 4; i++) {
            c.record(h, 500);
        }
        return c;
    }

    @JCStressTest
    @Description("record() completing a run races an update that moves every host id and a due sweep")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "ejected once, whoever drained it")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "the completed run was lost")
    @Outcome(expect = FORBIDDEN, desc = "ejected twice, or counted wrongly")
    @State
    public static class RecordDuringUpdateAndSweep {
        final ManualClock clock = Clocks.manual();
        final Cluster cluster = primed(clock);
        final Host host = cluster.host("10.0.0.1:8080");

        public RecordDuringUpdateAndSweep() {
            // The first sweep is due: the control thread's drain runs it.
            clock.advance(Duration.ofSeconds(10));
        }

        @Actor
        public void record() {
            cluster.record(host, 500);
        }

        /** The control thread: an update that moves every host id, applied in the drain that also sweeps. */
        @Actor
        public void updateAndSweep() {
            cluster.update(reversed(cluster.table()));
            cluster.drain();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            cluster.drain();
            r.r1 = host.isEjected() ? 1 : 0;
            r.r2 = cluster.detector().ejectionCount(cluster.table().indexOf(host.address()));
        }
    }

    @JCStressTest
    @Description("two runs complete on two hosts, one on the control thread as it drains, with room for one ejection")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the first host's run was decided first")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the second host's run was decided first")
    @Outcome(expect = FORBIDDEN, desc = "both ejected past the cap, or a run lost")
    @State
    public static class TwoRunsOneSlot {
        final Cluster cluster;
        final Host a;
        final Host b;

        public TwoRunsOneSlot() {
            // 10% of ten hosts: one ejection (Envoy's rule counts the host being ejected).
            cluster = Cluster.builder(LbConfig.builder().panicThreshold(0).build()).endpoints(hosts(10))
                    .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(10).build())
                    .random(RandomSource.seeded(1)).clock(Clocks.manual()).completionQueueCapacity(2).build();
            a = cluster.host("10.0.0.1:8080");
            b = cluster.host("10.0.0.2:8080");
            for (int i = 0; i < 4; i++) {
                cluster.record(a, 500);
                cluster.record(b, 500);
            }
        }

        @Actor
        public void recordA() {
            cluster.record(a, 500);
        }

        @Actor
        public void recordBAndDrain() {
            cluster.record(b, 500);
            cluster.drain();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            cluster.drain();
            r.r1 = a.isEjected() ? 1 : 0;
            r.r2 = b.isEjected() ? 1 : 0;
        }
    }
}
