package dev.meridian.topology;

import dev.meridian.core.Locality;
import java.util.Map;
import java.util.TreeMap;

/**
 * The client side of a decision: the caller's locality (from its node's
 * {@code topology.kubernetes.io/region} and {@code /zone} labels, or a VM agent's configuration) and
 * the caller's own labels, which Istio's {@code failoverPriority} compares with endpoint labels.
 *
 * <p>Immutable and thread-safe.
 */
public record Caller(Locality locality, Map<String, String> labels) {
    public Caller {
        locality = locality == null ? Locality.UNKNOWN : locality;
        labels = labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
    }

    public static Caller at(Locality locality) {
        return new Caller(locality, Map.of());
    }
}
