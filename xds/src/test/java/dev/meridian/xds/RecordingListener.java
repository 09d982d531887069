package dev.meridian.xds;

import static org.assertj.core.api.Assertions.fail;

import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Records what an ADS client tells its listener, for a test thread to wait on. */
final class RecordingListener implements AdsClient.Listener {

    /** One thing the client reported. */
    sealed interface Event permits Connecting, Connected, Disconnected, Accepted, Rejected {
    }

    record Connecting(int attempt) implements Event {
    }

    record Connected() implements Event {
    }

    record Disconnected(Status status, Duration retryIn) implements Event {
    }

    record Accepted(String typeUrl, String version, List<XdsWarning> warnings) implements Event {
    }

    record Rejected(String typeUrl, String version, String reason, List<XdsWarning> warnings) implements Event {
    }

    /** A generous bound: the tests wait for events, and a missing one fails after this. */
    static final long WAIT_SECONDS = 30;

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

    @Override
    public void onConnecting(int attempt) {
        events.add(new Connecting(attempt));
    }

    @Override
    public void onConnected() {
        events.add(new Connected());
    }

    @Override
    public void onDisconnected(Status status, Duration retryIn) {
        events.add(new Disconnected(status, retryIn));
    }

    @Override
    public void onAccepted(String typeUrl, String version, List<XdsWarning> warnings) {
        events.add(new Accepted(typeUrl, version, warnings));
    }

    @Override
    public void onRejected(String typeUrl, String version, String reason, List<XdsWarning> warnings) {
        events.add(new Rejected(typeUrl, version, reason, warnings));
    }

    /** The next event, or a failure after {@link #WAIT_SECONDS}. */
    Event next() throws InterruptedException {
        Event e = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (e == null) {
            fail("no ADS client event within " + WAIT_SECONDS + " s");
        }
        return e;
    }

    /** Skips events until one of the type that matches, and returns it. */
    <E extends Event> E await(Class<E> type, Predicate<E> matching) throws InterruptedException {
        while (true) {
            Event e = next();
            if (type.isInstance(e) && matching.test(type.cast(e))) {
                return type.cast(e);
            }
        }
    }

    Accepted awaitAccepted(String typeUrl, String version) throws InterruptedException {
        return await(Accepted.class, a -> a.typeUrl().equals(typeUrl) && a.version().equals(version));
    }

    Rejected awaitRejected(String typeUrl, String version) throws InterruptedException {
        return await(Rejected.class, r -> r.typeUrl().equals(typeUrl) && r.version().equals(version));
    }

    /** Events already recorded and not yet taken, without waiting. */
    List<Event> pending() {
        List<Event> out = new java.util.ArrayList<>();
        events.drainTo(out);
        return out;
    }
}
