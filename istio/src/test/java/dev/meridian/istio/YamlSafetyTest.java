package dev.meridian.istio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Hostile or malformed YAML fails with an {@link IllegalArgumentException} naming the source, and
 * costs little: no object is built from a tag, alias expansion and nesting are bounded, and so is
 * the document size. (snakeyaml-engine's LoadSettings: maxAliasesForCollections, codePointLimit,
 * allowDuplicateKeys; YAML 1.2 core schema.)
 */
class YamlSafetyTest {

    private static final String RULE = DestinationRulesTest.CROSS_REGION;

    @Test
    @DisplayName("a !!java tag builds nothing: the load is refused")
    void javaTagIsRefused() {
        String yaml = RULE.replace("host: reviews.default.svc.cluster.local",
                "host: !!java/object:java.net.URL [\"http://example.com\"]");
        assertThatThrownBy(() -> DestinationRules.parse("evil.yaml", yaml))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("evil.yaml: invalid YAML: could not determine a constructor for the tag "
                        + "tag:yaml.org,2002:java/object:java.net.URL");
        assertThatThrownBy(() -> DestinationRules.parse("evil.yaml", "!!javax.script.ScriptEngineManager [x]"))
                .hasMessageStartingWith("evil.yaml: invalid YAML: could not determine a constructor");
    }

    @Test
    @DisplayName("a local tag on a known field is refused the same way")
    void localTagIsRefused() {
        assertThatThrownBy(() -> DestinationRules.parse("evil.yaml", RULE.replace("interval: 2m", "interval: !cmd 2m")))
                .hasMessageStartingWith("evil.yaml: invalid YAML: could not determine a constructor for the tag !cmd");
    }

    @Test
    @DisplayName("billion laughs: more than 50 aliases to collections are refused before expansion")
    void aliasBombIsRefused() {
        StringBuilder yaml = new StringBuilder("a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (int i = 1; i < 10; i++) {
            yaml.append('a').append(i).append(": &a").append(i).append(" [");
            for (int j = 0; j < 9; j++) {
                yaml.append(j == 0 ? "" : ",").append("*a").append(i - 1);
            }
            yaml.append("]\n");
        }
        assertThatThrownBy(() -> DestinationRules.parse("bomb.yaml", yaml.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("bomb.yaml: invalid YAML: Number of aliases for non-scalar nodes exceeds the "
                        + "specified max=50");
        assertThatThrownBy(() -> MeshConfigs.parseLocalityLbSetting("bomb.yaml", yaml.toString()))
                .hasMessageContaining("max=50");
    }

    @Test
    @DisplayName("a few aliases are ordinary YAML and still work")
    void fewAliasesAreFine() {
        String yaml = """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews}
                spec:
                  host: reviews
                  trafficPolicy:
                    outlierDetection: &od {consecutive5xxErrors: 3, interval: 10s}
                  subsets:
                    - name: v1
                      trafficPolicy: {outlierDetection: *od}
                """;
        Parsed<DestinationRule> parsed = DestinationRules.parse("aliases.yaml", yaml);
        assertThat(parsed.value().subsets().get(0).trafficPolicy().outlierDetection())
                .isEqualTo(parsed.value().trafficPolicy().outlierDetection());
    }

    @Test
    @DisplayName("deep nesting is refused before the recursive composer can overflow the stack")
    void deepNestingIsRefused() {
        String deep = "x: " + "[".repeat(100_000) + "]".repeat(100_000) + "\n";
        assertThatThrownBy(() -> DestinationRules.parse("deep.yaml", deep))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("deep.yaml: nesting deeper than 64 levels");
    }

    @Test
    void oversizedDocumentIsRefused() {
        String big = RULE + "#" + "x".repeat(YamlNode.MAX_CHARS) + "\n";
        assertThatThrownBy(() -> DestinationRules.parse("big.yaml", big))
                .hasMessage("big.yaml: document is " + big.length() + " characters, more than the 1048576 accepted");
    }

    @Test
    @DisplayName("duplicate keys are refused, as Kubernetes' strict decoding refuses them")
    void duplicateKeysAreRefused() {
        assertThatThrownBy(() -> DestinationRules.parse("dup.yaml", RULE.replace("interval: 2m", "interval: 2m\n      interval: 3m")))
                .hasMessageStartingWith("dup.yaml: invalid YAML: while constructing a mapping")
                .hasMessageContaining("found duplicate key interval");
    }

    @Test
    void oneDocumentOnly() {
        assertThatThrownBy(() -> DestinationRules.parse("two.yaml", RULE + "---\n" + RULE))
                .hasMessageStartingWith("two.yaml: invalid YAML: expected a single document in the stream");
        assertThatThrownBy(() -> DestinationRules.parse("empty.yaml", "# nothing\n"))
                .hasMessage("empty.yaml: empty document");
        assertThatThrownBy(() -> DestinationRules.parse("list.yaml", "- a\n- b\n"))
                .hasMessage("list.yaml: document: expected a mapping, got a list");
        assertThatThrownBy(() -> DestinationRules.parse("broken.yaml", "a: [b\n"))
                .hasMessageStartingWith("broken.yaml: invalid YAML: ");
        assertThatThrownBy(() -> DestinationRules.parse(null, (String) null))
                .hasMessage("<input>: no YAML given (null)");
    }

    @Test
    @DisplayName("long hostile values are clipped in messages")
    void longValuesAreClipped() {
        String longValue = "z".repeat(10_000);
        assertThatThrownBy(() -> DestinationRules.parse("long.yaml", RULE.replace("interval: 2m", "interval: " + longValue)))
                .hasMessage("long.yaml: spec.trafficPolicy.outlierDetection.interval: invalid duration '"
                        + "z".repeat(80) + "...'");
    }

    @Test
    void malformedTagEscapeIsRefusedNamingTheSource() {
        // snakeyaml-engine throws a bare IllegalArgumentException for a bad %-escape in a tag; found
        // by ReaderProperties.arbitraryText.
        assertThatThrownBy(() -> DestinationRules.parse("fuzz.yaml", "!aa%a"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("fuzz.yaml: ");
    }

    @Test
    @DisplayName("a document that contains itself is refused: showing it overflowed the stack")
    void documentThatContainsItselfIsRefused() {
        // IstioYamlFuzzTestInputs/readers/contains-itself.yaml: YamlNode.shown() recursed through the
        // alias until the stack overflowed, and every reader that walks a value would never end.
        String yaml = "a: &x {b: [*x]}\n";
        String refusal = "fuzz.yaml: invalid YAML: alias *x at line 1 refers to a mapping or list that contains "
                + "it (anchor 'x' value contains itself)";
        assertThatThrownBy(() -> YamlNode.parse("fuzz.yaml", yaml)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(refusal);
        assertThatThrownBy(() -> YamlNode.parseAll("fuzz.yaml", "a: 1\n---\n" + yaml)).hasMessage(refusal
                .replace("line 1", "line 3"));
        assertThatThrownBy(() -> DestinationRules.parse("fuzz.yaml", yaml)).hasMessage(refusal);
        assertThatThrownBy(() -> MeshConfigs.parseLocalityLbSetting("fuzz.yaml", yaml)).hasMessage(refusal);
        assertThatThrownBy(() -> ServiceEntries.parse("fuzz.yaml", yaml)).hasMessage(refusal);
    }

    @Test
    @DisplayName("an alias to an anchor that is closed, or redefined, is ordinary YAML")
    void aliasesOutsideTheirAnchorStillWork() {
        YamlNode redefined = YamlNode.parse("a.yaml", "a: &x [&x 1, *x]\nb: *x\n");
        assertThat(redefined.get("a").list()).extracting(n -> n.string(null)).containsExactly("1", "1");
        assertThat(redefined.get("b").string(null)).isEqualTo("1");
        YamlNode sibling = YamlNode.parse("a.yaml", "a: &x {c: 1}\nb: {d: *x}\n");
        assertThat(sibling.get("b").get("d").get("c").intValue(0)).isEqualTo(1);
    }

    @Test
    @DisplayName("a message shows an alias tree cut short, never spelled out")
    void aliasTreeIsShownCutShort() {
        // IstioYamlFuzzTestInputs/readers/alias-tree.yaml: 50 aliases double a two-item list 24 times;
        // shown() built the whole 2^25-leaf text (seconds, and out of memory with longer leaves)
        // only to cut it to 120 characters.
        StringBuilder yaml = new StringBuilder("a0: &a0 [x, y]\n");
        for (int i = 1; i < 25; i++) {
            yaml.append("a").append(i).append(": &a").append(i).append(" [*a").append(i - 1).append(", *a")
                    .append(i - 1).append("]\n");
        }
        yaml.append("locality: *a24\n");
        YamlNode locality = YamlNode.parse("tree.yaml", yaml.toString()).get("locality");

        assertThatThrownBy(locality::requiredString).hasMessage("tree.yaml: locality: expected a single value, got '"
                + "[".repeat(25) + "x, y], [x, y]], [[x, y], [x, y]]], [[[x, y], [x, y]], [[x, y], [x, y]]]], "
                + "[[[[x, y], [x, y]]...'");
        assertThat(YamlNode.parse("short.yaml", "a: {b: [1, 2], c: x}").get("a").shown()).isEqualTo("{b=[1, 2], c=x}");
    }

    @Test
    @DisplayName("a second null key is a duplicate key, not snakeyaml-engine's NullPointerException (found by fuzzing)")
    void secondNullKeyIsADuplicateKey() {
        // IstioYamlFuzzTestInputs/readers/duplicate-null-key*.yaml: snakeyaml-engine 2.10 fails with a
        // NullPointerException writing the key into its DuplicateKeyException; the refusal said only that.
        // Telling it by that exception's stack failed in a longer fuzzing run: the JVM threw it without one.
        String refusal = "fuzz.yaml: invalid YAML: found duplicate key null (a key written as ~, null or nothing, twice in"
                + " one mapping)";
        assertThatThrownBy(() -> YamlNode.parse("fuzz.yaml", "{~: 1, ~: 2}")).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage(refusal).hasNoCause();
        assertThatThrownBy(() -> YamlNode.parseAll("fuzz.yaml", "a: {null: 1, ~: 2}")).hasMessage(refusal);
        assertThatThrownBy(() -> DestinationRules.parse("fuzz.yaml", "? \n: 1\n? \n: 2\n")).hasMessage(refusal);
        assertThat(YamlNode.parse("fuzz.yaml", "{~: 1, a: 2}").isMap()).isTrue();  // one null key is YAML
        // With another mistake in the document, that one is named.
        assertThatThrownBy(() -> YamlNode.parse("fuzz.yaml", "{~: 1, ~: 2, a: !cmd x}"))
                .hasMessageStartingWith("fuzz.yaml: invalid YAML: could not determine a constructor for the tag !cmd");
    }
}
