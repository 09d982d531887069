package dev.meridian.kubernetes;

/**
 * Something a watched resource said that Meridian could not use, did not model, or used in a way the
 * reader should know: an invalid DestinationRule (the last valid one is kept), an endpoint without a
 * node, a lost watch. Never an error: the source keeps its last good state and goes on.
 *
 * <p>Immutable and thread-safe.
 *
 * @param field the resource and field it concerns, such as
 *     {@code endpointslices/shop/reviews-abc.endpoints[2].nodeName} or
 *     {@code destinationrules/shop/reviews}
 * @param message what was wrong and what the source did instead
 */
public record KubernetesWarning(String field, String message) {
    public KubernetesWarning {
        if (field == null || field.isEmpty()) {
            throw new IllegalArgumentException("field: must not be empty, got '" + field + "'");
        }
        if (message == null || message.isEmpty()) {
            throw new IllegalArgumentException("message: must not be empty (field " + field + ")");
        }
    }

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
