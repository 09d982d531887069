package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The zone-overload scenario (docs/scenarios.md tells the same story): health-based locality
 * failover sends all of r1/z1's callers to its 2 hosts however long their queues, and every report
 * shows the climb.
 */
class ZoneOverloadStoryTest {
    private static final SimulationResult RUN = Runs.run(Scenarios.load("zone-overload"));

    @Test
    @DisplayName("priority 0 is healthy, so it takes all the traffic while r1/z2 and r1/z3 stand idle")
    void theLocalZoneTakesEverything() {
        SimulationResult.Phase p = RUN.phases().get(0);
        // Istio's locality failover (pilot/pkg/networking/core/loadbalancer): the caller's zone is priority 0.
        assertThat(p.byPriority()).containsEntry(0, p.requests());
        Map<String, Long> byLocality = p.byLocality(RUN.endpoints());
        assertThat(byLocality.get("r1/z1")).isEqualTo(p.requests());
        assertThat(byLocality.get("r1/z2")).isZero();
        assertThat(byLocality.get("r1/z3")).isZero();
        // Nothing is shed and no wait reaches the 15 s route timeout in 3 minutes.
        assertThat(RUN.errors()).isZero();
        assertThat(RUN.events()).isEmpty();
    }

    @Test
    @DisplayName("the local hosts' latency climbs from one tenth of the run to the next")
    void theLocalLatencyClimbs() {
        SimulationResult.Load load = RUN.load();
        SimulationResult.Slices s = load.slices();
        int z1 = load.localities().indexOf("r1/z1");
        int localities = load.localities().size();
        for (int i = 1; i < s.count(); i++) {
            int cell = i * localities + z1;
            int before = (i - 1) * localities + z1;
            assertThat(s.p99Nanos()[cell]).as("p99 of tenth %d", i).isGreaterThan(s.p99Nanos()[before]);
            assertThat(s.inFlight()[cell]).as("in flight in tenth %d", i).isGreaterThan(s.inFlight()[before]);
        }
        assertThat(s.p99Nanos()[z1]).isLessThan(2_500_000_000L);
        assertThat(s.p99Nanos()[(s.count() - 1) * localities + z1]).isGreaterThan(10_000_000_000L);
        // Per bucket too: the chart's p99 line ends far above where it starts.
        assertThat(load.bucketP99Micros(RUN.buckets().count() - 1, z1)).isGreaterThan(10 * load.bucketP99Micros(2, z1));
    }

    @Test
    @DisplayName("the text summary prints the queue per phase and the climb by tenths; a run without capacity prints neither")
    void theTextSummaryShowsTheQueue() {
        String text = TextReport.render(RUN, false);
        assertThat(text).contains("  queue r1/z1 (2 endpoints x concurrency 8): in flight ",
                "queueing over time, r1/z1 (2 endpoints x concurrency 8):",
                "  from  requests     p50     p99 waited mean wait in flight shed");
        // The spare zones got no request: no table for them.
        assertThat(text).doesNotContain("queueing over time, r1/z2");
        String plain = TextReport.render(Runs.run(Scenarios.load("zone-outage")), false);
        assertThat(plain).contains("  latency by locality r1/z1 p50 ").doesNotContain("queue");
    }

    @Test
    @DisplayName("JSON carries the capacity, the queues per phase and the tenths")
    @SuppressWarnings("unchecked")
    void theJsonCarriesTheQueue() {
        Map<String, Object> json = Runs.json(JsonReport.render(RUN));
        List<Map<String, Object>> endpoints = (List<Map<String, Object>>) json.get("endpoints");
        assertThat(endpoints).allSatisfy(e -> assertThat(e).containsEntry("concurrency", 8).containsEntry("queueLimit",
                null));
        Map<String, Object> phase = ((List<Map<String, Object>>) json.get("phases")).get(0);
        Map<String, Object> z1 = (Map<String, Object>) ((Map<String, Object>) phase.get("localities")).get("r1/z1");
        assertThat(z1).containsKeys("latencyMs", "inFlight", "waited", "waitMsMean", "shed");
        Map<String, Object> queueing = (Map<String, Object>) json.get("queueing");
        Map<String, Object> local = (Map<String, Object>) ((Map<String, Object>) queueing.get("localities")).get("r1/z1");
        assertThat((List<Object>) local.get("slices")).hasSize(10);
        assertThat(local.get("capacity")).isEqualTo("2 endpoints x concurrency 8");
        assertThat(Runs.json(JsonReport.render(Runs.run(Scenarios.load("zone-outage"))))).containsEntry("queueing",
                null);
    }

    @Test
    @DisplayName("the CSV's in_flight and wait_ms climb for the local hosts")
    void theCsvShowsTheClimb() throws IOException {
        StringWriter w = new StringWriter();
        CsvReport.write(RUN, w);
        List<String> rows = w.toString().lines().toList();
        assertThat(rows.get(0)).endsWith(",in_flight,latency_ms,wait_ms,shed");
        // Rows of 10.1.1.1 at 10s and at 170s: t_seconds,endpoint,locality,priority,requests,errors,ejected,in_flight,...
        String[] early = rows.stream().filter(r -> r.startsWith("10,10.1.1.1:9080,")).findFirst().orElseThrow().split(",");
        String[] late = rows.stream().filter(r -> r.startsWith("170,10.1.1.1:9080,")).findFirst().orElseThrow().split(",");
        assertThat(Double.parseDouble(late[7])).isGreaterThan(5 * Double.parseDouble(early[7]));
        assertThat(Double.parseDouble(late[9])).isGreaterThan(5 * Double.parseDouble(early[9]));
        assertThat(late[10]).isEqualTo("0");
    }

    @Test
    @DisplayName("the page draws the p99 line per locality and the queueing table")
    void thePageShowsTheQueue() {
        String page = HtmlReport.render(RUN);
        assertThat(page).contains("<polyline class=\"latency\"", "<h2>Queueing over time</h2>", "<h2>Queues by phase</h2>");
    }
}
