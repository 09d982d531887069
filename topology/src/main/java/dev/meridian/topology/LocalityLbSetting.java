package dev.meridian.topology;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Istio's {@code LocalityLoadBalancerSetting} (mesh-wide {@code localityLbSetting} or a
 * DestinationRule's {@code trafficPolicy.loadBalancer.localityLbSetting}), validated.
 *
 * <p>Immutable and thread-safe.
 *
 * @param enabled Istio's {@code enabled}; null when the field is absent (absent means enabled)
 * @param distribute the {@code distribute} rules, in the order written
 * @param failover the {@code failover} rules, in the order written
 * @param failoverPriority the {@code failoverPriority} labels, each {@code label} or {@code label=value}
 */
public record LocalityLbSetting(Boolean enabled, List<Distribute> distribute, List<Failover> failover,
                                List<String> failoverPriority) {

    /** An enabled setting with no rules: Istio's default proximity priorities. */
    public static final LocalityLbSetting DEFAULT = new LocalityLbSetting(null, List.of(), List.of(), List.of());

    public LocalityLbSetting {
        distribute = distribute == null ? List.of() : List.copyOf(distribute);
        failover = failover == null ? List.of() : List.copyOf(failover);
        failoverPriority = failoverPriority == null ? List.of() : List.copyOf(failoverPriority);
        if (!distribute.isEmpty() && !failover.isEmpty()) {
            // Istio's validation: "can not simultaneously set 'distribute' and 'failover'".
            throw new IllegalArgumentException(
                    "localityLbSetting: can not simultaneously set 'distribute' and 'failover'");
        }
        for (int i = 0; i < failoverPriority.size(); i++) {
            String label = failoverPriority.get(i);
            if (label == null || label.isBlank() || label.startsWith("=")) {
                throw new IllegalArgumentException("localityLbSetting.failoverPriority[" + i
                        + "]: must be a label name or label=value, got '" + label + "'");
            }
        }
    }

    /** False only when {@code enabled: false} was written. */
    public boolean isEnabled() {
        return enabled == null || enabled;
    }

    /**
     * One {@code distribute} rule: callers in {@code from} send the given percentage of their
     * traffic to each {@code to} locality. Localities are {@code region/zone/subzone} with {@code *}
     * wildcards.
     *
     * @param from the caller locality pattern
     * @param to locality pattern to weight, in the order written
     */
    public record Distribute(String from, Map<String, Integer> to) {
        public Distribute {
            if (from == null || from.isBlank()) {
                throw new IllegalArgumentException("localityLbSetting.distribute.from: must not be empty, got '"
                        + from + "'");
            }
            checkPattern("localityLbSetting.distribute.from", from);
            if (to == null || to.isEmpty()) {
                throw new IllegalArgumentException("localityLbSetting.distribute[from=" + from
                        + "].to: must name at least one locality");
            }
            int total = 0;
            for (Map.Entry<String, Integer> e : to.entrySet()) {
                checkPattern("localityLbSetting.distribute[from=" + from + "].to", e.getKey());
                Integer w = e.getValue();
                if (w == null || w <= 0 || w > 100) {
                    throw new IllegalArgumentException("localityLbSetting.distribute[from=" + from + "].to['"
                            + e.getKey() + "']: weight must be 1..100, got " + w);
                }
                total += w;
            }
            if (total != 100) {
                // Istio's validation: "total weight must be 100".
                throw new IllegalArgumentException("localityLbSetting.distribute[from=" + from
                        + "].to: weights must add up to 100, got " + total);
            }
            to = Collections.unmodifiableMap(new LinkedHashMap<>(to));
        }
    }

    /**
     * One {@code failover} rule: when the caller's region is {@code from}, endpoints outside it go
     * first to region {@code to}.
     */
    public record Failover(String from, String to) {
        public Failover {
            if (from == null || from.isBlank() || from.contains("/")) {
                throw new IllegalArgumentException("localityLbSetting.failover.from: must be a region, got '"
                        + from + "'");
            }
            if (to == null || to.isBlank() || to.contains("/")) {
                throw new IllegalArgumentException("localityLbSetting.failover[from=" + from
                        + "].to: must be a region, got '" + to + "'");
            }
            if (from.equals(to)) {
                throw new IllegalArgumentException("localityLbSetting.failover[from=" + from
                        + "].to: must differ from 'from', got '" + to + "'");
            }
        }
    }

    private static void checkPattern(String field, String pattern) {
        if (pattern == null || pattern.isBlank()) {
            throw new IllegalArgumentException(field + ": locality must not be empty, got '" + pattern + "'");
        }
        String[] parts = pattern.split("/", -1);
        if (parts.length > 3) {
            throw new IllegalArgumentException(field + ": expected region/zone/subzone, got '" + pattern + "'");
        }
        List<String> list = new ArrayList<>(List.of(parts));
        int star = list.indexOf("*");
        if (star >= 0 && star != list.size() - 1) {
            // Istio: "wildcard can only be in the last segment" of a locality.
            throw new IllegalArgumentException(field + ": '*' may only be the last part, got '" + pattern + "'");
        }
    }
}
