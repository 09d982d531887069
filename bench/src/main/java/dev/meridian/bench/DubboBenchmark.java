package dev.meridian.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.dubbo.common.URL;
import org.apache.dubbo.rpc.Invocation;
import org.apache.dubbo.rpc.Invoker;
import org.apache.dubbo.rpc.Result;
import org.apache.dubbo.rpc.RpcInvocation;
import org.apache.dubbo.rpc.cluster.LoadBalance;
import org.apache.dubbo.rpc.cluster.loadbalance.LeastActiveLoadBalance;
import org.apache.dubbo.rpc.cluster.loadbalance.RandomLoadBalance;
import org.apache.dubbo.rpc.cluster.loadbalance.RoundRobinLoadBalance;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Apache Dubbo's {@link LoadBalance} implementations over fake invokers, each carrying its host
 * weight in its URL as a registry would. This is the call Dubbo's cluster invoker makes per request
 * after routing; Dubbo's routers (tag, condition, script) and its multi-registry zone-aware cluster
 * are not per-endpoint locality balancing and are not part of it.
 *
 * <ul>
 *   <li>{@code roundrobin}: smooth weighted round robin (nginx's), which walks every invoker on
 *       every pick.
 *   <li>{@code random}: weighted random; also walks the invokers to sum the weights.
 *   <li>{@code leastactive}: fewest in-flight calls per {@code RpcStatus}, weighted random among
 *       ties. Nothing is in flight here, so every pick is a full tie.
 * </ul>
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
public class DubboBenchmark {

    @Param({"10", "100", "1000", "10000"})
    public int endpoints;

    @Param({"roundrobin", "random", "leastactive"})
    public String policy;

    private List<Invoker<Object>> invokers;
    private URL consumer;
    private Invocation invocation;
    private LoadBalance balance;

    @Setup
    public void setUp() {
        MeshTopology mesh = MeshTopology.of(endpoints);
        invokers = new ArrayList<>(endpoints);
        for (int i = 0; i < endpoints; i++) {
            var e = mesh.endpoint(i);
            invokers.add(new FakeInvoker(URL.valueOf("dubbo://" + e.address() + "/reviews.Reviews?weight="
                    + e.weight() + "&zone=" + mesh.zone(i) + "&region=" + mesh.region(i))));
        }
        consumer = URL.valueOf("consumer://10.1.0.1/reviews.Reviews");
        invocation = new RpcInvocation(null, "get", "reviews.Reviews", "reviews.Reviews", new Class<?>[0],
                new Object[0]);
        balance = switch (policy) {
            case "roundrobin" -> new RoundRobinLoadBalance();
            case "random" -> new RandomLoadBalance();
            case "leastactive" -> new LeastActiveLoadBalance();
            default -> throw new IllegalArgumentException("policy: unknown '" + policy + "'");
        };
        if (balance.select(invokers, consumer, invocation) == null) {
            throw new IllegalStateException("dubbo " + policy + " selected nothing");
        }
    }

    /** One selection, as the cluster invoker makes it for each call. */
    @Benchmark
    public Invoker<Object> pick() {
        return balance.select(invokers, consumer, invocation);
    }

    /** The same from two threads sharing one balancer. */
    @Benchmark
    @Threads(2)
    public Invoker<Object> pick2Threads() {
        return balance.select(invokers, consumer, invocation);
    }

    /** An invoker that is only an address: Dubbo's balancers read nothing else. */
    static final class FakeInvoker implements Invoker<Object> {
        private final URL url;

        FakeInvoker(URL url) {
            this.url = url;
        }

        @Override
        public Class<Object> getInterface() {
            return Object.class;
        }

        @Override
        public Result invoke(Invocation invocation) {
            throw new UnsupportedOperationException("a benchmark invoker is never invoked");
        }

        @Override
        public URL getUrl() {
            return url;
        }

        @Override
        public boolean isAvailable() {
            return true;
        }

        @Override
        public void destroy() {
        }
    }
}
