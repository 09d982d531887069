package dev.meridian.istio;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Whatever text arrives, the readers either return a value or throw {@link IllegalArgumentException}
 * naming the source: never another exception, never a partial result.
 */
class ReaderProperties {

    private static final String FULL = DestinationRulesTest.EveryField.FULL;

    @Provide
    Arbitrary<String> yamlish() {
        return Arbitraries.strings().withChars("abc:-[]{}&*!|>#'\"\n ,0123456789.?%@~").ofMaxLength(80);
    }

    @Property
    @Label("arbitrary YAML-like text is read or refused with IllegalArgumentException")
    void arbitraryText(@ForAll("yamlish") String text) {
        assertReadOrRefused(text);
    }

    @Property
    @Label("a valid rule with one character changed is read or refused with IllegalArgumentException")
    void mutatedRule(@ForAll @IntRange(min = 0, max = 2999) int position, @ForAll("replacement") char c) {
        int at = position % FULL.length();
        assertReadOrRefused(FULL.substring(0, at) + c + FULL.substring(at + 1));
    }

    @Property
    @Label("a valid rule with a line removed is read or refused with IllegalArgumentException")
    void ruleWithoutALine(@ForAll @IntRange(min = 0, max = 199) int line) {
        String[] lines = FULL.split("\n");
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            if (i != line % lines.length) {
                out.append(lines[i]).append('\n');
            }
        }
        assertReadOrRefused(out.toString());
    }

    @Provide
    Arbitrary<Character> replacement() {
        return Arbitraries.chars().with("x:-[]{}&*!|# '\"\n0.9");
    }

    private static void assertReadOrRefused(String text) {
        try {
            Parsed<DestinationRule> parsed = DestinationRules.parse("fuzz.yaml", text);
            assertThat(parsed.value()).isNotNull();
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).startsWith("fuzz.yaml: ");
        }
        try {
            assertThat(MeshConfigs.parseLocalityLbSetting("fuzz.yaml", text).value()).isNotNull();
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).startsWith("fuzz.yaml");
        }
        assertServiceEntryReadOrRefused(text);
    }

    @Property
    @Label("a valid ServiceEntry with one character changed is read or refused with IllegalArgumentException")
    void mutatedServiceEntry(@ForAll @IntRange(min = 0, max = 2999) int position, @ForAll("replacement") char c) {
        String entry = ServiceEntriesTest.REVIEWS;
        int at = position % entry.length();
        assertServiceEntryReadOrRefused(entry.substring(0, at) + c + entry.substring(at + 1));
    }

    private static void assertServiceEntryReadOrRefused(String text) {
        try {
            assertThat(ServiceEntries.parse("fuzz.yaml", text).value()).isNotNull();
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).startsWith("fuzz.yaml: ");
        }
        try {
            assertThat(ServiceEntries.parseWorkloadEntry("fuzz.yaml", text).value()).isNotNull();
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).startsWith("fuzz.yaml: ");
        }
        try {
            for (YamlNode doc : YamlNode.parseAll("fuzz.yaml", text)) {
                assertThat(doc.source()).startsWith("fuzz.yaml");
            }
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).startsWith("fuzz.yaml: ");
        }
    }
}
