package dev.meridian.lb.internal;

/**
 * Maps a uniformly spread 64-bit value to the item whose stretch of the cumulative weights holds
 * it, in O(1) expected steps: the value {@code u} (read as an unsigned fraction of 2^64) is the
 * point {@code floor(u × total / 2^64)}, and the item is the first whose cumulative weight exceeds
 * it, exactly what a binary search over the cumulative weights returns. A guide table (Chen and
 * Asau's index method) records, for each of {@code 2^k} equal ranges of {@code u}, the first item
 * the range can reach, so a lookup reads one guide entry and scans forward past on average fewer
 * than {@code 1 + n / 2^k} items, with no mispredicted binary-search branches.
 *
 * <p>Immutable and thread-safe.
 */
final class WeightedIndex {
    /** At most 2^14 guide entries (64 KiB); beyond 16,384 items a lookup scans a few more items. */
    private static final int MAX_GUIDE_BITS = 14;

    /** {@code cumulative[i]}: the sum of weights 0..i; the last is the total. */
    final long[] cumulative;
    final long total;
    private final int[] guide;
    private final int shift;

    /** @param cumulative non-decreasing, non-negative, last element positive */
    WeightedIndex(long[] cumulative) {
        this.cumulative = cumulative;
        int n = cumulative.length;
        this.total = cumulative[n - 1];
        int bits = Math.max(1, Math.min(MAX_GUIDE_BITS, 32 - Integer.numberOfLeadingZeros(n - 1)));
        this.shift = 64 - bits;
        this.guide = new int[1 << bits];
        int i = 0;
        for (int b = 0; b < guide.length; b++) {
            long lowest = unsignedMultiplyHigh((long) b << shift, total);
            while (cumulative[i] <= lowest) {
                i++;
            }
            guide[b] = i;
        }
    }

    /** The first index whose cumulative weight exceeds {@code floor(u × total / 2^64)}. */
    int find(long u) {
        long point = unsignedMultiplyHigh(u, total);
        int i = guide[(int) (u >>> shift)];
        while (cumulative[i] <= point) {
            i++;
        }
        return i;
    }

    /** The high 64 bits of the unsigned 128-bit product; {@code y} is not negative. */
    static long unsignedMultiplyHigh(long x, long y) {
        return Math.multiplyHigh(x, y) + ((x >> 63) & y);
    }
}
