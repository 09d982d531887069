package dev.meridian.soak;

import dev.meridian.cluster.Host;

/**
 * One address failing for a stretch of steps: every request a picker sends it in those steps ends
 * the burst's way. The fields below the mode are the control thread's account of whether the burst
 * must end in an ejection, filled when it starts and checked one step after it ends.
 *
 * <p>The address, mode and steps are immutable and read by any thread; the rest is written and read
 * only by the control thread.
 */
final class Burst {

    /** How a request to the failing address ends. */
    enum Mode {
        /** An HTTP 500: extends the 5xx run only. */
        HTTP_500,
        /** An HTTP 503: extends the 5xx and gateway runs. */
        GATEWAY_503,
        /** A connect failure the caller sees itself (a 503, or a local-origin failure with split errors). */
        CONNECT_FAILED,
        /** A timeout the caller sees itself (a 504, or a local-origin failure with split errors). */
        TIMEOUT,
        /** Half the requests get an HTTP 500, for the success-rate and failure-percentage sweeps. */
        FLAKY_500
    }

    final int address;
    final Mode mode;
    final long firstStep;
    final long lastStep;

    /** Whether the burst must end in an ejection; cleared when something makes that unsure. */
    boolean mustEject;
    /** The address's handle when the burst began; the check holds only while it stays. */
    Host handle;
    /** The pickers' HTTP 500s to the address before the burst. */
    long failuresBefore;
    /** The listener's ejections of the address before the burst. */
    long ejectionsBefore;
    /** Whether the address was ejected when the burst began. */
    boolean ejectedAtStart;
    /** The run length that ejects, as configured when the burst began. */
    int threshold;

    Burst(int address, Mode mode, long firstStep, long lastStep) {
        this.address = address;
        this.mode = mode;
        this.firstStep = firstStep;
        this.lastStep = lastStep;
    }

    @Override
    public String toString() {
        return mode + " on address " + address + " for steps " + firstStep + ".." + lastStep;
    }
}
