package dev.meridian.outlier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.meridian.core.Clocks;
import dev.meridian.core.RandomSource;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Recording allocates nothing in steady state: measured with the JVM's per-thread allocated-bytes
 * counter ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}), not with timing.
 */
class RecordingAllocationTest {

    private static final int ROUNDS = 200_000;

    @Test
    @DisplayName("record and recordLocalOrigin, by host id or by endpoint, allocate nothing once warm")
    void recordingAllocatesNothing() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean, "needs HotSpot's allocation counter");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) mx;
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "allocation counter unsupported");
        threads.setThreadAllocatedMemoryEnabled(true);

        OutlierDetector plain = OutlierDetector.create(OutlierDetectionConfig.defaults(), Fixtures.hosts(16),
                RandomSource.seeded(1), Clocks.manual(), null);
        OutlierDetector split = OutlierDetector.create(
                OutlierDetectionConfig.builder().splitExternalLocalOriginErrors(true).build(), Fixtures.hosts(16),
                RandomSource.seeded(1), Clocks.manual(), null);
        long threadId = Thread.currentThread().getId();

        drive(plain, split, ROUNDS);
        long before = threads.getThreadAllocatedBytes(threadId);
        long baseline = threads.getThreadAllocatedBytes(threadId) - before;
        before = threads.getThreadAllocatedBytes(threadId);
        drive(plain, split, ROUNDS);
        long allocated = threads.getThreadAllocatedBytes(threadId) - before - baseline;

        assertThat(plain.ejectedCount()).as("the traffic never completes a run").isZero();
        assertThat(split.ejectedCount()).isZero();
        // One allocation per call would be at least 16 bytes x 1.6 million calls.
        assertThat(allocated).as("bytes allocated by %d calls", ROUNDS * 12).isLessThan(1024);
    }

    /** A mix of successes and failures on every path that never reaches a threshold. */
    private static void drive(OutlierDetector plain, OutlierDetector split, int rounds) {
        for (int i = 0; i < rounds; i++) {
            int host = i & 15;
            plain.record(host, 503);
            plain.record(host, 500);
            plain.recordLocalOrigin(host, LocalOriginResult.TIMEOUT);
            plain.record(host, 200);
            split.record(host, 500);
            split.recordLocalOrigin(host, LocalOriginResult.CONNECT_FAILED);
            split.recordLocalOrigin(host, LocalOriginResult.CONNECT_SUCCESS);
            split.record(host, 204);
            plain.record(plain.table().endpoint(host), 502);
            plain.record(plain.table().endpoint(host), 200);
            split.recordLocalOrigin(split.table().endpoint(host), LocalOriginResult.TIMEOUT);
            split.recordLocalOrigin(split.table().endpoint(host), LocalOriginResult.CONNECT_SUCCESS);
        }
    }
}
