package dev.meridian.http;

import dev.meridian.cluster.Host;
import dev.meridian.outlier.LocalOriginResult;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import javax.net.ssl.SSLHandshakeException;

/**
 * One call through the client: the request, the caller's body handler, the host of the attempt in
 * flight and, for a retryable request, Envoy's per-request retry state
 * ({@code source/common/router/retry_state_impl.cc}: retries remaining, the retry holding a place in
 * the budget; the {@code previous_hosts} predicate's attempted hosts; the {@code previous_priorities}
 * plugin's attempted hosts and excluded priorities).
 *
 * <p>It is also the body handler java.net.http calls when an attempt's response headers arrive:
 * that is where the status is recorded and a retry decided, as Envoy's router records the status
 * and asks {@code shouldRetryHeaders} on the upstream headers; a retried response's body is
 * discarded, the caller's handler sees only the response it gets.
 *
 * <p>Not thread-safe, and need not be: attempts run one after another, and each step happens after
 * the previous one through java.net.http's own hand-offs (the send, the handler call, the
 * completion); the fields the handler writes are volatile all the same.
 */
final class Exchange<T> implements HttpResponse.BodyHandler<T> {

    private final MeridianHttpClient client;
    final Service service;
    final HttpRequest request;
    private final HttpResponse.BodyHandler<T> handler;
    /** Null when the request is not retryable: Envoy creates no retry state then. */
    private final RetryPolicy policy;

    // The attempt in flight.
    private volatile Host current;
    /** The host the retry decided at the headers goes to; null when the response is the caller's. */
    private volatile Host next;
    /** The caller's handler has the response: a failure now cannot be retried (Envoy: the downstream response started). */
    private volatile boolean responseStarted;
    /** The caller's handler threw: java.net.http fails the attempt with it, which is no fault of the host. */
    private volatile boolean handlerFailed;
    private int attempts;

    // Envoy's retry state, retryable requests only.
    private final Host[] attempted;
    private int attemptedCount;
    private int retriesLeft;
    /** A retry holds a place in the budget until its outcome arrives (Envoy's armed {@code callback_}). */
    private boolean retryInFlight;
    /** Where the priority plugin's list of attempted hosts starts in {@link #attempted}: cleared by a reset. */
    private int priorityFrom;
    private long excludedPriorities;
    /** The exclusion of the last priority-load update; what retries between updates use. */
    private long loadExclusion;

    Exchange(MeridianHttpClient client, Service service, HttpRequest request, HttpResponse.BodyHandler<T> handler,
             RetryPolicy policy) {
        this.client = client;
        this.service = service;
        this.request = request;
        this.handler = handler;
        this.policy = policy;
        this.attempted = policy == null ? null : new Host[policy.maxRetries + 1];
        this.retriesLeft = policy == null ? 0 : policy.maxRetries;
    }

    /** The first attempt's host, or null when the cluster has none. */
    Host firstHost() {
        return service.cluster.pick();
    }

    /** Starts an attempt on a host: the request for it, counted as started. */
    HttpRequest begin(Host host) {
        HttpRequest upstream = client.rewrite(request, host);
        current = host;
        next = null;
        responseStarted = false;
        attempts++;
        if (policy != null) {
            // onHostAttempted: both retry plugins hear of every attempt, the first included.
            attempted[attemptedCount++] = host;
        }
        service.attemptStarted(host);
        return upstream;
    }

    /** The attempt in flight has finished, with a response or a failure. */
    void end() {
        service.attemptFinished(current);
    }

    /** The request ends without a decision on its last attempt (interrupted, cancelled, a caller error). */
    void abandon() {
        if (retryInFlight) {
            retryInFlight = false;
            service.retryEnded();
        }
    }

    /** The host of the retry decided at the response headers, or null when the response is the caller's. */
    Host takeRetry() {
        Host h = next;
        next = null;
        return h;
    }

    // ------------------------------------------------------------------ the response headers

    /**
     * The attempt's response headers: records the connection's success and the status for outlier
     * detection, then decides whether to retry. Runs on java.net.http's executor.
     */
    @Override
    public HttpResponse.BodySubscriber<T> apply(HttpResponse.ResponseInfo info) {
        Host host = current;
        int status = info.statusCode();
        // Envoy reports the connection ready (UpstreamRequest::onPoolReady) and then the status on
        // the headers (Filter::onUpstreamHeaders); java.net.http shows both at once.
        boolean decide = service.cluster.recordLocalOrigin(host, LocalOriginResult.CONNECT_SUCCESS);
        decide |= service.cluster.record(host, status);
        if (decide) {
            service.drainSoon();
        }
        if (policy != null) {
            Host retry = retryAfter(policy.retryOn.retriesStatus(status));
            if (retry != null) {
                next = retry;
                return HttpResponse.BodySubscribers.replacing(null);
            }
        }
        responseStarted = true;
        try {
            return handler.apply(info);
        } catch (RuntimeException | Error e) {
            handlerFailed = true;
            throw e;
        }
    }

    // ------------------------------------------------------------------ failures

    /**
     * The attempt failed with an I/O error: records it as a local-origin outcome and decides
     * whether to retry.
     *
     * @return the host to retry on, or null to fail the call with {@link #failure}
     */
    Host onFailure(IOException e) {
        Host retry = next;
        if (retry != null) {
            // The retry was decided at the headers; the discarded body's failure changes nothing
            // (Envoy resets the upstream stream of a response it retries).
            next = null;
            return retry;
        }
        if (handlerFailed) {
            abandon();
            return null;
        }
        LocalOriginResult outcome = outcomeOf(e);
        if (service.cluster.recordLocalOrigin(current, outcome)) {
            service.drainSoon();
        }
        if (policy == null || responseStarted) {
            abandon();
            return null;
        }
        return retryAfter(policy.retryOn.retriesFailure(outcome));
    }

    /**
     * What Envoy's router reports to outlier detection for a failure: a connection that could not
     * be made ({@code UpstreamRequest::onPoolFailure}: {@code LocalOriginConnectFailed}), a per-try
     * timeout ({@code Filter::onPerTryTimeoutCommon}: {@code LocalOriginTimeout}), anything else
     * once connected, a reset or a response that does not parse, is an upstream reset
     * ({@code Filter::onUpstreamReset}: {@code LocalOriginConnectFailed}, here
     * {@link LocalOriginResult#RESET}, which outlier detection counts the same way). A connect
     * timeout is a connection failure, not a request timeout.
     */
    static LocalOriginResult outcomeOf(IOException e) {
        if (e instanceof HttpConnectTimeoutException || e instanceof ConnectException
                || e instanceof SSLHandshakeException) {
            return LocalOriginResult.CONNECT_FAILED;
        }
        if (e instanceof HttpTimeoutException) {
            return LocalOriginResult.TIMEOUT;
        }
        return LocalOriginResult.RESET;
    }

    /**
     * The exception a failed call ends with: when the caller's handler threw, java.net.http's own;
     * otherwise one of the same kind as java.net.http's (so a caller's
     * {@code catch (HttpTimeoutException e)} still works), with a message that names the service,
     * the endpoint, its locality and the outcome recorded, and java.net.http's exception as the cause.
     */
    IOException failure(IOException e) {
        if (handlerFailed) {
            // java.net.http's exception, carrying the handler's as its cause: nothing to add.
            return e;
        }
        Host host = current;
        LocalOriginResult outcome = outcomeOf(e);
        String what = switch (outcome) {
            case CONNECT_FAILED -> "could not connect to";
            case TIMEOUT -> "timed out waiting for";
            default -> "lost the exchange with";
        };
        String message = service.name + ": " + what + " " + host.address() + " (" + host.endpoint().locality()
                + ", recorded as " + outcome + ")" + (attempts > 1 ? " after " + attempts + " attempts" : "")
                + (e.getMessage() == null ? "" : ": " + e.getMessage());
        IOException out;
        if (e instanceof HttpConnectTimeoutException) {
            out = new HttpConnectTimeoutException(message);
        } else if (e instanceof HttpTimeoutException) {
            out = new HttpTimeoutException(message);
        } else if (e instanceof ConnectException) {
            out = new ConnectException(message);
        } else if (e instanceof ProtocolException) {
            out = new ProtocolException(message);
        } else {
            out = new IOException(message);
        }
        out.initCause(e);
        return out;
    }

    // ------------------------------------------------------------------ Envoy's retry state

    /**
     * Envoy's {@code RetryStateImpl::shouldRetry} for the outcome just recorded, then the retry's
     * host selection. The retry in flight, if any, gives back its place first ({@code resetRetry});
     * one that is not followed by another counts as a retry success. A retry needs a retry left
     * ({@code retries_remaining_}, spent even when the budget then refuses), a place in the budget
     * ({@code retries().canCreate()}) and a host.
     *
     * @return the host to retry on, or null when the outcome is final
     */
    private Host retryAfter(boolean wouldRetry) {
        if (retryInFlight) {
            retryInFlight = false;
            service.retryEnded();
            if (!wouldRetry) {
                service.retrySucceeded();
            }
        }
        if (!wouldRetry) {
            return null;
        }
        if (retriesLeft == 0) {
            service.retryLimitExceeded();
            return null;
        }
        retriesLeft--;
        if (!service.tryStartRetry()) {
            return null;
        }
        Host host = retryHost();
        if (host == null) {
            // Envoy would start the retry and answer it 503 "no healthy upstream"; the response
            // or failure in hand says more, so the call ends with it.
            service.retryEnded();
            service.noEndpointFound();
            return null;
        }
        retryInFlight = true;
        service.retryStarted();
        return host;
    }

    /**
     * A retry's host: Envoy's {@code chooseHost} loop, up to {@code host_selection_retry_max_attempts}
     * more picks while the {@code previous_hosts} predicate rejects a host already attempted, the
     * last pick kept when all are rejected; each pick on the priority load the
     * {@code previous_priorities} plugin determines.
     */
    private Host retryHost() {
        Host host = null;
        int picks = policy.selectionPicks();
        for (int i = 0; i < picks; i++) {
            long exclusion = priorityExclusion();
            host = service.cluster.pickExcluding(exclusion);
            if (host != null && exclusion != 0 && host.priority() < 64 && (exclusion & 1L << host.priority()) != 0) {
                // Only a start-over can land in an excluded priority: nothing was available outside
                // them, so Envoy cleared its excluded priorities and its attempted hosts.
                excludedPriorities = 0;
                loadExclusion = 0;
                priorityFrom = attemptedCount;
            }
            if (host == null || !policy.ignorePreviousHosts || !attempted(host)) {
                return host;
            }
        }
        return host;
    }

    private boolean attempted(Host host) {
        for (int i = 0; i < attemptedCount; i++) {
            if (attempted[i] == host) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code PreviousPrioritiesRetryPriority::determinePriorityLoad}: the original load (no
     * exclusion) until {@code update_frequency} hosts have been attempted; at every multiple of it
     * the priorities of the hosts attempted so far join the excluded ones; between updates the last
     * update's load stands.
     */
    private long priorityExclusion() {
        int frequency = policy.previousPrioritiesUpdateFrequency;
        if (frequency == 0) {
            return 0;
        }
        int seen = attemptedCount - priorityFrom;
        if (seen < frequency) {
            return 0;
        }
        if (seen % frequency == 0) {
            for (int i = priorityFrom; i < attemptedCount; i++) {
                int p = attempted[i].priority();
                if (p < 64) {
                    excludedPriorities |= 1L << p;
                }
            }
            loadExclusion = excludedPriorities;
        }
        return loadExclusion;
    }
}
