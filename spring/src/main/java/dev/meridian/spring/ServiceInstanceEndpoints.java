package dev.meridian.spring;

import dev.meridian.core.Endpoint;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.cloud.client.ServiceInstance;

/**
 * Turns Spring Cloud {@link ServiceInstance}s, as any discovery client lists them, into Meridian
 * endpoints: the address, the locality and the weight from the instance's metadata, and the metadata
 * itself as the endpoint's labels (which Istio's {@code failoverPriority} compares with the caller's).
 *
 * <p>Metadata keys read, the first present winning:
 * <ul>
 *   <li>region: {@value #REGION_LABEL}, then {@value #REGION_KEY};</li>
 *   <li>zone: {@value #ZONE_LABEL}, then {@value #ZONE_KEY}, the key Spring Cloud's
 *       {@code ZonePreferenceServiceInstanceListSupplier} reads ({@code ZONE_KEY}) and Spring Cloud
 *       Kubernetes fills from the pod's {@code zone} label
 *       ({@code DiscoveryClientUtils.addPodMetadataToServiceInstanceMetadata});</li>
 *   <li>subzone: {@value #SUBZONE_LABEL}, then {@value #SUBZONE_KEY};</li>
 *   <li>weight: {@value #WEIGHT_KEY}, the key Spring Cloud's {@code WeightedServiceInstanceListSupplier}
 *       reads ({@code METADATA_WEIGHT_KEY}), 1 to {@link Endpoint#MAX_WEIGHT}; 1 when absent.</li>
 * </ul>
 * Spring Cloud Kubernetes puts a Service's labels in the metadata (with
 * {@code spring.cloud.kubernetes.discovery.metadata.labels-prefix} in front of each key when set), so
 * the {@code topology.kubernetes.io} keys arrive only when something labels them there; Consul and
 * Eureka pass their metadata through as written.
 *
 * <p>Every instance is taken as healthy: a discovery client lists what it considers up, and Spring's
 * health-check supplier, when configured, has already removed the rest.
 *
 * <p>Stateless and thread-safe; cold path (allocates).
 */
public final class ServiceInstanceEndpoints {

    /** Kubernetes' well-known region label, as Istio reads it from a node. */
    public static final String REGION_LABEL = "topology.kubernetes.io/region";
    /** Kubernetes' well-known zone label, as Istio reads it from a node. */
    public static final String ZONE_LABEL = "topology.kubernetes.io/zone";
    /** Istio's subzone label. */
    public static final String SUBZONE_LABEL = "topology.istio.io/subzone";
    /** A plain region key, for discovery clients without Kubernetes labels. */
    public static final String REGION_KEY = "region";
    /** Spring Cloud's zone key ({@code ZonePreferenceServiceInstanceListSupplier.ZONE_KEY}). */
    public static final String ZONE_KEY = "zone";
    /** A plain subzone key. */
    public static final String SUBZONE_KEY = "subzone";
    /** Spring Cloud's weight key ({@code WeightedServiceInstanceListSupplier.METADATA_WEIGHT_KEY}). */
    public static final String WEIGHT_KEY = "weight";

    private ServiceInstanceEndpoints() {
    }

    /**
     * The endpoints of an instance list, in its order.
     *
     * @throws IllegalArgumentException naming the instance, the metadata key and the value when an
     *     instance has no usable address, a locality part with a {@code /}, a weight that is not
     *     1..{@value Endpoint#MAX_WEIGHT}, or the address of an instance before it
     */
    public static List<Endpoint> endpoints(List<? extends ServiceInstance> instances) {
        List<Endpoint> out = new ArrayList<>(instances.size());
        Map<String, String> seen = new HashMap<>();
        for (ServiceInstance instance : instances) {
            Endpoint e = endpoint(instance);
            String before = seen.putIfAbsent(e.address(), describe(instance));
            if (before != null) {
                throw new IllegalArgumentException("instance " + describe(instance) + ": address " + e.address()
                        + " is also the address of instance " + before);
            }
            out.add(e);
        }
        return out;
    }

    /**
     * One instance's endpoint.
     *
     * @throws IllegalArgumentException as {@link #endpoints}
     */
    public static Endpoint endpoint(ServiceInstance instance) {
        if (instance == null) {
            throw new IllegalArgumentException("instance: must not be null");
        }
        Map<String, String> metadata = instance.getMetadata() == null ? Map.of() : instance.getMetadata();
        Locality locality = new Locality(
                part(instance, metadata, REGION_LABEL, REGION_KEY),
                part(instance, metadata, ZONE_LABEL, ZONE_KEY),
                part(instance, metadata, SUBZONE_LABEL, SUBZONE_KEY));
        int weight = weight(instance, metadata);
        Map<String, String> labels = new HashMap<>();
        for (Map.Entry<String, String> m : metadata.entrySet()) {
            if (m.getKey() != null && !m.getKey().isEmpty() && m.getValue() != null) {
                labels.put(m.getKey(), m.getValue());
            }
        }
        try {
            return new Endpoint(instance.getHost(), instance.getPort(), locality, labels, weight, HealthStatus.HEALTHY,
                    Endpoint.NO_PRIORITY);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("instance " + describe(instance) + ": " + e.getMessage(), e);
        }
    }

    private static String part(ServiceInstance instance, Map<String, String> metadata, String label, String key) {
        String from = metadata.get(label) != null ? label : key;
        String value = metadata.get(from);
        if (value != null && value.indexOf('/') >= 0) {
            throw new IllegalArgumentException("instance " + describe(instance) + ": metadata '" + from
                    + "' must not contain '/', got '" + value + "'");
        }
        return value;
    }

    private static int weight(ServiceInstance instance, Map<String, String> metadata) {
        String text = metadata.get(WEIGHT_KEY);
        if (text == null) {
            return 1;
        }
        int weight;
        try {
            weight = Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            weight = 0;
        }
        if (weight < 1 || weight > Endpoint.MAX_WEIGHT) {
            throw new IllegalArgumentException("instance " + describe(instance) + ": metadata '" + WEIGHT_KEY
                    + "' must be a whole number 1.." + Endpoint.MAX_WEIGHT + ", got '" + text + "'");
        }
        return weight;
    }

    /** {@code id (host:port)}, for messages. */
    static String describe(ServiceInstance instance) {
        return "'" + instance.getInstanceId() + "' (" + instance.getHost() + ":" + instance.getPort() + ")";
    }
}
