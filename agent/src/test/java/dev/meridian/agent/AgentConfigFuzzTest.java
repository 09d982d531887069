package dev.meridian.agent;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * {@code agent.yaml}, fuzzed: {@link AgentConfig#parse} gives a configuration or refuses with the
 * documented {@link IllegalArgumentException}, one line naming the file, the field and the value
 * ({@code agent.yaml: listeners[0].listen: ...}). Anything else is a crash: another exception type,
 * a subclass that leaked from the JDK (an {@link java.nio.file.InvalidPathException}), or a message
 * naming no field. A relative {@code mesh.directory} resolves against a directory holding
 * {@code mesh/}, as docs/examples/agent does. Seeds: docs/examples/agent/agent.yaml and the agent's
 * test configurations. docs/fuzzing.md.
 */
class AgentConfigFuzzTest {
    private static final String SOURCE = "agent.yaml";

    @TempDir
    static Path base;

    @BeforeAll
    static void meshDirectory() throws IOException {
        Files.createDirectories(base.resolve("mesh"));
    }

    @FuzzTest(maxDuration = "5m", maxExecutions = 100_000)
    void agentConfig(byte[] data) {
        try {
            AgentConfig.parse(SOURCE, new String(data, StandardCharsets.UTF_8), base);
        } catch (IllegalArgumentException e) {
            requireNamed(e);
        }
    }

    private static void requireNamed(IllegalArgumentException e) {
        if (e.getClass() != IllegalArgumentException.class) {
            throw new AssertionError("an undocumented " + e.getClass().getName(), e);
        }
        String message = String.valueOf(e.getMessage());
        if (!message.startsWith(SOURCE + ": ") || message.indexOf(": ", SOURCE.length() + 2) < 0
                && !message.startsWith(SOURCE + ": empty document")
                && !message.startsWith(SOURCE + ": nesting deeper than")) {
            throw new AssertionError("a refusal that does not name the file and a field", e);
        }
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (!(cause instanceof YamlEngineException) && cause.getClass() != IllegalArgumentException.class) {
                throw new AssertionError("a refusal caused by an undocumented " + cause.getClass().getName(), e);
            }
        }
    }
}
