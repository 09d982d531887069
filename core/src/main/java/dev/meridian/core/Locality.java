package dev.meridian.core;

import java.util.Objects;

/**
 * Where an endpoint or a caller runs: region, zone and subzone, as Envoy's
 * {@code envoy.config.core.v3.Locality} and Kubernetes' {@code topology.kubernetes.io/region} and
 * {@code topology.kubernetes.io/zone} labels name them.
 *
 * <p>Any field may be empty: pods on virtual nodes often carry a region and no zone, or nothing at
 * all. An empty field is a value like any other and compares equal only to another empty field,
 * which is how Istio compares localities ({@code pilot/pkg/networking/util.LbPriority}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param region the region, never null, possibly empty
 * @param zone the zone, never null, possibly empty
 * @param subzone the subzone, never null, possibly empty
 */
public record Locality(String region, String zone, String subzone) {

    /** The locality with every field empty. */
    public static final Locality UNKNOWN = new Locality("", "", "");

    public Locality {
        region = clean("region", region);
        zone = clean("zone", zone);
        subzone = clean("subzone", subzone);
    }

    /** A locality from its three parts; null parts become empty. */
    public static Locality of(String region, String zone, String subzone) {
        return new Locality(region, zone, subzone);
    }

    /**
     * Parses Istio's {@code region/zone/subzone} form, as used by the {@code istio-locality} label
     * and by {@code localityLbSetting}; missing trailing parts are empty.
     *
     * @throws IllegalArgumentException if the text has more than three parts
     */
    public static Locality parse(String text) {
        if (text == null || text.isEmpty()) {
            return UNKNOWN;
        }
        String[] parts = text.split("/", -1);
        if (parts.length > 3) {
            throw new IllegalArgumentException("locality: expected region/zone/subzone, got '" + text + "'");
        }
        return new Locality(parts[0], parts.length > 1 ? parts[1] : "", parts.length > 2 ? parts[2] : "");
    }

    /** True when region, zone and subzone are all empty. */
    public boolean isUnknown() {
        return region.isEmpty() && zone.isEmpty() && subzone.isEmpty();
    }

    /** {@code region/zone/subzone} with trailing empty parts left out; {@code ""} when unknown. */
    @Override
    public String toString() {
        if (!subzone.isEmpty()) {
            return region + "/" + zone + "/" + subzone;
        }
        if (!zone.isEmpty()) {
            return region + "/" + zone;
        }
        return region;
    }

    private static String clean(String field, String value) {
        if (value == null) {
            return "";
        }
        String trimmed = value.strip();
        if (trimmed.indexOf('/') >= 0) {
            throw new IllegalArgumentException("locality." + field + ": must not contain '/', got '" + value + "'");
        }
        return trimmed;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Locality l && region.equals(l.region) && zone.equals(l.zone) && subzone.equals(l.subzone);
    }

    @Override
    public int hashCode() {
        return Objects.hash(region, zone, subzone);
    }
}
