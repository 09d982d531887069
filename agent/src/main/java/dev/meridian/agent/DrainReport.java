package dev.meridian.agent;

import java.time.Duration;

/**
 * What a drain let finish and what it cut. A TCP connection counts as one unit of work; an HTTP
 * downstream connection counts only while a request on it waits for its response (an idle keep-alive
 * connection is closed at once and counted nowhere). Immutable and thread-safe.
 *
 * @param tcpConnections TCP connections open when the drain started
 * @param httpRequests HTTP requests in flight when the drain started
 * @param tcpCut TCP connections still open at {@code drainTimeout}, closed then
 * @param httpCut HTTP requests still waiting for their response at {@code drainTimeout}, cut then
 * @param took how long the drain took on the agent's clock
 */
public record DrainReport(int tcpConnections, int httpRequests, int tcpCut, int httpCut, Duration took) {

    /** The one line the agent logs when a drain ends. */
    public String line() {
        return "meridian agent: drained in " + took.toMillis() + " ms: " + (tcpConnections - tcpCut) + " of "
                + tcpConnections + " TCP connections and " + (httpRequests - httpCut) + " of " + httpRequests
                + " HTTP requests finished; cut " + tcpCut + " TCP connections and " + httpCut + " HTTP requests";
    }
}
