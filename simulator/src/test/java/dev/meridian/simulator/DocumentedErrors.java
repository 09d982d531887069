package dev.meridian.simulator;

import java.util.Set;

/**
 * What the fuzz targets accept as a refusal: an {@link IllegalArgumentException} of the documented
 * kind ({@link InputException} for a scenario) whose message starts with the file and then names a
 * field ({@code fuzz.yaml: endpoints[0].weight: ...}). Anything else is a crash: another exception
 * type, a subclass that leaked from the JDK (a {@link NumberFormatException}), a refusal caused by
 * one, or a message that names no field.
 *
 * <p>Stateless and thread-safe.
 */
final class DocumentedErrors {
    /** The refusals of a file as a whole, which name no field. */
    private static final Set<String> DOCUMENT_PROBLEMS = Set.of("empty document", "document is", "nesting deeper than",
            "no YAML given");

    private DocumentedErrors() {
    }

    /** Fails the fuzz target unless {@code e} refuses the file {@code source}, naming a field. */
    static void requireNamed(String source, IllegalArgumentException e) {
        requireDocumented(e);
        String message = e.getMessage();
        if (!message.startsWith(source + ": ")) {
            throw new AssertionError("a refusal that does not start with the file '" + source + "'", e);
        }
        String rest = message.substring(source.length() + 2);
        boolean wholeDocument = DOCUMENT_PROBLEMS.stream().anyMatch(rest::startsWith);
        if (!wholeDocument && rest.indexOf(": ") <= 0) {
            throw new AssertionError("a refusal that names no field", e);
        }
    }

    /** Fails the fuzz target unless {@code e} is a plain refusal or an {@link InputException}, with a message. */
    static void requireDocumented(IllegalArgumentException e) {
        if (e.getClass() != IllegalArgumentException.class && e.getClass() != InputException.class) {
            throw new AssertionError("an undocumented " + e.getClass().getName(), e);
        }
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("a refusal without a message", e);
        }
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause.getClass() != IllegalArgumentException.class && cause.getClass() != InputException.class
                    && !cause.getClass().getName().startsWith("org.snakeyaml.engine.")) {
                throw new AssertionError("a refusal caused by an undocumented " + cause.getClass().getName(), e);
            }
        }
    }
}
