package dev.meridian.http;

/**
 * A client's retry settings, the fields of Envoy's {@code envoy.config.route.v3.RetryPolicy} it
 * models: {@code retry_on} (with {@code retriable_status_codes}), {@code num_retries}, the
 * {@code previous_hosts} host predicate with {@code host_selection_retry_max_attempts}, and the
 * {@code previous_priorities} retry priority with its {@code update_frequency}.
 *
 * <p>Immutable and thread-safe.
 */
final class RetryPolicy {
    final RetryOn retryOn;
    final int maxRetries;
    final boolean ignorePreviousHosts;
    final int hostSelectionRetryMaxAttempts;
    /** {@code previous_priorities}' {@code update_frequency}; 0 when the plugin is off. */
    final int previousPrioritiesUpdateFrequency;

    RetryPolicy(RetryOn retryOn, int maxRetries, boolean ignorePreviousHosts, int hostSelectionRetryMaxAttempts,
                int previousPrioritiesUpdateFrequency) {
        this.retryOn = retryOn;
        this.maxRetries = maxRetries;
        this.ignorePreviousHosts = ignorePreviousHosts;
        this.hostSelectionRetryMaxAttempts = hostSelectionRetryMaxAttempts;
        this.previousPrioritiesUpdateFrequency = previousPrioritiesUpdateFrequency;
    }

    /**
     * How many picks a retry's host selection may make: Envoy's {@code chooseHost} loop runs
     * {@code hostSelectionRetryCount() + 1} times, and without a host predicate the first pick is
     * always accepted.
     */
    int selectionPicks() {
        return ignorePreviousHosts ? hostSelectionRetryMaxAttempts + 1 : 1;
    }

    @Override
    public String toString() {
        return "RetryPolicy[retryOn=" + retryOn + ", maxRetries=" + maxRetries + ", previousHosts="
                + (ignorePreviousHosts ? hostSelectionRetryMaxAttempts + " attempts" : "off") + ", previousPriorities="
                + (previousPrioritiesUpdateFrequency == 0 ? "off" : "every " + previousPrioritiesUpdateFrequency) + "]";
    }
}
