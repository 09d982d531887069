package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code --compare}'s text: a phase's lines face the other run's lines about the same thing. */
class SideBySideTest {

    @ParameterizedTest(name = "''{0}'' is about ''{1}''")
    @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
        "  priority P0 100.0%  P1 0.0%|  priority ",
        "  latency by locality r1/z1 p50 6.59 s|  latency by locality ",
        "  latency p50 6.56 s, p99 12.97 s|  latency ",
        "  failover: after 0.102s, 11 errors on the way|  failover: ",
        "  failover: none, still picked|  failover: ",
        "  2m42s   12,865 12.58 s|  ",
        "phase 1  0s - 3m  start|phase "})
    void aLineIsLabelledByItsWordsBeforeTheFirstNumber(String line, String label) {
        assertThat(TextReport.label(line)).isEqualTo(label);
    }

    @Test
    @DisplayName("lines one run lacks face a blank, and the rest stay opposite each other in order")
    void linesAreAlignedByLabel() {
        List<String> left = List.of("phase 1", "  requests 10", "  queue r1/z1 x", "  priority P0 100%", "  ejected 0");
        List<String> right = List.of("phase 1", "  requests 10", "  queue r1/z1 y", "  queue r1/z2 y",
                "  spill active 99%", "  priority P0 56%", "  ejected 0");
        List<String> rows = TextReport.align(left, right).stream().map(Arrays::toString).toList();
        assertThat(rows).containsExactly("[phase 1, phase 1]", "[  requests 10,   requests 10]",
                "[  queue r1/z1 x,   queue r1/z1 y]", "[null,   queue r1/z2 y]", "[null,   spill active 99%]",
                "[  priority P0 100%,   priority P0 56%]", "[  ejected 0,   ejected 0]");
    }
}
