package dev.meridian.http;

import dev.meridian.cluster.Cluster;
import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.Locality;
import dev.meridian.core.ManualClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.LocalityLbSetting;
import dev.meridian.topology.LocalityPriorities;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The tests' mesh: backends labelled {@code r1/z1}, {@code r1/z2}, {@code r2/z1} (or any others), a
 * caller in {@code r1/z1}, and a {@code reviews} cluster as Istio would configure it for that
 * caller with outlier detection on: Istio's proximity priorities (own zone 0, own region 1, other
 * region 2; {@code LocalityPriorities}), round robin, panic disabled (Istio sets the panic threshold
 * to {@code minHealthPercent}, 0), 3 consecutive 5xx eject for 30 s with every host ejectable. The
 * cluster runs on a {@link ManualClock}; the test is its control thread.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
final class Mesh implements AutoCloseable {
    static final Locality CALLER = Locality.parse("r1/z1");
    static final Duration BASE_EJECTION = Duration.ofSeconds(30);

    final ManualClock clock = Clocks.manual();
    final List<Backend> backends = new ArrayList<>();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    Cluster cluster;

    Mesh(String... labels) throws IOException {
        for (String label : labels) {
            backends.add(Backend.start(label));
        }
    }

    /** The outlier detection Istio's {@code consecutive5xxErrors: 3}, {@code baseEjectionTime: 30s}, {@code maxEjectionPercent: 100} gives. */
    static OutlierDetectionConfig.Builder outlier() {
        return OutlierDetectionConfig.builder().consecutive5xx(3).baseEjectionTime(BASE_EJECTION)
                .interval(Duration.ofSeconds(10)).maxEjectionPercent(100);
    }

    Cluster cluster(OutlierDetectionConfig outlier, EjectionListener listener) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (Backend b : backends) {
            endpoints.add(b.endpoint());
        }
        cluster = Cluster.builder(LbConfig.builder().policy(LbPolicy.ROUND_ROBIN).panicThreshold(0).build())
                .endpoints(LocalityPriorities.assign(endpoints, Caller.at(CALLER), LocalityLbSetting.DEFAULT, null, true)
                        .toTable())
                .outlierDetection(outlier).clock(clock).random(RandomSource.seeded(42)).listener(listener).build();
        return cluster;
    }

    Cluster cluster() {
        return cluster(outlier().build(), null);
    }

    MeridianHttpClient.Builder client() {
        return MeridianHttpClient.builder(http).service("reviews", cluster == null ? cluster() : cluster);
    }

    Backend backend(String label) {
        for (Backend b : backends) {
            if (b.label.equals(label)) {
                return b;
            }
        }
        throw new IllegalArgumentException(label);
    }

    /** Requests served by each backend, in the order the backends were started. */
    int[] served() {
        int[] counts = new int[backends.size()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = backends.get(i).served();
        }
        return counts;
    }

    static HttpRequest get(String uri) {
        return HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(30)).GET().build();
    }

    static HttpRequest retryableGet(String uri) {
        return MeridianHttpClient.retryable(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(30)))
                .GET().build();
    }

    /** Sends and returns the body (the label of the backend that answered) with the status. */
    static String call(MeridianHttpClient client, HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    /**
     * The control thread on virtual time: advances the clock by {@code by}, draining at every
     * deadline the cluster names on the way (outlier sweeps), then at the end.
     */
    void advance(Duration by) {
        long target = clock.nanoTime() + by.toNanos();
        while (true) {
            long next = cluster.nextDeadlineNanos();
            if (next > target) {
                break;
            }
            clock.update(Math.max(next, clock.nanoTime()));
            cluster.drain();
        }
        clock.update(target);
        cluster.drain();
    }

    @Override
    public void close() {
        for (Backend b : backends) {
            b.stop();
        }
    }
}
