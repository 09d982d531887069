package dev.meridian.lb.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Ring and Maglev tables (ring_hash_lb.cc, maglev_lb.cc) checked against brute force. */
class HashRingTest {

    private static HashRing.Weighted hosts(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[n];
        String[] addresses = new String[n];
        double[] w = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            ids[i] = i;
            addresses[i] = "10.1." + (i / 250) + "." + (i % 250) + ":9000";
            w[i] = 1 + r.nextInt(5);
            sum += w[i];
        }
        for (int i = 0; i < n; i++) {
            w[i] /= sum;
        }
        return new HashRing.Weighted(ids, addresses, w);
    }

    @Test
    @DisplayName("ring_hash_lb.cc: a key goes to the first point at or after it; arcs add up to the whole space")
    void ringLookup() {
        HashRing.Weighted hosts = hosts(300, 1);
        HashRing ring = HashRing.ring(hosts, 1024, 8_388_608);
        double[] fractions = ring.fractions(hosts.hostIds());
        assertThat(java.util.Arrays.stream(fractions).sum()).isCloseTo(1.0, within(1e-9));
        // Weight-proportional within the ring's resolution.
        for (int i = 0; i < 300; i++) {
            assertThat(fractions[i]).isGreaterThan(0);
        }
        HashRing.Ring r = (HashRing.Ring) ring;
        for (int i = 1; i < r.hashes.length; i++) {
            assertThat(Long.compareUnsigned(r.hashes[i - 1], r.hashes[i])).isLessThanOrEqualTo(0);
        }
        SplittableRandom keys = new SplittableRandom(2);
        for (int k = 0; k < 300; k++) {
            long key = keys.nextLong();
            assertThat(r.pick(key)).isEqualTo(bruteForce(ring, hosts, key));
        }
    }

    private static int bruteForce(HashRing ring, HashRing.Weighted hosts, long key) {
        // The owner of the smallest point >= key, else of the smallest point overall, by a scan.
        HashRing.Ring r = (HashRing.Ring) ring;
        int best = -1;
        int lowest = 0;
        for (int i = 0; i < r.hashes.length; i++) {
            if (Long.compareUnsigned(r.hashes[i], r.hashes[lowest]) < 0) {
                lowest = i;
            }
            if (Long.compareUnsigned(r.hashes[i], key) >= 0
                    && (best < 0 || Long.compareUnsigned(r.hashes[i], r.hashes[best]) < 0)) {
                best = i;
            }
        }
        return r.owners[best < 0 ? lowest : best];
    }

    @Test
    @DisplayName("maglev_lb.cc: entries per host follow the weights and fill the whole table")
    void maglevFill() {
        HashRing.Weighted hosts = hosts(50, 3);
        HashRing table = HashRing.maglev(hosts, 65_537);
        double[] fractions = table.fractions(hosts.hostIds());
        assertThat(java.util.Arrays.stream(fractions).sum()).isCloseTo(1.0, within(1e-9));
        for (int i = 0; i < 50; i++) {
            assertThat(fractions[i]).isCloseTo(hosts.weights()[i], within(0.002));
        }
        assertThat(HashRing.maglev(new HashRing.Weighted(new int[0], new String[0], new double[0]), 7).pick(1))
                .isEqualTo(-1);
    }
}
