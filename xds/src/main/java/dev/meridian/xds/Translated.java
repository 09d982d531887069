package dev.meridian.xds;

import java.util.List;

/**
 * A translation's result and the parts of the input it could not carry: every field Meridian
 * accepted but does not model, or runs differently from Envoy, is one {@link XdsWarning}.
 *
 * <p>Immutable and thread-safe when {@code T} is.
 *
 * @param value the translated value, never null
 * @param warnings the warnings in the order the input's fields were read, never null
 * @param <T> the translated type
 */
public record Translated<T>(T value, List<XdsWarning> warnings) {

    public Translated {
        if (value == null) {
            throw new IllegalArgumentException("translated.value: must not be null");
        }
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }

    /** A result without warnings. */
    public static <T> Translated<T> of(T value) {
        return new Translated<>(value, List.of());
    }
}
