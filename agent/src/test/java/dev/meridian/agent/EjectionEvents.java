package dev.meridian.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.EndpointTable;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A cluster's ejections and returns as lines ({@code ejected r1/z1}, {@code returned r1/z1}), for tests to wait on. */
final class EjectionEvents implements EjectionListener {
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @Override
    public void onEjected(EndpointTable table, int hostId, EjectionType type, long at, long until) {
        events.add("ejected " + table.endpoint(hostId).locality());
    }

    @Override
    public void onReturned(EndpointTable table, int hostId, long at) {
        events.add("returned " + table.endpoint(hostId).locality());
    }

    /** True while no event is waiting. */
    boolean none() {
        return events.isEmpty();
    }

    /** The next event, waiting up to 30 s for it. */
    String next() throws InterruptedException {
        String e = events.poll(30, TimeUnit.SECONDS);
        assertThat(e).as("an ejection event within 30 s").isNotNull();
        return e;
    }
}
