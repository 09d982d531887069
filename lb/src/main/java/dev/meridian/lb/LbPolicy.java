package dev.meridian.lb;

/**
 * How a host is chosen once a priority and a locality are chosen; Envoy's {@code lb_policy}.
 * Immutable and thread-safe.
 */
public enum LbPolicy {
    /** Weighted round robin; plain rotation when all weights are equal. */
    ROUND_ROBIN,
    /** Uniform random among the hosts (Envoy's random policy ignores weights). */
    RANDOM,
    /** Power of N choices over active request counts; weighted by {@code weight/(active+1)^bias}. */
    LEAST_REQUEST,
    /** Ketama-style consistent hashing over xxHash64 of host addresses. */
    RING_HASH,
    /** Maglev consistent hashing over a fixed prime-sized table. */
    MAGLEV
}
