package dev.meridian.xds;

import static dev.meridian.xds.AdsClient.CLUSTER_TYPE_URL;
import static dev.meridian.xds.AdsClient.ENDPOINT_TYPE_URL;
import static dev.meridian.xds.EnvoyResources.assignment;
import static dev.meridian.xds.EnvoyResources.edsCluster;
import static dev.meridian.xds.EnvoyResources.locality;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import dev.meridian.core.EndpointTable;
import dev.meridian.lb.LbPolicy;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The ADS client's watcher mode over real gRPC on loopback: a watched name is told to a
 * {@link ClusterWatcher} as translated settings and assignment, with the {@code Cluster} mode's
 * contract (warming, NACKs keep the last good state), and the control plane saying the cluster does
 * not exist is told once per change (Envoy's {@code api/xds_protocol.rst}, "Deleting Resources":
 * CDS is state of the world, so a response without the cluster says it does not exist).
 */
class ClusterWatcherTest extends AdsClientFixture {

    ClusterWatcherTest() {
        super(false);
    }

    record Applied(ClusterSettings settings, LoadAssignment assignment) {
    }

    record Missing(String clusterName) {
    }

    /** Queues what it is told, for the test thread to wait on. */
    static final class RecordingWatcher implements ClusterWatcher {
        final BlockingQueue<Object> told = new LinkedBlockingQueue<>();

        @Override
        public void onApplied(ClusterSettings settings, LoadAssignment assignment) {
            told.add(new Applied(settings, assignment));
        }

        @Override
        public void onMissing(String clusterName) {
            told.add(new Missing(clusterName));
        }

        <T> T next(Class<T> type) throws InterruptedException {
            Object o = told.poll(RecordingListener.WAIT_SECONDS, TimeUnit.SECONDS);
            if (o == null) {
                fail("the watcher was told nothing within " + RecordingListener.WAIT_SECONDS + " s");
            }
            assertThat(o).isInstanceOf(type);
            return type.cast(o);
        }
    }

    @Test
    @DisplayName("a watcher hears the settings and the assignment once the cluster has warmed, then each change;"
            + " a NACKed update tells it nothing")
    void watcherHearsWhatWasApplied() throws Exception {
        LoopbackControlPlane cp = closing(LoopbackControlPlane.start());
        var withOutlier = edsCluster(REVIEWS, REVIEWS).toBuilder()
                .setOutlierDetection(OutlierDetection.newBuilder().setConsecutive5Xx(UInt32Value.of(3))).build();
        cp.publish(List.of(withOutlier), "c1", List.of(twoZones(REVIEWS)), "e1");
        RecordingWatcher watcher = new RecordingWatcher();
        closing(client(channel(cp.port())).watch(REVIEWS, watcher).build()).start();

        Applied first = watcher.next(Applied.class);
        assertThat(first.settings().name()).isEqualTo(REVIEWS);
        assertThat(first.settings().lb().policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
        assertThat(first.settings().outlierDetection().consecutive5xx()).isEqualTo(3);
        EndpointTable table = first.assignment().table();
        assertThat(table.size()).isEqualTo(4);
        assertThat(table.priority(table.indexOf("10.0.0.1:9080"))).isZero();
        assertThat(table.priority(table.indexOf("10.0.1.1:9080"))).isEqualTo(1);
        events.awaitAccepted(ENDPOINT_TYPE_URL, "e1");
        assertThat(watcher.told).isEmpty();

        // The local zone removed: told at once, with the control plane's priorities as sent.
        cp.publish(List.of(withOutlier), "c1",
                List.of(assignment(REVIEWS, locality("us-east", "us-east-1b", 0, "10.0.1.1:9080"))), "e2");
        Applied second = watcher.next(Applied.class);
        assertThat(second.assignment().table().endpoints()).singleElement()
                .satisfies(e -> assertThat(e.address()).isEqualTo("10.0.1.1:9080"));
        assertThat(second.settings()).isEqualTo(first.settings());

        // Rejected (CLUSTER_PROVIDED cannot run): the last good state stands, nothing is told.
        cp.publish(List.of(clusterProvided(REVIEWS)), "c2",
                List.of(assignment(REVIEWS, locality("us-east", "us-east-1b", 0, "10.0.1.1:9080"))), "e2");
        events.awaitRejected(CLUSTER_TYPE_URL, "c2");
        assertThat(watcher.told).isEmpty();
    }

    @Test
    @DisplayName("a state-of-the-world CDS response without the cluster: the watcher hears it is missing, once;"
            + " it comes and is applied; removed again, it is told again and the ACK warns")
    void missingClusterIsToldOncePerChange() throws Exception {
        ScriptedAdsServer server = closing(new ScriptedAdsServer());
        RecordingWatcher watcher = new RecordingWatcher();
        closing(client(channel(server.port())).watch(REVIEWS, watcher).build()).start();
        String other = "outbound|9080||ratings.default.svc.cluster.local";
        assertThat(server.nextRequest().getResourceNamesList()).containsExactly(REVIEWS);

        server.respond(CLUSTER_TYPE_URL, "1", "n1", List.of(Any.pack(edsCluster(other, other))));
        assertThat(watcher.next(Missing.class).clusterName()).isEqualTo(REVIEWS);
        events.awaitAccepted(CLUSTER_TYPE_URL, "1");
        server.respond(CLUSTER_TYPE_URL, "2", "n2", List.of(Any.pack(edsCluster(other, other))));
        events.awaitAccepted(CLUSTER_TYPE_URL, "2");
        assertThat(watcher.told).as("told once per change").isEmpty();

        server.respond(CLUSTER_TYPE_URL, "3", "n3", List.of(Any.pack(edsCluster(REVIEWS, REVIEWS))));
        events.awaitAccepted(CLUSTER_TYPE_URL, "3");
        assertThat(watcher.told).as("warming: no assignment yet").isEmpty();
        server.respond(ENDPOINT_TYPE_URL, "1", "n4", List.of(Any.pack(twoZones(REVIEWS))));
        assertThat(watcher.next(Applied.class).assignment().table().size()).isEqualTo(4);

        server.respond(CLUSTER_TYPE_URL, "4", "n5", List.of(Any.pack(edsCluster(other, other))));
        assertThat(watcher.next(Missing.class).clusterName()).isEqualTo(REVIEWS);
        assertThat(events.awaitAccepted(CLUSTER_TYPE_URL, "4").warnings())
                .anySatisfy(w -> assertThat(w.message()).contains("removed"));
    }

    @Test
    @DisplayName("one taker per name: a watcher for a name fed to a cluster already, or a null watcher, is refused")
    void oneTakerPerName() {
        AdsClient.Builder b = AdsClient.builder(channel(1)).watch(REVIEWS, destination());
        assertThatThrownBy(() -> b.watch(REVIEWS, new RecordingWatcher()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("watch.clusterName: already watched");
        assertThatThrownBy(() -> b.watch("other", (ClusterWatcher) null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("watch.watcher: must not be null");
    }
}
