package dev.meridian.outlier;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LoadBalancer;
import java.util.BitSet;
import org.agrona.concurrent.NanoClock;

/**
 * An {@link OutlierDetector} bound to a {@link LoadBalancer}: every ejection and return publishes
 * the detector's ejected set to the balancer, which counts ejected hosts as unhealthy, so priority
 * load spills to the next priority as Envoy's does when a priority's hosts fail their outlier check
 * and comes back when they return. Endpoint updates go through {@link #update} so that the balancer
 * and the detector move to the new table together.
 *
 * <p>Thread-safe: publications happen under the detector's transition lock, in the order the
 * detector decided them, so the balancer always ends with the detector's latest ejected set.
 */
public final class OutlierFailover {

    private final LoadBalancer balancer;
    private final OutlierDetector detector;

    private OutlierFailover(LoadBalancer balancer, OutlierDetectionConfig config, RandomSource random,
                            NanoClock clock, EjectionListener listener) {
        this.balancer = balancer;
        this.detector = OutlierDetector.create(config, balancer.table(), random, clock, new Publisher(listener));
    }

    /**
     * Creates a detector over the balancer's current table and binds it. From now on the detector
     * owns the balancer's ejections: any the balancer had are cleared.
     *
     * @param random the detector's source for enforcement percentages and jitter
     * @param clock the detector's clock, normally the balancer's
     * @param listener also told of every ejection and return, after the balancer; null for none
     * @throws IllegalArgumentException when the balancer, config, random or clock is null
     */
    public static OutlierFailover bind(LoadBalancer balancer, OutlierDetectionConfig config, RandomSource random,
                                       NanoClock clock, EjectionListener listener) {
        if (balancer == null) {
            throw new IllegalArgumentException("balancer: must not be null");
        }
        OutlierFailover failover = new OutlierFailover(balancer, config, random, clock,
                listener == null ? EjectionListener.none() : listener);
        failover.detector.updateThen(failover.detector.table(), failover::publish);
        return failover;
    }

    /** The detector: record results to it and sweep it every interval. */
    public OutlierDetector detector() {
        return detector;
    }

    public LoadBalancer balancer() {
        return balancer;
    }

    /**
     * Moves the balancer and the detector to a new table together. Both carry ejections over by
     * address, so a host that stays keeps its ejection, a removed one stops counting and a new one
     * starts in service; no ejection or return can be published between the two updates.
     *
     * @throws IllegalArgumentException when the table is null
     */
    public void update(EndpointTable newTable) {
        detector.updateThen(newTable, () -> {
            balancer.update(newTable);
            publish();
        });
    }

    /** Under the detector's transition lock. */
    private void publish() {
        EndpointTable table = detector.table();
        BitSet ejected = detector.ejectedHosts();
        // False only when someone updated the balancer around this binding; the next update through
        // the binding realigns the two.
        balancer.setEjected(table, ejected);
    }

    @Override
    public String toString() {
        return "OutlierFailover[" + detector + ", " + balancer + "]";
    }

    /** Publishes to the balancer first, then tells the caller's listener. */
    private final class Publisher implements EjectionListener {
        private final EjectionListener next;

        Publisher(EjectionListener next) {
            this.next = next;
        }

        @Override
        public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
            publish();
            next.onEjected(table, hostId, type, atNanos, untilNanos);
        }

        @Override
        public void onReturned(EndpointTable table, int hostId, long atNanos) {
            publish();
            next.onReturned(table, hostId, atNanos);
        }
    }
}
