package dev.meridian.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Endpoint;
import dev.meridian.core.Locality;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;

/**
 * Instance metadata as Spring Cloud's suppliers and Spring Cloud Kubernetes write it:
 * {@code zone} as {@code ZonePreferenceServiceInstanceListSupplier} reads it ({@code ZONE_KEY},
 * {@code spring-cloud-loadbalancer} {@code core/ZonePreferenceServiceInstanceListSupplier.java}),
 * {@code weight} as {@code WeightedServiceInstanceListSupplier.metadataWeightFunction} reads it, and
 * the Kubernetes topology labels when a discovery client copies labels into the metadata (Spring
 * Cloud Kubernetes {@code DiscoveryClientUtils.serviceInstanceMetadata}: the Service's labels, with
 * an optional prefix; {@code addPodMetadataToServiceInstanceMetadata}: the pod's {@code zone} label).
 */
class ServiceInstanceEndpointsTest {

    private static ServiceInstance instance(String id, int port, Map<String, String> metadata) {
        return new DefaultServiceInstance(id, "reviews", "10.0.0.1", port, false, metadata);
    }

    @Test
    void springsZoneKeyAndARegionKeyMakeTheLocality() {
        Endpoint e = ServiceInstanceEndpoints.endpoint(instance("a", 80, Map.of("zone", "z1", "region", "r1")));
        assertThat(e.locality()).isEqualTo(Locality.of("r1", "z1", ""));
        assertThat(e.address()).isEqualTo("10.0.0.1:80");
        assertThat(e.weight()).isEqualTo(1);
        assertThat(e.labels()).containsEntry("zone", "z1").containsEntry("region", "r1");
    }

    @Test
    void kubernetesTopologyLabelsWinOverThePlainKeys() {
        Endpoint e = ServiceInstanceEndpoints.endpoint(instance("a", 80, Map.of(
                "topology.kubernetes.io/region", "eu-west-1",
                "topology.kubernetes.io/zone", "eu-west-1a",
                "topology.istio.io/subzone", "rack-7",
                "zone", "legacy",
                "region", "legacy")));
        assertThat(e.locality()).isEqualTo(Locality.of("eu-west-1", "eu-west-1a", "rack-7"));
    }

    @Test
    void aMissingLocalityIsUnknownAndTheWeightIsSpringsWeightKey() {
        Endpoint e = ServiceInstanceEndpoints.endpoint(instance("a", 80, Map.of("weight", " 7 ")));
        assertThat(e.locality()).isEqualTo(Locality.UNKNOWN);
        assertThat(e.weight()).isEqualTo(7);
    }

    @Test
    void badMetadataIsRejectedNamingTheInstanceTheKeyAndTheValue() {
        assertThatThrownBy(() -> ServiceInstanceEndpoints.endpoint(instance("a", 80, Map.of("weight", "0"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("instance 'a' (10.0.0.1:80): metadata 'weight' must be a whole number 1..1000000, got '0'");
        assertThatThrownBy(() -> ServiceInstanceEndpoints.endpoint(instance("a", 80, Map.of("zone", "r1/z1"))))
                .hasMessage("instance 'a' (10.0.0.1:80): metadata 'zone' must not contain '/', got 'r1/z1'");
        // Spring Cloud Kubernetes lists port 0 for a Service without ports.
        assertThatThrownBy(() -> ServiceInstanceEndpoints.endpoint(instance("a", 0, Map.of())))
                .hasMessageStartingWith("instance 'a' (10.0.0.1:0): endpoint.address: port must be 1..65535");
        assertThatThrownBy(() -> ServiceInstanceEndpoints.endpoints(List.of(instance("a", 80, Map.of()),
                instance("b", 80, Map.of()))))
                .hasMessage("instance 'b' (10.0.0.1:80): address 10.0.0.1:80 is also the address of instance 'a' "
                        + "(10.0.0.1:80)");
    }
}
