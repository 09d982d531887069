package dev.meridian.core;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class RandomSourceProperties {

    @Property(tries = 200)
    void nextIntStaysInBounds(@ForAll long seed, @ForAll @IntRange(min = 1) int bound) {
        RandomSource r = RandomSource.seeded(seed);
        for (int i = 0; i < 50; i++) {
            assertThat(r.nextInt(bound)).isBetween(0, bound - 1);
        }
    }

    @Property(tries = 100)
    void sameSeedSameSequence(@ForAll long seed) {
        RandomSource a = RandomSource.seeded(seed);
        RandomSource b = RandomSource.seeded(seed);
        for (int i = 0; i < 20; i++) {
            assertThat(a.nextLong()).isEqualTo(b.nextLong());
        }
    }

    @Test
    void nextIntIsRoughlyUniform() {
        RandomSource r = RandomSource.seeded(42);
        int[] counts = new int[10];
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            counts[r.nextInt(10)]++;
        }
        // Chi-square with 9 degrees of freedom; 27.88 is the 0.999 quantile.
        double chi = 0;
        for (int c : counts) {
            double d = c - n / 10.0;
            chi += d * d / (n / 10.0);
        }
        assertThat(chi).isLessThan(27.88);
    }

    @Test
    void nextDoubleIsInUnitInterval() {
        RandomSource r = RandomSource.seeded(7);
        for (int i = 0; i < 10_000; i++) {
            assertThat(r.nextDouble()).isGreaterThanOrEqualTo(0.0).isLessThan(1.0);
        }
    }
}
