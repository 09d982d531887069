package dev.meridian.lb.internal;

import java.nio.charset.StandardCharsets;

/**
 * A consistent-hash table for one priority: Envoy's ring hash ({@code ring_hash_lb.cc}, Ketama
 * style) or Maglev ({@code maglev_lb.cc}, "original" table), built from normalized host weights.
 *
 * <p>Immutable and thread-safe; {@link #pick(long)} is allocation-free.
 */
public abstract class HashRing {

    /** The host id for a hash, or -1 when the table is empty. */
    public abstract int pick(long hash);

    /** The fraction of uniformly distributed hashes that reach each listed host, in list order. */
    public abstract double[] fractions(int[] hostIds);

    /** Hosts and their normalized weights, in the order Envoy walks them. */
    public record Weighted(int[] hostIds, String[] addresses, double[] weights) {
        double min() {
            double m = 1.0;
            for (double w : weights) {
                m = Math.min(m, w);
            }
            return m;
        }

        double max() {
            double m = 0.0;
            for (double w : weights) {
                m = Math.max(m, w);
            }
            return m;
        }
    }

    /**
     * Builds a ring: each host gets {@code scale × weight} points hashed from {@code address_i},
     * where the scale gives the lightest host a whole number of points within the size bounds.
     */
    public static HashRing ring(Weighted hosts, int minimumSize, int maximumSize) {
        int n = hosts.hostIds.length;
        if (n == 0) {
            return new Ring(new long[0], new int[0]);
        }
        double minWeight = hosts.min();
        double scale = Math.min(Math.ceil(minWeight * minimumSize) / minWeight, maximumSize);
        int size = (int) Math.ceil(scale);
        long[] hashes = new long[size + n];
        int[] owners = new int[size + n];
        int count = 0;
        double current = 0.0;
        double target = 0.0;
        for (int h = 0; h < n; h++) {
            byte[] prefix = (hosts.addresses[h] + "_").getBytes(StandardCharsets.UTF_8);
            target += scale * hosts.weights[h];
            long i = 0;
            while (current < target) {
                byte[] digits = Long.toString(i).getBytes(StandardCharsets.UTF_8);
                byte[] key = new byte[prefix.length + digits.length];
                System.arraycopy(prefix, 0, key, 0, prefix.length);
                System.arraycopy(digits, 0, key, prefix.length, digits.length);
                if (count == hashes.length) {
                    hashes = java.util.Arrays.copyOf(hashes, count * 2);
                    owners = java.util.Arrays.copyOf(owners, count * 2);
                }
                hashes[count] = XxHash64.hash(key, 0);
                owners[count] = hosts.hostIds[h];
                count++;
                i++;
                current++;
            }
        }
        // Sort points by unsigned hash, carrying their owners along, without boxing: rings can
        // hold millions of points.
        long[] keyed = java.util.Arrays.copyOf(hashes, count);
        int[] sortedOwners = java.util.Arrays.copyOf(owners, count);
        sortUnsigned(keyed, sortedOwners, 0, count - 1);
        return new Ring(keyed, sortedOwners);
    }

    /**
     * Builds a Maglev table of a prime size: hosts sorted by address, each with an offset and a skip
     * from xxHash64 seeds 0 and 1, filling the table in turns proportional to weight.
     */
    public static HashRing maglev(Weighted hosts, int tableSize) {
        int n = hosts.hostIds.length;
        if (n == 0) {
            return new Maglev(new int[0]);
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> compareBytes(hosts.addresses[a], hosts.addresses[b]));
        long[] offset = new long[n];
        long[] skip = new long[n];
        double[] weight = new double[n];
        double[] target = new double[n];
        long[] next = new long[n];
        int[] owner = new int[n];
        for (int i = 0; i < n; i++) {
            int h = order[i];
            byte[] key = hosts.addresses[h].getBytes(StandardCharsets.UTF_8);
            offset[i] = Long.remainderUnsigned(XxHash64.hash(key, 0), tableSize);
            skip[i] = Long.remainderUnsigned(XxHash64.hash(key, 1), tableSize - 1) + 1;
            weight[i] = hosts.weights[h];
            owner[i] = hosts.hostIds[h];
        }
        double maxWeight = hosts.max();
        int[] table = new int[tableSize];
        java.util.Arrays.fill(table, -1);
        int filled = 0;
        for (long iteration = 1; filled < tableSize; iteration++) {
            for (int i = 0; i < n && filled < tableSize; i++) {
                if (iteration * weight[i] < target[i]) {
                    continue;
                }
                target[i] += maxWeight;
                int c = (int) ((offset[i] + skip[i] * next[i]) % tableSize);
                while (table[c] != -1) {
                    next[i]++;
                    c = (int) ((offset[i] + skip[i] * next[i]) % tableSize);
                }
                table[c] = owner[i];
                next[i]++;
                filled++;
            }
        }
        return new Maglev(table);
    }

    /** Quicksort of {@code keys} by unsigned value, moving {@code values} with them. */
    private static void sortUnsigned(long[] keys, int[] values, int lo, int hi) {
        while (lo < hi) {
            if (hi - lo < 16) {
                for (int i = lo + 1; i <= hi; i++) {
                    long k = keys[i];
                    int v = values[i];
                    int j = i - 1;
                    while (j >= lo && Long.compareUnsigned(keys[j], k) > 0) {
                        keys[j + 1] = keys[j];
                        values[j + 1] = values[j];
                        j--;
                    }
                    keys[j + 1] = k;
                    values[j + 1] = v;
                }
                return;
            }
            long pivot = keys[(lo + hi) >>> 1];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (Long.compareUnsigned(keys[i], pivot) < 0) {
                    i++;
                }
                while (Long.compareUnsigned(keys[j], pivot) > 0) {
                    j--;
                }
                if (i <= j) {
                    long tk = keys[i];
                    keys[i] = keys[j];
                    keys[j] = tk;
                    int tv = values[i];
                    values[i] = values[j];
                    values[j] = tv;
                    i++;
                    j--;
                }
            }
            // Recurse into the smaller half, loop on the larger: stack depth stays logarithmic.
            if (j - lo < hi - i) {
                sortUnsigned(keys, values, lo, j);
                lo = i;
            } else {
                sortUnsigned(keys, values, i, hi);
                hi = j;
            }
        }
    }

    private static int compareBytes(String a, String b) {
        byte[] x = a.getBytes(StandardCharsets.UTF_8);
        byte[] y = b.getBytes(StandardCharsets.UTF_8);
        return java.util.Arrays.compareUnsigned(x, y);
    }

    /** Ketama lookup: the first point at or after the hash, wrapping to the first point. */
    static final class Ring extends HashRing {
        final long[] hashes;
        final int[] owners;

        Ring(long[] hashes, int[] owners) {
            this.hashes = hashes;
            this.owners = owners;
        }

        @Override
        public int pick(long hash) {
            int n = hashes.length;
            if (n == 0) {
                return -1;
            }
            int lo = 0;
            int hi = n;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (Long.compareUnsigned(hashes[mid], hash) < 0) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return owners[lo == n ? 0 : lo];
        }

        @Override
        public double[] fractions(int[] hostIds) {
            double[] out = new double[hostIds.length];
            int n = hashes.length;
            if (n == 0) {
                return out;
            }
            java.util.Map<Integer, Integer> index = new java.util.HashMap<>();
            for (int i = 0; i < hostIds.length; i++) {
                index.put(hostIds[i], i);
            }
            // Point i owns the arc (point i-1, point i]; point 0 also owns everything after the last.
            double span = 0x1.0p64;
            for (int i = 0; i < n; i++) {
                double arc;
                if (i == 0) {
                    arc = unsigned(hashes[0]) + 1 + (span - 1 - unsigned(hashes[n - 1]));
                } else {
                    arc = unsigned(hashes[i]) - unsigned(hashes[i - 1]);
                }
                Integer at = index.get(owners[i]);
                if (at != null) {
                    out[at] += arc / span;
                }
            }
            return out;
        }

        private static double unsigned(long v) {
            double d = (double) (v >>> 1) * 2.0;
            return d + (v & 1L);
        }
    }

    /** Maglev lookup: the table entry at {@code hash mod size}. */
    static final class Maglev extends HashRing {
        private final int[] table;

        Maglev(int[] table) {
            this.table = table;
        }

        @Override
        public int pick(long hash) {
            if (table.length == 0) {
                return -1;
            }
            return table[(int) Long.remainderUnsigned(hash, table.length)];
        }

        @Override
        public double[] fractions(int[] hostIds) {
            double[] out = new double[hostIds.length];
            if (table.length == 0) {
                return out;
            }
            java.util.Map<Integer, Integer> index = new java.util.HashMap<>();
            for (int i = 0; i < hostIds.length; i++) {
                index.put(hostIds[i], i);
            }
            for (int owner : table) {
                Integer at = index.get(owner);
                if (at != null) {
                    out[at] += 1.0 / table.length;
                }
            }
            return out;
        }
    }
}
