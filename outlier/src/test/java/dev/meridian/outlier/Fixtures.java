package dev.meridian.outlier;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import java.util.ArrayList;
import java.util.List;

/** Endpoint tables and listeners the outlier tests share. */
final class Fixtures {
    private Fixtures() {
    }

    /** A table of {@code n} hosts 10.0.0.1:8080 ... in one locality, all at priority 0. */
    static EndpointTable hosts(int n) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            endpoints.add(Endpoint.of(address(i), Locality.of("r1", "z1", "")));
        }
        return EndpointTable.of(endpoints);
    }

    static String address(int i) {
        return "10.0.0." + (i + 1) + ":8080";
    }

    /** Records every event as a line, for asserting order. */
    static final class EventLog implements EjectionListener {
        final List<String> events = new ArrayList<>();

        @Override
        public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
            events.add("eject " + hostId + " " + type + " at " + atNanos + " until " + untilNanos);
        }

        @Override
        public void onReturned(EndpointTable table, int hostId, long atNanos) {
            events.add("return " + hostId + " at " + atNanos);
        }
    }
}
