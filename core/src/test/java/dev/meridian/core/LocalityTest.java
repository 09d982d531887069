package dev.meridian.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LocalityTest {
    @Test
    void parsesIstioSlashForm() {
        assertThat(Locality.parse("us-east1/us-east1-b/rack1")).isEqualTo(Locality.of("us-east1", "us-east1-b", "rack1"));
        assertThat(Locality.parse("us-east1")).isEqualTo(Locality.of("us-east1", "", ""));
        assertThat(Locality.parse("")).isEqualTo(Locality.UNKNOWN);
        assertThat(Locality.parse(null).isUnknown()).isTrue();
    }

    @Test
    void missingFieldsAreEmptyAndPrintTrimmed() {
        Locality regionOnly = Locality.of("r1", null, null);
        assertThat(regionOnly.zone()).isEmpty();
        assertThat(regionOnly).hasToString("r1");
        assertThat(Locality.of("r1", "z1", null)).hasToString("r1/z1");
        assertThat(Locality.of("", "z1", "")).hasToString("/z1");
    }

    @Test
    void rejectsTooManyParts() {
        assertThatThrownBy(() -> Locality.parse("a/b/c/d")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a/b/c/d'");
    }
}
