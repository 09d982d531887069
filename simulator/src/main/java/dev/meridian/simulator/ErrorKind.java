package dev.meridian.simulator;

import dev.meridian.istio.YamlNode;

/**
 * How a simulated request fails: an HTTP status the endpoint answers with (500 to 599), or an error
 * the caller's proxy raises itself before any response (connect failure, timeout, reset), which
 * Envoy reports to outlier detection as a local-origin result.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the name as written in a scenario and shown in reports
 * @param code the HTTP status, or one of {@link #CONNECT_FAILED}, {@link #TIMEOUT}, {@link #RESET}
 */
record ErrorKind(String name, int code) {
    static final int CONNECT_FAILED = -1;
    static final int TIMEOUT = -2;
    static final int RESET = -3;

    static final ErrorKind SERVER_ERROR = new ErrorKind("5xx", 500);
    static final ErrorKind UNAVAILABLE = new ErrorKind("503", 503);
    static final ErrorKind CONNECT_FAILURE = new ErrorKind("connect-failure", CONNECT_FAILED);
    static final ErrorKind TIMED_OUT = new ErrorKind("timeout", TIMEOUT);
    static final ErrorKind RESET_BY_PEER = new ErrorKind("reset", RESET);

    /**
     * Parses {@code 5xx} (HTTP 500), an HTTP status from 500 to 599, {@code connect-failure},
     * {@code timeout} or {@code reset}.
     */
    static ErrorKind parse(YamlNode node, ErrorKind fallback) {
        if (node.isMissing()) {
            return fallback;
        }
        String text = node.string(null).strip();
        switch (text) {
            case "5xx":
                return SERVER_ERROR;
            case "connect-failure":
                return CONNECT_FAILURE;
            case "timeout":
                return TIMED_OUT;
            case "reset":
                return RESET_BY_PEER;
            default:
                break;
        }
        try {
            int status = Integer.parseInt(text);
            if (status >= 500 && status <= 599) {
                return status == 503 ? UNAVAILABLE : new ErrorKind(Integer.toString(status), status);
            }
        } catch (NumberFormatException e) {
            // falls through to the rejection below
        }
        throw node.error("expected 5xx, an HTTP status from 500 to 599, connect-failure, timeout or reset, got '"
                + node.shown() + "'");
    }
}
