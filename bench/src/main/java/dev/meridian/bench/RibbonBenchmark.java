package dev.meridian.bench;

import com.netflix.client.IClientConfigAware;
import com.netflix.client.config.AbstractDefaultClientConfigImpl;
import com.netflix.client.config.CommonClientConfigKey;
import com.netflix.client.config.PropertyResolver;
import com.netflix.loadbalancer.DummyPing;
import com.netflix.loadbalancer.IRule;
import com.netflix.loadbalancer.RoundRobinRule;
import com.netflix.loadbalancer.Server;
import com.netflix.loadbalancer.ServerList;
import com.netflix.loadbalancer.ServerListUpdater;
import com.netflix.loadbalancer.ZoneAffinityServerListFilter;
import com.netflix.loadbalancer.ZoneAvoidanceRule;
import com.netflix.loadbalancer.ZoneAwareLoadBalancer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
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
 * Netflix Ribbon's {@link ZoneAwareLoadBalancer}, configured in memory (no Archaius, no Eureka) and
 * never refreshing its server list. Each pick is {@code chooseServer}, as Ribbon's clients call it
 * per request.
 *
 * <ul>
 *   <li>{@code zone_affinity}: {@code ZoneAffinityServerListFilter} keeps only the caller's zone
 *       when the list is loaded, then {@code ZoneAvoidanceRule} (availability and zone-health
 *       predicates, then round robin) picks within it: the set-up Spring Cloud Netflix shipped.
 *   <li>{@code zone_aware}: every zone is kept; each pick takes a zone snapshot, picks a zone at
 *       random weighted by its server count among the zones not judged overloaded, then round
 *       robin in that zone.
 * </ul>
 *
 * <p>Ribbon has no host weights in these rules, no priorities and no locality weights; a Ribbon
 * zone is one flat name, so each region/zone pair is one zone. Ribbon has long been in maintenance
 * mode; 2.7.18, the newest release served, runs on Java 17 as configured here.
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
public class RibbonBenchmark {

    @Param({"10", "100", "1000", "10000"})
    public int endpoints;

    @Param({"zone_affinity", "zone_aware"})
    public String mode;

    private ZoneAwareLoadBalancer<Server> balancer;

    @Setup
    public void setUp() {
        MeshTopology mesh = MeshTopology.of(endpoints);
        List<Server> servers = new ArrayList<>(endpoints);
        for (int i = 0; i < endpoints; i++) {
            var e = mesh.endpoint(i);
            Server s = new Server(e.host(), e.port());
            s.setZone(mesh.region(i) + "/" + mesh.zone(i));
            s.setAlive(true);
            servers.add(s);
        }
        boolean affinity = mode.equals("zone_affinity");
        if (!affinity && !mode.equals("zone_aware")) {
            throw new IllegalArgumentException("mode: unknown '" + mode + "'");
        }
        InMemoryConfig config = new InMemoryConfig(Map.of(
                "@zone", MeshTopology.CALLER_REGION + "/" + MeshTopology.CALLER_ZONE,
                "reviews.ribbon." + CommonClientConfigKey.EnableZoneAffinity.key(), Boolean.toString(affinity)));
        config.loadProperties("reviews");
        IRule rule = affinity ? new ZoneAvoidanceRule() : new RoundRobinRule();
        if (rule instanceof IClientConfigAware aware) {
            aware.initWithNiwsConfig(config);
        }
        ZoneAffinityServerListFilter<Server> filter = new ZoneAffinityServerListFilter<>(config);
        balancer = new ZoneAwareLoadBalancer<>(config, rule, new DummyPing(), new FixedServers(servers), filter,
                new NeverUpdate());
        String callerZone = MeshTopology.CALLER_REGION + "/" + MeshTopology.CALLER_ZONE;
        for (int i = 0; i < 32; i++) {
            Server s = balancer.chooseServer(null);
            if (s == null) {
                throw new IllegalStateException("ribbon " + mode + " chose nothing");
            }
            if (affinity && !callerZone.equals(s.getZone())) {
                throw new IllegalStateException("ribbon zone affinity left the caller's zone: " + s.getZone());
            }
        }
    }

    @TearDown
    public void tearDown() {
        balancer.shutdown();
    }

    /** One choice, as a Ribbon client makes it for each request. */
    @Benchmark
    public Server pick() {
        return balancer.chooseServer(null);
    }

    /** The same from two threads sharing one balancer. */
    @Benchmark
    @Threads(2)
    public Server pick2Threads() {
        return balancer.chooseServer(null);
    }

    /**
     * Ribbon's client configuration over a fixed map instead of Archaius. Ribbon marks this base
     * class deprecated, but it is the only one that takes its properties from somewhere other than
     * Archaius, which would bring a configuration library and its polling threads into the run.
     */
    @SuppressWarnings("deprecation")
    static final class InMemoryConfig extends AbstractDefaultClientConfigImpl {
        InMemoryConfig(Map<String, String> properties) {
            super(new MapResolver(properties));
        }

        @Override
        public void loadDefaultValues() {
            // Every key falls back to its own default; nothing more to load.
        }
    }

    record MapResolver(Map<String, String> properties) implements PropertyResolver {
        @Override
        public <T> Optional<T> get(String key, Class<T> type) {
            String value = properties.get(key);
            if (value == null) {
                return Optional.empty();
            }
            Object converted;
            if (type == String.class) {
                converted = value;
            } else if (type == Boolean.class) {
                converted = Boolean.valueOf(value);
            } else if (type == Integer.class) {
                converted = Integer.valueOf(value);
            } else if (type == Long.class) {
                converted = Long.valueOf(value);
            } else if (type == Double.class) {
                converted = Double.valueOf(value);
            } else if (type == Float.class) {
                converted = Float.valueOf(value);
            } else {
                return Optional.empty();
            }
            return Optional.of(type.cast(converted));
        }

        @Override
        public void forEach(String prefix, BiConsumer<String, String> consumer) {
            properties.forEach((k, v) -> {
                if (k.startsWith(prefix)) {
                    consumer.accept(k, v);
                }
            });
        }

        @Override
        public void onChange(Runnable action) {
        }
    }

    record FixedServers(List<Server> servers) implements ServerList<Server> {
        @Override
        public List<Server> getInitialListOfServers() {
            return servers;
        }

        @Override
        public List<Server> getUpdatedListOfServers() {
            return servers;
        }
    }

    /** The list is loaded once; nothing polls. */
    static final class NeverUpdate implements ServerListUpdater {
        @Override
        public void start(UpdateAction updateAction) {
        }

        @Override
        public void stop() {
        }

        @Override
        public String getLastUpdate() {
            return "never";
        }

        @Override
        public long getDurationSinceLastUpdateMs() {
            return 0;
        }

        @Override
        public int getNumberMissedCycles() {
            return 0;
        }

        @Override
        public int getCoreThreads() {
            return 0;
        }
    }
}
