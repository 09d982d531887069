package dev.meridian.core;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One upstream endpoint: an address, where it runs, its labels, its load-balancing weight, its
 * health as the control plane reports it, and optionally an explicit Envoy priority.
 *
 * <p>Immutable and thread-safe. Built on the cold path; the pick path reads endpoints through
 * {@link EndpointTable}'s parallel arrays and hands back this object, never a copy.
 *
 * @param host a host name or IP address, not blank
 * @param port 1 to 65535
 * @param locality where the endpoint runs; {@link Locality#UNKNOWN} when nothing is known
 * @param labels the endpoint's labels (as Kubernetes pod labels), sorted by key
 * @param weight Envoy's {@code load_balancing_weight}, 1 to {@link #MAX_WEIGHT}
 * @param health the reported health
 * @param priority an explicit Envoy priority (0 is the highest), or {@link #NO_PRIORITY} when the
 *     priority is left to locality rules
 */
public record Endpoint(String host, int port, Locality locality, Map<String, String> labels, int weight,
                       HealthStatus health, int priority) {

    /** The largest weight accepted; Envoy's weights are unsigned 32-bit, ours stay within an int. */
    public static final int MAX_WEIGHT = 1_000_000;
    /** The largest explicit priority accepted. */
    public static final int MAX_PRIORITY = 127;
    /** {@link #priority()} when no explicit priority is given. */
    public static final int NO_PRIORITY = -1;

    public Endpoint {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("endpoint.address: host must not be blank, got '" + host + "'");
        }
        host = host.strip();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("endpoint.address: port must be 1..65535 (host " + host + "), got '"
                    + port + "'");
        }
        if (locality == null) {
            locality = Locality.UNKNOWN;
        }
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("endpoint.weight: must be 1.." + MAX_WEIGHT + " (endpoint " + host + ":"
                    + port + "), got '" + weight + "'");
        }
        if (health == null) {
            health = HealthStatus.UNKNOWN;
        }
        if (priority != NO_PRIORITY && (priority < 0 || priority > MAX_PRIORITY)) {
            throw new IllegalArgumentException("endpoint.priority: must be 0.." + MAX_PRIORITY + " (endpoint " + host
                    + ":" + port + "), got '" + priority + "'");
        }
        labels = labels == null || labels.isEmpty()
                ? Map.of()
                : Collections.unmodifiableMap(new TreeMap<>(labels));
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty() || e.getValue() == null) {
                throw new IllegalArgumentException("endpoint.labels: empty key or null value (endpoint " + host + ":"
                        + port + "), got '" + labels + "'");
            }
        }
    }

    /** A healthy endpoint of weight 1 with no labels and no explicit priority. */
    public static Endpoint of(String address, Locality locality) {
        return parseAddress(address, locality, Map.of(), 1, HealthStatus.HEALTHY, NO_PRIORITY);
    }

    /**
     * Builds an endpoint from a {@code host:port} address ({@code [v6]:port} for IPv6).
     *
     * @throws IllegalArgumentException naming the address when it has no valid port
     */
    public static Endpoint parseAddress(String address, Locality locality, Map<String, String> labels, int weight,
                                       HealthStatus health, int priority) {
        if (address == null) {
            throw new IllegalArgumentException("endpoint.address: must be host:port, got null");
        }
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("endpoint.address: must be host:port, got '" + address + "'");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("endpoint.address: port is not a number, got '" + address + "'");
        }
        return new Endpoint(host, port, locality, labels, weight, health, priority);
    }

    /** {@code host:port}, with brackets around an IPv6 host. */
    public String address() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    public Endpoint withHealth(HealthStatus newHealth) {
        return new Endpoint(host, port, locality, labels, weight, newHealth, priority);
    }

    public Endpoint withPriority(int newPriority) {
        return new Endpoint(host, port, locality, labels, weight, health, newPriority);
    }

    public Endpoint withWeight(int newWeight) {
        return new Endpoint(host, port, locality, labels, newWeight, health, priority);
    }

    @Override
    public String toString() {
        return address() + "@" + locality + (labels.isEmpty() ? "" : labels.toString()) + " w=" + weight + " " + health
                + (priority == NO_PRIORITY ? "" : " p=" + priority);
    }
}
