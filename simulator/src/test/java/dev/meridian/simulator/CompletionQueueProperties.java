package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

class CompletionQueueProperties {

    record Entry(long time, int caller, int endpoint, int status, int order) {
    }

    @Property
    void popsInTimeOrderAndTiesInPushOrder(@ForAll @Size(max = 300) List<@LongRange(max = 50) Long> times,
                                           @ForAll @IntRange(max = 40) int popEvery) {
        CompletionQueue q = new CompletionQueue(1);
        List<Entry> pending = new ArrayList<>();
        List<Entry> popped = new ArrayList<>();
        List<Entry> expected = new ArrayList<>();
        int order = 0;
        for (long t : times) {
            Entry e = new Entry(t, order % 7, order * 31, (order % 5) - 3 + (order % 2) * 600, order);
            q.push(e.time(), e.caller(), e.endpoint(), e.status());
            pending.add(e);
            order++;
            if (popEvery > 0 && order % popEvery == 0) {
                Entry next = pending.stream().min(Comparator.comparingLong(Entry::time)
                        .thenComparingInt(Entry::order)).orElseThrow();
                pending.remove(next);
                expected.add(next);
                popped.add(pop(q));
            }
        }
        pending.sort(Comparator.comparingLong(Entry::time).thenComparingInt(Entry::order));
        expected.addAll(pending);
        while (!q.isEmpty()) {
            popped.add(pop(q));
        }
        assertThat(popped).extracting(Entry::time, Entry::caller, Entry::endpoint, Entry::status)
                .containsExactlyElementsOf(expected.stream()
                        .map(e -> org.assertj.core.groups.Tuple.tuple(e.time(), e.caller(), e.endpoint(), e.status()))
                        .toList());
        assertThat(q.peekTime()).isEqualTo(Long.MAX_VALUE);
    }

    @Property
    void packingKeepsCallerEndpointAndStatus(@ForAll @IntRange(max = 32767) int caller,
                                             @ForAll @IntRange int endpoint,
                                             @ForAll @IntRange(min = -32768, max = 32767) int status) {
        long p = CompletionQueue.pack(caller, endpoint, status);
        assertThat(CompletionQueue.caller(p)).isEqualTo(caller);
        assertThat(CompletionQueue.endpoint(p)).isEqualTo(endpoint);
        assertThat(CompletionQueue.status(p)).isEqualTo(status);
    }

    private static Entry pop(CompletionQueue q) {
        long t = q.peekTime();
        long p = q.peekPayload();
        q.pop();
        return new Entry(t, CompletionQueue.caller(p), CompletionQueue.endpoint(p), CompletionQueue.status(p), -1);
    }
}
