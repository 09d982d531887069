package dev.meridian.simulator;

import dev.meridian.istio.IstioDuration;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * A value read from a scenario's YAML together with its path ({@code simulation.faults[2].at}), so
 * that every rejection names the file, the field and the value in one line. Every scenario field,
 * the {@code simulation:} section included, is read through this class, so all of them share one
 * grammar. Cold path only. Not thread-safe; instances are not shared.
 */
public final class YamlNode {
    /** The longest duration in whole seconds that nanoseconds in a {@code long} hold, as in Istio. */
    public static final long MAX_SECONDS = Long.MAX_VALUE / 1_000_000_000L;
    private static final int MAX_SHOWN = 120;

    private final String source;
    private final String path;
    private final Object value;

    /**
     * @param source the file or other origin, for messages
     * @param path where the value sits, for messages; empty for the document itself
     * @param value the value as read from YAML, or null when missing
     */
    public YamlNode(String source, String path, Object value) {
        this.source = source;
        this.path = path;
        this.value = value;
    }

    public String path() {
        return path;
    }

    public boolean isMissing() {
        return value == null;
    }

    public boolean isMap() {
        return value instanceof Map;
    }

    /** The child under {@code key}; missing when this node is missing or has no such key. */
    public YamlNode get(String key) {
        Map<String, Object> m = map();
        return new YamlNode(source, path.isEmpty() ? key : path + "." + key, m.get(key));
    }

    public boolean has(String key) {
        return value instanceof Map<?, ?> m && m.get(key) != null;
    }

    /** The mapping, in file order; empty when missing. */
    @SuppressWarnings("unchecked")
    Map<String, Object> map() {
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map)) {
            throw error("expected a mapping, got '" + shown() + "'");
        }
        for (Object k : ((Map<Object, Object>) value).keySet()) {
            if (!(k instanceof String)) {
                throw error("keys must be strings, got '" + shown(k) + "'");
            }
        }
        return (Map<String, Object>) value;
    }

    /** The list's items; empty when missing. */
    public List<YamlNode> list() {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> l)) {
            throw error("expected a list, got '" + shown() + "'");
        }
        List<YamlNode> out = new ArrayList<>(l.size());
        for (int i = 0; i < l.size(); i++) {
            out.add(new YamlNode(source, path + "[" + i + "]", l.get(i)));
        }
        return out;
    }

    /** Rejects the first key that is not one of {@code known}. */
    public void allowOnly(String... known) {
        List<String> allowed = Arrays.asList(known);
        for (String k : map().keySet()) {
            if (!allowed.contains(k)) {
                throw get(k).error("unknown field (expected one of " + new TreeSet<>(allowed) + ")");
            }
        }
    }

    public String string(String fallback) {
        if (value == null) {
            return fallback;
        }
        if (value instanceof Map || value instanceof List) {
            throw error("expected a single value, got '" + shown() + "'");
        }
        return String.valueOf(value);
    }

    public String requiredString() {
        if (value == null) {
            throw error("is required");
        }
        return string(null);
    }

    public long longValue(long fallback) {
        if (value == null) {
            return fallback;
        }
        if (value instanceof Number n && !(value instanceof Double || value instanceof Float)) {
            if (value instanceof BigInteger) {
                throw error("out of range, got '" + shown() + "'");
            }
            return n.longValue();
        }
        throw error("expected a whole number, got '" + shown() + "'");
    }

    int intValue(int fallback) {
        long v = longValue(fallback);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw error("out of range, got '" + shown() + "'");
        }
        return (int) v;
    }

    /** A finite number. */
    public double doubleValue(double fallback) {
        if (value == null) {
            return fallback;
        }
        if (value instanceof Number n && Double.isFinite(n.doubleValue())) {
            return n.doubleValue();
        }
        throw error("expected a number, got '" + shown() + "'");
    }

    /**
     * A duration in nanoseconds: a Go duration as Istio reads it ({@code 250ms}, {@code 90s},
     * {@code 1m30s}, {@code 1.5h}; see {@link IstioDuration#parse}), or a bare number of seconds.
     * Units may be in capitals and spaces around the text are ignored, as the simulation section has
     * always allowed. The grammar is the same for every field; the range is the field's.
     *
     * @param fallback what a missing field gives
     * @param maxSeconds the longest duration the field allows, at most {@link #MAX_SECONDS}
     */
    public long durationNanos(long fallback, long maxSeconds) {
        if (value == null) {
            return fallback;
        }
        if (value instanceof Number n) {
            double seconds = n.doubleValue();
            if (!(seconds >= 0) || seconds > maxSeconds) {
                throw error("must be a duration from 0 to " + maxSeconds + " seconds, got '" + shown() + "'");
            }
            return Math.round(seconds * 1e9);
        }
        if (value instanceof Map || value instanceof List) {
            throw error("expected a duration such as 90s or 5m, got '" + shown() + "'");
        }
        Duration d;
        try {
            d = IstioDuration.parse(path, String.valueOf(value).strip().toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw error("expected a duration such as 90s, 5m or 1m30s, got '" + shown() + "'");
        }
        if (d.compareTo(Duration.ofSeconds(maxSeconds)) > 0) {
            throw error("must be at most " + maxSeconds + " seconds, got '" + shown() + "'");
        }
        return d.toNanos();
    }

    /** A mapping of strings to strings, such as labels. */
    public Map<String, String> stringMap() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : map().entrySet()) {
            Object v = e.getValue();
            if (v == null || v instanceof Map || v instanceof List) {
                throw get(e.getKey()).error("expected a string value, got '" + shown(v) + "'");
            }
            out.put(e.getKey(), String.valueOf(v));
        }
        return out;
    }

    /** The value as the file shows it, shortened, for messages. */
    public String shown() {
        return shown(value);
    }

    /** An exception naming the file, this node's path and the problem, on one line. */
    public InputException error(String problem) {
        return new InputException(oneLine(source), oneLine((path.isEmpty() ? "document" : path) + ": " + problem));
    }

    private static String shown(Object v) {
        String s = String.valueOf(v);
        return s.length() > MAX_SHOWN ? s.substring(0, MAX_SHOWN - 3) + "..." : s;
    }

    private static String oneLine(String s) {
        return s.replaceAll("[\\r\\n\\t]+", " ");
    }
}
