package dev.meridian.spring;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.springframework.cloud.client.ServiceInstance;

/**
 * One choice: the instance the discovery client listed, as Spring hands it to the request, with the
 * Meridian host it was picked as, so that the lifecycle callbacks record the outcome on the exact
 * handle that was picked and end a started request exactly once. Equal to another choice of the
 * same instance, so maps keyed by instance (Spring's own statistics) still group by instance.
 *
 * <p>Thread-safe: the start and finish marks are atomic.
 */
final class PickedInstance implements ServiceInstance {

    private static final AtomicIntegerFieldUpdater<PickedInstance> STATE =
            AtomicIntegerFieldUpdater.newUpdater(PickedInstance.class, "state");
    private static final int PICKED = 0;
    private static final int STARTED = 1;
    private static final int COMPLETED = 2;

    final ServiceInstance instance;
    final Cluster cluster;
    final Host host;
    private volatile int state = PICKED;

    PickedInstance(ServiceInstance instance, Cluster cluster, Host host) {
        this.instance = instance;
        this.cluster = cluster;
        this.host = host;
    }

    /** True for the first start of this choice only. */
    boolean markStarted() {
        return STATE.compareAndSet(this, PICKED, STARTED);
    }

    /**
     * Marks the choice completed.
     *
     * @return the state before: {@code PICKED} (never started), {@code STARTED}, or {@code COMPLETED}
     *     when it was already completed (the outcome must not count twice)
     */
    int markCompleted() {
        return STATE.getAndSet(this, COMPLETED);
    }

    static boolean wasStarted(int previous) {
        return previous == STARTED;
    }

    static boolean wasCompleted(int previous) {
        return previous == COMPLETED;
    }

    @Override
    public String getInstanceId() {
        return instance.getInstanceId();
    }

    @Override
    public String getServiceId() {
        return instance.getServiceId();
    }

    @Override
    public String getHost() {
        return instance.getHost();
    }

    @Override
    public int getPort() {
        return instance.getPort();
    }

    @Override
    public boolean isSecure() {
        return instance.isSecure();
    }

    @Override
    public URI getUri() {
        return instance.getUri();
    }

    @Override
    public Map<String, String> getMetadata() {
        return instance.getMetadata();
    }

    @Override
    public String getScheme() {
        return instance.getScheme();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PickedInstance p && instance.equals(p.instance);
    }

    @Override
    public int hashCode() {
        return instance.hashCode();
    }

    @Override
    public String toString() {
        return instance.toString();
    }
}
