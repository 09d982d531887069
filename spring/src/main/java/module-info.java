/**
 * Spring Cloud LoadBalancer on Meridian: a {@code ReactorServiceInstanceLoadBalancer} backed by a
 * {@link dev.meridian.cluster.Cluster} per service, fed by any Spring discovery client and by Spring's
 * load-balancer lifecycle, in one configuration class.
 */
module dev.meridian.spring {
    requires transitive dev.meridian.cluster;
    requires transitive dev.meridian.topology;
    // Spring Cloud's jars name no module, so the names are the files'; their types are in the public API.
    requires transitive spring.cloud.loadbalancer;
    requires transitive spring.cloud.commons;
    requires transitive reactor.core;
    requires transitive spring.beans;
    requires transitive spring.context;
    requires transitive spring.core;
    // Only where Spring Cloud reports an HTTP status (ResponseData); read only when present.
    requires static spring.web;
    requires org.apache.commons.logging;

    exports dev.meridian.spring;
}
