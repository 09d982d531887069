package dev.meridian.bench;

import dev.meridian.spring.ControlThread;
import dev.meridian.spring.MeridianLoadBalancerProperties;
import dev.meridian.spring.MeridianServiceInstanceLoadBalancer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.DefaultRequestContext;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.config.LoadBalancerZoneConfig;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.cloud.loadbalancer.core.RoundRobinLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.core.WeightedServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.core.ZonePreferenceServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.SimpleObjectProvider;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import reactor.core.publisher.Flux;

/**
 * Spring Cloud LoadBalancer, assembled as its zone-preference configuration assembles it, over a
 * fixed instance list standing in for the discovery client's cached list (what
 * {@code CachingServiceInstanceListSupplier} hands on). Each pick is
 * {@code RoundRobinLoadBalancer.choose(request)} blocked on, as {@code BlockingLoadBalancerClient}
 * does for a {@code RestTemplate} or {@code RestClient} call.
 *
 * <ul>
 *   <li>{@code zone_preference}: instances whose {@code zone} metadata equals the caller's zone,
 *       else all of them, then round robin; no weights.
 *   <li>{@code zone_preference_weighted}: the same with {@code WeightedServiceInstanceListSupplier}
 *       between them, which repeats each instance by its {@code weight} metadata.
 *   <li>{@code round_robin}: round robin over every instance.
 *   <li>{@code meridian}: Meridian's {@code MeridianServiceInstanceLoadBalancer} over the same list
 *       (locality from the instances' {@code topology.kubernetes.io} keys, which it reads before
 *       {@code zone}), as a sidecar with a DestinationRule's outlier detection decides: the caller's
 *       zone, then its region, then the rest, least request within.
 * </ul>
 *
 * <p>A Spring Cloud zone is one flat name, so each of the topology's region/zone pairs is one
 * zone here. There is no region fallback, priority or locality weight: when the caller's zone is
 * empty, traffic spreads over every zone at once.
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
public class SpringCloudBenchmark {

    @Param({"10", "100", "1000", "10000"})
    public int endpoints;

    @Param({"zone_preference", "zone_preference_weighted", "round_robin", "meridian"})
    public String chain;

    private ReactorServiceInstanceLoadBalancer balancer;
    private ControlThread control;
    private Request<?> request;

    @Setup
    public void setUp() {
        MeshTopology mesh = MeshTopology.of(endpoints);
        List<ServiceInstance> instances = new ArrayList<>(endpoints);
        for (int i = 0; i < endpoints; i++) {
            var e = mesh.endpoint(i);
            instances.add(new DefaultServiceInstance("reviews-" + i, "reviews", e.host(), e.port(), false,
                    Map.of("zone", mesh.region(i) + "/" + mesh.zone(i), "weight", Integer.toString(e.weight()),
                            "topology.kubernetes.io/region", mesh.region(i),
                            "topology.kubernetes.io/zone", mesh.zone(i))));
        }
        ServiceInstanceListSupplier fixed = new FixedList(List.copyOf(instances));
        LoadBalancerZoneConfig zone = new LoadBalancerZoneConfig(MeshTopology.CALLER_REGION + "/"
                + MeshTopology.CALLER_ZONE);
        if (chain.equals("meridian")) {
            balancer = meridian(fixed);
        } else {
            ServiceInstanceListSupplier supplier = switch (chain) {
                case "zone_preference" -> new ZonePreferenceServiceInstanceListSupplier(fixed, zone);
                case "zone_preference_weighted" -> new WeightedServiceInstanceListSupplier(
                        new ZonePreferenceServiceInstanceListSupplier(fixed, zone));
                case "round_robin" -> fixed;
                default -> throw new IllegalArgumentException("chain: unknown '" + chain + "'");
            };
            balancer = new RoundRobinLoadBalancer(new SimpleObjectProvider<>(supplier), "reviews");
        }
        request = new DefaultRequest<>(new DefaultRequestContext());
        for (int i = 0; i < 32; i++) {
            ServiceInstance chosen = pick();
            if (chosen == null) {
                throw new IllegalStateException("spring cloud " + chain + " chose nothing");
            }
            if ((chain.startsWith("zone_preference") || chain.equals("meridian"))
                    && !zone.getZone().equals(chosen.getMetadata().get("zone"))) {
                throw new IllegalStateException("spring cloud zone preference left the caller's zone: "
                        + chosen.getMetadata());
            }
        }
    }

    /** Meridian with the caller in r1/z1 and outlier detection on, so Istio's locality failover applies. */
    private MeridianServiceInstanceLoadBalancer meridian(ServiceInstanceListSupplier fixed) {
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new MapPropertySource("bench", Map.of(
                "meridian.loadbalancer.region", MeshTopology.CALLER_REGION,
                "meridian.loadbalancer.outlier-detection.enabled", "true")));
        control = ControlThread.start("bench-control", Duration.ofMillis(100));
        return MeridianServiceInstanceLoadBalancer.builder("reviews", new SimpleObjectProvider<>(fixed),
                MeridianLoadBalancerProperties.read(env, "reviews", MeshTopology.CALLER_ZONE))
                .controlThread(control)
                .build();
    }

    @TearDown
    public void tearDown() {
        if (balancer instanceof MeridianServiceInstanceLoadBalancer m) {
            m.close();
        }
        if (control != null) {
            control.close();
        }
    }

    /** One blocking choice, as the blocking client makes it for each request. */
    @Benchmark
    public ServiceInstance pick() {
        Response<ServiceInstance> response = balancer.choose(request).block();
        return response == null ? null : response.getServer();
    }

    /** The same from two threads sharing one balancer. */
    @Benchmark
    @Threads(2)
    public ServiceInstance pick2Threads() {
        return pick();
    }

    /** The discovery client's list, already cached. */
    static final class FixedList implements ServiceInstanceListSupplier {
        private final List<ServiceInstance> instances;

        FixedList(List<ServiceInstance> instances) {
            this.instances = instances;
        }

        @Override
        public String getServiceId() {
            return "reviews";
        }

        @Override
        public Flux<List<ServiceInstance>> get() {
            return Flux.just(instances);
        }
    }
}
