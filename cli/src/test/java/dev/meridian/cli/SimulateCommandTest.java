package dev.meridian.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.simulator.Scenarios;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulateCommandTest {

    @Test
    void withoutArgumentsItRunsTheCrossRegionScenario() {
        Runs.Invocation run = Runs.simulate();
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).startsWith("scenario cross-region (built-in scenario 'cross-region')\n")
                .contains("phase 1  0s - 5m  start", "phase 2  5m - 9m  fail region r1 (503)",
                        "what decided the picks:")
                .containsPattern("cross-region: simulated [0-9,]+ requests in [0-9.]+ s wall clock");
        // Not a terminal here: no progress bar, and nothing else on stderr.
        assertThat(run.err()).isEmpty();
    }

    @Test
    void listShowsEveryBuiltInScenarioWithWhatItShows() {
        Runs.Invocation run = Runs.simulate("--list");
        assertThat(run.status()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(Scenarios.builtIn().size());
        for (String name : List.of("bookinfo-multicluster", "cross-region", "cross-region-no-outlier", "zone-outage",
                "virtual-nodes")) {
            assertThat(lines).anyMatch(l -> l.startsWith(name + " ") && l.length() > name.length() + 10);
        }
    }

    @Test
    void aBadSimulationSectionExitsWithStatusTwoAndOneLineNamingFileFieldAndValue(@TempDir Path dir)
            throws IOException {
        Path file = dir.resolve("broken.yaml");
        Files.writeString(file, Runs.builtInText("cross-region").replace("{at: 9m, heal:", "{at: 9 minutes, heal:"));
        Runs.Invocation run = Runs.simulate(file.toString());
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines().toList()).singleElement().satisfies(line -> assertThat(line)
                .isEqualTo("meridian: " + file + ": simulation.faults[1].at: expected a duration such as 90s, 5m or "
                        + "1m30s, got '9 minutes'"));
    }

    @Test
    void aBadScenarioOutsideTheSimulationSectionIsReportedTheSameWay(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("broken.yaml");
        Files.writeString(file, Runs.builtInText("cross-region").replace("consecutiveErrors: 5",
                "consecutiveErrors: many"));
        Runs.Invocation run = Runs.simulate(file.toString());
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err().lines().toList()).singleElement().satisfies(line -> assertThat(line)
                .isEqualTo("meridian: " + file + ": destinationRule.spec.trafficPolicy.outlierDetection"
                        + ".consecutiveErrors: expected an integer, got 'many'"));
    }

    @Test
    void aMissingFileAndBadOptionsExitWithStatusTwo() {
        Runs.Invocation missing = Runs.simulate("no-such-scenario.yaml");
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("no-such-scenario.yaml");
        assertThat(Runs.simulate("--frobnicate").status()).isEqualTo(2);
        assertThat(Runs.simulate("--seed", "x").err()).contains("--seed", "'x'");
        assertThat(Runs.simulate("--csv").err()).contains("--csv: needs a value, got nothing");
        Runs.Invocation duration = Runs.simulate("--duration", "forever");
        assertThat(duration.status()).isEqualTo(2);
        assertThat(duration.err()).contains("--duration", "'forever'");
        assertThat(Runs.simulate("--rate", "0").err()).contains("--rate");
    }

    @Test
    void theSameSeedGivesByteIdenticalOutput() {
        String[] args = {"cross-region", "--json", "--duration", "12m"};
        Runs.Invocation first = Runs.simulate(args);
        Runs.Invocation second = Runs.simulate(args);
        assertThat(first.status()).isZero();
        assertThat(second.out()).isEqualTo(first.out());
        Runs.Invocation text = Runs.simulate("zone-outage", "--no-timing");
        assertThat(Runs.simulate("zone-outage", "--no-timing").out()).isEqualTo(text.out());
    }

    @Test
    void aDifferentSeedGivesDifferentCountsAndTheSameConclusions() {
        Map<String, Object> a = Runs.json(Runs.simulate("--json", "--seed", "1").out());
        Map<String, Object> b = Runs.json(Runs.simulate("--json", "--seed", "2").out());
        assertThat(b.get("requests")).isNotEqualTo(a.get("requests"));
        for (Map<String, Object> run : List.of(a, b)) {
            List<Map<String, Object>> phases = Runs.list(run.get("phases"));
            // The phase-level story of scenario 2 holds whatever the seed: no v3 while r1 is healthy,
            // nearly all of it on v3 while r1 fails (both r1 hosts ejected within the first second),
            // all of it on v3 and no error while r1 is scaled to zero, none once r1 is back.
            assertThat(share(phases.get(0), "v3")).isZero();
            assertThat(share(phases.get(1), "v3")).isGreaterThan(0.99);
            assertThat(share(phases.get(3), "v3")).isEqualTo(1.0);
            assertThat(((Number) phases.get(3).get("errors")).longValue()).isZero();
            assertThat(share(phases.get(4), "v3")).isZero();
        }
    }

    @Test
    void csvHasOneRowPerBucketAndEndpoint(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("out.csv");
        Runs.Invocation run = Runs.simulate("cross-region", "--duration", "2m", "--csv", csv.toString());
        assertThat(run.status()).as(run.err()).isZero();
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        assertThat(lines.get(0)).isEqualTo("t_seconds,endpoint,locality,priority,requests,errors,ejected,in_flight,"
                + "latency_ms,wait_ms,shed");
        // 2 minutes in 1-second buckets, 3 endpoints.
        assertThat(lines).hasSize(1 + 120 * 3);
        Pattern row = Pattern.compile("\\d+(\\.\\d+)?,[0-9.]+:\\d+,[a-z0-9/]*,\\d*,\\d+,\\d+,[01],[0-9.]+,[0-9.]*,[0-9.]*,0");
        assertThat(lines.subList(1, lines.size())).allMatch(l -> row.matcher(l).matches());
        assertThat(lines.get(1)).startsWith("0,10.1.0.11:9080,r1/z1,0,");
        long requests = 0;
        for (String l : lines.subList(1, lines.size())) {
            requests += Long.parseLong(l.split(",")[4]);
        }
        Map<String, Object> json = Runs.json(Runs.simulate("cross-region", "--duration", "2m", "--json").out());
        assertThat(requests).isEqualTo(((Number) json.get("requests")).longValue());
    }

    @Test
    void htmlIsOneSelfContainedPageWithTheChartAndTheSummary(@TempDir Path dir) throws IOException {
        Path html = dir.resolve("out.html");
        Runs.Invocation run = Runs.simulate("cross-region", "--html", html.toString());
        assertThat(run.status()).as(run.err()).isZero();
        String page = Files.readString(html, StandardCharsets.UTF_8);
        assertThat(page).startsWith("<!DOCTYPE html>").contains("<svg", "class=\"area\"", "class=\"fault\"",
                "<table", "fail region r1 (503)", "<script>");
        // Nothing to fetch: no external scripts, styles, images or fonts (the SVG namespace is a name, not a URL).
        assertThat(page.replace("xmlns=\"http://www.w3.org/2000/svg\"", ""))
                .doesNotContain("http://", "https://", "src=", "<link", "@import", "url(");
    }

    @Test
    void compareRunsTheSameTrafficAndFaultsTwiceSideBySide() {
        Runs.Invocation run = Runs.simulate("cross-region", "--compare", "cross-region-no-outlier", "--no-timing");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out().lines().findFirst().orElseThrow())
                .contains("scenario cross-region (", "|", "scenario cross-region-no-outlier (");
        assertThat(run.out()).contains("fail region r1 (503)");
        Map<String, Object> json = Runs.json(Runs.simulate("cross-region", "--compare", "cross-region-no-outlier",
                "--json").out());
        List<Map<String, Object>> runs = Runs.list(json.get("runs"));
        assertThat(runs).hasSize(2);
        // Same arrivals: both runs see the same number of requests.
        assertThat(runs.get(1).get("requests")).isEqualTo(runs.get(0).get("requests"));
        assertThat(share(Runs.list(runs.get(1).get("phases")).get(0), "v3")).isPositive();
        assertThat(share(Runs.list(runs.get(0).get("phases")).get(0), "v3")).isZero();
    }

    @Test
    @DisplayName("zone-overload --compare zone-overload-spill: the text and the page show both runs, their queues and the spill")
    void compareShowsTheOverloadWithAndWithoutSpill(@TempDir Path dir) throws IOException {
        Path html = dir.resolve("overload.html");
        Runs.Invocation run = Runs.simulate("zone-overload", "--compare", "zone-overload-spill", "--no-timing",
                "--html", html.toString());
        assertThat(run.status()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0)).contains("scenario zone-overload (", "|", "scenario zone-overload-spill (");
        // The phase: all local and seconds of latency on the left; the zone shared and tens of ms on the right.
        assertThat(lines).anyMatch(l -> l.contains("priority P0 100.0%  P1 0.0%") && l.contains("|   ")
                && l.contains("priority P0 56.0%  P1 44.0%"));
        assertThat(lines).anyMatch(l -> l.contains("latency p50 6.56 s, p99 12.97 s") && l.contains("p99 84.5 ms"));
        // Both queue tables for r1/z1, the climb on the left, and the spill table on the right only.
        assertThat(lines).anyMatch(l -> l.startsWith("queueing over time, r1/z1") && l.contains("|   queueing over time, r1/z1"));
        assertThat(lines).anyMatch(l -> l.startsWith("  2m42s   12,865 12.58 s 13.24 s") && l.contains("83.5 ms"));
        assertThat(lines).anyMatch(l -> l.contains("|   spill-over over time (10 callers;"));
        assertThat(lines).anyMatch(l -> l.contains("|     spill active ") || l.contains("|     spill active"));
        String page = Files.readString(html, StandardCharsets.UTF_8);
        assertThat(page).contains("<h1>zone-overload compared with zone-overload-spill</h1>",
                "<h2>Queueing over time side by side</h2>", "<th class=\"run\" colspan=\"4\">zone-overload</th>",
                "<th class=\"run\" colspan=\"4\">zone-overload-spill</th>", "<th>spill-over</th>", "<td class=\"w long\">off</td>",
                "<h3>Spill-over</h3>");
        // Each run's own queue section, in each run's part of the page.
        assertThat(page.split("<h3>Queueing over time</h3>", -1)).hasSize(3);
    }

    @Test
    @DisplayName("--compare with --csv writes both runs, each row naming its run")
    void compareWritesBothRunsToTheCsv(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("both.csv");
        Runs.Invocation run = Runs.simulate("cross-region", "--compare", "cross-region-no-outlier", "--duration", "2m",
                "--csv", csv.toString());
        assertThat(run.status()).as(run.err()).isZero();
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        assertThat(lines.get(0)).isEqualTo("run,t_seconds,endpoint,locality,priority,requests,errors,ejected,"
                + "in_flight,latency_ms,wait_ms,shed");
        // 120 one-second buckets times 3 endpoints, for each run.
        assertThat(lines).hasSize(1 + 2 * 120 * 3);
        assertThat(lines.get(1)).startsWith("cross-region,0,10.1.0.11:9080,r1/z1,0,");
        assertThat(lines.get(1 + 360)).startsWith("cross-region-no-outlier,0,10.1.0.11:9080,r1/z1,0,");
        Map<String, Object> json = Runs.json(Runs.simulate("cross-region", "--compare", "cross-region-no-outlier",
                "--duration", "2m", "--json").out());
        for (int k = 0; k < 2; k++) {
            String name = k == 0 ? "cross-region," : "cross-region-no-outlier,";
            long requests = lines.stream().filter(l -> l.startsWith(name))
                    .mapToLong(l -> Long.parseLong(l.split(",")[5])).sum();
            assertThat(requests).isEqualTo(((Number) Runs.list(json.get("runs")).get(k).get("requests")).longValue());
        }
        assertThat(run.err()).isEqualTo("meridian: wrote " + csv + " (both runs)\n");
    }

    @Test
    @DisplayName("a compared fault that selects nothing is named in its own scenario, with the other's endpoints")
    void compareNamesTheScenarioWhoseFaultsCannotBeApplied() {
        Runs.Invocation run = Runs.meridian("simulate", "virtual-nodes", "--compare", "cross-region");
        assertThat(run.status()).isEqualTo(2);
        // The faults are virtual-nodes' (its faults[1] and faults[3] select the virtual-kubelet node in r1);
        // cross-region only lacks such an endpoint.
        assertThat(run.err()).isEqualTo("meridian: built-in scenario 'virtual-nodes': simulation.faults[1].remove, "
                + "simulation.faults[3].add: select none of the endpoints of built-in scenario 'cross-region' "
                + "(10.1.0.11:9080 at r1/z1, 10.1.0.12:9080 at r1/z1, 10.2.0.13:9080 at r2/z1), so they cannot be "
                + "applied in the comparison run, got 'region r1 node=virtual-kubelet', "
                + "'region r1 node=virtual-kubelet'\n");
    }

    @Test
    @DisplayName("--json errorRate is never 0 while errors is not, at the top and in every phase")
    void jsonErrorRatesNeverReadZeroWhileThereAreErrors() {
        Map<String, Object> json = Runs.json(Runs.simulate("cross-region", "--json").out());
        // 11 errors in 239,746 requests: 0.0000459..., which four decimals turned into 0.
        assertThat(((Number) json.get("errors")).longValue()).isEqualTo(11);
        assertThat(json.get("requests")).isEqualTo(239_746);
        assertThat(((Number) json.get("errorRate")).doubleValue()).isEqualTo(0.000046);
        for (Map<String, Object> phase : Runs.list(json.get("phases"))) {
            long errors = ((Number) phase.get("errors")).longValue();
            long requests = ((Number) phase.get("requests")).longValue();
            double rate = ((Number) phase.get("errorRate")).doubleValue();
            if (errors == 0) {
                assertThat(rate).isZero();
            } else {
                assertThat(rate).as("phase " + phase.get("phase")).isCloseTo((double) errors / requests,
                        org.assertj.core.data.Percentage.withPercentage(5));
            }
        }
    }

    @Test
    @DisplayName("faults after a shortened --duration are reported as not run, in text and JSON")
    void faultsAfterAShortenedDurationAreReported() {
        Runs.Invocation text = Runs.simulate("cross-region", "--duration", "7m", "--no-timing");
        assertThat(text.status()).as(text.err()).isZero();
        assertThat(text.out()).contains("""
                100 requests/s for 7m, seed 1: 41,951 requests, 0.026% errors
                warning: 3 faults come at or after the end (7m) and are not run: 9m heal
                    region r1, 20m remove region r1: scaled to zero, 30m add region r1: scaled
                    back
                caller r1/z1
                """);
        Map<String, Object> json = Runs.json(Runs.simulate("cross-region", "--duration", "7m", "--json").out());
        List<Map<String, Object>> notRun = Runs.list(json.get("faultsNotRun"));
        assertThat(notRun).extracting(m -> m.get("atSeconds")).containsExactly(540, 1200, 1800);
        assertThat(notRun.get(0).get("description")).isEqualTo("heal region r1");
        // The full run leaves nothing out and says nothing.
        assertThat(Runs.simulate("cross-region", "--no-timing").out()).doesNotContain("warning:");
        assertThat(Runs.list(Runs.json(Runs.simulate("cross-region", "--json").out()).get("faultsNotRun"))).isEmpty();
    }

    @Test
    @DisplayName("a share between 0.05% and 0.1% keeps two significant digits (16 of 30,076 is 0.053%)")
    void smallSharesKeepTwoSignificantDigits() {
        Runs.Invocation run = Runs.simulate("virtual-nodes", "--no-timing");
        assertThat(run.out()).contains("100 requests/s for 5m, seed 1: 30,076 requests, 0.053% errors\n");
        // phase 3: 5 errors of 9,133 requests is 0.055%, once printed as 0.1%.
        assertThat(run.out()).contains("  requests 9,133, errors 5 (0.055%)\n");
    }

    @Test
    @DisplayName("the ejection log's time, event and endpoint columns line up")
    void theEjectionLogIsAligned() {
        List<String> log = Runs.simulate("cross-region", "--no-timing").out().lines()
                .dropWhile(l -> !l.startsWith("ejections and returns:")).skip(1)
                .takeWhile(l -> l.startsWith("  ")).toList();
        assertThat(log).containsExactly(
                "  5m00.039s  ejected   10.1.0.12:9080 (r1/z1, v2) until 10m00.039s",
                "  5m00.102s  ejected   10.1.0.11:9080 (r1/z1, v1) until 10m00.102s",
                "  12m        returned  10.1.0.11:9080 (r1/z1, v1)",
                "  12m        returned  10.1.0.12:9080 (r1/z1, v2)");
    }

    @Test
    @DisplayName("meridian --version prints the version Maven built")
    void versionIsPrinted() throws IOException {
        Runs.Invocation run = Runs.meridian("--version");
        assertThat(run.status()).isZero();
        String pom = Files.readString(Path.of("pom.xml"));
        String parentVersion = pom.substring(pom.indexOf("<version>") + 9, pom.indexOf("</version>"));
        assertThat(run.out()).isEqualTo("meridian " + parentVersion + "\n");
        assertThat(parentVersion).isEqualTo("0.1.0-SNAPSHOT");
    }

    private static double share(Map<String, Object> phase, String version) {
        Map<String, Object> versions = Runs.map(phase.get("versions"));
        return ((Number) Runs.map(versions.get(version)).get("share")).doubleValue();
    }
}
