/**
 * Meridian for {@link java.net.http.HttpClient} callers: {@link dev.meridian.http.MeridianHttpClient}
 * sends each request to the endpoint its service's {@link dev.meridian.cluster.Cluster} picks,
 * records the outcome for outlier detection, and retries requests marked retryable on another host
 * as an Envoy sidecar's router would ({@code previous_hosts}, {@code previous_priorities}, a
 * {@link dev.meridian.http.RetryBudget}).
 *
 * <p>This package sits on the request side: it only picks and records. It never changes a cluster
 * and, unless given an executor with {@code drainOn}, never drains one; the embedder's control
 * thread does ({@link dev.meridian.cluster.Cluster#runOn}).
 */
package dev.meridian.http;
