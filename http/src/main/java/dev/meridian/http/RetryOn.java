package dev.meridian.http;

import dev.meridian.outlier.LocalOriginResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The conditions a retryable request is retried on, written as Envoy's {@code retry_on} (a comma
 * list) and decided as {@code RetryStateImpl::wouldRetryFromHeaders} and
 * {@code wouldRetryFromReset} decide them ({@code source/common/router/retry_state_impl.cc}):
 * <ul>
 *   <li>{@code 5xx}: any response 500..599, and any failure (Envoy counts a reset, a connect
 *       failure and a per-try timeout as a 5xx);
 *   <li>{@code gateway-error}: 502, 503, 504, and any failure;
 *   <li>{@code connect-failure}: a connection that could not be made (refused, unreachable,
 *       connect timeout);
 *   <li>{@code reset}: any failure (connect failure, reset, malformed response, timeout);
 *   <li>{@code reset-before-request}: a failure before the request was sent, which here is a
 *       connect failure;
 *   <li>{@code retriable-4xx}: 409;
 *   <li>{@code retriable-status-codes}: the status codes listed; as in Istio's {@code retryOn}, a
 *       number in the list is such a code and turns the condition on.
 * </ul>
 * Envoy's conditions this client cannot observe through java.net.http ({@code refused-stream},
 * the gRPC ones, {@code envoy-ratelimited}, {@code retriable-headers},
 * {@code http3-post-connect-failure}) are refused with the reason, never silently dropped.
 *
 * <p>Immutable and thread-safe; the checks are allocation-free.
 */
final class RetryOn {

    static final int FIVE_XX = 1;
    static final int GATEWAY_ERROR = 1 << 1;
    static final int CONNECT_FAILURE = 1 << 2;
    static final int RESET = 1 << 3;
    static final int RESET_BEFORE_REQUEST = 1 << 4;
    static final int RETRIABLE_4XX = 1 << 5;
    static final int RETRIABLE_STATUS_CODES = 1 << 6;

    private static final List<String> UNOBSERVABLE = List.of("refused-stream", "envoy-ratelimited",
            "retriable-headers", "http3-post-connect-failure", "cancelled", "deadline-exceeded", "internal",
            "resource-exhausted", "unavailable");

    private final int conditions;
    private final int[] statusCodes;
    private final String text;

    private RetryOn(int conditions, int[] statusCodes, String text) {
        this.conditions = conditions;
        this.statusCodes = statusCodes;
        this.text = text;
    }

    /**
     * Parses Envoy's {@code retry_on} syntax, with Istio's status codes.
     *
     * @throws IllegalArgumentException naming the condition that is unknown or cannot be observed
     */
    static RetryOn parse(String retryOn) {
        if (retryOn == null || retryOn.isBlank()) {
            throw new IllegalArgumentException("retryOn: must name at least one condition, got '" + retryOn + "'");
        }
        int bits = 0;
        List<Integer> codes = new ArrayList<>();
        for (String raw : retryOn.split(",", -1)) {
            String token = raw.strip().toLowerCase(Locale.ROOT);
            switch (token) {
                case "5xx" -> bits |= FIVE_XX;
                case "gateway-error" -> bits |= GATEWAY_ERROR;
                case "connect-failure" -> bits |= CONNECT_FAILURE;
                case "reset" -> bits |= RESET;
                case "reset-before-request" -> bits |= RESET_BEFORE_REQUEST;
                case "retriable-4xx" -> bits |= RETRIABLE_4XX;
                case "retriable-status-codes" -> bits |= RETRIABLE_STATUS_CODES;
                default -> {
                    if (token.isEmpty()) {
                        throw new IllegalArgumentException("retryOn: empty condition in '" + retryOn + "'");
                    }
                    if (UNOBSERVABLE.contains(token)) {
                        throw new IllegalArgumentException("retryOn: '" + token + "' is an Envoy condition that "
                                + "java.net.http does not let this client observe (in '" + retryOn + "')");
                    }
                    int code = statusCode(token, retryOn);
                    codes.add(code);
                    bits |= RETRIABLE_STATUS_CODES;
                }
            }
        }
        int[] statusCodes = codes.stream().mapToInt(Integer::intValue).sorted().distinct().toArray();
        return new RetryOn(bits, statusCodes, retryOn.strip());
    }

    private static int statusCode(String token, String retryOn) {
        try {
            int code = Integer.parseInt(token);
            if (code >= 100 && code <= 599) {
                return code;
            }
        } catch (NumberFormatException notANumber) {
            // reported below
        }
        throw new IllegalArgumentException("retryOn: unknown condition '" + token + "' in '" + retryOn + "' (expected "
                + "5xx, gateway-error, connect-failure, reset, reset-before-request, retriable-4xx, "
                + "retriable-status-codes or a status code 100..599)");
    }

    /** Whether a response with this status is retried. */
    boolean retriesStatus(int status) {
        if ((conditions & FIVE_XX) != 0 && status >= 500 && status <= 599) {
            return true;
        }
        if ((conditions & GATEWAY_ERROR) != 0 && (status == 502 || status == 503 || status == 504)) {
            return true;
        }
        if ((conditions & RETRIABLE_4XX) != 0 && status == 409) {
            return true;
        }
        if ((conditions & RETRIABLE_STATUS_CODES) != 0) {
            for (int code : statusCodes) {
                if (code == status) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether a failure of this kind is retried (CONNECT_FAILED, RESET or TIMEOUT). */
    boolean retriesFailure(LocalOriginResult failure) {
        if (failure == LocalOriginResult.CONNECT_FAILED
                && (conditions & (CONNECT_FAILURE | RESET_BEFORE_REQUEST)) != 0) {
            return true;
        }
        return (conditions & (RESET | FIVE_XX | GATEWAY_ERROR)) != 0;
    }

    int[] statusCodes() {
        return statusCodes.clone();
    }

    @Override
    public String toString() {
        return text + (statusCodes.length == 0 ? "" : " " + Arrays.toString(statusCodes));
    }
}
