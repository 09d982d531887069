package dev.meridian.istio;

import java.util.Set;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * What the fuzz targets accept as a refusal: the {@link IllegalArgumentException} every reader of
 * this package documents, naming the source, then the field ({@code spec.host: ...}) or the
 * document as a whole. Anything else a reader throws is a crash: another exception type, a subclass
 * that leaked from the JDK (a {@link NumberFormatException}, an
 * {@link java.nio.file.InvalidPathException}), or a refusal wrapping one.
 *
 * <p>Stateless and thread-safe.
 */
final class DocumentedErrors {
    /** The refusals of a document as a whole, which name no field. */
    private static final Set<String> DOCUMENT_PROBLEMS = Set.of("empty document", "invalid YAML", "document is",
            "nesting deeper than", "no YAML given");

    private DocumentedErrors() {
    }

    /**
     * Fails the fuzz target unless {@code e} is a documented refusal of the document named
     * {@code source}.
     */
    static void requireNamed(String source, IllegalArgumentException e) {
        requireDocumented(e);
        String message = e.getMessage();
        if (!message.startsWith(source + ": ")) {
            throw new AssertionError("a refusal that does not start with the source '" + source + "'", e);
        }
        requireFieldNamed(message.substring(source.length() + 2), e);
    }

    /** Fails the fuzz target unless {@code e} is a documented refusal naming a field (no source). */
    static void requireField(IllegalArgumentException e) {
        requireDocumented(e);
        requireFieldNamed(e.getMessage(), e);
    }

    private static void requireFieldNamed(String rest, IllegalArgumentException e) {
        for (String problem : DOCUMENT_PROBLEMS) {
            if (rest.startsWith(problem)) {
                return;
            }
        }
        if (rest.indexOf(": ") <= 0) {
            throw new AssertionError("a refusal that names no field", e);
        }
    }

    private static void requireDocumented(IllegalArgumentException e) {
        if (e.getClass() != IllegalArgumentException.class) {
            throw new AssertionError("an undocumented " + e.getClass().getName(), e);
        }
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("a refusal without a message", e);
        }
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            boolean yaml = cause instanceof YamlEngineException;
            boolean plainRefusal = cause.getClass() == IllegalArgumentException.class;
            if (!yaml && !plainRefusal) {
                throw new AssertionError("a refusal caused by an undocumented " + cause.getClass().getName(), e);
            }
        }
    }
}
