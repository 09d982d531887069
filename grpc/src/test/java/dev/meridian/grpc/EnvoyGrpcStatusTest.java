package dev.meridian.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Envoy's {@code Grpc::Utility::grpcToHttpStatus} ({@code source/common/grpc/status.cc}), code by
 * code, as its switch reads.
 */
class EnvoyGrpcStatusTest {

    @Test
    void everyCodeMapsAsEnvoysSwitchDoes() {
        Map<Status.Code, Integer> envoy = new EnumMap<>(Status.Code.class);
        envoy.put(Status.Code.OK, 200);
        envoy.put(Status.Code.CANCELLED, 499);
        envoy.put(Status.Code.UNKNOWN, 500);
        envoy.put(Status.Code.INVALID_ARGUMENT, 400);
        envoy.put(Status.Code.DEADLINE_EXCEEDED, 504);
        envoy.put(Status.Code.NOT_FOUND, 404);
        envoy.put(Status.Code.ALREADY_EXISTS, 409);
        envoy.put(Status.Code.PERMISSION_DENIED, 403);
        envoy.put(Status.Code.RESOURCE_EXHAUSTED, 429);
        envoy.put(Status.Code.FAILED_PRECONDITION, 400);
        envoy.put(Status.Code.ABORTED, 409);
        envoy.put(Status.Code.OUT_OF_RANGE, 400);
        envoy.put(Status.Code.UNIMPLEMENTED, 501);
        envoy.put(Status.Code.INTERNAL, 500);
        envoy.put(Status.Code.UNAVAILABLE, 503);
        envoy.put(Status.Code.DATA_LOSS, 500);
        envoy.put(Status.Code.UNAUTHENTICATED, 401);
        assertThat(envoy).hasSize(Status.Code.values().length);
        envoy.forEach((code, http) -> assertThat(EnvoyGrpcStatus.toHttp(code)).as(code.name()).isEqualTo(http));
    }

    @Test
    void onlyTheGatewayCodesAreGatewayFailures() {
        // Envoy's consecutive gateway failure counts 502, 503 and 504 (outlier_detection_impl.cc).
        for (Status.Code code : Status.Code.values()) {
            int http = EnvoyGrpcStatus.toHttp(code);
            boolean gateway = http == 502 || http == 503 || http == 504;
            assertThat(gateway).as(code.name())
                    .isEqualTo(code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED);
        }
    }
}
