package dev.meridian.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario files built to exhaust the reader: they must end like any other bad configuration, with
 * one line on stderr naming the file and exit status 2, never with a stack overflow.
 */
class HostileScenarioTest {

    @Test
    void twoThousandNestedFlowSequencesAreOneLineOfBadInput(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("brackets.yaml");
        Files.writeString(file, "[".repeat(2_000) + "]".repeat(2_000) + "\n");
        assertRefused(file);
    }

    @Test
    void aBlockMappingFourteenHundredLevelsDeepIsOneLineOfBadInput(@TempDir Path dir) throws IOException {
        StringBuilder yaml = new StringBuilder();
        for (int level = 0; level < 1_400; level++) {
            yaml.append(" ".repeat(level)).append("a:\n");
        }
        Path file = dir.resolve("deep.yaml");
        Files.writeString(file, yaml);
        assertRefused(file);
    }

    private static void assertRefused(Path file) {
        for (String command : new String[] {"plan", "simulate"}) {
            Runs.Invocation run = Runs.meridian(command, file.toString());
            assertThat(run.status()).as(command + ": " + run.err()).isEqualTo(2);
            assertThat(run.out()).isEmpty();
            assertThat(run.err().lines()).as(command).hasSize(1);
            assertThat(run.err()).contains(file + ": nesting deeper than 64 levels");
        }
    }
}
