package dev.meridian.simulator;

import dev.meridian.outlier.LocalOriginResult;

/**
 * One entry of a scenario's {@code history:}: {@code count} request outcomes for one endpoint at a
 * virtual time, replayed through the outlier detector before {@code meridian plan} explains the
 * decision. Immutable.
 *
 * @param atNanos virtual time from the start of the history
 * @param address the endpoint's {@code host:port}
 * @param httpStatus the response status, or 0 for a local-origin outcome
 * @param localOrigin the local-origin outcome, or null for a response
 * @param count how many such outcomes, one after the other
 *
 * <p>Immutable and thread-safe.
 */
public record OutcomeEvent(long atNanos, String address, int httpStatus, LocalOriginResult localOrigin, int count) {
}
