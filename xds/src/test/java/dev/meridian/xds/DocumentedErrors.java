package dev.meridian.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.regex.Pattern;

/**
 * What the fuzz targets accept as a refusal: the {@link IllegalArgumentException} every reader and
 * translation of this package documents, naming the proto field ({@code cluster.lb_policy: ...},
 * {@code cluster_load_assignment.endpoints[0].priority: ...}) or the argument it refuses. Anything
 * else is a crash: another exception type, a subclass that leaked from the JDK (a
 * {@link NumberFormatException}), a refusal with no field, or one caused by a failure of
 * Meridian's own code. A cause from protobuf's or Gson's parser, and whatever it wraps, is their
 * word for "not what this field takes".
 *
 * <p>Stateless and thread-safe.
 */
final class DocumentedErrors {
    /**
     * A field path from one of the roots the API's messages use (names after dots, list indices,
     * map keys and made-up keys as JSON strings in brackets), then ": ".
     */
    private static final Pattern FIELD = Pattern.compile(
            "^(cluster|cluster_load_assignment|config_dump|bootstrap|envoyMinor|clusterSettings|loadAssignment"
                    + "|zoneAware)(\\.[A-Za-z0-9_@]+|\\[[0-9]+]|\\[\"([^\"\\\\]|\\\\.)*\"])*: .*", Pattern.DOTALL);

    private DocumentedErrors() {
    }

    /** Fails the fuzz target unless {@code e} is a documented refusal naming a field. */
    static void requireField(IllegalArgumentException e) {
        if (e.getClass() != IllegalArgumentException.class) {
            throw new AssertionError("an undocumented " + e.getClass().getName(), e);
        }
        if (e.getMessage() == null || !FIELD.matcher(e.getMessage()).matches()) {
            throw new AssertionError("a refusal that names no field", e);
        }
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            boolean parser = cause instanceof InvalidProtocolBufferException
                    || cause.getClass().getName().startsWith("com.google.")
                    || cause.getStackTrace().length > 0
                    && cause.getStackTrace()[0].getClassName().startsWith("com.google.");
            if (parser) {
                return;  // what lies beneath is how the parser found the text is not what the field takes
            }
            if (cause.getClass() != IllegalArgumentException.class) {
                throw new AssertionError("a refusal caused by an undocumented " + cause.getClass().getName(), e);
            }
        }
    }
}
