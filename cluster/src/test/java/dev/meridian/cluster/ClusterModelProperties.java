package dev.meridian.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.PriorityPlan;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * A state-machine property: random sequences of endpoint updates, outcomes, sweeps, configuration
 * changes and clock steps, applied to a {@link Cluster} (each step followed by a drain, as a control
 * thread would) and to a plain sequential model of Envoy's consecutive-5xx detector and priority
 * load written from Envoy's source (`outlier_detection_impl.cc`: {@code onConsecutiveErrorWorker},
 * {@code ejectHost}, {@code checkHostForUneject}, {@code onIntervalTimer}; `load_balancer_impl.cc`:
 * {@code recalculatePerPriorityState} with the panic threshold 0 that Istio sets). Both must give
 * the same ejections and returns, in the same order, and the same priority loads after every step.
 */
class ClusterModelProperties {

    private static final int ADDRESSES = 8;
    private static final long SECOND = 1_000_000_000L;
    private static final Duration INTERVAL = Duration.ofSeconds(10);
    private static final Duration BASE = Duration.ofSeconds(30);

    sealed interface Action permits Update, Record, Advance, Reconfigure {
    }

    /** The endpoint set becomes these addresses (by index) at these priorities. */
    record Update(List<Integer> members, List<Integer> priorities) implements Action {
    }

    record Record(int address, int status) implements Action {
    }

    record Advance(long nanos) implements Action {
    }

    record Reconfigure(int consecutive5xx, int maxEjectionPercent) implements Action {
    }

    @Provide
    Arbitrary<List<Action>> actions() {
        Arbitrary<Action> update = Combinators.combine(
                Arbitraries.integers().between(0, ADDRESSES - 1).set().ofMinSize(1).ofMaxSize(ADDRESSES),
                Arbitraries.integers().between(0, 2).list().ofSize(ADDRESSES))
                .as((set, prios) -> new Update(new ArrayList<>(new TreeSet<>(set)), prios));
        Arbitrary<Action> record = Combinators.combine(Arbitraries.integers().between(0, ADDRESSES - 1),
                Arbitraries.of(200, 500, 503)).as(Record::new);
        Arbitrary<Action> advance = Arbitraries.longs().between(1, 40).map(s -> new Advance(s * SECOND / 2));
        Arbitrary<Action> reconfigure = Combinators.combine(Arbitraries.integers().between(1, 4),
                Arbitraries.of(10, 34, 50, 100)).as(Reconfigure::new);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, update), net.jqwik.api.Tuple.of(20, record),
                net.jqwik.api.Tuple.of(4, advance), net.jqwik.api.Tuple.of(1, reconfigure))
                .list().ofMinSize(1).ofMaxSize(120);
    }

    private static Endpoint endpoint(int a) {
        return Endpoint.of("10.9.0." + (a + 1) + ":80", Locality.of("r" + a % 2, "z", ""));
    }

    private static EndpointTable table(List<Integer> members, List<Integer> priorities) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int a : members) {
            b.add(endpoint(a), priorities.get(a), 0);
        }
        return b.build();
    }

    private static OutlierDetectionConfig config(int consecutive, int maxPercent) {
        // Only consecutive 5xx decide: success rate and failure percentage are not enforced.
        return OutlierDetectionConfig.builder().consecutive5xx(consecutive).maxEjectionPercent(maxPercent)
                .interval(INTERVAL).baseEjectionTime(BASE).enforcingSuccessRate(0).build();
    }

    @Property(tries = 300)
    void clusterAgreesWithTheSequentialModel(@ForAll("actions") List<Action> actions) {
        ManualClock clock = Clocks.manual();
        List<String> events = new ArrayList<>();
        List<Integer> initial = List.of(0, 1, 2, 3);
        List<Integer> flat = List.of(0, 0, 1, 1, 0, 0, 1, 1);
        Cluster cluster = Cluster.builder(LbConfig.builder().panicThreshold(0).build())
                .endpoints(table(initial, flat)).outlierDetection(config(3, 50)).clock(clock)
                .random(RandomSource.seeded(1)).listener(new EjectionListener() {
                    @Override
                    public void onEjected(EndpointTable t, int hostId, EjectionType type, long at, long until) {
                        events.add("eject " + t.endpoint(hostId).address() + " until " + until);
                    }

                    @Override
                    public void onReturned(EndpointTable t, int hostId, long at) {
                        events.add("return " + t.endpoint(hostId).address() + " at " + at);
                    }
                }).build();
        Model model = new Model(3, 50);
        model.update(initial, flat);

        for (Action action : actions) {
            if (action instanceof Update u) {
                cluster.update(table(u.members(), u.priorities()));
                model.update(u.members(), u.priorities());
            } else if (action instanceof Record r) {
                Host h = cluster.host(endpoint(r.address()).address());
                cluster.record(h, r.status());
                if (h != null) {
                    model.record(r.address(), r.status());
                }
            } else if (action instanceof Advance a) {
                clock.advance(a.nanos());
                model.now += a.nanos();
            } else if (action instanceof Reconfigure c) {
                cluster.configure(config(c.consecutive5xx(), c.maxEjectionPercent()));
                model.consecutive = c.consecutive5xx();
                model.maxPercent = c.maxEjectionPercent();
            }
            cluster.drain();
            model.sweepIfDue();
            assertThat(events).as("ejections and returns after %s", action).isEqualTo(model.events);
            List<Integer> loads = cluster.plan().priorities().stream().map(PriorityPlan::healthyLoad).toList();
            assertThat(loads).as("priority loads after %s", action).isEqualTo(model.loads());
        }
    }

    /** Envoy's detector and priority load, one host at a time, with no concurrency and no sharing. */
    static final class Model {
        static final class HostState {
            int priority;
            int run;
            boolean ejected;
            long ejectedAt;
            long duration;
            int backoff;
            boolean hasReturned;
            long returnedAt;
        }

        final Map<Integer, HostState> hosts = new LinkedHashMap<>();
        final List<String> events = new ArrayList<>();
        int consecutive;
        int maxPercent;
        long now;
        long nextSweep = INTERVAL.toNanos();

        Model(int consecutive, int maxPercent) {
            this.consecutive = consecutive;
            this.maxPercent = maxPercent;
        }

        void update(List<Integer> members, List<Integer> priorities) {
            Map<Integer, HostState> kept = new LinkedHashMap<>();
            for (int a : members) {
                HostState h = hosts.getOrDefault(a, new HostState());
                h.priority = priorities.get(a);
                kept.put(a, h);
            }
            hosts.clear();
            hosts.putAll(kept);
        }

        void record(int a, int status) {
            HostState h = hosts.get(a);
            if (status < 500) {
                h.run = 0;
                return;
            }
            h.run++;
            if (h.run != consecutive) {
                return;
            }
            // onConsecutiveErrorWorker: an ejected host keeps counting; otherwise eject, then reset.
            if (h.ejected) {
                return;
            }
            long ejected = hosts.values().stream().filter(s -> s.ejected).count();
            if (100.0 * (ejected + 1) / hosts.size() <= maxPercent) {
                long base = BASE.toNanos();
                long max = Math.max(300 * SECOND, base);
                if (h.backoff * base < max + base) {
                    h.backoff++;
                }
                h.ejected = true;
                h.ejectedAt = now;
                h.duration = Math.min(base * h.backoff, max);
                events.add("eject " + endpoint(a).address() + " until " + (now + h.duration));
            }
            h.run = 0;
        }

        void sweepIfDue() {
            if (now < nextSweep) {
                return;
            }
            for (Map.Entry<Integer, HostState> e : hosts.entrySet()) {
                HostState h = e.getValue();
                if (h.ejected && now - h.ejectedAt >= h.duration) {
                    h.ejected = false;
                    h.run = 0;
                    h.hasReturned = true;
                    h.returnedAt = now;
                    events.add("return " + endpoint(e.getKey()).address() + " at " + now);
                }
            }
            for (HostState h : hosts.values()) {
                if (!h.ejected && h.hasReturned && h.backoff > 0 && now - h.returnedAt >= INTERVAL.toNanos()) {
                    h.backoff--;
                }
            }
            nextSweep = now + INTERVAL.toNanos();
        }

        /** recalculatePerPriorityState with factor 140, no degraded hosts, panic threshold 0. */
        List<Integer> loads() {
            int priorities = 1 + hosts.values().stream().mapToInt(h -> h.priority).max().orElse(0);
            int[] total = new int[priorities];
            int[] healthy = new int[priorities];
            for (HostState h : hosts.values()) {
                total[h.priority]++;
                healthy[h.priority] += h.ejected ? 0 : 1;
            }
            int[] availability = new int[priorities];
            int sum = 0;
            for (int p = 0; p < priorities; p++) {
                availability[p] = total[p] == 0 ? 0 : Math.min(100, 140 * healthy[p] / total[p]);
                sum += availability[p];
            }
            int normalized = Math.min(100, sum);
            List<Integer> loads = new ArrayList<>();
            if (normalized == 0) {
                for (int p = 0; p < priorities; p++) {
                    loads.add(p == 0 ? 100 : 0);
                }
                return loads;
            }
            int remaining = 100;
            int first = -1;
            for (int p = 0; p < priorities; p++) {
                int load = Math.min(remaining, availability[p] * 100 / normalized);
                if (first < 0 && availability[p] > 0) {
                    first = p;
                }
                loads.add(load);
                remaining -= load;
            }
            loads.set(first, loads.get(first) + remaining);
            return loads;
        }
    }
}
