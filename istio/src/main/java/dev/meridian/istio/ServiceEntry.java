package dev.meridian.istio;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An Istio {@code ServiceEntry}, reduced to what decides endpoint choice and validated as Istio
 * validates it ({@code networking/v1alpha3/service_entry.proto} in istio/api; {@code ValidateServiceEntry}
 * in {@code pkg/config/validation/validation.go}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param apiVersion one of {@link DestinationRule#API_VERSIONS}
 * @param name {@code metadata.name}
 * @param namespace {@code metadata.namespace}; null when not written
 * @param labels {@code metadata.labels}, which become the service's labels
 * @param annotations {@code metadata.annotations}, where Istio reads the traffic distribution
 * @param hosts {@code spec.hosts}, at least one
 * @param ports {@code spec.ports}, names and numbers unique
 * @param resolution {@code spec.resolution}; {@link Resolution#NONE} when not written
 * @param endpoints {@code spec.endpoints}, in the order written
 * @param workloadSelector {@code spec.workloadSelector.labels}; null when the entry has no selector
 */
public record ServiceEntry(String apiVersion, String name, String namespace, Map<String, String> labels,
                           Map<String, String> annotations, List<String> hosts, List<Port> ports,
                           Resolution resolution, List<WorkloadEntry> endpoints, Map<String, String> workloadSelector) {

    public ServiceEntry {
        labels = copy(labels);
        annotations = copy(annotations);
        hosts = List.copyOf(hosts);
        ports = List.copyOf(ports);
        resolution = resolution == null ? Resolution.NONE : resolution;
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        workloadSelector = workloadSelector == null ? null : copy(workloadSelector);
    }

    /** How the proxy finds the entry's endpoints ({@code ServiceEntry.Resolution}). */
    public enum Resolution {
        /** No endpoints: the connection's original destination is used. */
        NONE,
        /** The endpoints written (or selected) are the endpoints: what an EDS cluster carries. */
        STATIC,
        /** Envoy resolves the endpoints' (or the hosts') names itself, every address in use. */
        DNS,
        /** Envoy resolves one name and uses the first address. */
        DNS_ROUND_ROBIN,
        /** Envoy resolves each request's host (dynamic forward proxy). */
        DYNAMIC_DNS
    }

    /**
     * One of {@code spec.ports}.
     *
     * @param number the port the service is reached on, 1..65535
     * @param name a DNS-1123 label, unique in the entry
     * @param protocol as written (Istio reads it case-insensitively); empty for protocol sniffing
     * @param targetPort the endpoints' port when they do not name one; 0 when not written
     */
    public record Port(int number, String name, String protocol, int targetPort) {
        public Port {
            protocol = protocol == null ? "" : protocol;
        }

        /** UDP, for which Istio builds no outbound cluster ({@code pilot/pkg/networking/core/cluster.go}). */
        public boolean isUdp() {
            return protocol.toLowerCase(Locale.ROOT).equals("udp");
        }

        /** The port an endpoint is reached on: its own for this port's name, else targetPort, else number. */
        public int endpointPort(WorkloadEntry endpoint) {
            Integer own = endpoint.ports().get(name);
            if (own != null && own > 0) {
                return own;
            }
            return targetPort > 0 ? targetPort : number;
        }
    }

    /** True when an endpoint (a workload entry's or a pod's) with these labels is selected by {@link #workloadSelector()}. */
    public boolean selects(Map<String, String> workloadLabels) {
        if (workloadSelector == null) {
            return false;
        }
        for (Map.Entry<String, String> e : workloadSelector.entrySet()) {
            if (!e.getValue().equals(workloadLabels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, String> copy(Map<String, String> m) {
        return m == null || m.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }
}
