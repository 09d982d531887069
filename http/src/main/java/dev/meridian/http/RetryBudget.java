package dev.meridian.http;

/**
 * How many retries may be in flight to one service at once: Envoy's retry circuit breaker. Either a
 * budget, {@code envoy.config.cluster.v3.CircuitBreakers.Thresholds.RetryBudget}: retries in flight
 * may be {@code budget_percent} of the requests in flight, but never fewer than
 * {@code min_retry_concurrency}; or, when a cluster sets no budget, the fixed
 * {@code CircuitBreakers.Thresholds.max_retries} (Envoy's default 3; Istio sets 2^32 − 1). Envoy computes the budget's limit in
 * {@code RetryBudgetImpl::max} ({@code source/common/upstream/resource_manager_impl.h}) as
 * {@code max(uint64(budget_percent / 100 × (active requests + active pending requests)),
 * min_retry_concurrency)}, and a retry is allowed while the retries in flight are below it
 * ({@code canCreate}); the requests in flight are every attempt, retries included. This client has
 * no pending queue of its own (java.net.http's connection pool has none it exposes), so the active
 * requests are its attempts in flight to the service.
 *
 * <p>Not modelled: the budget's {@code budget_interval} (requests are counted while in flight
 * only, Envoy's default of 0) and runtime overrides.
 *
 * <p>Immutable and thread-safe.
 */
public final class RetryBudget {

    /** Envoy's default {@code max_retries} when a cluster sets no circuit breakers: 3 retries in flight. */
    public static final int DEFAULT_MAX_RETRIES = 3;
    /**
     * The {@code max_retries} Istio gives every outbound cluster, 2^32 − 1: in effect no limit
     * (istio/istio {@code pilot/pkg/networking/core/cluster_traffic_policy.go},
     * {@code getDefaultCircuitBreakerThresholds}: Envoy's 3 "has shown to be insufficient during
     * periods of pod churn"). This client's default.
     */
    public static final long ISTIO_MAX_RETRIES = 0xFFFF_FFFFL;
    /** Envoy's default {@code budget_percent}: 20. */
    public static final double DEFAULT_BUDGET_PERCENT = 20.0;
    /** Envoy's default {@code min_retry_concurrency}: 3. */
    public static final int DEFAULT_MIN_RETRY_CONCURRENCY = 3;

    private final double budgetPercent;
    private final long minRetryConcurrency;
    /** True for the fixed {@code max_retries} limit, which is then {@link #minRetryConcurrency}. */
    private final boolean fixed;

    private RetryBudget(double budgetPercent, long minRetryConcurrency, boolean fixed) {
        this.budgetPercent = budgetPercent;
        this.minRetryConcurrency = minRetryConcurrency;
        this.fixed = fixed;
    }

    /**
     * A budget: retries in flight may be {@code budgetPercent} of the requests in flight, and at
     * least {@code minRetryConcurrency}.
     *
     * @throws IllegalArgumentException when the percent is not within 0..100 or the minimum is negative
     */
    public static RetryBudget of(double budgetPercent, int minRetryConcurrency) {
        if (!(budgetPercent >= 0.0 && budgetPercent <= 100.0)) {
            throw new IllegalArgumentException("retryBudget.budgetPercent: must be 0..100, got " + budgetPercent);
        }
        if (minRetryConcurrency < 0) {
            throw new IllegalArgumentException("retryBudget.minRetryConcurrency: must be >= 0, got "
                    + minRetryConcurrency);
        }
        return new RetryBudget(budgetPercent, minRetryConcurrency, false);
    }

    /** A budget with Envoy's defaults: 20% of the requests in flight, at least 3. */
    public static RetryBudget envoyDefaults() {
        return of(DEFAULT_BUDGET_PERCENT, DEFAULT_MIN_RETRY_CONCURRENCY);
    }

    /**
     * No budget, Envoy's fixed limit instead: at most {@code maxRetries} retries in flight
     * ({@code max_retries}, a uint32); {@link #DEFAULT_MAX_RETRIES} is what Envoy gives a cluster
     * without circuit breakers, {@link #ISTIO_MAX_RETRIES} what Istio gives every outbound cluster.
     *
     * @throws IllegalArgumentException when the limit is negative or above 2^32 − 1
     */
    public static RetryBudget maxParallelRetries(long maxRetries) {
        if (maxRetries < 0 || maxRetries > ISTIO_MAX_RETRIES) {
            throw new IllegalArgumentException("retryBudget.maxRetries: must be 0.." + ISTIO_MAX_RETRIES + ", got "
                    + maxRetries);
        }
        return new RetryBudget(0.0, maxRetries, true);
    }

    /**
     * The number of retries that may be in flight while {@code activeRequests} attempts are: the
     * limit a retry must stay below to start. Allocation-free.
     */
    public long limit(int activeRequests) {
        if (fixed) {
            return minRetryConcurrency;
        }
        // Envoy converts the product to uint64, truncating.
        return Math.max((long) (budgetPercent / 100.0 * Math.max(0, activeRequests)), minRetryConcurrency);
    }

    /** Whether this is a budget ({@code false}: the fixed {@code max_retries} limit). */
    public boolean isBudget() {
        return !fixed;
    }

    /** The budget's percent of requests in flight; 0 for the fixed limit. */
    public double budgetPercent() {
        return budgetPercent;
    }

    /** The budget's floor, or the fixed limit. */
    public long minRetryConcurrency() {
        return minRetryConcurrency;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RetryBudget b && b.fixed == fixed && b.minRetryConcurrency == minRetryConcurrency
                && Double.compare(b.budgetPercent, budgetPercent) == 0;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(budgetPercent) * 31 + Long.hashCode(minRetryConcurrency) * 2 + (fixed ? 1 : 0);
    }

    @Override
    public String toString() {
        return fixed ? "RetryBudget[max_retries=" + minRetryConcurrency + "]"
                : "RetryBudget[budget_percent=" + budgetPercent + ", min_retry_concurrency=" + minRetryConcurrency + "]";
    }
}
