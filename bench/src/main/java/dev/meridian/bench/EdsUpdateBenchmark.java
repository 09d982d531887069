package dev.meridian.bench;

import dev.meridian.cluster.Cluster;
import dev.meridian.core.Clocks;
import dev.meridian.core.EndpointTable;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.xds.LoadAssignment;
import dev.meridian.xds.LoadAssignments;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What an EDS update costs from the wire to the pick path: a serialized {@code ClusterLoadAssignment}
 * in which one endpoint's health changed since the last one is parsed, translated and validated
 * ({@link LoadAssignments#fromEnvoy}), queued to the {@link Cluster} and drained, which publishes
 * one snapshot. The two assignments alternate, so every call is a real change. The parts are
 * measured alone too, to say where the time goes.
 *
 * <p>Not thread-safe itself: one benchmark thread is both the gRPC callback thread and the control
 * thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EdsUpdateBenchmark {

    @Param({"1000", "10000", "100000"})
    public int endpoints;

    private byte[][] wire;
    private ClusterLoadAssignment[] parsed;
    private EndpointTable[] tables;
    private Cluster cluster;
    private int next;

    @Setup
    public void setUp() {
        MeshTopology mesh = MeshTopology.of(endpoints);
        // istiod sends one LocalityLbEndpoints per priority and locality: order the hosts so that
        // each group's hosts are adjacent, which is how LoadAssignments.toEnvoy groups them.
        Integer[] order = new Integer[mesh.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, java.util.Comparator.<Integer>comparingInt(mesh::priority)
                .thenComparing(mesh::region).thenComparing(mesh::zone));
        EndpointTable.Builder grouped = EndpointTable.builder();
        for (int i : order) {
            grouped.add(mesh.endpoint(i), mesh.priority(i), mesh.localityWeight(i));
        }
        EndpointTable table = grouped.build();
        ClusterLoadAssignment healthy = LoadAssignments.toEnvoy(new LoadAssignment("reviews", table,
                LbConfig.DEFAULT_OVERPROVISIONING_FACTOR, false));
        // The same assignment with the middle endpoint of the first group reported unhealthy.
        LocalityLbEndpoints first = healthy.getEndpoints(0);
        int middle = first.getLbEndpointsCount() / 2;
        ClusterLoadAssignment oneUnhealthy = healthy.toBuilder().setEndpoints(0, first.toBuilder()
                .setLbEndpoints(middle, first.getLbEndpoints(middle).toBuilder()
                        .setHealthStatus(HealthStatus.UNHEALTHY))).build();
        parsed = new ClusterLoadAssignment[] {healthy, oneUnhealthy};
        wire = new byte[][] {healthy.toByteArray(), oneUnhealthy.toByteArray()};
        tables = new EndpointTable[] {LoadAssignments.fromEnvoy(healthy).value().table(),
                LoadAssignments.fromEnvoy(oneUnhealthy).value().table()};
        cluster = Cluster.builder(LbConfig.builder().policy(LbPolicy.ROUND_ROBIN).localityWeighted(true).build())
                .endpoints(tables[0]).clock(Clocks.manual())
                .outlierDetection(OutlierDetectionConfig.defaults()).build();
    }

    /** Bytes to a published snapshot: parse, translate, queue, drain. */
    @Benchmark
    public long endToEnd() throws InvalidProtocolBufferException {
        ClusterLoadAssignment cla = ClusterLoadAssignment.parseFrom(wire[++next & 1]);
        cluster.update(LoadAssignments.fromEnvoy(cla).value().table());
        cluster.drain();
        return cluster.publications();
    }

    /** Protobuf's parse alone. */
    @Benchmark
    public ClusterLoadAssignment parse() throws InvalidProtocolBufferException {
        return ClusterLoadAssignment.parseFrom(wire[++next & 1]);
    }

    /** Meridian's translation and validation alone: proto to endpoint table. */
    @Benchmark
    public EndpointTable translate() {
        return LoadAssignments.fromEnvoy(parsed[++next & 1]).value().table();
    }

    /** The cluster's part alone: a new table queued and drained to one published snapshot. */
    @Benchmark
    public long publish() {
        cluster.update(tables[++next & 1]);
        cluster.drain();
        return cluster.publications();
    }
}
