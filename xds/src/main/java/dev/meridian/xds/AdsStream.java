package dev.meridian.xds;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;

/**
 * One ADS call, of either protocol variant. gRPC's callbacks hop into the client's synchronization
 * context; everything else runs there already.
 *
 * <p>Not thread-safe: used only inside the client's synchronization context (the gRPC callbacks
 * only schedule work there).
 */
abstract class AdsStream<ReqT, RespT> extends ClientCall.Listener<RespT> {

    final AdsClient client;
    final ClientCall<ReqT, RespT> call;
    /** True once the first response arrived on this stream. */
    boolean responded;

    AdsStream(AdsClient client, MethodDescriptor<ReqT, RespT> method) {
        this.client = client;
        this.call = client.channel.newCall(method, CallOptions.DEFAULT);
    }

    /** Starts the call and sends the subscriptions. */
    final void start() {
        call.start(this, new Metadata());
        call.request(1);
        subscribe();
    }

    /** Cancels the call, releasing what the stream holds. */
    final void cancel(String why) {
        ended();
        call.cancel(why, null);
    }

    @Override
    public final void onMessage(RespT response) {
        client.context.execute(() -> client.onResponse(this, () -> handle(response)));
    }

    @Override
    public final void onClose(Status status, Metadata trailers) {
        client.context.execute(() -> client.onStreamClosed(this, status));
    }

    /** The first requests on a new stream: every type with something to subscribe to. */
    abstract void subscribe();

    /** One response: validate, apply, ACK or NACK, adjust the EDS subscription. */
    abstract void handle(RespT response);

    /** The stream is over: cancel its timers. */
    void ended() {
    }
}
