package dev.meridian.examples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A value read from a YAML document together with its path ({@code simulation.faults[2].at}), so
 * that every error can name the field and the value. Cold path only. Not thread-safe.
 */
final class YamlNode {
    private final String source;
    private final String path;
    private final Object value;

    YamlNode(String source, String path, Object value) {
        this.source = source;
        this.path = path;
        this.value = value;
    }

    String path() {
        return path;
    }

    Object raw() {
        return value;
    }

    boolean isMissing() {
        return value == null;
    }

    YamlNode get(String key) {
        Map<String, Object> m = map();
        return new YamlNode(source, path.isEmpty() ? key : path + "." + key, m.get(key));
    }

    boolean has(String key) {
        return value instanceof Map<?, ?> m && m.get(key) != null;
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> map() {
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map)) {
            throw error("expected a mapping, got '" + value + "'");
        }
        for (Object k : ((Map<Object, Object>) value).keySet()) {
            if (!(k instanceof String)) {
                throw error("keys must be strings, got '" + k + "'");
            }
        }
        return (Map<String, Object>) value;
    }

    List<YamlNode> list() {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> l)) {
            throw error("expected a list, got '" + value + "'");
        }
        List<YamlNode> out = new ArrayList<>(l.size());
        for (int i = 0; i < l.size(); i++) {
            out.add(new YamlNode(source, path + "[" + i + "]", l.get(i)));
        }
        return out;
    }

    String string(String fallback) {
        if (value == null) {
            return fallback;
        }
        if (value instanceof Map || value instanceof List) {
            throw error("expected a scalar, got '" + value + "'");
        }
        return String.valueOf(value);
    }

    String requiredString() {
        if (value == null) {
            throw error("is required");
        }
        return string(null);
    }

    long longValue(long fallback) {
        if (value == null) {
            return fallback;
        }
        if (value instanceof Number n && !(value instanceof Double || value instanceof Float)) {
            return n.longValue();
        }
        throw error("expected a whole number, got '" + value + "'");
    }

    int intValue(int fallback) {
        long v = longValue(fallback);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw error("out of range, got '" + value + "'");
        }
        return (int) v;
    }

    double doubleValue(double fallback) {
        if (value == null) {
            return fallback;
        }
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        throw error("expected a number, got '" + value + "'");
    }

    boolean booleanValue(boolean fallback) {
        if (value == null) {
            return fallback;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        throw error("expected true or false, got '" + value + "'");
    }

    Map<String, String> stringMap() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : map().entrySet()) {
            Object v = e.getValue();
            if (v == null || v instanceof Map || v instanceof List) {
                throw get(e.getKey()).error("expected a string value, got '" + v + "'");
            }
            out.put(e.getKey(), String.valueOf(v));
        }
        return out;
    }

    /** Fails on keys outside {@code known}, naming the first unknown one. */
    void allowOnly(Set<String> known) {
        for (String k : map().keySet()) {
            if (!known.contains(k)) {
                throw get(k).error("unknown field (expected one of " + known + ")");
            }
        }
    }

    InputException error(String message) {
        return new InputException(source, (path.isEmpty() ? "document" : path) + ": " + message);
    }
}
