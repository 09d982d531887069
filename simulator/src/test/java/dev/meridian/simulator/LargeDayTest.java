package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Endpoint;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The built-in {@code large-day} scenario scaled down (1,000 endpoints in 3 regions x 3 zones, 50
 * callers, 10 minutes at 2,000 requests per second, zone r1/z1 failing from 2m to 5m and region r2
 * scaled to zero from 6m to 8m), run from the built-in file's own text so the compact {@code count}
 * entries are what is exercised. No wall-clock assertion: the full run's figures are in
 * docs/benchmarks.md.
 */
class LargeDayTest {
    private static final long SECOND = 1_000_000_000L;

    static String scaledDown() {
        String text = Runs.builtInText("large-day");
        String[] zones = {"r1/z1", "r1/z2", "r1/z3", "r2/z1", "r2/z2", "r2/z3", "r3/z1", "r3/z2", "r3/z3"};
        for (int z = 0; z < zones.length; z++) {
            String oldCount = z == 0 ? "112" : "111";
            // Endpoints: 112 + 8 x 111 = 1,000.
            text = replaceOnce(text, "count: " + (z == 0 ? "1112" : "1111") + ", locality: " + zones[z],
                    "count: " + oldCount + ", locality: " + zones[z]);
            // Callers: 6 in each of the first five zones, 5 in the other four = 50.
            text = replaceOnce(text, "{locality: " + zones[z] + ", count: " + oldCount,
                    "{locality: " + zones[z] + ", count: " + (z < 5 ? 6 : 5));
        }
        text = replaceOnce(text, "duration: 24h", "duration: 10m");
        text = replaceOnce(text, "rate: 10000", "rate: 2000");
        text = replaceOnce(text, "{at: 6h,", "{at: 2m,");
        text = replaceOnce(text, "{at: 8h,", "{at: 5m,");
        text = replaceOnce(text, "{at: 14h,", "{at: 6m,");
        return replaceOnce(text, "{at: 16h,", "{at: 8m,");
    }

    private static String replaceOnce(String text, String from, String to) {
        int at = text.indexOf(from);
        if (at < 0 || text.indexOf(from, at + 1) >= 0) {
            throw new IllegalStateException("large-day no longer has exactly one '" + from + "'");
        }
        return text.substring(0, at) + to + text.substring(at + from.length());
    }

    @Test
    @DisplayName("large-day scaled down: traffic leaves the failing zone r1/z1, r2's callers fail over to other regions"
            + " while r2 is scaled to zero, and every phase carries the scenario's rate")
    void scaledDownDayTellsItsStory() {
        Scenario s = Scenarios.parse("large-day (scaled down)", scaledDown());
        SimulationSpec spec = Runs.spec(s);
        assertThat(spec.callers()).hasSize(50);
        assertThat(spec.callers().get(0).name()).isEqualTo("r1/z1-1");
        assertThat(spec.callers().get(49).name()).isEqualTo("r3/z3-5");
        List<Endpoint> endpoints = s.endpoints();
        assertThat(endpoints).hasSize(1000);
        SimulationResult r = Simulation.run(s, spec, null);

        // Volumes: Poisson arrivals at 2,000/s for 600 s, 1.2 million expected (standard deviation ~1,100).
        assertThat(r.requests()).isBetween(1_195_000L, 1_205_000L);
        List<SimulationResult.Phase> phases = r.phases();
        assertThat(phases).hasSize(5);
        long[] lengths = {120, 180, 60, 120, 120};
        for (int p = 0; p < 5; p++) {
            double expected = 2000.0 * lengths[p];
            assertThat((double) phases.get(p).requests()).as("phase " + p).isBetween(expected * 0.98, expected * 1.02);
        }

        // Healthy: each zone's callers stay in their own zone (priority 0), so r1/z1 gets its callers' 12%.
        assertThat(zoneShare(phases.get(0), endpoints, "r1", "z1")).isBetween(0.10, 0.14);
        assertThat(phases.get(0).errors()).isZero();

        // Zone r1/z1 failing: its callers eject it endpoint by endpoint; by the last minute of the outage
        // no request reaches r1/z1 and none fails, its traffic having moved to r1/z2 and r1/z3 (priority 1).
        SimulationResult.Buckets b = r.buckets();
        long lastMinuteR1z1 = 0;
        long lastMinuteErrors = 0;
        long lastMinuteTotal = 0;
        for (int bucket = 0; bucket < b.count(); bucket++) {
            long start = b.startNanos(bucket);
            if (start < 4 * 60 * SECOND || start >= 5 * 60 * SECOND) {
                continue;
            }
            for (int e = 0; e < endpoints.size(); e++) {
                lastMinuteTotal += b.requests(bucket, e);
                lastMinuteErrors += b.errors(bucket, e);
                if (in(endpoints.get(e), "r1", "z1")) {
                    lastMinuteR1z1 += b.requests(bucket, e);
                }
            }
        }
        assertThat(lastMinuteTotal).isGreaterThan(110_000L);
        assertThat(lastMinuteR1z1).isZero();
        assertThat(lastMinuteErrors).isZero();
        assertThat(phases.get(1).errors()).isPositive();
        assertThat(phases.get(1).priorityRequests()[1]).isPositive();
        for (SimulationResult.Outcome o : r.faults().get(0).outcomes()) {
            boolean inFailedZone = spec.callers().get(o.caller()).caller().locality().toString().equals("r1/z1");
            if (inFailedZone) {
                assertThat(o.settled()).as("caller " + o.caller() + " ejects all of r1/z1").isTrue();
            } else {
                assertThat(o.requests()).as("caller " + o.caller() + " never sent to r1/z1").isZero();
            }
        }
        // Healed: r1/z1 endpoints stay ejected for baseEjectionTime (15m), so r1/z1's callers stay on r1/z2, r1/z3.
        assertThat(zoneShare(phases.get(2), endpoints, "r1", "z1")).isZero();

        // Region r2 scaled to zero: no request reaches r2; its 17 callers (34% of the traffic) fail over
        // at once to the other regions, without a failed request, and the rest carry on as before.
        SimulationResult.Phase regionOut = phases.get(3);
        assertThat(regionShare(regionOut, endpoints, "r2")).isZero();
        assertThat(regionShare(regionOut, endpoints, "r1") + regionShare(regionOut, endpoints, "r3")).isEqualTo(1.0);
        assertThat(regionShare(regionOut, endpoints, "r3")).isBetween(0.40, 0.60);
        assertThat(regionOut.errors()).isZero();
        for (SimulationResult.Outcome o : r.faults().get(2).outcomes()) {
            assertThat(o.settledNanos()).as("caller " + o.caller()).isZero();
            assertThat(o.errors()).as("caller " + o.caller()).isZero();
        }
        // Scaled up again: r2's callers come back to their own zones (priority 0).
        SimulationResult.Phase back = phases.get(4);
        assertThat(regionShare(back, endpoints, "r2")).isBetween(0.30, 0.38);
        assertThat((double) back.priorityRequests()[0] / back.requests()).isGreaterThan(0.85);
        System.out.println(TextReport.speed(r));
    }

    @Test
    @DisplayName("an endpoint entry with count: N stands for N consecutive IPv4 addresses, same port, locality and"
            + " labels; a non-IPv4 address or a range past 255.255.255.255 is refused naming the path and value")
    void endpointCounts() {
        String head = "name: c\ncaller: {locality: r1/z1}\nendpoints:\n";
        Scenario s = Scenarios.parse("c.yaml", head
                + "  - {address: \"10.0.0.254:80\", count: 3, locality: r1/z2, labels: {app: a}}\n"
                + "  - {address: \"10.9.0.1:81\", locality: r1/z1}\n");
        assertThat(s.endpoints()).extracting(Endpoint::address)
                .containsExactly("10.0.0.254:80", "10.0.0.255:80", "10.0.1.0:80", "10.9.0.1:81");
        assertThat(s.endpoints().get(2).locality().toString()).isEqualTo("r1/z2");
        assertThat(s.endpoints().get(2).labels()).containsEntry("app", "a");

        assertThatThrownBy(() -> Scenarios.parse("c.yaml", head
                + "  - {address: \"255.255.255.254:80\", count: 3, locality: r1/z1}\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("c.yaml").hasMessageContaining("endpoints[0].count")
                .hasMessageContaining("past 255.255.255.255").hasMessageContaining("'3'");
        assertThatThrownBy(() -> Scenarios.parse("c.yaml", head
                + "  - {address: \"reviews-0.svc:80\", count: 2, locality: r1/z1}\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("endpoints[0].address").hasMessageContaining("IPv4")
                .hasMessageContaining("'reviews-0.svc:80'");
        assertThatThrownBy(() -> Scenarios.parse("c.yaml", head
                + "  - {address: \"10.0.0.1:80\", count: 0, locality: r1/z1}\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("endpoints[0].count").hasMessageContaining("'0'");
    }

    @Test
    @DisplayName("a caller entry with count: N gives N callers of that locality, labels and share, named NAME-1..N"
            + " or LOCALITY-1..N; more than MAX_CALLERS is refused")
    void callerCounts() {
        String head = "name: c\ncaller: {locality: r1/z1}\nendpoints:\n  - {address: \"10.0.0.1:80\", count: 4,"
                + " locality: r1/z1}\nsimulation:\n  callers:\n";
        Scenario s = Scenarios.parse("c.yaml", head + "    - {locality: r1/z2, count: 3, share: 2}\n"
                + "    - {name: edge, locality: r1/z1, count: 2}\n");
        SimulationSpec spec = Runs.spec(s);
        assertThat(spec.callers()).extracting(SimulationSpec.CallerSpec::name)
                .containsExactly("r1/z2-1", "r1/z2-2", "r1/z2-3", "edge-1", "edge-2");
        assertThat(spec.callers().get(2).share()).isEqualTo(2.0);
        assertThat(spec.callers().get(2).caller().locality().toString()).isEqualTo("r1/z2");

        Scenario tooMany = Scenarios.parse("c.yaml", head + "    - {locality: r1/z2, count: "
                + (SimulationSpec.MAX_CALLERS + 1) + "}\n");
        assertThatThrownBy(() -> Runs.spec(tooMany)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("simulation.callers[0].count")
                .hasMessageContaining(String.valueOf(SimulationSpec.MAX_CALLERS));
    }

    private static boolean in(Endpoint e, String region, String zone) {
        return e.locality().region().equals(region) && (zone == null || e.locality().zone().equals(zone));
    }

    private static double zoneShare(SimulationResult.Phase p, List<Endpoint> endpoints, String region, String zone) {
        long n = 0;
        for (int e = 0; e < endpoints.size(); e++) {
            if (in(endpoints.get(e), region, zone)) {
                n += p.endpointRequests()[e];
            }
        }
        return (double) n / p.requests();
    }

    private static double regionShare(SimulationResult.Phase p, List<Endpoint> endpoints, String region) {
        return zoneShare(p, endpoints, region, null);
    }
}
