package dev.meridian.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ProgressLinesTest {

    @Test
    @DisplayName("a progress line for a log gives the scenario, the percentage, the virtual time, the requests so far"
            + " and the requests per wall-clock second")
    void lineFormat() {
        String line = SimulateCommand.ProgressLines.line("large-day", 5, 4_320_123_456_789L, 86_400_000_000_000L,
                43_200_907L, 100_000_000_000L);
        assertThat(line).isEqualTo(
                "meridian simulate: large-day   5%  1h12m of 24h virtual, 43,200,907 requests, 432,009 requests/s");
    }

    @Test
    @DisplayName("a run that ends within 2 s of wall-clock time prints no progress line on a non-terminal stderr")
    void quickRunPrintsNothing() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        SimulateCommand.ProgressLines lines = new SimulateCommand.ProgressLines(err, "quick", 100);
        for (long t = 1; t <= 100; t++) {
            lines.at(t, t * 10);
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    @DisplayName("simulate without --no-progress, stderr not a terminal, a short run: stderr stays empty")
    void realCommandShortRun() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = SimulateCommand.run(new String[] {"zone-outage", "--no-timing"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }
}
