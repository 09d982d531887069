package dev.meridian.lb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** xxHash64 against the reference implementation's published values (seed 0). */
class XxHash64Test {
    @Test
    @DisplayName("XXH64 reference values: empty, short, and longer than one 32-byte stripe")
    void referenceValues() {
        assertThat(XxHash64.hash("", 0)).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(XxHash64.hash("abc", 0)).isEqualTo(0x44BC2CF5AD770999L);
        assertThat(XxHash64.hash("Nobody inspects the spammish repetition", 0)).isEqualTo(0xFBCEA83C8A378BF1L);
    }
}
