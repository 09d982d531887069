package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link ServerQueue} decides each request's start when it arrives; these properties compare it with
 * a queue run event by event (servers freeing in time order, a FIFO line, shedding when the line is
 * full), over random arrivals, service times, concurrencies and limits.
 */
class ServerQueueProperties {

    /** One request: the gap since the previous arrival and the service it needs. */
    record Request(int gap, int service) {
    }

    @Property
    void startsAndShedsAsAnEventByEventQueueDoes(@ForAll("requests") List<Request> requests,
                                                 @ForAll @IntRange(min = 1, max = 5) int concurrency,
                                                 @ForAll @IntRange(min = -1, max = 6) int limit) {
        int queueLimit = limit < 0 ? ServerQueue.UNLIMITED : limit;
        ServerQueue q = new ServerQueue(concurrency, queueLimit);
        List<Long> starts = new ArrayList<>();
        long t = 0;
        for (Request r : requests) {
            t += r.gap();
            starts.add(q.full(t) ? -1L : q.admit(t, r.service()));
        }
        assertThat(starts).containsExactlyElementsOf(eventByEvent(requests, concurrency, queueLimit));
    }

    @Property
    void withoutALimitNothingIsShedAndNoServerIsIdleWhileARequestWaits(
            @ForAll("requests") List<Request> requests,
            @ForAll @IntRange(min = 1, max = 5) int concurrency) {
        ServerQueue q = new ServerQueue(concurrency, ServerQueue.UNLIMITED);
        long t = 0;
        long lastStart = 0;
        for (Request r : requests) {
            t += r.gap();
            assertThat(q.full(t)).isFalse();
            long start = q.admit(t, r.service());
            assertThat(start).isGreaterThanOrEqualTo(t);
            // First come, first served: starts never go back.
            assertThat(start).isGreaterThanOrEqualTo(lastStart);
            lastStart = start;
        }
    }

    @Provide
    Arbitrary<List<Request>> requests() {
        return Combinators.combine(Arbitraries.integers().between(0, 20), Arbitraries.integers().between(1, 60))
                .as(Request::new).list().ofMaxSize(200);
    }

    /** The start of each request, or -1 for one shed, from a queue simulated event by event. */
    static List<Long> eventByEvent(List<Request> requests, int concurrency, int queueLimit) {
        List<Long> starts = new ArrayList<>();
        PriorityQueue<Long> busyUntil = new PriorityQueue<>();
        ArrayDeque<Integer> line = new ArrayDeque<>();
        long t = 0;
        for (int i = 0; i < requests.size(); i++) {
            t += requests.get(i).gap();
            // Servers that free at or before t take the line's head at the instant they free.
            while (!busyUntil.isEmpty() && busyUntil.peek() <= t && !line.isEmpty()) {
                long free = busyUntil.poll();
                int head = line.poll();
                starts.set(head, free);
                busyUntil.add(free + requests.get(head).service());
            }
            while (!busyUntil.isEmpty() && busyUntil.peek() <= t) {
                busyUntil.poll();
            }
            if (busyUntil.size() < concurrency) {
                starts.add(t);
                busyUntil.add(t + requests.get(i).service());
            } else if (line.size() < queueLimit) {
                starts.add(null);
                line.add(i);
            } else {
                starts.add(-1L);
            }
        }
        while (!line.isEmpty()) {
            long free = busyUntil.poll();
            int head = line.poll();
            starts.set(head, free);
            busyUntil.add(free + requests.get(head).service());
        }
        return starts;
    }
}
