package dev.meridian.http;

import static dev.meridian.http.Mesh.call;
import static dev.meridian.http.Mesh.retryableGet;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * One client shared by several threads, every call retryable against a failing local zone: each
 * call's first attempt gets a 503 from r1/z1 and is either retried on r1/z2 (a place in the budget
 * was free) or refused by the budget and answered with that 503. Whatever the interleaving, the
 * counters agree with what the servers saw, and every place taken in flight is given back.
 */
class HttpConcurrencyTest {

    private static final int THREADS = 4;
    private static final int CALLS_PER_THREAD = 25;

    @Test
    void countersAgreeWithTheServersUnderConcurrentRetries() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(THREADS);
        try (Mesh mesh = new Mesh("r1/z1", "r1/z2", "r2/z1")) {
            mesh.cluster(Mesh.outlier().consecutive5xx(1_000).build(), null);
            MeridianHttpClient client = mesh.client().previousPriorities(1).retryBudget(RetryBudget.of(20, 1)).build();
            mesh.backend("r1/z1").respond(503);
            CountDownLatch start = new CountDownLatch(1);
            AtomicInteger retried = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                done.add(callers.submit(() -> {
                    start.await();
                    for (int i = 0; i < CALLS_PER_THREAD; i++) {
                        String answer = call(client, retryableGet("http://reviews/"));
                        if (answer.equals("200 r1/z2")) {
                            retried.incrementAndGet();
                        } else {
                            assertThat(answer).isEqualTo("503 r1/z1");
                            refused.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            int calls = THREADS * CALLS_PER_THREAD;
            ServiceStats stats = client.stats("reviews");
            assertThat(stats.requests()).isEqualTo(calls);
            assertThat(retried.get() + refused.get()).isEqualTo(calls);
            assertThat(stats.retries()).isEqualTo(retried.get());
            assertThat(stats.retrySuccess()).isEqualTo(retried.get());
            assertThat(stats.retryOverflow()).isEqualTo(refused.get());
            assertThat(stats.attempts()).isEqualTo(calls + stats.retries());
            assertThat(stats.activeAttempts()).isZero();
            assertThat(stats.activeRetries()).isZero();
            assertThat(mesh.served()).containsExactly(calls, retried.get(), 0);
            for (var host : mesh.cluster.hosts()) {
                assertThat(host.activeRequests()).as("least-request count of %s", host).isZero();
            }
        } finally {
            callers.shutdownNow();
        }
    }
}
