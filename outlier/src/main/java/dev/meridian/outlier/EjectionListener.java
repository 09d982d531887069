package dev.meridian.outlier;

import dev.meridian.core.EndpointTable;

/**
 * Told when the {@link OutlierDetector} ejects a host or brings one back. Calls arrive one at a
 * time, in the order the detector decided them, on the thread that caused the change (a recording
 * thread for a consecutive-failure ejection, the sweeping thread otherwise), while the detector
 * holds its transition lock: an implementation must be quick, must not block, and may read the
 * detector's state. The detector calls its listener as each event is decided; a listener given to
 * {@link OutlierFailover} hears of a transition's events (a sweep's, or a batch of
 * consecutive-failure ejections') once the transition is over and the balancer shows all of them.
 */
public interface EjectionListener {

    /**
     * A host was ejected.
     *
     * @param table the table the host id belongs to
     * @param hostId the host
     * @param type why
     * @param atNanos the injected clock's reading at the ejection
     * @param untilNanos the reading from which the host may return; it returns at the first sweep
     *     at or after it
     */
    void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos);

    /**
     * An ejected host was brought back into service.
     *
     * @param table the table the host id belongs to
     * @param hostId the host
     * @param atNanos the injected clock's reading at the return
     */
    void onReturned(EndpointTable table, int hostId, long atNanos);

    /** A listener that ignores every event. */
    static EjectionListener none() {
        return NoListener.INSTANCE;
    }
}
