package dev.meridian.istio;

import java.util.List;
import java.util.Objects;

/**
 * A value read from Istio configuration, with what the reader had to say about it: unknown fields
 * it ignored (with their YAML path), deprecated fields it mapped, and blocks Meridian does not
 * model. Nothing in the input is dropped without a line here.
 *
 * <p>Immutable and thread-safe.
 *
 * @param value the value, never null
 * @param warnings one line per finding, each starting with the YAML path it concerns
 * @param <T> the type of the value
 */
public record Parsed<T>(T value, List<String> warnings) {

    public Parsed {
        Objects.requireNonNull(value, "value");
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }
}
