package dev.meridian.bench;

import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointSelectionStrategy;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import java.util.ArrayList;
import java.util.List;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Armeria's client-side endpoint selection over a static {@link EndpointGroup}: what an Armeria
 * {@code WebClient} does per request before it opens or reuses a connection. Host weights are given
 * to Armeria's endpoints; Armeria's core has no notion of locality, priority or health, so those
 * parts of the topology are invisible to it.
 *
 * <ul>
 *   <li>{@code weighted_round_robin}: Armeria's default strategy, weighted rotation.
 *   <li>{@code round_robin}: plain rotation, ignoring weights.
 * </ul>
 *
 * <p>Armeria's locality-aware balancing lives in {@code armeria-xds}, which is not measured: it is
 * released in step with {@code armeria} and the newest version the registry serves here (1.35.0)
 * does not match the current {@code armeria} (1.40.0).
 *
 * <p>The request context is built once; a real client builds one per request.
 *
 * <p>Not thread-safe itself: a JMH state whose setup runs on one thread; the benchmark threads only
 * call the balancer under test, which is built to be shared.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ArmeriaBenchmark {

    @Param({"10", "100", "1000", "10000"})
    public int endpoints;

    @Param({"weighted_round_robin", "round_robin"})
    public String strategy;

    private EndpointGroup group;
    private ClientRequestContext ctx;

    @Setup
    public void setUp() {
        MeshTopology mesh = MeshTopology.of(endpoints);
        List<Endpoint> list = new ArrayList<>(endpoints);
        for (int i = 0; i < endpoints; i++) {
            var e = mesh.endpoint(i);
            list.add(Endpoint.of(e.host(), e.port()).withWeight(e.weight()));
        }
        EndpointSelectionStrategy s = switch (strategy) {
            case "weighted_round_robin" -> EndpointSelectionStrategy.weightedRoundRobin();
            case "round_robin" -> EndpointSelectionStrategy.roundRobin();
            default -> throw new IllegalArgumentException("strategy: unknown '" + strategy + "'");
        };
        group = EndpointGroup.of(s, list);
        ctx = ClientRequestContext.of(HttpRequest.of(HttpMethod.GET, "/reviews"));
        if (group.selectNow(ctx) == null) {
            throw new IllegalStateException("armeria " + strategy + " selected nothing");
        }
    }

    @TearDown
    public void tearDown() {
        group.close();
    }

    /** One selection, as a client makes it for each request. */
    @Benchmark
    public Endpoint pick() {
        return group.selectNow(ctx);
    }

    /** The same from two threads sharing one group. */
    @Benchmark
    @Threads(2)
    public Endpoint pick2Threads() {
        return group.selectNow(ctx);
    }
}
