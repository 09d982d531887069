package dev.meridian.istio;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.common.Anchor;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.NodeEvent;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * A value read from YAML together with its path ({@code endpoints[0].weight},
 * {@code spec.trafficPolicy.outlierDetection.interval}), so that every rejection names the file, the
 * field and the value in one line. Meridian's one YAML reader: the Istio readers of this package and
 * the simulator's scenario files both read through it.
 *
 * <p>{@link #parse} loads one document defensively. snakeyaml-engine constructs only standard YAML
 * types (no tag builds an arbitrary object, so {@code !!java/...} is rejected), and on top of that
 * the document's length ({@link #MAX_CHARS}), its aliases to collections ({@link #MAX_ALIASES},
 * against billion laughs) and its nesting ({@link #MAX_DEPTH}, which the recursive composer would
 * otherwise turn into a stack overflow) are bounded. Duplicate keys are rejected, as Kubernetes'
 * strict decoding does, and so is a document that contains itself (an alias inside the mapping or
 * list its anchor names), as go-yaml does. A value shown in a message is cut short without
 * spelling out what its aliases expand to. Scalars are resolved with the YAML 1.2 core schema, so
 * {@code ~} is null and {@code True} is a boolean, as Kubernetes users write them.
 *
 * <p>Two ways to treat keys nobody reads: {@link #allowOnly} rejects them (scenario files, where a
 * typo must stop the run); the Istio readers instead warn about every key they did not ask for and
 * hint at the spelling they meant, as Kubernetes would prune it. A YAML null counts as not written.
 *
 * <p>Cold path only. Not thread-safe: a node and the nodes read from it belong to one reader on one
 * thread; {@link #parse} itself is stateless and may be called from any thread.
 */
public final class YamlNode {
    /** Far above any real DestinationRule, mesh config or scenario, far below what could hurt. */
    public static final int MAX_CHARS = 1 << 20;
    /** Aliases to collections a document may use. */
    public static final int MAX_ALIASES = 50;
    /** How deeply mappings and lists may nest. */
    public static final int MAX_DEPTH = 64;
    /** The longest duration in whole seconds that nanoseconds in a {@code long} hold, as in Istio. */
    public static final long MAX_SECONDS = Long.MAX_VALUE / 1_000_000_000L;
    private static final int MAX_SHOWN = 120;

    private final String source;
    private final String path;
    private final Object value;
    private final List<String> warnings;
    /** The keys asked about, so the Istio readers can warn about the rest. */
    private final Set<String> asked = new LinkedHashSet<>();

    /**
     * @param source the file or other origin, for messages
     * @param path where the value sits, for messages; empty for the document itself
     * @param value the value as read from YAML, or null when missing
     */
    public YamlNode(String source, String path, Object value) {
        this(source, path, value, null);
    }

    private YamlNode(String source, String path, Object value, List<String> warnings) {
        this.source = source;
        this.path = path;
        this.value = value;
        this.warnings = warnings;
    }

    /**
     * Loads exactly one bounded YAML document.
     *
     * @param source names the document in messages (a file path)
     * @param yaml the document's text
     * @return the document's root node
     * @throws IllegalArgumentException on one line, starting with {@code source}, when the text is not
     *         one well-formed, bounded YAML document
     */
    public static YamlNode parse(String source, String yaml) {
        return new YamlNode(source, "", loadDocument(source, yaml));
    }

    /**
     * Loads exactly one document.
     *
     * @throws IllegalArgumentException prefixed with {@code sourceName} when the text is not one
     *         well-formed, bounded YAML document
     */
    static Object loadDocument(String sourceName, String yaml) {
        LoadSettings settings = settings(sourceName, yaml);
        try {
            checkStructure(sourceName, settings, yaml);
            Object document = new Load(settings).loadFromString(yaml);
            if (document == null) {
                throw new IllegalArgumentException(sourceName + ": empty document");
            }
            return document;
        } catch (YamlEngineException e) {
            throw invalid(sourceName, yaml, false, e);
        } catch (IllegalArgumentException e) {
            throw named(sourceName, e);
        }
    }

    /**
     * Loads every document of a YAML stream ({@code ---} between documents, as {@code kubectl apply}
     * reads a file), with the bounds of {@link #parse} applied to the whole text. Empty documents
     * are left out.
     *
     * @param source names the text in messages (a file path); each node's messages then name the
     *        document too ({@code mesh.yaml#2} for the second)
     * @param yaml the text
     * @return one node per non-empty document, in order; empty when there is none
     * @throws IllegalArgumentException on one line, starting with {@code source}, when the text is not
     *         well-formed, bounded YAML
     */
    public static List<YamlNode> parseAll(String source, String yaml) {
        LoadSettings settings = settings(source, yaml);
        List<YamlNode> out = new ArrayList<>();
        try {
            checkStructure(source, settings, yaml);
            int index = 0;
            List<Object> documents = new ArrayList<>();
            for (Object document : new Load(settings).loadAllFromString(yaml)) {
                documents.add(document);
            }
            for (Object document : documents) {
                index++;
                if (document != null) {
                    out.add(new YamlNode(documents.size() == 1 ? source : source + "#" + index, "", document));
                }
            }
            return out;
        } catch (YamlEngineException e) {
            throw invalid(source, yaml, true, e);
        } catch (IllegalArgumentException e) {
            throw named(source, e);
        }
    }

    /** The source this node's messages name, such as a file path; null when none was given. */
    public String source() {
        return source;
    }

    private static LoadSettings settings(String sourceName, String yaml) {
        if (yaml == null) {
            throw new IllegalArgumentException(sourceName + ": no YAML given (null)");
        }
        if (yaml.length() > MAX_CHARS) {
            throw new IllegalArgumentException(sourceName + ": document is " + yaml.length()
                    + " characters, more than the " + MAX_CHARS + " accepted");
        }
        return LoadSettings.builder()
                .setLabel(sourceName)
                .setSchema(new CoreSchema())
                .setAllowDuplicateKeys(false)
                .setAllowRecursiveKeys(false)
                .setMaxAliasesForCollections(MAX_ALIASES)
                .setCodePointLimit(MAX_CHARS)
                .build();
    }

    /**
     * snakeyaml-engine's refusal, named. It reports one mistake by failing itself: a second null key
     * in a mapping ({@code {~: 1, ~: 2}}) throws a NullPointerException while it writes the key into
     * its DuplicateKeyException, which it wraps; that is said as the duplicate key it is. The JVM may
     * throw that exception without a stack trace once it is hot, so the text is read again with
     * duplicate keys allowed: when it loads then, the refusal was a duplicate key, and every other
     * duplicate key gets snakeyaml-engine's own message.
     */
    private static IllegalArgumentException invalid(String sourceName, String yaml, boolean all,
                                                    YamlEngineException e) {
        if (e.getCause() instanceof NullPointerException) {
            LoadSettings lenient = LoadSettings.builder().setLabel(sourceName).setSchema(new CoreSchema())
                    .setAllowDuplicateKeys(true).setAllowRecursiveKeys(false)
                    .setMaxAliasesForCollections(MAX_ALIASES).setCodePointLimit(MAX_CHARS).build();
            try {
                if (all) {
                    new Load(lenient).loadAllFromString(yaml).forEach(document -> { });
                } else {
                    new Load(lenient).loadFromString(yaml);
                }
                return new IllegalArgumentException(sourceName + ": invalid YAML: found duplicate key null (a key"
                        + " written as ~, null or nothing, twice in one mapping)");
            } catch (YamlEngineException other) {
                if (!(other.getCause() instanceof NullPointerException)) {
                    // the document has another mistake, which snakeyaml-engine can name
                    return new IllegalArgumentException(sourceName + ": invalid YAML: " + other.getMessage(), other);
                }
            }
        }
        return new IllegalArgumentException(sourceName + ": invalid YAML: " + e.getMessage(), e);
    }

    private static IllegalArgumentException named(String sourceName, IllegalArgumentException e) {
        // snakeyaml-engine reports some malformed input (a bad %-escape in a tag, "!aa%a") as a
        // bare IllegalArgumentException; name the source like every other refusal.
        if (String.valueOf(e.getMessage()).startsWith(sourceName + ": ")) {
            return e;
        }
        return new IllegalArgumentException(sourceName + ": invalid YAML: " + e.getMessage(), e);
    }

    /**
     * Bounds the nesting and refuses a document that contains itself, walking the parser's events
     * (the event parser keeps its own stack, so it measures without recursing). An alias inside
     * the mapping or list its anchor names ({@code a: &x {b: *x}}) makes a value that contains
     * itself: every reader that walks it, and every message that shows it, would never end. YAML
     * allows it; go-yaml, which Kubernetes reads manifests with, refuses it ("anchor 'x' value
     * contains itself"), and so does Meridian.
     */
    private static void checkStructure(String sourceName, LoadSettings settings, String yaml) {
        int depth = 0;
        // The anchors of the collections still open, each with the serial of the collection that
        // defined it last: a later definition of the same name (even a scalar) replaces it.
        Map<String, Integer> openAnchors = new HashMap<>();
        Deque<Integer> open = new ArrayDeque<>();
        Deque<String> openNames = new ArrayDeque<>();
        int serial = 0;
        for (Event event : new Parse(settings).parseString(yaml)) {
            switch (event.getEventId()) {
                case MappingStart:
                case SequenceStart:
                    if (++depth > MAX_DEPTH) {
                        throw new IllegalArgumentException(sourceName + ": nesting deeper than " + MAX_DEPTH
                                + " levels");
                    }
                    String name = anchor(event);
                    open.push(++serial);
                    openNames.push(name == null ? "" : name);
                    if (name != null) {
                        openAnchors.put(name, serial);
                    }
                    break;
                case MappingEnd:
                case SequenceEnd:
                    depth--;
                    String closed = openNames.pop();
                    openAnchors.remove(closed, open.pop());
                    break;
                case Scalar:
                    String scalarAnchor = anchor(event);
                    if (scalarAnchor != null) {
                        openAnchors.remove(scalarAnchor);
                    }
                    break;
                case Alias:
                    String target = anchor(event);
                    if (openAnchors.containsKey(target)) {
                        throw new IllegalArgumentException(sourceName + ": invalid YAML: alias *" + target
                                + event.getStartMark().map(m -> " at line " + (m.getLine() + 1)).orElse("")
                                + " refers to a mapping or list that contains it (anchor '" + target
                                + "' value contains itself)");
                    }
                    break;
                default:
                    break;
            }
        }
    }

    private static String anchor(Event event) {
        return ((NodeEvent) event).getAnchor().map(Anchor::getValue).orElse(null);
    }

    // ---- Reading this node's own value: public, every problem rejected. ----

    /** Where this value sits ({@code endpoints[0].weight}); empty for the document itself. */
    public String path() {
        return path;
    }

    /** True when the value was not written, or written as a YAML null. */
    public boolean isMissing() {
        return value == null;
    }

    /** True when the value is a mapping. */
    public boolean isMap() {
        return value instanceof Map;
    }

    /** The child under {@code key}; missing when this node is missing or has no such key. */
    public YamlNode get(String key) {
        Map<String, Object> m = map();
        return new YamlNode(source, path(key), m.get(key), warnings);
    }

    /** True when this node is a mapping with a non-null value under {@code key}, as Kubernetes reads optional fields. */
    public boolean has(String key) {
        asked.add(key);
        return value instanceof Map<?, ?> m && m.get(key) != null;
    }

    /** The mapping, in file order; empty when missing. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> map() {
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
            out.add(new YamlNode(source, path + "[" + i + "]", l.get(i), warnings));
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

    /** A scalar as text (a number or boolean as the file writes it); {@code fallback} when missing. */
    public String string(String fallback) {
        if (value == null) {
            return fallback;
        }
        if (value instanceof Map || value instanceof List) {
            throw error("expected a single value, got '" + shown() + "'");
        }
        return String.valueOf(value);
    }

    /** As {@link #string}, rejecting a missing value. */
    public String requiredString() {
        if (value == null) {
            throw error("is required");
        }
        return string(null);
    }

    /** A whole number within {@code long}; {@code fallback} when missing. */
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

    /** A whole number within {@code int}; {@code fallback} when missing. */
    public int intValue(int fallback) {
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
    public IllegalArgumentException error(String problem) {
        String where = oneLine((path.isEmpty() ? "document" : path) + ": " + problem);
        return new IllegalArgumentException(source == null ? where : oneLine(source) + ": " + where);
    }

    private static String shown(Object v) {
        StringBuilder out = new StringBuilder();
        render(v, out);
        return out.length() > MAX_SHOWN ? out.substring(0, MAX_SHOWN - 3) + "..." : out.toString();
    }

    /**
     * Writes {@code v} as {@link String#valueOf} would, stopping once more than {@link #MAX_SHOWN}
     * characters are written: aliases let a document of a few lines name a tree of millions of
     * nodes, which a message must not spell out.
     */
    private static void render(Object v, StringBuilder out) {
        if (out.length() > MAX_SHOWN) {
            return;
        }
        if (v instanceof Map<?, ?> m) {
            out.append('{');
            String separator = "";
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (out.length() > MAX_SHOWN) {
                    return;
                }
                out.append(separator);
                render(e.getKey(), out);
                out.append('=');
                render(e.getValue(), out);
                separator = ", ";
            }
            out.append('}');
        } else if (v instanceof Collection<?> c) {
            out.append('[');
            String separator = "";
            for (Object item : c) {
                if (out.length() > MAX_SHOWN) {
                    return;
                }
                out.append(separator);
                render(item, out);
                separator = ", ";
            }
            out.append(']');
        } else {
            String s = String.valueOf(v);
            out.append(s, 0, Math.min(s.length(), MAX_SHOWN + 1 - out.length()));
        }
    }

    private static String oneLine(String s) {
        return s.replaceAll("[\\r\\n\\t]+", " ");
    }

    // ---- The Istio readers' field access: package-private, warnings instead of rejections. ----

    /** The document root, for a reader that collects warnings (source named by the caller). */
    static YamlNode root(Object document, List<String> warnings) {
        return of("", document, warnings);
    }

    /** A mapping at {@code path}, for a reader that collects warnings. */
    static YamlNode of(String path, Object value, List<String> warnings) {
        if (!(value instanceof Map<?, ?>)) {
            throw new IllegalArgumentException((path.isEmpty() ? "document" : path) + ": expected a mapping, got "
                    + Values.describe(value));
        }
        return new YamlNode(null, path, value, warnings);
    }

    String path(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    List<String> warnings() {
        if (warnings == null) {
            throw new IllegalStateException(path + ": read without a warnings list");
        }
        return warnings;
    }

    void warn(String message) {
        warnings().add(message);
    }

    Object raw(String key) {
        asked.add(key);
        return entries().get(key);
    }

    String stringField(String key) {
        Object v = raw(key);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw new IllegalArgumentException(path(key) + ": expected a string, got " + Values.describe(v)
                + (v instanceof Number || v instanceof Boolean ? " (quote it to make it a string)" : ""));
    }

    String requiredString(String key) {
        String s = stringField(key);
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

    YamlNode mapping(String key) {
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
        return value instanceof Map<?, ?> m ? m : Map.of();
    }

    /** A block Meridian accepts but does not model: noted once when written, never validated. */
    boolean ignore(String key, String why) {
        if (has(key)) {
            warnings().add(path(key) + ": " + why);
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
        for (Object key : entries().keySet()) {
            if (!(key instanceof String name) || !asked.contains(name)) {
                unknown.add(Values.clip(String.valueOf(key)));
            }
        }
        for (String name : unknown) {
            String hint = suggestion(name);
            warnings().add(path(name) + ": unknown field, ignored" + (hint == null ? "" : " (did you mean '" + hint + "'?)"));
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
