package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meridian.core.RandomSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The overload story with and without capacity-aware spill-over (docs/spill.md, "The overload
 * scenario"): zone-overload and zone-overload-spill run the same requests, as {@code meridian
 * simulate zone-overload --compare zone-overload-spill} runs them. Without spill the local hosts'
 * queue grows all run; with it each caller holds its zone near the release threshold and sends only
 * the demand beyond that to the spare zones. Seed 1, virtual time.
 */
class ZoneOverloadSpillStoryTest {
    private static final Scenario WITHOUT = Scenarios.load("zone-overload");
    private static final Scenario WITH = Scenarios.load("zone-overload-spill");
    /** Both runs take zone-overload's traffic, as --compare gives the second run the first's. */
    private static final SimulationSpec SPEC = Runs.spec(WITHOUT);
    private static final SimulationResult PLAIN = Simulation.run(WITHOUT, SPEC, null);
    private static final SimulationResult SPILLING = Simulation.run(WITH, SPEC, null);

    /** The callers in r1/z1, each its own sidecar with its own share of the load. */
    private static final int CALLERS = 10;
    /** Each caller's requests per second: 720 over ten callers. */
    private static final double RATE = 72;
    /** Each host serves 8 requests at once; priority 0 is r1/z1's 2 hosts. */
    private static final int LOCAL_SERVERS = 16;
    /** The service time's p99, the scenario's {p50: 20ms, p99: 80ms}. */
    private static final long SERVICE_P99_NANOS = 80_000_000L;

    @Test
    @DisplayName("the two scenarios differ only by the spill: section (and their names and descriptions)")
    void thePairDiffersOnlyBySpill() {
        Map<String, Object> without = yaml("zone-overload");
        Map<String, Object> with = yaml("zone-overload-spill");
        assertThat(with.get("spill")).isEqualTo(Map.of("hostCapacity", 0.8, "evaluationInterval", "100ms"));
        for (String key : List.of("name", "description", "spill")) {
            without.remove(key);
            with.remove(key);
        }
        assertThat(with).isEqualTo(without);
        // The same arrivals: --compare sends the same requests through both.
        assertThat(SPILLING.requests()).isEqualTo(PLAIN.requests());
        assertThat(PLAIN.spill()).isNull();
        assertThat(SPILLING.spill().callers()).isEqualTo(CALLERS);
    }

    @Test
    @DisplayName("without spill the local p99 climbs from one tenth to the next and passes 10 s")
    void withoutSpillTheLocalLatencyClimbs() {
        long[] p99 = localP99ByTenth(PLAIN);
        for (int i = 1; i < p99.length; i++) {
            assertThat(p99[i]).as("p99 of tenth %d", i).isGreaterThan(p99[i - 1]);
        }
        assertThat(p99[p99.length - 1]).isGreaterThan(10_000_000_000L);
        assertThat(PLAIN.phases().get(0).byPriority()).containsEntry(1, 0L);
    }

    /**
     * The bound: each caller keeps r1/z1 near 60% of its servers, where few requests find all 8 of
     * a host's servers busy (about one in ten, for under a millisecond on average), so the local p99
     * stays near the service time's 80 ms. Every tenth is below twice that; the first tenth holds the
     * second or two before the averages reach the spill threshold, when the queue starts to grow.
     * From the second tenth on the p99 stays within a quarter above the service time's, and does not
     * climb: the last tenth is no higher than the second by more than the percentile's sampling noise.
     */
    @Test
    @DisplayName("with spill the local p99 stays below twice the service time's in every tenth, and does not climb")
    void withSpillTheLocalLatencyStaysBounded() {
        long[] p99 = localP99ByTenth(SPILLING);
        for (int i = 0; i < p99.length; i++) {
            assertThat(p99[i]).as("p99 of tenth %d", i).isLessThan(2 * SERVICE_P99_NANOS);
            if (i > 0) {
                assertThat(p99[i]).as("p99 of tenth %d", i).isLessThan(SERVICE_P99_NANOS * 5 / 4);
            }
        }
        assertThat(p99[p99.length - 1]).isLessThan(p99[1] * 11 / 10);
        assertThat(SPILLING.errors()).isZero();
    }

    @Test
    @DisplayName("spill is active: every caller starts once, spills nearly all run and still spills at the end")
    void spillIsActive() {
        SimulationResult.Spill s = SPILLING.spill();
        assertThat(s.activeAtEnd()).isEqualTo(CALLERS);
        assertThat(s.active(0)).isGreaterThan(0.98);
        assertThat(s.phaseStarts()[0]).isGreaterThanOrEqualTo(CALLERS);
        // Not a toggle per evaluation: 1,800 evaluations per caller, and fewer stops than callers.
        assertThat(s.phaseStops()[0]).isLessThan(CALLERS);
        for (int i = 1; i < s.sliceCount(); i++) {
            assertThat(s.sliceActive(i)).as("tenth %d", i).isGreaterThan(0.98);
        }
    }

    /**
     * The rule's expectation (docs/spill.md): with demand {@code d} above the spill threshold, the
     * fraction settles at {@code 1 - r / d}. Each caller offers 72 requests/s × the log-normal's mean
     * service time (p50 × e^(σ²/2) = 23.9 ms) = 1.72 in flight over a capacity of 2 × 0.8 = 1.6: d =
     * 1.075 and 1 - 0.6 / 1.075 = 0.442. Measured, the share of requests picked outside priority 0
     * is within 0.03 of it: the few local waits raise the measured demand a little (the estimate
     * includes them), the averages' spread lowers the mean fraction a little (1 - r / d is concave),
     * and the first second runs before spill starts.
     */
    @Test
    @DisplayName("cross-zone traffic is only the excess: the share beyond priority 0 is 1 - r/d within 0.03")
    void crossZoneTrafficIsTheExcess() {
        double meanService = LatencyModel.percentiles(20_000_000L, 80_000_000L).meanNanos() / 1e9;
        assertThat(meanService).isCloseTo(0.0239, within(0.0001));
        double capacity = 2 * 0.8;
        double demand = RATE * meanService / capacity;
        double expected = 1 - 0.6 / demand;
        assertThat(expected).isCloseTo(0.442, within(0.001));

        SimulationResult.Phase p = SPILLING.phases().get(0);
        double crossZone = (double) p.byPriority().get(1) / p.requests();
        assertThat(crossZone).isCloseTo(expected, within(0.03));
        assertThat(SPILLING.spill().fraction(0)).isCloseTo(expected, within(0.03));
        // Priority 1 is r1/z2 and r1/z3, which share the diverted picks about evenly.
        Map<String, Long> byLocality = p.byLocality(SPILLING.endpoints());
        assertThat(byLocality.get("r1/z2") + byLocality.get("r1/z3")).isEqualTo(p.byPriority().get(1));
        assertThat((double) byLocality.get("r1/z2") / byLocality.get("r1/z3")).isCloseTo(1, within(0.1));
        // What stays is about the release threshold's share of the local servers: 0.6 x 16 = 9.6 in flight.
        SimulationResult.Load load = SPILLING.load();
        double localInFlight = load.localityInFlight(0, load.localities().indexOf("r1/z1"));
        assertThat(localInFlight).isBetween(0.55 * LOCAL_SERVERS, 0.7 * LOCAL_SERVERS);
        // The plan's prediction from the scenario says the same.
        MeshClient client = WITH.newClient(WITH.caller(), WITH.endpoints(), dev.meridian.core.Clocks.manual(),
                RandomSource.seeded(1));
        SpillForecast forecast = SpillForecast.of(WITH, client);
        assertThat(forecast.callers()).isEqualTo(CALLERS);
        assertThat(forecast.requestsPerSecond()).isCloseTo(RATE, within(1e-9));
        assertThat(forecast.demand()).isCloseTo(demand, within(1e-9));
        assertThat(forecast.fraction()).isCloseTo(expected, within(1e-9));
        assertThat(forecast.active()).isTrue();
    }

    @Test
    @DisplayName("the spare zones are not overloaded: nobody waits there and their servers are mostly idle")
    void theSpareZonesAreNotOverloaded() {
        SimulationResult.Load load = SPILLING.load();
        for (String zone : List.of("r1/z2", "r1/z3")) {
            int l = load.localities().indexOf(zone);
            assertThat(load.localityWaited(0, l)).as(zone).isZero();
            assertThat(load.localityShed(0, l)).as(zone).isZero();
            // 4 hosts x 8 servers = 32; about 160 requests/s x 24 ms = 3.8 busy.
            assertThat(load.localityInFlight(0, l)).as(zone).isLessThan(0.2 * 32);
        }
    }

    @Test
    @DisplayName("the reports show spill-over: a phase line and a table by tenths in text, an object in JSON, tables on the page")
    void theReportsShowSpill() {
        String text = TextReport.render(SPILLING, false);
        assertThat(text).contains("  spill active ", "spill-over over time (10 callers; hostCapacity 0.8, spill at 0.8,",
                "  from  active fraction demand utilization beyond P0", "  spilling when the run ended: 10 of 10");
        assertThat(TextReport.render(PLAIN, false)).doesNotContain("spill-over over time", "  spill active");
        Map<String, Object> json = Runs.json(JsonReport.render(SPILLING));
        @SuppressWarnings("unchecked")
        Map<String, Object> spill = (Map<String, Object>) json.get("spill");
        assertThat(spill).containsEntry("callers", 10).containsEntry("activeAtEnd", 10).containsKeys("phases",
                "slices");
        assertThat((List<?>) spill.get("slices")).hasSize(10);
        assertThat(Runs.json(JsonReport.render(PLAIN))).containsEntry("spill", null);
        String page = HtmlReport.render(PLAIN, SPILLING);
        assertThat(page).contains("<h2>Queueing over time side by side</h2>", "<th>spill-over</th>",
                "<h3>Spill-over</h3>", "<h3>Queues by phase</h3>");
    }

    /** The p99 of the requests to r1/z1 in each tenth of the run. */
    private static long[] localP99ByTenth(SimulationResult r) {
        SimulationResult.Load load = r.load();
        SimulationResult.Slices s = load.slices();
        int z1 = load.localities().indexOf("r1/z1");
        long[] p99 = new long[s.count()];
        for (int i = 0; i < s.count(); i++) {
            p99[i] = s.p99Nanos()[i * load.localities().size() + z1];
        }
        return p99;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> yaml(String name) {
        return new LinkedHashMap<>((Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(Runs.builtInText(name)));
    }
}
