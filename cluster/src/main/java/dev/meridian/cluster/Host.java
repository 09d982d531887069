package dev.meridian.cluster;

import dev.meridian.core.Endpoint;
import dev.meridian.outlier.HostMonitor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The handle a {@link Cluster} hands out for one upstream address: pick returns it, and the
 * request's outcome and least request's in-flight count are recorded on it. A cluster keeps one
 * handle per address for as long as the address stays in its endpoint set, across every update, so
 * a handle picked before an update records onto the same counters the next snapshot reads: an
 * outcome is never charged to another host and a started/finished pair always meets.
 *
 * <p>Thread-safe. {@link #endpoint()} is the endpoint with this address as of the latest update the
 * control thread has applied (its weight, health and labels may change; its address never does);
 * the control thread changes it, {@link #priority()} and {@link #isEjected()} just before it
 * publishes the snapshot that shows the change, so a request still holding the previous snapshot
 * may already see them.
 */
public final class Host {

    private static final VarHandle ACTIVE;

    static {
        try {
            ACTIVE = MethodHandles.lookup().findVarHandle(Host.class, "active", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    @SuppressWarnings("unused") // through ACTIVE
    private int active;
    @SuppressWarnings("unused")
    private long p11, p12, p13, p14, p15, p16, p17;

    private final String address;
    private volatile Endpoint endpoint;
    private volatile int priority;
    final HostMonitor monitor;
    // Written and read only by the cluster's control thread.
    /** When this host's slow start began, in the balancer's encoding (established, not yet healthy, or a time). */
    long slowStartSince;

    Host(Endpoint endpoint, long slowStartSince) {
        this.address = endpoint.address();
        this.endpoint = endpoint;
        this.monitor = new HostMonitor();
        this.slowStartSince = slowStartSince;
    }

    /** The endpoint with this host's address as of the latest applied update. */
    public Endpoint endpoint() {
        return endpoint;
    }

    /** The {@code host:port} address; the same for the handle's whole life. */
    public String address() {
        return address;
    }

    /**
     * This host's Envoy priority (0 the highest) in the latest published snapshot: what a retry
     * reports as the priority it attempted, as Envoy's retry plugins read {@code host.priority()}.
     */
    public int priority() {
        return priority;
    }

    /** Requests started and not yet finished on this host, never negative. */
    public int activeRequests() {
        return Math.max(0, (int) ACTIVE.getVolatile(this));
    }

    /** True while outlier detection has this host ejected. */
    public boolean isEjected() {
        return monitor.isEjected();
    }

    void endpoint(Endpoint e) {
        endpoint = e;
    }

    void priority(int p) {
        priority = p;
    }

    void started() {
        ACTIVE.getAndAdd(this, 1);
    }

    void finished() {
        int current;
        do {
            current = (int) ACTIVE.getVolatile(this);
            if (current <= 0) {
                return;
            }
        } while (!ACTIVE.compareAndSet(this, current, current - 1));
    }

    @Override
    public String toString() {
        return "Host[" + address + "]";
    }
}
