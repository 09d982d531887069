package dev.meridian.outlier;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LoadBalancer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import dev.meridian.core.NanoClock;

/**
 * An {@link OutlierDetector} bound to a {@link LoadBalancer}: ejections and returns publish the
 * detector's ejected set to the balancer, which counts ejected hosts as unhealthy, so priority load
 * spills to the next priority as Envoy's does when a priority's hosts fail their outlier check and
 * comes back when they return. Endpoint updates go through {@link #update} so that the balancer and
 * the detector move to the new table together.
 *
 * <p>Each publication rebuilds the balancer's snapshot (O(endpoints), allocating), so it happens
 * once per detector transition, not once per event: a sweep that returns or ejects k hosts, or a
 * batch of consecutive-failure ejections applied together, publishes once, after all of them. The
 * caller's listener then hears of the transition's events one by one, in the detector's order, with
 * the balancer already showing all of them.
 *
 * <p>Thread-safe: publications happen under the detector's transition lock, in the order the
 * detector decided them, so the balancer always ends with the detector's latest ejected set.
 */
public final class OutlierFailover {

    private final LoadBalancer balancer;
    private final OutlierDetector detector;
    private final Publisher publisher;
    /** Snapshots published to the balancer; under the detector's transition lock. */
    private long publications;

    private OutlierFailover(LoadBalancer balancer, OutlierDetectionConfig config, RandomSource random,
                            NanoClock clock, EjectionListener listener) {
        this.balancer = balancer;
        this.publisher = new Publisher(listener);
        this.detector = OutlierDetector.create(config, balancer.table(), random, clock, publisher,
                publisher::transitionFinished);
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
        // An empty action still ends in a publication, which clears the balancer's ejections.
        failover.detector.updateThen(failover.detector.table(), () -> { });
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
        // The detector publishes the carried-over ejections once the action has run.
        detector.updateThen(newTable, () -> balancer.update(newTable));
    }

    /** Under the detector's transition lock. */
    private void publish() {
        EndpointTable table = detector.table();
        BitSet ejected = detector.ejectedHosts();
        // False only when someone updated the balancer around this binding; the next update through
        // the binding realigns the two.
        balancer.setEjected(table, ejected);
        publications++;
    }

    /** Snapshots published to the balancer so far; for tests, from the thread that drove the detector. */
    long publications() {
        return publications;
    }

    @Override
    public String toString() {
        return "OutlierFailover[" + detector + ", " + balancer + "]";
    }

    /**
     * Holds a transition's events until it finishes, publishes to the balancer once, then tells the
     * caller's listener. Used only under the detector's transition lock.
     */
    private final class Publisher implements EjectionListener {
        private final EjectionListener next;
        private List<Event> held = new ArrayList<>();

        Publisher(EjectionListener next) {
            this.next = next;
        }

        @Override
        public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
            held.add(new Event(table, hostId, type, atNanos, untilNanos));
        }

        @Override
        public void onReturned(EndpointTable table, int hostId, long atNanos) {
            held.add(new Event(table, hostId, null, atNanos, 0));
        }

        void transitionFinished() {
            publish();
            if (held.isEmpty()) {
                return;
            }
            // Taken before telling anyone, so a listener that causes another transition starts a
            // fresh list.
            List<Event> events = held;
            held = new ArrayList<>();
            for (Event e : events) {
                try {
                    if (e.type == null) {
                        next.onReturned(e.table, e.hostId, e.atNanos);
                    } else {
                        next.onEjected(e.table, e.hostId, e.type, e.atNanos, e.untilNanos);
                    }
                } catch (RuntimeException failure) {
                    Thread t = Thread.currentThread();
                    t.getUncaughtExceptionHandler().uncaughtException(t, failure);
                }
            }
        }
    }

    /** One ejection, or a return when {@code type} is null. */
    private record Event(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
    }
}
