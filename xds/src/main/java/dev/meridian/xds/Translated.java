package dev.meridian.xds;

import java.util.List;

/** Stand-in for the translation contract (replaced by the xds-translate branch). */
public record Translated<T>(T value, List<XdsWarning> warnings) {
    public Translated {
        warnings = List.copyOf(warnings);
    }
}
