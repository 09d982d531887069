package dev.meridian.examples.simulate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * One value of a scenario's {@code simulation:} section together with where it sits
 * ({@code simulation.faults[2].at}), so that a rejection can name the file, the field and the value
 * in one line. Cold path only. Not thread-safe; instances are not shared.
 */
final class SpecNode {
    private static final long NANOS_PER_MS = 1_000_000L;

    private final String source;
    private final String path;
    private final Object value;

    private SpecNode(String source, String path, Object value) {
        this.source = source;
        this.path = path;
        this.value = value;
    }

    static SpecNode root(String source, String path, Object value) {
        return new SpecNode(source, path, value);
    }

    String path() {
        return path;
    }

    boolean isPresent() {
        return value != null;
    }

    boolean isMap() {
        return value instanceof Map;
    }

    /** The child under {@code key}; missing when this node is missing or has no such key. */
    SpecNode get(String key) {
        return new SpecNode(source, path + "." + key, entries().get(key));
    }

    boolean has(String key) {
        return entries().get(key) != null;
    }

    /** The mapping's entries in file order; empty when missing. */
    Map<String, Object> entries() {
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> m)) {
            throw reject("expected a mapping, got '" + shown(value) + "'");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String k)) {
                throw reject("keys must be strings, got '" + shown(e.getKey()) + "'");
            }
            out.put(k, e.getValue());
        }
        return out;
    }

    /** The list's items; a single mapping counts as a list of one; empty when missing. */
    List<SpecNode> items() {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> l)) {
            throw reject("expected a list, got '" + shown(value) + "'");
        }
        List<SpecNode> out = new ArrayList<>(l.size());
        for (int i = 0; i < l.size(); i++) {
            out.add(new SpecNode(source, path + "[" + i + "]", l.get(i)));
        }
        return out;
    }

    /** Rejects the first key that is not one of {@code allowed}. */
    void allowOnly(String... allowed) {
        List<String> known = Arrays.asList(allowed);
        for (String k : entries().keySet()) {
            if (!known.contains(k)) {
                throw get(k).reject("unknown field (expected one of " + new TreeSet<>(known) + ")");
            }
        }
    }

    String text(String fallback) {
        if (value == null) {
            return fallback;
        }
        if (value instanceof Map || value instanceof List) {
            throw reject("expected a single value, got '" + shown(value) + "'");
        }
        return String.valueOf(value);
    }

    String requiredText() {
        if (value == null) {
            throw reject("is required");
        }
        return text(null);
    }

    double number(double fallback) {
        if (value == null) {
            return fallback;
        }
        if (value instanceof Number n && Double.isFinite(n.doubleValue())) {
            return n.doubleValue();
        }
        throw reject("expected a number, got '" + shown(value) + "'");
    }

    long wholeNumber(long fallback) {
        if (value == null) {
            return fallback;
        }
        if (value instanceof Number n && !(value instanceof Double || value instanceof Float)) {
            if (value instanceof java.math.BigInteger) {
                throw reject("out of range, got '" + shown(value) + "'");
            }
            return n.longValue();
        }
        throw reject("expected a whole number, got '" + shown(value) + "'");
    }

    /**
     * A duration in nanoseconds: {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h}, combinations such
     * as {@code 1m30s}, or a bare number of seconds.
     */
    long durationNanos(long fallback) {
        if (value == null) {
            return fallback;
        }
        if (value instanceof Number n) {
            double seconds = n.doubleValue();
            if (!(seconds >= 0) || seconds > 1e7) {
                throw reject("must be a duration from 0 to 10000000 seconds, got '" + shown(value) + "'");
            }
            return Math.round(seconds * 1e9);
        }
        if (value instanceof Map || value instanceof List) {
            throw reject("expected a duration such as 90s or 5m, got '" + shown(value) + "'");
        }
        String s = String.valueOf(value).strip().toLowerCase(Locale.ROOT);
        long total = 0;
        int i = 0;
        if (s.isEmpty()) {
            throw reject("expected a duration such as 90s or 5m, got '" + shown(value) + "'");
        }
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            int unitStart = i;
            while (i < s.length() && Character.isLetter(s.charAt(i))) {
                i++;
            }
            if (start == unitStart || unitStart == i) {
                throw reject("expected a duration such as 90s, 5m or 1m30s, got '" + shown(value) + "'");
            }
            double amount;
            try {
                amount = Double.parseDouble(s.substring(start, unitStart));
            } catch (NumberFormatException e) {
                throw reject("expected a duration such as 90s, 5m or 1m30s, got '" + shown(value) + "'");
            }
            long unit = switch (s.substring(unitStart, i)) {
                case "h" -> 3_600_000 * NANOS_PER_MS;
                case "m" -> 60_000 * NANOS_PER_MS;
                case "s" -> 1_000 * NANOS_PER_MS;
                case "ms" -> NANOS_PER_MS;
                case "us" -> 1_000L;
                default -> throw reject("unknown unit '" + s.substring(unitStart, i)
                        + "' (expected h, m, s, ms or us), got '" + shown(value) + "'");
            };
            double nanos = amount * unit;
            if (nanos > 1e16) {
                throw reject("must be at most 10000000 seconds, got '" + shown(value) + "'");
            }
            total += Math.round(nanos);
        }
        return total;
    }

    /** A mapping of label names to values. */
    Map<String, String> labels() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : entries().entrySet()) {
            Object v = e.getValue();
            if (v == null || v instanceof Map || v instanceof List) {
                throw get(e.getKey()).reject("expected a label value, got '" + shown(v) + "'");
            }
            out.put(e.getKey(), String.valueOf(v));
        }
        return out;
    }

    /** The value as the file shows it, for messages. */
    String shown() {
        return shown(value);
    }

    /** An exception naming the file, this node's field and the problem, on one line. */
    IllegalArgumentException reject(String problem) {
        return new IllegalArgumentException(oneLine(source + ": " + path + ": " + problem));
    }

    private static String shown(Object v) {
        String s = String.valueOf(v);
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }

    private static String oneLine(String s) {
        return s.replaceAll("[\\r\\n\\t]+", " ");
    }
}
