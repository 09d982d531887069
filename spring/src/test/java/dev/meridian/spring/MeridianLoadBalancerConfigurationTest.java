package dev.meridian.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.cloud.client.discovery.simple.InstanceProperties;
import org.springframework.cloud.client.discovery.simple.SimpleDiscoveryProperties;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClient;
import org.springframework.cloud.loadbalancer.core.RoundRobinLoadBalancer;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * The configuration class in Spring Cloud's per-service contexts: named for one service it replaces
 * Spring's {@code RoundRobinLoadBalancer} there only (Spring's {@code LoadBalancerClientConfiguration}
 * declares that one {@code @ConditionalOnMissingBean}, and {@code NamedContextFactory.registerBeans}
 * registers a service's own configuration before it); its one bean is also the service's lifecycle,
 * which {@code BlockingLoadBalancerClient} looks up with {@code getInstances(serviceId, LoadBalancerLifecycle.class)}.
 */
class MeridianLoadBalancerConfigurationTest {

    private LoopbackServer a;
    private TestApplication application;

    @BeforeEach
    void start() throws Exception {
        a = LoopbackServer.start("a", "r1", "z1");
    }

    @AfterEach
    void stop() {
        if (application != null) {
            application.close();
        }
        a.close();
    }

    @Configuration(proxyBeanMethods = false)
    @Import(TestApplication.SpringCloudBeans.class)
    @LoadBalancerClient(name = "reviews", configuration = MeridianLoadBalancerConfiguration.class)
    static class ReviewsOnMeridian {
    }

    @Test
    void namedForOneServiceItBalancesThatServiceOnlyAndIsItsLifecycle() {
        SimpleDiscoveryProperties discovery = new SimpleDiscoveryProperties();
        Map<String, List<InstanceProperties>> instances = new ConcurrentHashMap<>();
        instances.put("reviews", new ArrayList<>(List.of(a.instance("reviews"))));
        instances.put("ratings", new ArrayList<>(List.of(a.instance("ratings"))));
        discovery.setInstances(instances);
        application = TestApplication.of(ReviewsOnMeridian.class, Map.of(),
                context -> context.registerBean(SimpleDiscoveryProperties.class, () -> discovery));

        assertThat(application.balancer("reviews")).isInstanceOf(MeridianServiceInstanceLoadBalancer.class);
        assertThat(application.balancer("ratings")).isInstanceOf(RoundRobinLoadBalancer.class);
        LoadBalancerClientFactory factory = application.context.getBean(LoadBalancerClientFactory.class);
        assertThat(new ArrayList<Object>(factory.getInstances("reviews", LoadBalancerLifecycle.class).values()))
                .containsExactly(application.balancer("reviews"));
        assertThat(factory.getInstances("ratings", LoadBalancerLifecycle.class)).isEmpty();
        // Both answer over the socket.
        assertThat(application.call("reviews")).isEqualTo(200);
        assertThat(application.call("ratings")).isEqualTo(200);
        assertThat(a.served()).isEqualTo(2);
    }

    @Test
    void outsideAServicesContextItSaysWhereItBelongs() {
        AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
        context.register(MeridianLoadBalancerConfiguration.class);
        assertThatThrownBy(context::refresh)
                .rootCause()
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("loadbalancer.client.name: not set")
                .hasMessageContaining("@LoadBalancerClients(defaultConfiguration = ...)");
        context.close();
    }
}
