package dev.meridian.istio;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One of a DestinationRule's {@code subsets}: the endpoints whose labels include all of
 * {@code labels}, balanced as their own set, optionally with their own traffic policy.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the subset name, a DNS-1123 label
 * @param labels the labels an endpoint must carry, in the order written; empty selects every endpoint
 * @param trafficPolicy the subset's own policy, laid over the rule's; null when not written
 */
public record Subset(String name, Map<String, String> labels, TrafficPolicy trafficPolicy) {

    public Subset {
        IstioChecks.subsetName("subset.name", name);
        labels = copyLabels("subset[" + name + "].labels", labels);
    }

    /** True when every label of this subset is on the given endpoint labels with the same value. */
    public boolean selects(Map<String, String> endpointLabels) {
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (!e.getValue().equals(endpointLabels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    static Map<String, String> copyLabels(String field, Map<String, String> labels) {
        if (labels == null || labels.isEmpty()) {
            return Map.of();
        }
        Map<String, String> copy = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException(field + ": keys and values must not be null, got "
                        + e.getKey() + "=" + e.getValue());
            }
            IstioChecks.labelKey(field, e.getKey());
            IstioChecks.labelValue(field + "." + e.getKey(), e.getValue());
            copy.put(e.getKey(), e.getValue());
        }
        return Collections.unmodifiableMap(copy);
    }
}
