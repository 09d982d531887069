package dev.meridian.agent;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code agent.yaml} files that were refused with something other than the documented one line
 * naming the file, the field and the value, found by the fuzz target or while writing it
 * (docs/fuzzing.md); each is also in AgentConfigFuzzTestInputs/agentConfig, which the target replays.
 */
class AgentConfigRefusalsTest {
    private static final String LISTENERS = "locality: r1/z1\nlisteners: [{listen: 127.0.0.1:0, service: reviews:9080}]\n";

    @Test
    @DisplayName("a mesh directory Path.of refuses is named as the field, not an InvalidPathException")
    void directoryThatIsNoPathIsNamed() {
        // nul-in-directory.yaml
        assertThatThrownBy(() -> AgentConfig.parse("agent.yaml", LISTENERS + "mesh: {directory: \"mesh\\0\"}\n",
                Path.of(".")))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("agent.yaml: mesh.directory: not a path (Nul character not allowed), got 'mesh\0'");
    }

    @Test
    @DisplayName("a second null key is named as a duplicate key, not snakeyaml-engine's NullPointerException")
    void secondNullKeyIsADuplicateKey() {
        // duplicate-null-key.yaml
        assertThatThrownBy(() -> AgentConfig.parse("agent.yaml", LISTENERS + "mesh: {xds: {address: 'istiod:15010'}, ~: 1, ~: 2}\n",
                null))
                .isExactlyInstanceOf(IllegalArgumentException.class).hasNoCause()
                .hasMessage("agent.yaml: invalid YAML: found duplicate key null (a key written as ~, null or nothing, "
                        + "twice in one mapping)");
    }

    @Test
    @DisplayName("a locality that contains itself is refused: showing it overflowed the stack")
    void localityThatContainsItselfIsRefused() {
        // locality-contains-itself.yaml
        assertThatThrownBy(() -> AgentConfig.parse("agent.yaml", "locality: &x [[*x]]\n", null))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("agent.yaml: invalid YAML: alias *x at line 1 refers to a mapping or list that contains it"
                        + " (anchor 'x' value contains itself)");
    }

    @Test
    @DisplayName("a listener without a host or an upstream is named as its field, not as the record's")
    void listenerWithoutHostOrServiceIsNamed() {
        // listen-without-host.yaml, found by AgentConfigFuzzTest: '[]:1' left an empty host, which the
        // Listener record refused as "listener.host: must not be blank", naming neither file nor path.
        String xds = "locality: r1/z1\nmesh: {xds: {address: 'istiod:15010'}}\n";
        assertThatThrownBy(() -> AgentConfig.parse("agent.yaml", xds + "listeners: [{listen: '[]:1', service: r}]\n",
                null))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("agent.yaml: listeners[0].listen: expected host:port with a host, got '[]:1'");
        assertThatThrownBy(() -> AgentConfig.parse("agent.yaml", xds
                + "listeners: [{listen: '127.0.0.1:0', service: ' '}]\n", null))
                .hasMessage("agent.yaml: listeners[0].service: must name the upstream, got ' '");
        assertThatThrownBy(() -> AgentConfig.parse("agent.yaml", xds + "admin: '[]:15000'\n"
                + "listeners: [{listen: '127.0.0.1:0', service: r}]\n", null))
                .hasMessage("agent.yaml: admin: expected host:port with a host, got '[]:15000'");
    }
}
