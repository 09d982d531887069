package dev.meridian.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The chi-square tail used by the distribution property, against table values. */
class ChiSquareTest {
    @Test
    @DisplayName("critical values at 0.001 for 1, 5 and 30 degrees of freedom")
    void criticalValues() {
        assertThat(ChiSquare.upperTail(1, 10.828)).isCloseTo(0.001, within(1e-5));
        assertThat(ChiSquare.upperTail(5, 20.515)).isCloseTo(0.001, within(1e-5));
        assertThat(ChiSquare.upperTail(30, 59.703)).isCloseTo(0.001, within(1e-5));
        assertThat(ChiSquare.upperTail(10, 9.342)).isCloseTo(0.5, within(1e-3));
    }
}
