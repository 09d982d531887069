package dev.meridian.core;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The source of every random choice Meridian makes. Injected so that tests and the simulator are
 * exactly repeatable with a seed, while production callers use {@link #threadLocal()}.
 *
 * <p>Implementations used on the pick path must be thread-safe and allocation-free.
 */
public interface RandomSource {

    /** A uniformly distributed 64-bit value. */
    long nextLong();

    /**
     * A uniformly distributed int in {@code [0, bound)}, by Lemire's multiply-and-shift (the tiny
     * bias for bounds far below 2^32 is accepted, as Envoy accepts {@code random() % n}).
     *
     * @param bound greater than 0
     */
    default int nextInt(int bound) {
        return (int) (((nextLong() >>> 32) * bound) >>> 32);
    }

    /** A uniformly distributed double in {@code [0, 1)}. */
    default double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /**
     * A seeded source: SplitMix64 over an atomic counter. Thread-safe and allocation-free; from one
     * thread the sequence is fixed by the seed, from several threads each value is still drawn
     * once, in whatever order the threads arrive.
     */
    static RandomSource seeded(long seed) {
        return new SplitMix64(seed);
    }

    /** {@link ThreadLocalRandom}: thread-safe, allocation-free, not repeatable. */
    static RandomSource threadLocal() {
        return ThreadLocalSource.INSTANCE;
    }
}
