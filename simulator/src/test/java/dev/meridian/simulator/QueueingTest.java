package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meridian.cluster.Host;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Endpoint capacity: {@code concurrency} requests in service at once, the rest waiting first come,
 * first served, and a full queue ({@code queueLimit}) shedding with 503. Every run is on virtual time
 * with a fixed seed; the expectations are queueing theory's, with margins for the randomness of
 * Poisson arrivals.
 */
class QueueingTest {

    /** One caller in r1/z1; {@code endpoints} and {@code simulation} are YAML blocks. */
    static Scenario scenario(String endpoints, String simulation) {
        return Scenarios.parse("queueing.yaml", """
                name: queueing
                caller: {locality: r1/z1}
                endpoints:
                """ + endpoints + "simulation:\n" + simulation);
    }

    static final String ONE_ENDPOINT = """
              - {address: "10.1.1.1:80", locality: r1/z1, labels: {version: v1}}
            """;

    @Test
    @DisplayName("well below capacity a request almost never waits: latency is the service time")
    void belowCapacityLatencyIsTheServiceTime() {
        // 40 requests/s to 4 servers of 10 ms: each busy 10% of the time (Erlang C: 0.07% wait).
        SimulationResult r = Runs.run(scenario(ONE_ENDPOINT, """
                  duration: 2m
                  rate: 40
                  behaviour:
                    - {latency: 10ms, concurrency: 4}
                """));
        SimulationResult.Phase p = r.phases().get(0);
        SimulationResult.Load load = r.load();
        assertThat(load.queueing()).isTrue();
        assertThat(p.p50Nanos()).isCloseTo(10_000_000L, within(100_000L));
        assertThat(p.p99Nanos()).isCloseTo(10_000_000L, within(100_000L));
        assertThat(load.waited(0, 0)).isLessThan(p.requests() / 100);
        assertThat(load.shed(0, 0)).isZero();
        assertThat(p.errors()).isZero();
        // About 40/s x 10 ms = 0.4 requests in flight.
        assertThat(load.inFlight(0, 0)).isCloseTo(0.4, within(0.03));
    }

    @Test
    @DisplayName("above capacity the queue grows: waits and p99 climb from one tenth of the run to the next")
    void aboveCapacityWaitsGrowOverTheRun() {
        // 2 servers of 10 ms serve 200/s; 300/s arrive, so the backlog grows by about 100 requests a
        // second and a request arriving at t waits about 100 t / 200 = t / 2 seconds.
        SimulationResult r = Runs.run(scenario(ONE_ENDPOINT, """
                  duration: 60s
                  rate: 300
                  timeout: 10m
                  behaviour:
                    - {latency: 10ms, concurrency: 2}
                """));
        SimulationResult.Slices s = r.load().slices();
        assertThat(s.count()).isEqualTo(10);
        assertThat(s.sliceNanos()).isEqualTo(6_000_000_000L);
        for (int i = 1; i < s.count(); i++) {
            assertThat(s.p99Nanos()[i]).as("slice %d", i).isGreaterThan(s.p99Nanos()[i - 1]);
            assertThat(meanWaitSeconds(s, i)).as("slice %d", i).isGreaterThan(meanWaitSeconds(s, i - 1));
        }
        // The last tenth starts at 54s: its requests wait about 27 to 30 s.
        assertThat(meanWaitSeconds(s, 9)).isBetween(24.0, 33.0);
        assertThat(s.p99Nanos()[0]).isLessThan(5_000_000_000L);
        // In flight: the backlog, about 100 t at time t, so 3,000 on average over the minute, far
        // above the 2 the servers hold: a caller counts a queued request as in flight.
        assertThat(r.load().inFlight(0, 0)).isBetween(2_700.0, 3_300.0);
        assertThat(r.errors()).isZero();
    }

    private static double meanWaitSeconds(SimulationResult.Slices s, int slice) {
        return s.waitSumNanos()[slice] / s.requests()[slice] / 1e9;
    }

    @Test
    @DisplayName("least request sees a queued request as in flight: the host's active count includes the queue")
    void theBalancersInFlightCountIncludesQueuedRequests() {
        Scenario scenario = scenario(ONE_ENDPOINT, """
                  duration: 20s
                  rate: 300
                  timeout: 10m
                  behaviour:
                    - {latency: 10ms, concurrency: 2}
                """);
        Simulation s = Simulation.ranToEnd(scenario, Runs.spec(scenario));
        Host host = s.client(0).cluster().hosts().get(0);
        // At 20s about 2,000 requests are queued or in service; none has been answered yet.
        assertThat(s.inFlight(0)).isGreaterThan(1_000);
        assertThat(host.activeRequests()).isEqualTo(s.inFlight(0));
    }

    @Test
    @DisplayName("past the route timeout the caller gives up while the request still waits")
    void waitsBeyondTheTimeoutEndAsTimeouts() {
        SimulationResult r = Runs.run(scenario(ONE_ENDPOINT, """
                  duration: 60s
                  rate: 300
                  timeout: 5s
                  behaviour:
                    - {latency: 10ms, concurrency: 2}
                """));
        SimulationResult.Phase p = r.phases().get(0);
        // Waits pass 5 s after about 10 s; from then on every request times out.
        assertThat(p.errorRate()).isBetween(0.75, 0.88);
        assertThat(p.p999Nanos()).isCloseTo(5_000_000_000L, within(10_000_000L));
    }

    @Test
    @DisplayName("a full queue sheds with 503 at once; those requests count as errors and the rest wait at most the queue")
    void aFullQueueShedsAndTheShedRequestsAreErrors() {
        // 1 server of 10 ms serves 100/s; 200/s arrive; at most 5 wait: about half are shed.
        SimulationResult r = Runs.run(scenario(ONE_ENDPOINT, """
                  duration: 60s
                  rate: 200
                  behaviour:
                    - {latency: 10ms, concurrency: 1, queueLimit: 5}
                """));
        SimulationResult.Phase p = r.phases().get(0);
        long shed = r.load().shed(0, 0);
        assertThat(shed).isEqualTo(p.errors());
        assertThat((double) shed / p.requests()).isBetween(0.45, 0.55);
        // Let in: the server's 100/s over the minute, and the 6 it holds (1 served, 5 waiting) at the end.
        assertThat(p.requests() - shed).isBetween(5_800L, 6_006L);
        // A request that gets in waits for at most 5 ahead of it: 50 ms, plus its own 10 ms.
        assertThat(p.p999Nanos()).isLessThanOrEqualTo(60_100_000L);
        assertThat(p.p999Nanos()).isGreaterThan(50_000_000L);
    }

    @Test
    @DisplayName("queueLimit 0: a request that finds every server busy is shed, none waits")
    void aZeroQueueLimitShedsInsteadOfQueueing() {
        SimulationResult r = Runs.run(scenario(ONE_ENDPOINT, """
                  duration: 30s
                  rate: 150
                  behaviour:
                    - {latency: 10ms, concurrency: 2, queueLimit: 0}
                """));
        SimulationResult.Phase p = r.phases().get(0);
        assertThat(r.load().waited(0, 0)).isZero();
        assertThat(r.load().shed(0, 0)).isPositive().isEqualTo(p.errors());
        assertThat(p.p999Nanos()).isCloseTo(10_000_000L, within(100_000L));
    }

    @Test
    @DisplayName("a shed 503 reaches outlier detection like any 5xx: the overloaded endpoint is ejected")
    void shedRequestsCountAsConsecutive5xx() {
        Scenario scenario = Scenarios.parse("queueing.yaml", """
                name: queueing
                caller: {locality: r1/z1}
                destinationRule:
                  apiVersion: networking.istio.io/v1
                  kind: DestinationRule
                  metadata: {name: svc}
                  spec:
                    host: svc.default.svc.cluster.local
                    trafficPolicy:
                      outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50}
                endpoints:
                  - {address: "10.1.1.1:80", locality: r1/z1}
                  - {address: "10.1.2.1:80", locality: r1/z1}
                simulation:
                  duration: 30s
                  rate: 100
                  behaviour:
                    - {latency: 10ms}
                    - {select: {endpoint: "10.1.1.1:80"}, latency: 100ms, concurrency: 1, queueLimit: 0}
                """);
        SimulationResult r = Runs.run(scenario);
        assertThat(r.load().shed(0, 0)).isPositive();
        assertThat(r.events()).anyMatch(e -> e.endpoint() == 0 && e.type() == SimulationResult.EventType.EJECTED);
        assertThat(r.events()).noneMatch(e -> e.endpoint() == 1 && e.type() == SimulationResult.EventType.EJECTED);
    }

    @Test
    @DisplayName("Little's law: mean in flight = throughput x mean latency, per endpoint")
    void inFlightObeysLittlesLaw() {
        // Log-normal service (mean about 11.9 ms), 2 and 3 servers, 250/s over both: about 60% busy.
        SimulationResult r = Runs.run(scenario("""
                  - {address: "10.1.1.1:80", locality: r1/z1}
                  - {address: "10.1.2.1:80", locality: r1/z2}
                """, """
                  duration: 5m
                  rate: 250
                  seed: 3
                  behaviour:
                    - {latency: {p50: 10ms, p99: 40ms}, concurrency: 3}
                    - {select: {zone: z1}, concurrency: 2}
                """));
        SimulationResult.Phase p = r.phases().get(0);
        double seconds = (p.endNanos() - p.startNanos()) / 1e9;
        for (int e = 0; e < 2; e++) {
            long requests = p.endpointRequests()[e];
            double throughput = requests / seconds;
            double meanLatency = r.load().latencySumNanos(0, e) / requests / 1e9;
            assertThat(r.load().inFlight(0, e)).as("endpoint %d", e)
                    .isCloseTo(throughput * meanLatency, within(0.02 * throughput * meanLatency));
            assertThat(r.load().waited(0, e)).as("endpoint %d waited", e).isPositive();
        }
        // The locality sums agree with the endpoints.
        assertThat(r.load().localityInFlight(0, 0)).isEqualTo(r.load().inFlight(0, 0));
    }

    @Test
    @DisplayName("without a concurrency bound nothing waits and nothing is shed")
    void withoutABoundThereIsNoQueue() {
        SimulationResult r = Runs.run(scenario(ONE_ENDPOINT, """
                  duration: 30s
                  rate: 1000
                  behaviour:
                    - {latency: 10ms}
                """));
        assertThat(r.load().queueing()).isFalse();
        assertThat(r.load().slices()).isNull();
        assertThat(r.load().waited(0, 0)).isZero();
        assertThat(r.phases().get(0).p999Nanos()).isCloseTo(10_000_000L, within(100_000L));
        // Still measured: 1000/s x 10 ms = 10 in flight.
        assertThat(r.load().inFlight(0, 0)).isCloseTo(10.0, within(0.3));
    }

    @Test
    @DisplayName("past 256 localities no latency by locality is kept, and every report still renders")
    void tooManyLocalitiesLeaveLatencyByLocalityOut() {
        StringBuilder endpoints = new StringBuilder();
        for (int i = 0; i < LoadRecorder.MAX_LOCALITIES + 1; i++) {
            endpoints.append("  - {address: \"10.1.").append(i / 200).append('.').append(i % 200 + 1)
                    .append(":80\", locality: r1/z").append(i).append("}\n");
        }
        SimulationResult r = Runs.run(scenario(endpoints.toString(), """
                  duration: 5s
                  rate: 100
                  behaviour:
                    - {latency: 10ms, concurrency: 1}
                """));
        assertThat(r.load().latencyByLocality()).isFalse();
        assertThat(r.load().bucketLatency()).isFalse();
        assertThat(r.load().slices()).isNull();
        assertThat(TextReport.render(r, false)).doesNotContain("latency by locality").contains("  queue r1/z0 (");
        assertThat(HtmlReport.render(r)).contains("latency by locality not kept");
        assertThat(JsonReport.render(r)).doesNotContain("\"queueing\": {");
    }

    @Test
    @DisplayName("concurrency: unlimited in a later rule lifts an earlier bound")
    void unlimitedLiftsAnEarlierBound() {
        SimulationResult r = Runs.run(scenario("""
                  - {address: "10.1.1.1:80", locality: r1/z1}
                  - {address: "10.1.2.1:80", locality: r1/z2}
                """, """
                  duration: 10s
                  rate: 100
                  behaviour:
                    - {latency: 10ms, concurrency: 1, queueLimit: 3}
                    - {select: {zone: z2}, concurrency: unlimited}
                """));
        assertThat(r.load().concurrency(0)).isEqualTo(1);
        assertThat(r.load().queueLimit(0)).isEqualTo(3);
        assertThat(r.load().concurrency(1)).isEqualTo(ServerQueue.UNLIMITED);
    }
}
