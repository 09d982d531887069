package dev.meridian.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.cluster.Cluster;
import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.ManualClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The soak's ejection bookkeeping: what it accepts from a working cluster, and what it reports. */
class EjectionLedgerTest {

    private final AddressPool pool = new AddressPool(10);
    private final ManualClock clock = Clocks.manual();
    private final EjectionLedger ledger = new EjectionLedger(pool);

    private EndpointTable table(int... addressIds) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int id : addressIds) {
            b.add(Endpoint.parseAddress(pool.address(id), AddressPool.LOCALITIES[0], Map.of(), 1, HealthStatus.HEALTHY,
                    Endpoint.NO_PRIORITY), 0, 0);
        }
        return b.build();
    }

    /** A cluster telling the ledger, which has taken in its first publication, as the soak's does. */
    private Cluster cluster(int... addressIds) {
        Cluster c = Cluster.builder(LbConfig.builder().panicThreshold(0).build()).endpoints(table(addressIds))
                .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(100)
                        .baseEjectionTime(Duration.ofSeconds(30)).build())
                .clock(clock).random(RandomSource.seeded(1)).listener(ledger).build();
        reconcile(c);
        return c;
    }

    private void reconcile(Cluster c) {
        ledger.reconcile(PublishedView.of(c.publications(), c.table(), c.hosts(), c.detector() != null,
                LbConfig.builder().panicThreshold(0).build(), pool));
    }

    private void drainAndReconcile(Cluster c) {
        c.drain();
        reconcile(c);
        ledger.compareWith(c);
    }

    private static void fail(Cluster c, String address) {
        for (int i = 0; i < 5; i++) {
            c.record(c.host(address), 500);
        }
    }

    @Test
    @DisplayName("ejections end in a return or in the host leaving the set, and agree with the detector throughout")
    void ejectionsPairUp() {
        Cluster c = cluster(0, 1, 2);
        fail(c, pool.address(0));
        fail(c, pool.address(1));
        drainAndReconcile(c);
        assertThat(ledger.ejectedNow()).isEqualTo(2);
        assertThat(ledger.ejectionsOf(0)).isEqualTo(1);

        c.update(table(1, 2));
        drainAndReconcile(c);
        assertThat(ledger.endedByDeparture()).as("Envoy reports no return for a host that leaves").isEqualTo(1);
        clock.advance(Duration.ofSeconds(30));
        drainAndReconcile(c);
        assertThat(ledger.returns()).isEqualTo(1);
        assertThat(ledger.ejectedNow()).isZero();
        assertThat(ledger.ejections()).isEqualTo(ledger.returns() + ledger.endedByDeparture());

        c.update(table(0, 1, 2));
        drainAndReconcile(c);
        fail(c, pool.address(0));
        drainAndReconcile(c);
        assertThat(ledger.ejectionsOf(0)).as("every ejection of the address, across handles").isEqualTo(2);
        assertThat(ledger.problems()).isEmpty();
    }

    @Test
    @DisplayName("switching detection off returns every ejected host, and the listener hears each return")
    void detectionOff() {
        Cluster c = cluster(0, 1);
        fail(c, pool.address(0));
        drainAndReconcile(c);
        c.configure((OutlierDetectionConfig) null);
        drainAndReconcile(c);
        assertThat(ledger.returns()).isEqualTo(1);
        assertThat(ledger.problems()).isEmpty();
    }

    @Test
    @DisplayName("an ejection twice, a return of a host in service and a missed event are reported")
    void reportsWhatIsLost() {
        Cluster c = cluster(0, 1);
        fail(c, pool.address(0));
        drainAndReconcile(c);
        EndpointTable t = c.table();
        ledger.onEjected(t, t.indexOf(pool.address(0)), dev.meridian.outlier.EjectionType.CONSECUTIVE_5XX, 0, 1);
        assertThat(ledger.problems()).contains("while it was ejected already");
        ledger.onReturned(t, t.indexOf(pool.address(1)), 0);
        assertThat(ledger.problems()).contains("returned " + pool.address(1) + " which was not ejected");

        EjectionLedger deaf = new EjectionLedger(pool);
        deaf.compareWith(c);
        assertThat(deaf.problems()).contains(pool.address(0) + " is ejected in the cluster, but the listener was told it is not")
                .contains("the detector counts 1 ejections of its handle, the listener 0")
                .contains("the listener holds 0 ejections open, the cluster 1");
    }
}
