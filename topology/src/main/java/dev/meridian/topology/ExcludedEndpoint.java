package dev.meridian.topology;

import dev.meridian.core.Endpoint;

/**
 * An endpoint the locality setting leaves out of every priority, and why.
 *
 * <p>Immutable and thread-safe.
 *
 * @param endpoint the endpoint
 * @param reason why it receives no traffic
 */
public record ExcludedEndpoint(Endpoint endpoint, String reason) {

    public ExcludedEndpoint {
        if (endpoint == null) {
            throw new IllegalArgumentException("excludedEndpoint.endpoint: must not be null");
        }
        reason = reason == null ? "" : reason;
    }
}
