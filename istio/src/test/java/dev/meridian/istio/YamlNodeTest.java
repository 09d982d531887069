package dev.meridian.istio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class YamlNodeTest {

    @Test
    void errorsNameTheFileAndThePath() {
        YamlNode root = YamlNode.parse("s.yaml", "endpoints:\n- {address: 10.0.0.1:80, weight: heavy}\n");
        YamlNode weight = root.get("endpoints").list().get(0).get("weight");
        assertThat(weight.path()).isEqualTo("endpoints[0].weight");
        assertThatThrownBy(() -> weight.intValue(1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("s.yaml: endpoints[0].weight: expected a whole number, got 'heavy'");
        assertThatThrownBy(() -> root.allowOnly("name"))
                .hasMessage("s.yaml: endpoints: unknown field (expected one of [name])");
    }

    @Test
    void aMissingFieldGivesItsFallback() {
        YamlNode root = YamlNode.parse("s.yaml", "name: x\nempty: ~\n");
        assertThat(root.get("weight").intValue(7)).isEqualTo(7);
        assertThat(root.get("empty").isMissing()).isTrue();
        assertThat(root.get("tags").list()).isEmpty();
    }

    @Test
    void deepNestingIsRefusedBeforeComposing() {
        assertThatThrownBy(() -> YamlNode.parse("deep.yaml", "[".repeat(2_000) + "]".repeat(2_000)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("deep.yaml: nesting deeper than " + YamlNode.MAX_DEPTH + " levels");
        assertThat(YamlNode.parse("ok.yaml", "[".repeat(YamlNode.MAX_DEPTH) + "]".repeat(YamlNode.MAX_DEPTH)).isMissing())
                .isFalse();
    }

    @Test
    void theIstioReadersWarnAboutKeysTheyDidNotAskFor() {
        List<String> warnings = new java.util.ArrayList<>();
        YamlNode spec = YamlNode.of("spec", java.util.Map.of("host", "reviews", "base_ejection_time", "30s",
                "baseEjectionTime", "1m"), warnings);
        assertThat(spec.requiredString("host")).isEqualTo("reviews");
        assertThat(spec.duration("baseEjectionTime")).hasMinutes(1);
        spec.finish();
        assertThat(warnings).containsExactly(
                "spec.base_ejection_time: unknown field, ignored (did you mean 'baseEjectionTime'?)");
    }
}
