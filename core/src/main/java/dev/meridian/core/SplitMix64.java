package dev.meridian.core;

import java.util.concurrent.atomic.AtomicLong;

/**
 * SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014) on an
 * atomic state, so one seeded source may be shared by threads. Thread-safe, allocation-free.
 */
final class SplitMix64 implements RandomSource {
    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;
    private final AtomicLong state;

    SplitMix64(long seed) {
        state = new AtomicLong(seed);
    }

    @Override
    public long nextLong() {
        long z = state.addAndGet(GOLDEN_GAMMA);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return "SplitMix64";
    }
}
