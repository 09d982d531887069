package dev.meridian.istio;

import dev.meridian.core.Locality;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An Istio {@code WorkloadEntry}: one workload outside Kubernetes (a VM), or one of a
 * {@code ServiceEntry}'s inline {@code endpoints}, which share this shape
 * ({@code networking/v1alpha3/workload_entry.proto} in istio/api), reduced to what decides endpoint
 * choice.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name {@code metadata.name}; null for a ServiceEntry's inline endpoint
 * @param namespace {@code metadata.namespace}; null when not written (or inline)
 * @param address an IP address, a host name, or {@code unix://} and a socket path; empty only when
 *        {@code network} is set (an endpoint reached through that network's gateway)
 * @param ports the port for each ServiceEntry port name, overriding the entry's {@code targetPort}
 *        and {@code number}
 * @param labels the workload's labels: {@code spec.labels}, with a standalone entry's
 *        {@code metadata.labels} laid over them, as Istio's {@code ConvertWorkloadEntry} merges them
 * @param locality where it runs: {@code spec.locality}, else the {@code topology.istio.io/locality}
 *        or {@code istio-locality} label with dots read as slashes ({@code SanitizeLocalityLabel});
 *        {@link Locality#UNKNOWN} when neither is written
 * @param network {@code spec.network}; empty when not written
 * @param weight {@code spec.weight}; 0 when not written, which Istio sends as 1
 *        ({@code IstioEndpoint.GetLoadBalancingWeight})
 */
public record WorkloadEntry(String name, String namespace, String address, Map<String, Integer> ports,
                            Map<String, String> labels, Locality locality, String network, int weight) {

    /** Istio's prefix for a Unix domain socket address. */
    public static final String UNIX_PREFIX = "unix://";
    /** The label Istio adds to every endpoint with a network ({@code AugmentLabels}). */
    public static final String LABEL_NETWORK = "topology.istio.io/network";

    public WorkloadEntry {
        address = address == null ? "" : address;
        ports = ports == null || ports.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(ports));
        labels = labels == null || labels.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        locality = locality == null ? Locality.UNKNOWN : locality;
        network = network == null ? "" : network;
        if (weight < 0) {
            throw new IllegalArgumentException("weight: must not be negative, got " + weight);
        }
    }

    /** The weight Istio sends: {@link #weight()}, or 1 when it is 0. */
    public int loadBalancingWeight() {
        return weight > 0 ? weight : 1;
    }

    /**
     * The labels Istio gives the endpoint: {@link #labels()} with {@value #LABEL_NETWORK} added from
     * {@link #network()} when the labels do not already set it ({@code AugmentLabels} in
     * {@code pilot/pkg/serviceregistry/util/label/label.go}). The locality labels are derived from
     * {@link #locality()} where the priorities are computed.
     */
    public Map<String, String> endpointLabels() {
        if (network.isEmpty() || !labels.getOrDefault(LABEL_NETWORK, "").isEmpty()) {
            return labels;
        }
        Map<String, String> out = new LinkedHashMap<>(labels);
        out.put(LABEL_NETWORK, network);
        return Collections.unmodifiableMap(out);
    }

    /** True when the address is an IP address (not a host name, a socket or empty), as Go's {@code netip.ParseAddr} reads it. */
    public boolean hasIpAddress() {
        return ServiceEntries.isIpAddress(address);
    }

    /** True when the address is a Unix domain socket. */
    public boolean isUnixSocket() {
        return address.startsWith(UNIX_PREFIX);
    }
}
