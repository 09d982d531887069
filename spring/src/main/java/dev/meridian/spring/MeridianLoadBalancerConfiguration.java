package dev.meridian.spring;

import dev.meridian.core.NanoClock;
import dev.meridian.core.RandomSource;
import dev.meridian.outlier.EjectionListener;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClient;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClients;
import org.springframework.cloud.loadbalancer.config.LoadBalancerZoneConfig;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Meridian as Spring Cloud LoadBalancer's balancer, in one configuration class: name it as the
 * default configuration of every load-balanced service,
 * {@code @LoadBalancerClients(defaultConfiguration = MeridianLoadBalancerConfiguration.class)}, or as
 * one service's, {@code @LoadBalancerClient(name = "reviews", configuration = MeridianLoadBalancerConfiguration.class)}.
 * Spring Cloud then creates, in each service's own context, one
 * {@link MeridianServiceInstanceLoadBalancer}, which is both the service's
 * {@code ReactorServiceInstanceLoadBalancer} and the {@code LoadBalancerLifecycle} that reports
 * outcomes to it, and which takes the place of Spring's default {@code RoundRobinLoadBalancer}.
 *
 * <p>Read from the application context when present: the {@link ServiceInstanceListSupplier} (by
 * default Spring's, over the application's {@code DiscoveryClient}); {@link LoadBalancerZoneConfig}
 * for the caller's zone (else the property {@code spring.cloud.loadbalancer.zone}); the properties
 * under {@value MeridianLoadBalancerProperties#PREFIX} ({@link MeridianLoadBalancerProperties}); and
 * optionally a {@link ControlThread} to share among services, a {@link NanoClock}, a
 * {@link RandomSource} and an {@link EjectionListener}.
 *
 * <p>Settings are validated when the service's context starts, which Spring Cloud does at the
 * service's first request, or at application start for the services named in
 * {@code spring.cloud.loadbalancer.eager-load.clients}: a malformed one fails the context with an
 * {@link IllegalArgumentException} naming the property and the value.
 */
@Configuration(proxyBeanMethods = false)
public class MeridianLoadBalancerConfiguration {

    /** Creates the configuration; Spring Cloud does, in each service's context. */
    public MeridianLoadBalancerConfiguration() {
    }

    /**
     * The service's balancer and lifecycle.
     *
     * @throws IllegalStateException when the context is not one of Spring Cloud's per-service contexts
     * @throws IllegalArgumentException naming the property and the value of a malformed setting
     */
    @Bean(destroyMethod = "close")
    public MeridianServiceInstanceLoadBalancer meridianServiceInstanceLoadBalancer(Environment environment,
            ObjectProvider<ServiceInstanceListSupplier> suppliers, ObjectProvider<LoadBalancerZoneConfig> zoneConfig,
            ObjectProvider<ControlThread> controlThread, ObjectProvider<NanoClock> clock,
            ObjectProvider<RandomSource> random, ObjectProvider<EjectionListener> listener) {
        String serviceId = environment.getProperty(LoadBalancerClientFactory.PROPERTY_NAME);
        if (serviceId == null) {
            throw new IllegalStateException(LoadBalancerClientFactory.PROPERTY_NAME + ": not set, so this is not a "
                    + "load-balanced service's context: name " + MeridianLoadBalancerConfiguration.class.getSimpleName()
                    + " in @" + LoadBalancerClients.class.getSimpleName() + "(defaultConfiguration = ...) or @"
                    + LoadBalancerClient.class.getSimpleName() + "(configuration = ...)");
        }
        LoadBalancerZoneConfig zone = zoneConfig.getIfAvailable();
        String callerZone = zone != null ? zone.getZone() : environment.getProperty("spring.cloud.loadbalancer.zone");
        MeridianLoadBalancerProperties properties = MeridianLoadBalancerProperties.read(environment, serviceId,
                callerZone);
        return MeridianServiceInstanceLoadBalancer.builder(serviceId, suppliers, properties)
                .controlThread(controlThread.getIfUnique())
                .clock(clock.getIfUnique())
                .random(random.getIfUnique())
                .listener(listener.getIfUnique())
                .build();
    }
}
