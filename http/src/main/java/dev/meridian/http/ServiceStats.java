package dev.meridian.http;

/**
 * What one service's requests have done so far, named after Envoy's cluster statistics. A snapshot:
 * each counter is read once, not all at the same instant.
 *
 * @param service the service name
 * @param requests calls to {@code send} and {@code sendAsync} for the service
 * @param attempts requests sent to an endpoint, retries included ({@code upstream_rq_total})
 * @param noEndpoint calls or retries that found no endpoint ({@code upstream_cx_none_healthy})
 * @param retries retries started ({@code upstream_rq_retry})
 * @param retrySuccess retried requests whose last retry was not retried again ({@code upstream_rq_retry_success})
 * @param retryOverflow retries refused by the {@link RetryBudget} ({@code upstream_rq_retry_overflow})
 * @param retryLimitExceeded retries refused because the request had used its
 *     {@code maxRetries} ({@code upstream_rq_retry_limit_exceeded})
 * @param activeAttempts attempts in flight now ({@code upstream_rq_active})
 * @param activeRetries retries in flight now, what the budget limits
 */
public record ServiceStats(String service, long requests, long attempts, long noEndpoint, long retries,
                           long retrySuccess, long retryOverflow, long retryLimitExceeded, int activeAttempts,
                           int activeRetries) {
}
