package dev.meridian.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meridian agent}'s bad input: one line and status 2, before anything listens. */
class AgentCommandTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String errLine() {
        String e = err.toString(StandardCharsets.UTF_8);
        assertThat(e.lines()).hasSize(1);
        return e.strip();
    }

    @Test
    @DisplayName("a missing agent.yaml exits 2 with one line naming the file")
    void missingConfig() {
        Path missing = dir.resolve("agent.yaml");
        assertThat(run("agent", "--config", missing.toString())).isEqualTo(2);
        assertThat(errLine()).startsWith("meridian: " + missing + ": cannot read");
    }

    @Test
    @DisplayName("no --config exits 2 naming the option")
    void noConfigOption() {
        assertThat(run("agent")).isEqualTo(2);
        assertThat(errLine()).isEqualTo("meridian: agent: --config FILE is required (meridian agent --config agent.yaml)");
    }

    @Test
    @DisplayName("an invalid field exits 2 with FILE: PATH: what, got 'VALUE'")
    void badMode() throws IOException {
        Files.createDirectories(dir.resolve("mesh"));
        Path file = Files.writeString(dir.resolve("agent.yaml"), """
                locality: r1/z1
                mesh: {directory: mesh}
                listeners:
                - {listen: 127.0.0.1:0, service: reviews, mode: udp}
                """);
        assertThat(run("agent", "--config", file.toString())).isEqualTo(2);
        assertThat(errLine()).isEqualTo("meridian: " + file + ": listeners[0].mode: expected tcp or http, got 'udp'");
    }

    @Test
    @DisplayName("malformed YAML exits 2 with one line")
    void malformed() throws IOException {
        Path file = Files.writeString(dir.resolve("agent.yaml"), "locality: [r1\n");
        assertThat(run("agent", "--config", file.toString())).isEqualTo(2);
        assertThat(errLine()).startsWith("meridian: " + file + ": invalid YAML");
    }

    @Test
    @DisplayName("a service the mesh does not have exits 2 naming it and the known ones")
    void unknownService() throws IOException {
        Files.createDirectories(dir.resolve("mesh"));
        Path file = Files.writeString(dir.resolve("agent.yaml"), """
                locality: r1/z1
                mesh: {directory: mesh}
                listeners:
                - {listen: 127.0.0.1:0, service: ratings, mode: tcp}
                """);
        assertThat(run("agent", "--config", file.toString())).isEqualTo(2);
        assertThat(errLine()).startsWith("meridian: no service 'ratings'");
    }
}
