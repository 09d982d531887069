package dev.meridian.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.LocalOriginResult;
import dev.meridian.outlier.OutlierDetectionConfig;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the wrapper allocates per request, counted with the JVM's per-thread allocation counter
 * ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}), not timed. Meridian's part (the
 * retry marker check, the pick, the retry pick, the least-request counts and the outcomes) allocates
 * nothing; the request java.net.http needs for the endpoint (a URI and a copy of the immutable
 * request) is the wrapper's one allocation, under a kilobyte here, against the tens of kilobytes
 * java.net.http allocates for the exchange itself (see {@code HttpClientBenchmark}).
 */
class WrapperAllocationTest {

    private static final int WARM_UP = 50_000;
    private static final int MEASURED = 100_000;

    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private final long thread = Thread.currentThread().getId();

    private static Cluster cluster() {
        return Cluster.builder(LbConfig.builder().panicThreshold(0).build())
                .endpoints(EndpointTable.of(List.of(Endpoint.of("10.0.0.1:9080", Locality.parse("r1/z1")),
                        Endpoint.of("10.0.0.2:9080", Locality.parse("r1/z2")))))
                .outlierDetection(OutlierDetectionConfig.defaults()).build();
    }

    @Test
    void meridiansPartOfARequestAllocatesNothing() {
        Cluster cluster = cluster();
        HttpRequest request = MeridianHttpClient.retryable(HttpRequest.newBuilder(URI.create("http://reviews/x"))).build();
        long sink = run(cluster, request, WARM_UP);
        long before = threads.getThreadAllocatedBytes(thread);
        sink += run(cluster, request, MEASURED);
        long after = threads.getThreadAllocatedBytes(thread);
        assertThat(sink).isPositive();
        assertThat(after - before).as("bytes allocated by %d requests' picks and records", MEASURED).isLessThan(1024);
    }

    private static long run(Cluster cluster, HttpRequest request, int requests) {
        long sink = 0;
        for (int i = 0; i < requests; i++) {
            if (MeridianHttpClient.isRetryable(request)) {
                sink++;
            }
            Host host = (i & 1) == 0 ? cluster.pick() : cluster.pickExcluding(1L);
            cluster.requestStarted(host);
            cluster.recordLocalOrigin(host, LocalOriginResult.CONNECT_SUCCESS);
            cluster.record(host, 200);
            cluster.requestFinished(host);
            sink += host.priority() + 1;
        }
        return sink;
    }

    @Test
    void theEndpointsRequestIsTheWrappersOneAllocation() {
        Cluster cluster = cluster();
        MeridianHttpClient client = MeridianHttpClient.builder(HttpClient.newHttpClient()).service("reviews", cluster)
                .build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://reviews/reviews/1?lang=en")).GET().build();
        Host host = cluster.pick();
        long sink = 0;
        for (int i = 0; i < WARM_UP; i++) {
            sink += client.rewrite(request, host).uri().getPort();
        }
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < MEASURED; i++) {
            sink += client.rewrite(request, host).uri().getPort();
        }
        long after = threads.getThreadAllocatedBytes(thread);
        assertThat(sink).isPositive();
        // About 0.9 KB measured on JDK 17: the target string, the parsed URI, the builder and the request.
        assertThat((after - before) / MEASURED).as("bytes per endpoint request").isLessThan(1_500);
    }
}
