package dev.meridian.agent;

/**
 * How a listener forwards: whole connections or single HTTP/1.1 requests.
 *
 * <p>Immutable and thread-safe.
 */
public enum ForwardMode {
    /**
     * One pick per accepted connection; bytes are copied both ways until either side closes, as
     * Envoy's TCP proxy does. The only outcomes recorded are the connection's own.
     */
    TCP,
    /**
     * One pick per HTTP/1.1 request on pooled keep-alive upstream connections; the response status is
     * the outcome, as Envoy's router reports it.
     */
    HTTP
}
