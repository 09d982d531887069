package dev.meridian.grpc;

import io.grpc.Status;

/**
 * The HTTP status Envoy gives a gRPC status when it feeds outlier detection: Envoy's
 * {@code Grpc::Utility::grpcToHttpStatus} ({@code source/common/grpc/status.cc}), itself taken from
 * Google's API design guide. Envoy's router calls it in {@code Filter::onUpstreamHeaders}
 * ({@code source/common/router/router.cc}) when {@code grpc-status} arrives in the response headers
 * (a trailers-only response) and hands the result to {@code putHttpResponseCode}; a status that
 * arrives in trailers after the response headers is not converted there, so the detector sees the
 * headers' {@code :status} (200).
 *
 * <p>Stateless and thread-safe; allocation-free.
 */
final class EnvoyGrpcStatus {

    /** Indexed by {@link Status.Code#value()}: OK 200 through UNAUTHENTICATED 401. */
    private static final int[] HTTP = {
        200, // OK
        499, // CANCELLED: client closed request
        500, // UNKNOWN
        400, // INVALID_ARGUMENT
        504, // DEADLINE_EXCEEDED: gateway time-out
        404, // NOT_FOUND
        409, // ALREADY_EXISTS
        403, // PERMISSION_DENIED
        429, // RESOURCE_EXHAUSTED: too many requests
        400, // FAILED_PRECONDITION
        409, // ABORTED
        400, // OUT_OF_RANGE
        501, // UNIMPLEMENTED
        500, // INTERNAL
        503, // UNAVAILABLE
        500, // DATA_LOSS
        401, // UNAUTHENTICATED
    };

    private EnvoyGrpcStatus() {
    }

    /** The HTTP status Envoy's {@code grpcToHttpStatus} gives a code; 500 for a code it does not know. */
    static int toHttp(Status.Code code) {
        int v = code.value();
        return v >= 0 && v < HTTP.length ? HTTP[v] : 500;
    }
}
