/**
 * Spring Cloud LoadBalancer on Meridian: {@link dev.meridian.spring.MeridianLoadBalancerConfiguration}
 * gives every load-balanced service a {@link dev.meridian.spring.MeridianServiceInstanceLoadBalancer}
 * that decides as an Istio sidecar would, over the instances of any Spring discovery client.
 */
package dev.meridian.spring;
