package dev.meridian.spring;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.simple.SimpleDiscoveryClient;
import org.springframework.cloud.client.discovery.simple.SimpleDiscoveryProperties;
import org.springframework.cloud.client.loadbalancer.LoadBalancerClientsProperties;
import org.springframework.cloud.client.loadbalancer.LoadBalancerInterceptor;
import org.springframework.cloud.client.loadbalancer.LoadBalancerRequestFactory;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.client.loadbalancer.reactive.ReactiveLoadBalancer;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClientSpecification;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClients;
import org.springframework.cloud.loadbalancer.blocking.client.BlockingLoadBalancerClient;
import org.springframework.cloud.loadbalancer.config.LoadBalancerZoneConfig;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.RestClient;
import reactor.core.publisher.Mono;

/**
 * A Spring application without Spring Boot: the beans Spring Cloud's auto-configuration would declare
 * (each method names the one it stands for), a simple discovery client, and a {@link RestClient}
 * whose requests go through {@link LoadBalancerInterceptor}, as a {@code @LoadBalanced} client's do.
 * Either with Meridian as every service's balancer, or with Spring's own defaults.
 */
final class TestApplication implements AutoCloseable {

    final AnnotationConfigApplicationContext context;
    final RestClient rest;

    private TestApplication(Class<?> application, Map<String, Object> properties,
                            Consumer<AnnotationConfigApplicationContext> beans) {
        context = new AnnotationConfigApplicationContext();
        context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("test", properties));
        beans.accept(context);
        context.register(application);
        context.refresh();
        BlockingLoadBalancerClient client = context.getBean(BlockingLoadBalancerClient.class);
        JdkClientHttpRequestFactory requests = new JdkClientHttpRequestFactory(
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());
        requests.setReadTimeout(Duration.ofSeconds(30));
        rest = RestClient.builder()
                .requestFactory(requests)
                .requestInterceptor(new LoadBalancerInterceptor(client, new LoadBalancerRequestFactory(client)))
                .build();
    }

    /** Meridian as the default configuration of every service. */
    static TestApplication meridian(Map<String, Object> properties, Consumer<AnnotationConfigApplicationContext> beans) {
        return new TestApplication(MeridianApplication.class, properties, beans);
    }

    /** Spring Cloud LoadBalancer's own defaults ({@code RoundRobinLoadBalancer} and the configured supplier chain). */
    static TestApplication spring(Map<String, Object> properties, Consumer<AnnotationConfigApplicationContext> beans) {
        return new TestApplication(SpringApplication.class, properties, beans);
    }

    /** Any application class; it should import {@link SpringCloudBeans}. */
    static TestApplication of(Class<?> application, Map<String, Object> properties,
                              Consumer<AnnotationConfigApplicationContext> beans) {
        return new TestApplication(application, properties, beans);
    }

    /** One request through the load balancer: the status, or -1 when it failed without one. */
    int call(String serviceId) {
        try {
            return rest.get().uri("http://" + serviceId + "/").exchange((request, response) ->
                    response.getStatusCode().value());
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** What one request through the load balancer threw; fails when it answered. */
    RuntimeException failure(String serviceId) {
        try {
            int status = rest.get().uri("http://" + serviceId + "/").exchange((request, response) ->
                    response.getStatusCode().value());
            throw new AssertionError("the request to " + serviceId + " was answered with " + status);
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** The service's balancer, as Spring Cloud's clients look it up. */
    ReactiveLoadBalancer<ServiceInstance> balancer(String serviceId) {
        return context.getBean(LoadBalancerClientFactory.class).getInstance(serviceId);
    }

    /** One choice, without a request. */
    Response<ServiceInstance> choose(String serviceId) {
        return Mono.from(balancer(serviceId).choose()).block(Duration.ofSeconds(30));
    }

    @Override
    public void close() {
        context.close();
    }

    /** What Spring Cloud's auto-configurations declare for a blocking, discovery-backed application. */
    @Configuration(proxyBeanMethods = false)
    static class SpringCloudBeans {

        /** {@code LoadBalancerAutoConfiguration.zoneConfig}. */
        @Bean
        LoadBalancerZoneConfig zoneConfig(Environment environment) {
            return new LoadBalancerZoneConfig(environment.getProperty("spring.cloud.loadbalancer.zone"));
        }

        /** {@code LoadBalancerAutoConfiguration.loadBalancerClientFactory}. */
        @Bean
        LoadBalancerClientFactory loadBalancerClientFactory(
                ObjectProvider<List<LoadBalancerClientSpecification>> configurations) {
            LoadBalancerClientFactory factory = new LoadBalancerClientFactory(new LoadBalancerClientsProperties());
            factory.setConfigurations(configurations.getIfAvailable(Collections::emptyList));
            return factory;
        }

        /** {@code BlockingLoadBalancerClientAutoConfiguration.blockingLoadBalancerClient}. */
        @Bean
        BlockingLoadBalancerClient blockingLoadBalancerClient(LoadBalancerClientFactory factory) {
            return new BlockingLoadBalancerClient(factory);
        }

        /** {@code SimpleDiscoveryClientAutoConfiguration.simpleDiscoveryClient}, over the test's instances. */
        @Bean
        SimpleDiscoveryClient simpleDiscoveryClient(ObjectProvider<SimpleDiscoveryProperties> instances) {
            return new SimpleDiscoveryClient(instances.getIfAvailable(SimpleDiscoveryProperties::new));
        }
    }

    @Configuration(proxyBeanMethods = false)
    @Import(SpringCloudBeans.class)
    @LoadBalancerClients(defaultConfiguration = MeridianLoadBalancerConfiguration.class)
    static class MeridianApplication {
    }

    @Configuration(proxyBeanMethods = false)
    @Import(SpringCloudBeans.class)
    static class SpringApplication {
    }
}
