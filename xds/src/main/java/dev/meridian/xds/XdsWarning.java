package dev.meridian.xds;

/**
 * A part of an Envoy resource that Meridian accepted but does not model, or modelled differently;
 * reported, never silently dropped.
 *
 * <p>Immutable and thread-safe.
 *
 * @param field the proto field's path, from the resource's name ({@code cluster.lb_subset_config})
 * @param message what Meridian did with it, in one sentence
 */
public record XdsWarning(String field, String message) {

    public XdsWarning {
        if (field == null || field.isBlank()) {
            throw new IllegalArgumentException("xdsWarning.field: must not be blank, got '" + field + "'");
        }
        message = message == null ? "" : message;
    }

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
