package dev.meridian.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code --html} page holds what the text summary holds (the notes
 * and warnings that decided the picks), both runs of {@code --compare}, and stays readable on a
 * phone. Pages come from the real command ({@link Main#run}); docs/simulate-1400.png and
 * docs/simulate-400.png are this page rendered by headless Chromium at those widths.
 */
class HtmlPageTest {
    private static final Pattern SVG = Pattern.compile("<svg class=\"(wide|narrow)\"[^>]*viewBox=\"0 0 (\\d+) (\\d+)\""
            + "[^>]*>(.*?)</svg>", Pattern.DOTALL);
    private static final Pattern MARKER = Pattern.compile("<polygon class=\"(eject|return)\" points=\"([^\"]+)\">");
    private static final Pattern FONT = Pattern.compile("<style>svg\\.(wide|narrow) \\.ylabel, svg\\.\\1 \\.xlabel "
            + "\\{ font-size: (\\d+)px; }");

    @Test
    @DisplayName("the page lists what decided the picks: every note and warning the text summary prints")
    void thePageShowsWhatDecidedThePicks(@TempDir Path dir) throws IOException {
        String page = page(dir, "cross-region");
        Map<String, Object> json = Runs.json(Runs.simulate("cross-region", "--json").out());
        @SuppressWarnings("unchecked")
        List<String> notes = (List<String>) json.get("notes");
        assertThat(notes).isNotEmpty();
        assertThat(page).contains("<h2>What decided the picks</h2>");
        for (String note : notes) {
            assertThat(page).contains("<li>" + escape(note) + "</li>");
        }
    }

    @Test
    @DisplayName("--compare with --html writes one page holding both runs and their phases side by side")
    void compareWritesBothRunsToOnePage(@TempDir Path dir) throws IOException {
        Path html = dir.resolve("both.html");
        Runs.Invocation run = Runs.simulate("cross-region", "--compare", "cross-region-no-outlier", "--html",
                html.toString());
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.err()).isEqualTo("meridian: wrote " + html + " (both runs)\n");
        String page = Files.readString(html, StandardCharsets.UTF_8);
        assertThat(page).contains("<h1>cross-region compared with cross-region-no-outlier</h1>",
                "<h2>Phases side by side</h2>", "<h2 class=\"run\">cross-region</h2>",
                "<h2 class=\"run\">cross-region-no-outlier</h2>", "<div class=\"chart\" id=\"r0\">",
                "<div class=\"chart\" id=\"r1\">");
        // Each run's own notes: only the second says Istio skips locality failover without outlier detection.
        Map<String, Object> json = Runs.json(Runs.simulate("cross-region", "--compare", "cross-region-no-outlier",
                "--json").out());
        for (Map<String, Object> r : Runs.list(json.get("runs"))) {
            @SuppressWarnings("unchecked")
            List<String> notes = (List<String>) r.get("notes");
            for (String note : notes) {
                assertThat(page).contains("<li>" + escape(note) + "</li>");
            }
        }
    }

    @Test
    @DisplayName("at 400 px: tables scroll in their own box, and the phone chart's text is at least 10 px")
    void thePageFitsAPhone(@TempDir Path dir) throws IOException {
        String page = page(dir, "cross-region");
        assertThat(page).contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        // Every table sits in a box that scrolls sideways by itself, so the page never does.
        assertThat(count(page, "<table>")).isEqualTo(count(page, "<div class=\"scroll\"><table>")).isEqualTo(2);
        assertThat(page).contains(".scroll { overflow-x: auto; max-width: 100%; }");
        // Below 700 px the wide chart gives way to the narrow one.
        assertThat(page).contains("@media (max-width: 700px)", ".chart svg.wide { display: none; }",
                ".chart svg.narrow { display: block; }");
        Matcher svg = SVG.matcher(page);
        int charts = 0;
        while (svg.find()) {
            charts++;
            // The chart's own text sizes, scoped to it (a style inside an SVG applies to the whole page).
            Matcher font = FONT.matcher(svg.group(4));
            assertThat(font.find()).isTrue();
            assertThat(font.group(1)).isEqualTo(svg.group(1));
            int width = Integer.parseInt(svg.group(2));
            int units = Integer.parseInt(font.group(2));
            if (svg.group(1).equals("narrow")) {
                // At 400 px the chart box is about 360 px wide (page and box padding): text scales by 360/width.
                assertThat(units * 360.0 / width).as("narrow tick text in pixels").isGreaterThanOrEqualTo(10);
            } else {
                // The wide chart is shown from 700 px up: at least 620 px across.
                assertThat(units * 620.0 / width).as("wide tick text in pixels").isGreaterThanOrEqualTo(6);
                assertThat(units * 1120.0 / width).isGreaterThanOrEqualTo(11);
            }
        }
        assertThat(charts).isEqualTo(2);
    }

    @Test
    @DisplayName("ejected and returned markers never overlap, even 57 ms apart (cross-region's two ejections at 5m)")
    void markersAreDistinguishable(@TempDir Path dir) throws IOException {
        String page = page(dir, "cross-region");
        Matcher svg = SVG.matcher(page);
        while (svg.find()) {
            List<double[]> boxes = new ArrayList<>();
            Matcher m = MARKER.matcher(svg.group(4));
            while (m.find()) {
                boxes.add(box(m.group(2)));
            }
            // 2 ejections just after 5m, 2 returns at 12m.
            assertThat(boxes).as(svg.group(1)).hasSize(4);
            for (int i = 0; i < boxes.size(); i++) {
                for (int j = i + 1; j < boxes.size(); j++) {
                    double[] a = boxes.get(i);
                    double[] b = boxes.get(j);
                    boolean overlap = a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
                    assertThat(overlap).as(svg.group(1) + " markers " + i + " and " + j).isFalse();
                }
            }
        }
    }

    @Test
    @DisplayName("the 11 errors at 5m show as a bar drawn over the fault line, at least 3 units wide and tall")
    void theErrorsAtAFaultAreVisible(@TempDir Path dir) throws IOException {
        String page = page(dir, "cross-region");
        Matcher svg = SVG.matcher(page);
        Pattern bar = Pattern.compile("<rect class=\"errors\" x=\"([0-9.]+)\" y=\"([0-9.]+)\" width=\"([0-9.]+)\" "
                + "height=\"([0-9.]+)\"><title>5m: 11 errors of ([0-9,]+) requests");
        while (svg.find()) {
            String body = svg.group(4);
            Matcher m = bar.matcher(body);
            assertThat(m.find()).as(svg.group(1)).isTrue();
            assertThat(Double.parseDouble(m.group(3))).isGreaterThanOrEqualTo(3);
            // About 2% of the bucket's requests failed; the panel's scale follows the worst bucket, so the
            // bar fills most of the panel rather than 2% of it.
            assertThat(Double.parseDouble(m.group(4))).isGreaterThan(40);
            assertThat(m.start()).as("drawn after, so over, every fault line").isGreaterThan(body.lastIndexOf(
                    "class=\"fault\""));
        }
    }

    private static String page(Path dir, String scenario) throws IOException {
        Path html = dir.resolve(scenario + ".html");
        Runs.Invocation run = Runs.simulate(scenario, "--html", html.toString());
        assertThat(run.status()).as(run.err()).isZero();
        return Files.readString(html, StandardCharsets.UTF_8);
    }

    /** {minX, minY, maxX, maxY} of a polygon's points. */
    private static double[] box(String points) {
        double[] b = {Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, -Double.MAX_VALUE};
        for (String p : points.trim().split(" ")) {
            String[] xy = p.split(",");
            double x = Double.parseDouble(xy[0]);
            double y = Double.parseDouble(xy[1]);
            b[0] = Math.min(b[0], x);
            b[1] = Math.min(b[1], y);
            b[2] = Math.max(b[2], x);
            b[3] = Math.max(b[3], y);
        }
        return b;
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
                .replace("'", "&#39;");
    }
}
