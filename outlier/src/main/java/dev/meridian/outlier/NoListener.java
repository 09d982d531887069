package dev.meridian.outlier;

import dev.meridian.core.EndpointTable;

/** The listener that ignores every event. */
enum NoListener implements EjectionListener {
    INSTANCE;

    @Override
    public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
    }

    @Override
    public void onReturned(EndpointTable table, int hostId, long atNanos) {
    }
}
