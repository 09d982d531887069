package dev.meridian.core;

import java.util.concurrent.ThreadLocalRandom;

/** {@link RandomSource} over {@link ThreadLocalRandom}. Thread-safe, allocation-free. */
enum ThreadLocalSource implements RandomSource {
    INSTANCE;

    @Override
    public long nextLong() {
        return ThreadLocalRandom.current().nextLong();
    }
}
