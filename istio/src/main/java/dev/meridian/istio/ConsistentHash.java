package dev.meridian.istio;

import java.time.Duration;
import java.util.Objects;

/**
 * Istio's {@code LoadBalancerSettings.ConsistentHashLB}: what to hash and which hash table to use.
 *
 * <p>Immutable and thread-safe.
 *
 * @param hashKey what the hash is computed from; null when none was written (or
 *        {@code useSourceIp: false}), which leaves Envoy without a hash policy
 * @param algorithm the hash table; null when none was written, in which case Istio uses a ring hash
 *        with Envoy's default size. The deprecated top-level {@code minimumRingSize} is read as a
 *        {@link RingHash}
 */
public record ConsistentHash(HashKey hashKey, HashAlgorithm algorithm) {

    /**
     * Maglev table sizes must be prime and below this bound (Istio's {@code validateLoadBalancer},
     * following Envoy's Maglev limit).
     */
    public static final long MAGLEV_TABLE_SIZE_LIMIT = 5_000_011L;

    /** The source of the hash: one of Istio's {@code hash_key} oneof members; implementations are immutable. */
    public sealed interface HashKey permits HttpHeader, HttpCookie, SourceIp, HttpQueryParameter {
    }

    /** The hash algorithm: one of Istio's {@code hash_algorithm} oneof members; implementations are immutable. */
    public sealed interface HashAlgorithm permits RingHash, Maglev {
    }

    /**
     * {@code httpHeaderName}: hash a request header. Immutable and thread-safe.
     *
     * @param name the header name
     */
    public record HttpHeader(String name) implements HashKey {
        public HttpHeader {
            Objects.requireNonNull(name, "consistentHash.httpHeaderName");
        }
    }

    /**
     * {@code httpCookie}: hash a cookie, generating it with the given lifetime when absent.
     * Immutable and thread-safe.
     *
     * @param name the cookie name, required
     * @param path the cookie path; null when not written
     * @param ttl the cookie lifetime; null when not written, zero for a session cookie
     */
    public record HttpCookie(String name, String path, Duration ttl) implements HashKey {
        public HttpCookie {
            if (name == null || name.isEmpty()) {
                // Istio's validateLoadBalancer: "name required for HttpCookie".
                throw new IllegalArgumentException("consistentHash.httpCookie.name: required, got "
                        + Values.describe(name));
            }
            if (ttl != null && ttl.isNegative()) {
                throw new IllegalArgumentException("consistentHash.httpCookie.ttl: must not be negative, got "
                        + IstioDuration.format(ttl));
            }
        }
    }

    /** {@code useSourceIp: true}: hash the client's source address. Immutable and thread-safe. */
    public record SourceIp() implements HashKey {
    }

    /**
     * {@code httpQueryParameterName}: hash a query parameter. Immutable and thread-safe.
     *
     * @param name the parameter name
     */
    public record HttpQueryParameter(String name) implements HashKey {
        public HttpQueryParameter {
            Objects.requireNonNull(name, "consistentHash.httpQueryParameterName");
        }
    }

    /**
     * {@code ringHash}: Envoy's ring hash (Ketama). Immutable and thread-safe.
     *
     * @param minimumRingSize the minimum number of virtual nodes; null when not written (Envoy's
     *        default, 1024, applies)
     */
    public record RingHash(Long minimumRingSize) implements HashAlgorithm {
        public RingHash {
            if (minimumRingSize != null && minimumRingSize < 0) {
                throw new IllegalArgumentException("consistentHash.ringHash.minimumRingSize: must not be negative, got "
                        + minimumRingSize);
            }
        }
    }

    /**
     * {@code maglev}: Envoy's Maglev table. Immutable and thread-safe.
     *
     * @param tableSize the table size: a prime below {@link #MAGLEV_TABLE_SIZE_LIMIT}
     */
    public record Maglev(long tableSize) implements HashAlgorithm {
        public Maglev {
            checkTableSize("consistentHash.maglev.tableSize", tableSize);
        }
    }

    static void checkTableSize(String field, long tableSize) {
        // Istio's validateLoadBalancer, in this order.
        if (tableSize == 0) {
            throw new IllegalArgumentException(field + ": must be set for maglev, got 0");
        }
        if (tableSize < 0 || tableSize >= MAGLEV_TABLE_SIZE_LIMIT) {
            throw new IllegalArgumentException(field + ": must be less than " + MAGLEV_TABLE_SIZE_LIMIT
                    + ", got " + tableSize);
        }
        if (!IstioChecks.isPrime(tableSize)) {
            throw new IllegalArgumentException(field + ": must be a prime number, got " + tableSize);
        }
    }
}
