package dev.meridian.istio;

import dev.meridian.topology.LocalityLbSetting;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads Istio's {@code LocalityLoadBalancerSetting} (a DestinationRule's or the mesh's
 * {@code localityLbSetting}) into {@link LocalityLbSetting}, applying Istio's
 * {@code agent.ValidateLocalityLbSetting} ({@code pkg/config/validation/agent/validation.go}) with
 * the full YAML path in every message.
 *
 * <p>Stateless and thread-safe.
 */
final class LocalitySettingReader {

    /** Labels Istio refuses in {@code failoverPriority} when {@code failover} is also set. */
    private static final Set<String> TOPOLOGY_LABELS = Set.of(
            "topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone");

    private LocalitySettingReader() {
    }

    static LocalityLbSetting read(YamlNode block) {
        Boolean enabled = block.bool("enabled");
        List<LocalityLbSetting.Distribute> distribute = readDistribute(block);
        List<LocalityLbSetting.Failover> failover = readFailover(block);
        List<String> failoverPriority = readFailoverPriority(block);
        block.finish();

        if (!distribute.isEmpty() && !failover.isEmpty()) {
            throw new IllegalArgumentException(block.path() + ": can not simultaneously set 'distribute' and "
                    + "'failover', got " + distribute.size() + " distribute and " + failover.size() + " failover rules");
        }
        if (!failover.isEmpty()) {
            for (int i = 0; i < failoverPriority.size(); i++) {
                if (TOPOLOGY_LABELS.contains(failoverPriority.get(i))) {
                    throw new IllegalArgumentException(block.path("failoverPriority") + "[" + i + "]: can not use "
                            + "topology label '" + failoverPriority.get(i) + "' together with 'failover'");
                }
            }
        }
        try {
            return new LocalityLbSetting(enabled, distribute, failover, failoverPriority);
        } catch (IllegalArgumentException e) {
            // A rule the checks above do not repeat; keep the path visible.
            throw new IllegalArgumentException(block.path() + ": " + e.getMessage(), e);
        }
    }

    /** True when the setting asks for failover, which Istio applies only with outlier detection. */
    static boolean wantsFailover(LocalityLbSetting setting) {
        return setting != null && (!setting.failover().isEmpty() || !setting.failoverPriority().isEmpty());
    }

    private static List<LocalityLbSetting.Distribute> readDistribute(YamlNode block) {
        List<?> items = block.list("distribute");
        List<LocalityLbSetting.Distribute> out = new ArrayList<>();
        if (items == null) {
            return out;
        }
        List<String> fromPatterns = new ArrayList<>();
        List<String> fromPaths = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String itemPath = block.path("distribute") + "[" + i + "]";
            YamlNode rule = YamlNode.of(itemPath, items.get(i), block.warnings());
            String from = rule.stringField("from");
            YamlNode toBlock = rule.mapping("to");
            rule.finish();
            if (from == null) {
                throw new IllegalArgumentException(rule.path("from") + ": required, got nothing");
            }
            if (toBlock == null || toBlock.entries().isEmpty()) {
                throw new IllegalArgumentException(rule.path("to") + ": must name at least one locality");
            }
            Map<String, Integer> to = new LinkedHashMap<>();
            List<String> toPaths = new ArrayList<>();
            long total = 0;
            for (Map.Entry<?, ?> e : toBlock.entries().entrySet()) {
                if (!(e.getKey() instanceof String locality)) {
                    throw new IllegalArgumentException(toBlock.path() + ": locality must be a string, got "
                            + Values.describe(e.getKey()));
                }
                String weightPath = toBlock.path() + "['" + Values.clip(locality) + "']";
                Long weight = YamlNode.integer(weightPath, e.getValue(), Long.MIN_VALUE, Long.MAX_VALUE);
                if (weight == null || weight < 1 || weight > 100) {
                    throw new IllegalArgumentException(weightPath + ": locality weight must be in range [1, 100], got "
                            + weight);
                }
                total += weight;
                to.put(locality, weight.intValue());
                toPaths.add(weightPath);
            }
            if (total != 100) {
                throw new IllegalArgumentException(toBlock.path() + ": total locality weight must be 100, got " + total);
            }
            // Istio checks a rule's destinations against each other; Go map order makes that check
            // order-dependent there, here it follows the order written.
            checkLocalities(new ArrayList<>(to.keySet()), toPaths);
            checkLocalities(List.of(from), List.of(rule.path("from")));
            fromPatterns.add(from);
            fromPaths.add(rule.path("from"));
            try {
                out.add(new LocalityLbSetting.Distribute(from, to));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(itemPath + ": " + ex.getMessage(), ex);
            }
        }
        checkLocalities(fromPatterns, fromPaths);
        return out;
    }

    private static List<LocalityLbSetting.Failover> readFailover(YamlNode block) {
        List<?> items = block.list("failover");
        List<LocalityLbSetting.Failover> out = new ArrayList<>();
        if (items == null) {
            return out;
        }
        for (int i = 0; i < items.size(); i++) {
            String itemPath = block.path("failover") + "[" + i + "]";
            YamlNode rule = YamlNode.of(itemPath, items.get(i), block.warnings());
            String from = rule.stringField("from");
            String to = rule.stringField("to");
            rule.finish();
            checkRegion(rule.path("from"), from);
            checkRegion(rule.path("to"), to);
            if (from.equals(to)) {
                throw new IllegalArgumentException(itemPath + ": failover must name different regions, got from '"
                        + from + "' and to '" + to + "'");
            }
            out.add(new LocalityLbSetting.Failover(from, to));
        }
        return out;
    }

    private static void checkRegion(String path, String region) {
        if (region == null || region.isEmpty()) {
            throw new IllegalArgumentException(path + ": required, got " + Values.describe(region));
        }
        if (region.contains("/")) {
            throw new IllegalArgumentException(path + ": failover takes a region only, got '" + Values.clip(region) + "'");
        }
        if (region.contains("*")) {
            throw new IllegalArgumentException(path + ": failover region must not contain '*', got '"
                    + Values.clip(region) + "'");
        }
    }

    private static List<String> readFailoverPriority(YamlNode block) {
        List<?> items = block.list("failoverPriority");
        List<String> out = new ArrayList<>();
        if (items == null) {
            return out;
        }
        for (int i = 0; i < items.size(); i++) {
            String itemPath = block.path("failoverPriority") + "[" + i + "]";
            Object item = items.get(i);
            if (!(item instanceof String label)) {
                throw new IllegalArgumentException(itemPath + ": expected a label name or label=value, got "
                        + Values.describe(item));
            }
            if (label.isBlank() || label.startsWith("=")) {
                throw new IllegalArgumentException(itemPath + ": must be a label name or label=value, got '"
                        + Values.clip(label) + "'");
            }
            out.add(label);
        }
        return out;
    }

    /**
     * Istio's {@code validateLocalities}: each pattern has at most one {@code *}, at its end; no
     * empty part; and no pattern covers a region, zone or subzone an earlier one already covers.
     */
    private static void checkLocalities(List<String> localities, List<String> paths) {
        Map<String, Map<String, Set<String>>> seen = new HashMap<>();
        for (int i = 0; i < localities.size(); i++) {
            String locality = localities.get(i);
            String path = paths.get(i);
            int stars = 0;
            for (int c = 0; c < locality.length(); c++) {
                if (locality.charAt(c) == '*') {
                    stars++;
                }
            }
            if (stars > 1 || (stars == 1 && !locality.endsWith("*"))) {
                throw new IllegalArgumentException(path + ": locality wildcard '*' may appear once, at the end, got '"
                        + Values.clip(locality) + "'");
            }
            if (seen.containsKey("*")) {
                throw overlap(path, locality);
            }
            String[] items = locality.split("/", 3);
            for (String item : items) {
                if (item.isEmpty()) {
                    throw new IllegalArgumentException(path + ": locality must not contain an empty region, zone or "
                            + "subzone, got '" + Values.clip(locality) + "'");
                }
            }
            if (items.length == 3 && items[2].contains("/")) {
                throw new IllegalArgumentException(path + ": expected region/zone/subzone, got '"
                        + Values.clip(locality) + "'");
            }
            String region = items[0];
            Map<String, Set<String>> zones = seen.get(region);
            if (items.length == 1) {
                if (zones != null) {
                    throw overlap(path, locality);
                }
                seen.put(region, zoneMap("*", "*"));
            } else if (items.length == 2) {
                String zone = items[1];
                if (zones == null) {
                    seen.put(region, zoneMap(zone, "*"));
                } else {
                    if (zones.containsKey("*") || zones.containsKey(zone)) {
                        throw overlap(path, locality);
                    }
                    zones.put(zone, subzoneSet("*"));
                }
            } else {
                String zone = items[1];
                String subzone = items[2];
                if (zones == null) {
                    seen.put(region, zoneMap(zone, subzone));
                } else {
                    if (zones.containsKey("*")) {
                        throw overlap(path, locality);
                    }
                    Set<String> subzones = zones.get(zone);
                    if (subzones == null) {
                        zones.put(zone, subzoneSet(subzone));
                    } else {
                        if (subzones.contains("*") || subzones.contains(subzone)) {
                            throw overlap(path, locality);
                        }
                        subzones.add(subzone);
                    }
                }
            }
        }
    }

    private static Map<String, Set<String>> zoneMap(String zone, String subzone) {
        Map<String, Set<String>> zones = new HashMap<>();
        zones.put(zone, subzoneSet(subzone));
        return zones;
    }

    private static Set<String> subzoneSet(String subzone) {
        Set<String> s = new HashSet<>();
        s.add(subzone);
        return s;
    }

    private static IllegalArgumentException overlap(String path, String locality) {
        return new IllegalArgumentException(path + ": locality '" + Values.clip(locality)
                + "' overlaps one written before it");
    }
}
