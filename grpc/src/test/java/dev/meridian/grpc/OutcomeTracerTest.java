package dev.meridian.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.outlier.OutlierDetectionConfig;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What one RPC's life tells outlier detection, at the points Envoy's router tells it
 * ({@code source/common/router/router.cc}): one failure ejects here (a run of 1), so "ejected after
 * a drain" means "counted as a failure".
 */
class OutcomeTracerTest {

    private final AtomicInteger drains = new AtomicInteger();

    private Cluster cluster(OutlierDetectionConfig.Builder outlier) {
        return Cluster.builder(LbConfig.builder().policy(LbPolicy.ROUND_ROBIN).build())
                .endpoints(EndpointTable.of(List.of(Endpoint.of("10.0.0.1:80", Locality.parse("r1/z1")),
                        Endpoint.of("10.0.0.2:80", Locality.parse("r1/z2")))))
                .outlierDetection(outlier.maxEjectionPercent(100).build())
                .clock(new ManualClock())
                .build();
    }

    private Cluster ejectOn5xx() {
        return cluster(OutlierDetectionConfig.builder().consecutive5xx(1));
    }

    /** Runs one stream on the first host through the tracer and says whether the host is ejected after a drain. */
    private boolean ejectedAfter(Cluster c, boolean headers, boolean trailers, Status status) {
        Host h = c.host("10.0.0.1:80");
        ClientStreamTracer t = new OutcomeTracer.Factory(c, h, drains::incrementAndGet)
                .newClientStreamTracer(ClientStreamTracer.StreamInfo.newBuilder().build(), new Metadata());
        t.streamCreated(Attributes.EMPTY, new Metadata());
        assertThat(h.activeRequests()).isEqualTo(1);
        if (headers) {
            t.inboundHeaders();
        }
        if (trailers) {
            t.inboundTrailers(new Metadata());
        }
        t.streamClosed(status);
        assertThat(h.activeRequests()).as("least request's count is released").isZero();
        c.drain();
        return h.isEjected();
    }

    @Test
    void aTrailersOnlyErrorIsTheHttpStatusEnvoyGivesIt() {
        // Filter::onUpstreamHeaders: grpc-status in the headers goes through grpcToHttpStatus.
        assertThat(ejectedAfter(ejectOn5xx(), false, true, Status.INTERNAL)).isTrue();
        assertThat(drains).hasValue(1);
        assertThat(ejectedAfter(ejectOn5xx(), false, true, Status.UNAVAILABLE)).isTrue();
        assertThat(ejectedAfter(ejectOn5xx(), false, true, Status.UNIMPLEMENTED)).as("501").isTrue();
        assertThat(ejectedAfter(ejectOn5xx(), false, true, Status.INVALID_ARGUMENT)).as("400").isFalse();
        assertThat(ejectedAfter(ejectOn5xx(), false, true, Status.RESOURCE_EXHAUSTED)).as("429").isFalse();
    }

    @Test
    void anErrorInTrailersAfterHeadersIsNotSeenAsEnvoysRouterSaysItIsNot() {
        // "does not handle the case when an error grpc-status is sent as a trailer": the headers' 200 counts.
        assertThat(ejectedAfter(ejectOn5xx(), true, true, Status.INTERNAL)).isFalse();
        assertThat(drains).hasValue(0);
    }

    @Test
    void aStreamEndedWithoutAStatusFromTheServerIsALocalOriginConnectFailure() {
        // Filter::onUpstreamReset: LocalOriginConnectFailed, a 503 without split local-origin errors.
        assertThat(ejectedAfter(ejectOn5xx(), false, false, Status.UNAVAILABLE)).isTrue();
        // A reset after the response headers still counts (Envoy reports every reset but an overflow).
        assertThat(ejectedAfter(ejectOn5xx(), true, false, Status.UNAVAILABLE)).isTrue();
        assertThat(ejectedAfter(ejectOn5xx(), false, false, Status.INTERNAL)).isTrue();
    }

    @Test
    void aLocalDeadlineIsALocalOriginTimeout() {
        // Filter::onPerTryTimeoutCommon: LocalOriginTimeout, a 504 without split local-origin errors.
        assertThat(ejectedAfter(ejectOn5xx(), false, false, Status.DEADLINE_EXCEEDED)).isTrue();
    }

    @Test
    void anAttemptCancelledPastItsDeadlineIsATimeout() {
        // grpc-java's RetriableStream cancels the attempt of a call whose deadline expired.
        Cluster c = ejectOn5xx();
        Host h = c.host("10.0.0.1:80");
        Deadline past = Deadline.after(-1, TimeUnit.SECONDS);
        ClientStreamTracer t = new OutcomeTracer.Factory(c, h, drains::incrementAndGet).newClientStreamTracer(
                ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT.withDeadline(past)).build(),
                new Metadata());
        t.streamCreated(Attributes.EMPTY, new Metadata());
        t.streamClosed(Status.CANCELLED.withDescription("Stream thrown away because RetriableStream committed"));
        c.drain();
        assertThat(h.isEjected()).isTrue();
    }

    @Test
    void theCallerCancellingTellsNothingAboutTheHost() {
        assertThat(ejectedAfter(ejectOn5xx(), false, false, Status.CANCELLED)).isFalse();
        assertThat(ejectedAfter(ejectOn5xx(), true, false, Status.CANCELLED)).isFalse();
    }

    @Test
    void withSplitErrorsAResetIsALocalOriginFailureAndAServerStatusIsNot() {
        OutlierDetectionConfig.Builder split = OutlierDetectionConfig.builder().splitExternalLocalOriginErrors(true)
                .consecutiveLocalOriginFailure(1).consecutive5xx(1000);
        assertThat(ejectedAfter(cluster(split), false, false, Status.UNAVAILABLE)).isTrue();
        assertThat(ejectedAfter(cluster(split), false, true, Status.UNAVAILABLE)).isFalse();
    }

    @Test
    void aConnectionMadeEndsARunOfLocalOriginFailures() {
        // UpstreamRequest::onPoolReady reports LocalOriginConnectSuccess for every stream.
        Cluster c = cluster(OutlierDetectionConfig.builder().splitExternalLocalOriginErrors(true)
                .consecutiveLocalOriginFailure(2).consecutive5xx(1000));
        Host h = c.host("10.0.0.1:80");
        OutcomeTracer.Factory f = new OutcomeTracer.Factory(c, h, drains::incrementAndGet);
        ClientStreamTracer first = f.newClientStreamTracer(ClientStreamTracer.StreamInfo.newBuilder().build(),
                new Metadata());
        first.streamCreated(Attributes.EMPTY, new Metadata());
        first.streamClosed(Status.UNAVAILABLE);
        ClientStreamTracer second = f.newClientStreamTracer(ClientStreamTracer.StreamInfo.newBuilder().build(),
                new Metadata());
        second.streamCreated(Attributes.EMPTY, new Metadata());
        second.streamClosed(Status.UNAVAILABLE);
        c.drain();
        assertThat(h.isEjected()).as("the second stream's connection ended the first failure's run").isFalse();
    }
}
