package dev.meridian.http;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.function.BiPredicate;
import java.util.regex.Pattern;

/**
 * A {@link HttpClient} in front of Meridian clusters: a request names a service as its URI's host
 * ({@code http://reviews/api/x}), and each attempt goes to the endpoint the service's
 * {@link Cluster} picks ({@code http://10.0.0.1:9080/api/x}: scheme, path, query and fragment kept
 * as written), counted for least request around the exchange, with its outcome recorded for outlier
 * detection the way Envoy's router reports it: the response status
 * ({@link Cluster#record(Host, int)}) or, when there is none, a local-origin result
 * ({@link Cluster#recordLocalOrigin}: a connection that could not be made, a timeout, a reset or a
 * response that does not parse). A request marked {@link #retryable(HttpRequest.Builder)} is
 * retried as an Envoy sidecar would retry it: on the conditions of {@code retryOn}, at most
 * {@code maxRetries} times, on a host not attempted yet ({@code previous_hosts}), spilling to the
 * next priority as attempted ones are excluded ({@code previous_priorities}), while the service's
 * {@link RetryBudget} has room. Other requests are never retried.
 *
 * <p><b>Host header.</b> Envoy keeps the request's {@code Host} ({@code :authority}) unless a route
 * rewrites it. java.net.http derives {@code Host} from the URI and refuses to let a caller set it,
 * so by default the endpoint's {@code address:port} is sent, as with Envoy's
 * {@code auto_host_rewrite}. With {@link Builder#preserveHost(boolean) preserveHost(true)} the
 * original authority ({@code reviews}) is sent instead, as Envoy does; that needs the JVM started
 * with {@code -Djdk.httpclient.allowRestrictedHeaders=host}, which {@code build()} checks.
 *
 * <p><b>Control thread.</b> The client only picks and records. When an outcome completes a run of
 * failures ({@code record} returns true), the ejection is decided by the cluster's control thread at
 * its next {@link Cluster#drain()}: the embedder runs one, e.g. {@link Cluster#runOn}. Given
 * {@link Builder#drainOn(Executor) drainOn(executor)}, the client also asks for that drain at once
 * on the executor; pass the control thread's own single-threaded executor (the one given to
 * {@code runOn}) and the cluster keeps one writer thread.
 *
 * <p><b>Timeouts.</b> A request's {@link HttpRequest#timeout()} applies to each attempt, as Envoy's
 * {@code per_try_timeout}; a retried call may take up to {@code maxRetries + 1} times as long. A
 * timed-out attempt is recorded as a local-origin timeout and retried on {@code 5xx},
 * {@code gateway-error} or {@code reset}. Retries start at once, without Envoy's jittered backoff
 * (25 ms base): they go to another host.
 *
 * <p>Thread-safe: one client serves any number of threads; its configuration is immutable and its
 * per-service counters are atomic. {@link #send} blocks like {@link HttpClient#send} and runs every
 * attempt on the calling thread's behalf; {@link #sendAsync} never blocks.
 */
public final class MeridianHttpClient {

    /**
     * The request header that marks a request retryable, set by {@link #retryable}. The client
     * consumes it, as Envoy consumes {@code x-envoy-retry-on}: it is never sent to an endpoint.
     */
    public static final String RETRYABLE_HEADER = "x-meridian-retryable";

    /** The headers copied to the endpoint's request: all but the retry marker. */
    private static final BiPredicate<String, String> SENT_HEADERS =
            (name, value) -> !RETRYABLE_HEADER.equalsIgnoreCase(name);

    /** A service name is a URI host name: what {@code http://NAME/} can carry. */
    private static final Pattern SERVICE_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");

    private final HttpClient delegate;
    private final Map<String, Service> services;
    private final RetryPolicy retryPolicy;
    private final RetryBudget retryBudget;
    private final boolean preserveHost;

    private MeridianHttpClient(Builder b) {
        this.delegate = b.delegate;
        this.retryPolicy = new RetryPolicy(b.retryOn, b.maxRetries, b.retryIgnorePreviousHosts,
                b.hostSelectionRetryMaxAttempts, b.previousPriorities);
        this.retryBudget = b.retryBudget;
        this.preserveHost = b.preserveHost;
        Map<String, Service> byName = new LinkedHashMap<>();
        for (Map.Entry<String, Cluster> e : b.clusters.entrySet()) {
            byName.put(e.getKey(), new Service(e.getKey(), e.getValue(), b.retryBudget, b.drainExecutor));
        }
        this.services = Collections.unmodifiableMap(byName);
    }

    /**
     * Starts a client that sends through {@code delegate}, whose own settings (connect timeout,
     * executor, HTTP version, TLS, redirects) apply to every attempt. Leave redirects off
     * ({@link HttpClient.Redirect#NEVER}, java.net.http's default): a redirect would leave the
     * balanced endpoint.
     *
     * @throws IllegalArgumentException when the delegate is null
     */
    public static Builder builder(HttpClient delegate) {
        if (delegate == null) {
            throw new IllegalArgumentException("delegate: must not be null");
        }
        return new Builder(delegate);
    }

    /**
     * Marks a request retryable: the client may send it more than once, to different endpoints.
     * Mark only requests whose repetition is safe (idempotent ones) and whose body publisher can be
     * subscribed again (the {@link HttpRequest.BodyPublishers} of strings, byte arrays and files can).
     *
     * @return the builder, with {@link #RETRYABLE_HEADER} set
     */
    public static HttpRequest.Builder retryable(HttpRequest.Builder request) {
        return request.setHeader(RETRYABLE_HEADER, "true");
    }

    /** Whether a request is marked retryable. Allocation-free. */
    public static boolean isRetryable(HttpRequest request) {
        return request.headers().map().containsKey(RETRYABLE_HEADER);
    }

    /**
     * Sends a request to an endpoint of its service, retrying it on another if it is retryable,
     * and blocks for the response: {@link HttpClient#send} for a service.
     *
     * @throws IllegalArgumentException when the URI's host names no service of this client
     * @throws NoEndpointException when the service's cluster has no endpoint to pick
     * @throws IOException the last attempt's failure, of java.net.http's kind (for example
     *     {@link java.net.ConnectException}, {@link java.net.http.HttpTimeoutException}), with a
     *     message naming the service, the endpoint and the outcome recorded
     * @throws InterruptedException when interrupted while waiting
     */
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        Exchange<T> x = exchange(request, handler);
        Host host = x.firstHost();
        if (host == null) {
            throw x.service.noEndpoint();
        }
        while (true) {
            HttpRequest upstream;
            try {
                upstream = x.begin(host);
            } catch (RuntimeException e) {
                x.abandon();
                throw e;
            }
            HttpResponse<T> response;
            try {
                response = delegate.send(upstream, x);
            } catch (IOException e) {
                x.end();
                host = x.onFailure(e);
                if (host == null) {
                    throw x.failure(e);
                }
                continue;
            } catch (InterruptedException | RuntimeException | Error e) {
                x.end();
                x.abandon();
                throw e;
            }
            x.end();
            host = x.takeRetry();
            if (host == null) {
                return response;
            }
        }
    }

    /**
     * Sends a request as {@link #send} does, without blocking: {@link HttpClient#sendAsync} for a
     * service. The future fails with what {@code send} would throw ({@link NoEndpointException},
     * the last attempt's {@link IOException}); cancelling it cancels the attempt in flight and
     * starts no other.
     *
     * @throws IllegalArgumentException at once, as java.net.http does for a request it cannot send,
     *     when the URI's host names no service of this client
     */
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        Exchange<T> x = exchange(request, handler);
        CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
        Host host = x.firstHost();
        if (host == null) {
            result.completeExceptionally(x.service.noEndpoint());
            return result;
        }
        attemptAsync(x, host, result);
        return result;
    }

    private <T> void attemptAsync(Exchange<T> x, Host host, CompletableFuture<HttpResponse<T>> result) {
        if (result.isDone()) {
            // Cancelled by the caller between attempts.
            x.abandon();
            return;
        }
        HttpRequest upstream;
        CompletableFuture<HttpResponse<T>> attempt;
        try {
            upstream = x.begin(host);
        } catch (RuntimeException e) {
            x.abandon();
            result.completeExceptionally(e);
            return;
        }
        try {
            attempt = delegate.sendAsync(upstream, x);
        } catch (RuntimeException e) {
            x.end();
            x.abandon();
            result.completeExceptionally(e);
            return;
        }
        result.whenComplete((r, e) -> {
            if (result.isCancelled()) {
                attempt.cancel(true);
            }
        });
        attempt.whenComplete((response, error) -> {
            x.end();
            if (error == null) {
                Host retry = x.takeRetry();
                if (retry == null) {
                    result.complete(response);
                } else {
                    attemptAsync(x, retry, result);
                }
                return;
            }
            Throwable cause = unwrap(error);
            if (cause instanceof IOException io) {
                Host retry = x.onFailure(io);
                if (retry == null) {
                    result.completeExceptionally(x.failure(io));
                } else {
                    attemptAsync(x, retry, result);
                }
            } else {
                x.abandon();
                result.completeExceptionally(cause);
            }
        });
    }

    private static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private <T> Exchange<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(handler, "handler");
        Service service = service(request.uri());
        service.requested();
        return new Exchange<>(this, service, request, handler, isRetryable(request) ? retryPolicy : null);
    }

    private Service service(URI uri) {
        String host = uri.getHost();
        if (host == null) {
            throw new IllegalArgumentException("request URI names no service: " + uri + " has no host (this client "
                    + "knows " + services.keySet() + ")");
        }
        Service s = services.get(host);
        if (s == null) {
            // Host names are case-insensitive; lowering allocates only when there is something to lower.
            s = services.get(host.toLowerCase(Locale.ROOT));
        }
        if (s == null) {
            throw new IllegalArgumentException("unknown service '" + host + "' in " + uri + ": this client knows "
                    + services.keySet());
        }
        return s;
    }

    /**
     * The request one attempt sends: the caller's, to the host's {@code address:port}, without the
     * retry marker, with the original authority as {@code Host} when preserving it. Allocates the
     * URI and the request copy, java.net.http's price for an immutable request.
     */
    HttpRequest rewrite(HttpRequest request, Host host) {
        URI uri = request.uri();
        String path = uri.getRawPath();
        String query = uri.getRawQuery();
        String fragment = uri.getRawFragment();
        int length = uri.getScheme().length() + 3 + host.address().length() + (path == null ? 0 : path.length())
                + (query == null ? 0 : query.length() + 1) + (fragment == null ? 0 : fragment.length() + 1);
        StringBuilder target = new StringBuilder(length).append(uri.getScheme()).append("://").append(host.address());
        if (path != null) {
            target.append(path);
        }
        if (query != null) {
            target.append('?').append(query);
        }
        if (fragment != null) {
            target.append('#').append(fragment);
        }
        HttpRequest.Builder copy = HttpRequest.newBuilder(request, SENT_HEADERS).uri(URI.create(target.toString()));
        if (preserveHost) {
            copy.setHeader("Host", uri.getRawAuthority());
        }
        return copy.build();
    }

    /** The services this client sends to, in the order they were added. */
    public Set<String> services() {
        return services.keySet();
    }

    /** A service's cluster. @throws IllegalArgumentException for a service this client does not know */
    public Cluster cluster(String service) {
        return known(service).cluster;
    }

    /** A service's counters, read now. @throws IllegalArgumentException for a service this client does not know */
    public ServiceStats stats(String service) {
        return known(service).stats();
    }

    private Service known(String service) {
        Service s = services.get(service);
        if (s == null) {
            throw new IllegalArgumentException("service: unknown '" + service + "', this client knows " + services.keySet());
        }
        return s;
    }

    /** The java.net.http client every attempt is sent with. */
    public HttpClient delegate() {
        return delegate;
    }

    /** The limit on each service's retries in flight. */
    public RetryBudget retryBudget() {
        return retryBudget;
    }

    @Override
    public String toString() {
        return "MeridianHttpClient[services=" + services.keySet() + ", " + retryPolicy + ", " + retryBudget + "]";
    }

    /**
     * A client's configuration. Not thread-safe. The defaults are Istio's for a route and a cluster
     * without their own retry settings, except where noted: 2 retries, {@code previous_hosts} with
     * 5 host-selection attempts, no limit on retries in flight ({@code max_retries} 2^32 − 1),
     * retry on {@code connect-failure,5xx} (Istio: {@code connect-failure,refused-stream} and gRPC
     * conditions, no HTTP status), {@code previous_priorities} every 2 attempts (Istio sets it only
     * with {@code retryRemoteLocalities}).
     */
    public static final class Builder {
        private final HttpClient delegate;
        private final Map<String, Cluster> clusters = new LinkedHashMap<>();
        private RetryOn retryOn = RetryOn.parse("connect-failure,5xx");
        private int maxRetries = 2;
        private boolean retryIgnorePreviousHosts = true;
        private int hostSelectionRetryMaxAttempts = 5;
        private int previousPriorities = 2;
        private RetryBudget retryBudget = RetryBudget.maxParallelRetries(RetryBudget.ISTIO_MAX_RETRIES);
        private boolean preserveHost;
        private Executor drainExecutor;

        private Builder(HttpClient delegate) {
            this.delegate = delegate;
        }

        /**
         * Sends requests whose URI host is {@code name} to the endpoints {@code cluster} picks. The
         * cluster stays the embedder's: its endpoints and configuration come from its source, and
         * its control thread drains it.
         *
         * @throws IllegalArgumentException when the name is not a host name, is already taken, or
         *     the cluster is null
         */
        public Builder service(String name, Cluster cluster) {
            if (name == null || !SERVICE_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("service: name must be a lower-case host name (letters, digits, "
                        + "'-', '.'), got '" + name + "'");
            }
            if (cluster == null) {
                throw new IllegalArgumentException("service '" + name + "': cluster must not be null");
            }
            if (clusters.containsKey(name)) {
                throw new IllegalArgumentException("service: '" + name + "' is already added");
            }
            clusters.put(name, cluster);
            return this;
        }

        /**
         * The conditions a retryable request is retried on, in Envoy's {@code retry_on} syntax
         * with Istio's status codes, e.g. {@code "5xx,connect-failure"} or
         * {@code "gateway-error,409"}. Default {@code connect-failure,5xx}.
         *
         * @throws IllegalArgumentException naming a condition that is unknown or that java.net.http
         *     does not let this client observe
         */
        public Builder retryOn(String retryOn) {
            this.retryOn = RetryOn.parse(retryOn);
            return this;
        }

        /**
         * How many times a retryable request may be retried (Envoy's {@code num_retries}, Istio's
         * {@code attempts}); 0 turns retries off. Default 2.
         *
         * @throws IllegalArgumentException when negative or above 100
         */
        public Builder maxRetries(int maxRetries) {
            if (maxRetries < 0 || maxRetries > 100) {
                throw new IllegalArgumentException("maxRetries: must be 0..100, got " + maxRetries);
            }
            this.maxRetries = maxRetries;
            return this;
        }

        /**
         * Whether a retry avoids the hosts already attempted (Envoy's {@code previous_hosts}
         * predicate, Istio's {@code retryIgnorePreviousHosts}). Default true.
         */
        public Builder retryIgnorePreviousHosts(boolean ignore) {
            this.retryIgnorePreviousHosts = ignore;
            return this;
        }

        /**
         * How many more picks a retry's host selection may make while it lands on attempted hosts
         * (Envoy's {@code host_selection_retry_max_attempts}); when all do, the last pick is kept,
         * as Envoy keeps it. Default 5, Istio's value.
         *
         * @throws IllegalArgumentException when negative or above 100
         */
        public Builder hostSelectionRetryMaxAttempts(int attempts) {
            if (attempts < 0 || attempts > 100) {
                throw new IllegalArgumentException("hostSelectionRetryMaxAttempts: must be 0..100, got " + attempts);
            }
            this.hostSelectionRetryMaxAttempts = attempts;
            return this;
        }

        /**
         * Envoy's {@code previous_priorities} retry plugin with this {@code update_frequency}: after
         * every {@code updateFrequency} attempts, the priorities attempted are excluded and the
         * retries' load spills to the others. 0 turns it off: retries then stay on the normal
         * priority load. Default 2, Istio's value for {@code retryRemoteLocalities}.
         *
         * @throws IllegalArgumentException when negative or above 100
         */
        public Builder previousPriorities(int updateFrequency) {
            if (updateFrequency < 0 || updateFrequency > 100) {
                throw new IllegalArgumentException("previousPriorities: update frequency must be 0..100, got "
                        + updateFrequency);
            }
            this.previousPriorities = updateFrequency;
            return this;
        }

        /**
         * The limit on each service's retries in flight: a {@link RetryBudget#of budget} or Envoy's
         * {@link RetryBudget#maxParallelRetries fixed limit}. Default: Istio's {@code max_retries},
         * 2^32 − 1, in effect none ({@link RetryBudget#ISTIO_MAX_RETRIES}; Envoy alone would allow 3).
         *
         * @throws IllegalArgumentException when null
         */
        public Builder retryBudget(RetryBudget budget) {
            if (budget == null) {
                throw new IllegalArgumentException("retryBudget: must not be null");
            }
            this.retryBudget = budget;
            return this;
        }

        /**
         * Whether to send the request's own authority as {@code Host} (Envoy's default) instead of
         * the endpoint's {@code address:port} (java.net.http's). Default false.
         */
        public Builder preserveHost(boolean preserve) {
            this.preserveHost = preserve;
            return this;
        }

        /**
         * Asks for a cluster drain on this executor whenever an outcome completes a run of failures,
         * so the ejection is decided now rather than at the control thread's next period. Pass the
         * control thread's single-threaded executor: drains then stay on one thread. Null (the
         * default): the client never drains.
         */
        public Builder drainOn(Executor executor) {
            this.drainExecutor = executor;
            return this;
        }

        /**
         * Builds the client.
         *
         * @throws IllegalArgumentException when no service was added, or when {@code preserveHost}
         *     is asked of a JVM whose java.net.http refuses to set {@code Host}
         */
        public MeridianHttpClient build() {
            if (clusters.isEmpty()) {
                throw new IllegalArgumentException("services: at least one service(name, cluster) is needed");
            }
            if (preserveHost) {
                try {
                    HttpRequest.newBuilder().setHeader("Host", "probe");
                } catch (IllegalArgumentException refused) {
                    throw new IllegalArgumentException("preserveHost: java.net.http refuses to set the Host header; "
                            + "start the JVM with -Djdk.httpclient.allowRestrictedHeaders=host", refused);
                }
            }
            return new MeridianHttpClient(this);
        }
    }
}
