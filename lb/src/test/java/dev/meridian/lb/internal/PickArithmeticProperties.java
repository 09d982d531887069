package dev.meridian.lb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The pick path's shortcuts return exactly what the plain arithmetic returns: the guide-table lookup
 * and the point table the host a binary search over cumulative weights finds (weighted round
 * robin, whose shares follow Envoy's EDF in {@code source/common/upstream/load_balancer_impl.cc}),
 * and the Barrett remainder Envoy's plain rotation index ({@code rr_index_++ % hosts.size()} in the same file).
 */
class PickArithmeticProperties {

    @Property
    void guideTableFindsWhatBinarySearchFinds(
            @ForAll @Size(min = 1, max = 300) List<@IntRange(min = 0, max = 1_000_000) Integer> weights,
            @ForAll long seed) {
        long[] cumulative = new long[weights.size()];
        long sum = 0;
        for (int i = 0; i < cumulative.length; i++) {
            sum += weights.get(i);
            cumulative[i] = sum;
        }
        if (sum == 0) {
            cumulative[cumulative.length - 1] = sum = 1;
        }
        WeightedIndex index = new WeightedIndex(cumulative);
        long u = seed;
        for (int k = 0; k < 200; k++) {
            u = u * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
            long point = WeightedIndex.unsignedMultiplyHigh(u, sum);
            assertThat(index.find(u)).isEqualTo(upperBound(cumulative, point));
        }
        // The ends of the range of u.
        assertThat(index.find(0)).isEqualTo(upperBound(cumulative, 0));
        assertThat(index.find(-1L)).isEqualTo(upperBound(cumulative, sum - 1));
    }

    @Property
    void pointTableFindsWhatBinarySearchFinds(
            @ForAll @Size(min = 2, max = 300) List<@IntRange(min = 1, max = 4) Integer> weights,
            @ForAll long seed) {
        EndpointTable.Builder b = EndpointTable.builder();
        int[] hosts = new int[weights.size()];
        long[] cumulative = new long[weights.size()];
        long sum = 0;
        for (int i = 0; i < hosts.length; i++) {
            b.add(new Endpoint("10.0." + (i >> 8) + "." + (i & 255), 80, Locality.of("r", "z", ""), Map.of(),
                    weights.get(i), HealthStatus.HEALTHY, Endpoint.NO_PRIORITY));
            hosts[i] = i;
            sum += weights.get(i);
            cumulative[i] = sum;
        }
        HostSource source = new HostSource(hosts, b.build(), 0, true);
        assertThat(source.hostAtPoint).isNotNull();
        long seq = seed;
        for (int k = 0; k < 200; k++, seq++) {
            long point = WeightedIndex.unsignedMultiplyHigh(seq * HostSource.GOLDEN_STEP, sum);
            assertThat(source.walk(seq)).isEqualTo(upperBound(cumulative, point));
        }
    }

    @Property
    void barrettRemainderIsTheUnsignedRemainder(@ForAll long value,
                                                @ForAll @IntRange(min = 2, max = Integer.MAX_VALUE) int n) {
        long reciprocal = Long.divideUnsigned(-1L, n);
        for (long v : new long[] {value, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 0, n - 1L, n, value - 1}) {
            assertThat(HostSource.remainder(v, n, reciprocal)).isEqualTo(Long.remainderUnsigned(v, n));
        }
    }

    @Property
    void stripesAreAPowerOfTwoUpTo64(@ForAll @IntRange(min = 1, max = 4096) int processors) {
        int stripes = 1 << Sequences.stripeBits(processors);
        assertThat(stripes).isBetween(2, 64).isGreaterThanOrEqualTo(Math.min(64, 4 * processors));
    }

    private static int upperBound(long[] cumulative, long point) {
        int lo = 0;
        int hi = cumulative.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] > point) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }
}
