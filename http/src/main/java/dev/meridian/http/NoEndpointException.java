package dev.meridian.http;

import java.io.IOException;

/**
 * A request found no endpoint to go to: its service's {@link dev.meridian.cluster.Cluster} picked
 * none, because the service has no endpoints or every one is ejected or unhealthy with panic
 * disabled. Envoy answers such a request with a local 503 "no healthy upstream" (and counts
 * {@code upstream_cx_none_healthy}); a java.net.http caller gets this exception instead, from
 * {@code send} or as the cause of the failed future of {@code sendAsync}. Nothing is recorded for
 * outlier detection, since no host was tried.
 */
public final class NoEndpointException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String service;

    NoEndpointException(String service) {
        super("no endpoint for service " + service + ": all ejected or none");
        this.service = service;
    }

    /** The service that had no endpoint. */
    public String service() {
        return service;
    }
}
