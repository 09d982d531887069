package dev.meridian.istio;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One YAML mapping being read field by field, knowing its own path so every error and warning can
 * say where it is ({@code spec.trafficPolicy.outlierDetection.interval}).
 *
 * <p>Every field the reader asks about is remembered; {@link #finish()} reports the rest as unknown,
 * with a hint when an unknown key differs from a known one only in case or underscores (protobuf's
 * {@code base_ejection_time} spelling, which the Kubernetes API server would prune). A YAML null is
 * treated as "not written", as Kubernetes does for optional fields.
 *
 * <p>Not thread-safe: one reader per document, used by one thread.
 */
final class YamlMapping {

    private final String path;
    private final Map<?, ?> entries;
    private final List<String> warnings;
    private final Set<String> asked = new LinkedHashSet<>();

    private YamlMapping(String path, Map<?, ?> entries, List<String> warnings) {
        this.path = path;
        this.entries = entries;
        this.warnings = warnings;
    }

    /** The document root. */
    static YamlMapping root(Object document, List<String> warnings) {
        return of("", document, warnings);
    }

    static YamlMapping of(String path, Object value, List<String> warnings) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException((path.isEmpty() ? "document" : path) + ": expected a mapping, got "
                    + Values.describe(value));
        }
        return new YamlMapping(path, map, warnings);
    }

    String path() {
        return path;
    }

    String path(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    List<String> warnings() {
        return warnings;
    }

    void warn(String message) {
        warnings.add(message);
    }

    /** True when the key is written with a non-null value. */
    boolean has(String key) {
        asked.add(key);
        return entries.get(key) != null;
    }

    Object raw(String key) {
        asked.add(key);
        return entries.get(key);
    }

    String string(String key) {
        Object v = raw(key);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw new IllegalArgumentException(path(key) + ": expected a string, got " + Values.describe(v)
                + (v instanceof Number || v instanceof Boolean ? " (quote it to make it a string)" : ""));
    }

    String requiredString(String key) {
        String s = string(key);
        if (s == null) {
            throw new IllegalArgumentException(path(key) + ": required, got nothing");
        }
        return s;
    }

    Boolean bool(String key) {
        Object v = raw(key);
        if (v == null || v instanceof Boolean) {
            return (Boolean) v;
        }
        String hint = "";
        if (v instanceof String s) {
            String lower = s.toLowerCase(Locale.ROOT);
            if (lower.equals("yes") || lower.equals("no") || lower.equals("on") || lower.equals("off")
                    || lower.equals("y") || lower.equals("n")) {
                hint = " (YAML 1.2 reads it as a string; write true or false)";
            }
        }
        throw new IllegalArgumentException(path(key) + ": expected true or false, got " + Values.describe(v) + hint);
    }

    /** An integer field within {@code [min, max]}; null when not written. */
    Long integer(String key, long min, long max) {
        return integer(path(key), raw(key), min, max);
    }

    static Long integer(String path, Object v, long min, long max) {
        if (v == null) {
            return null;
        }
        if (!(v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger)) {
            throw new IllegalArgumentException(path + ": expected an integer, got " + Values.describe(v));
        }
        BigInteger big = v instanceof BigInteger b ? b : BigInteger.valueOf(((Number) v).longValue());
        if (big.compareTo(BigInteger.valueOf(min)) < 0 || big.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new IllegalArgumentException(path + ": must be from " + min + " to " + max + ", got " + big);
        }
        return big.longValue();
    }

    /** An int field: Istio's int32 and uint32 counts, kept within Java's int. */
    Integer intValue(String key) {
        Long v = integer(key, Integer.MIN_VALUE, Integer.MAX_VALUE);
        return v == null ? null : v.intValue();
    }

    /** A number (integer or decimal), for Istio's {@code DoubleValue} fields. */
    Double number(String key) {
        Object v = raw(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Number n && !(v instanceof Double d && (d.isNaN() || d.isInfinite()))) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException(path(key) + ": expected a number, got " + Values.describe(v));
    }

    Duration duration(String key) {
        Object v = raw(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            // jsonpb requires a JSON string here; a bare 30 has no unit anyway.
            throw new IllegalArgumentException(path(key) + ": invalid duration " + Values.describe(v)
                    + ": expected a string with a unit, such as 30s or 5m");
        }
        return IstioDuration.parse(path(key), s);
    }

    YamlMapping mapping(String key) {
        Object v = raw(key);
        return v == null ? null : of(path(key), v, warnings);
    }

    List<?> list(String key) {
        Object v = raw(key);
        if (v == null) {
            return null;
        }
        if (v instanceof List<?> l) {
            return l;
        }
        throw new IllegalArgumentException(path(key) + ": expected a list, got " + Values.describe(v));
    }

    /** The entries of a nested map whose keys are data, not field names (labels, weights). */
    Map<?, ?> entries() {
        return entries;
    }

    /** A block Meridian accepts but does not model: noted once when written, never validated. */
    boolean ignore(String key, String why) {
        if (has(key)) {
            warnings.add(path(key) + ": " + why);
            return true;
        }
        return false;
    }

    /** A key that is valid here and carries nothing Meridian needs, such as Kubernetes metadata. */
    void skip(String... keys) {
        asked.addAll(List.of(keys));
    }

    /** Reports every key no one asked about as an unknown field. */
    void finish() {
        List<String> unknown = new ArrayList<>();
        for (Object key : entries.keySet()) {
            if (!(key instanceof String name) || !asked.contains(name)) {
                unknown.add(Values.clip(String.valueOf(key)));
            }
        }
        for (String name : unknown) {
            String hint = suggestion(name);
            warnings.add(path(name) + ": unknown field, ignored" + (hint == null ? "" : " (did you mean '" + hint + "'?)"));
        }
    }

    private String suggestion(String unknown) {
        String folded = fold(unknown);
        for (String known : asked) {
            if (fold(known).equals(folded)) {
                return known;
            }
        }
        return null;
    }

    private static String fold(String name) {
        return name.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT);
    }
}
