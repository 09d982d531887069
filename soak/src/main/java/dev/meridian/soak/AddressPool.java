package dev.meridian.soak;

import dev.meridian.core.Locality;
import java.util.HashMap;
import java.util.Map;

/**
 * Every address the soak may put in the endpoint set, numbered 0..{@link #size()}-1, with the
 * locality each normally runs in. The harness keeps its per-address state in arrays indexed by this
 * number, and a picker maps a picked handle's address back to it without allocating.
 *
 * <p>Immutable and thread-safe.
 */
final class AddressPool {

    /** The caller runs in the first locality; the others are its region's other zone and two more regions. */
    static final Locality[] LOCALITIES = {
        Locality.of("r1", "z1", ""), Locality.of("r1", "z2", ""),
        Locality.of("r2", "z1", ""), Locality.of("r2", "z2", ""), Locality.of("r3", "z1", "")};

    private final String[] addresses;
    private final int[] homeLocality;
    private final Map<String, Integer> ids;

    /** @param perLocality addresses that normally run in each locality */
    AddressPool(int perLocality) {
        int n = perLocality * LOCALITIES.length;
        addresses = new String[n];
        homeLocality = new int[n];
        ids = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            int locality = i % LOCALITIES.length;
            addresses[i] = "10." + (locality + 1) + ".0." + (i / LOCALITIES.length + 1) + ":8080";
            homeLocality[i] = locality;
            ids.put(addresses[i], i);
        }
    }

    int size() {
        return addresses.length;
    }

    String address(int id) {
        return addresses[id];
    }

    int homeLocality(int id) {
        return homeLocality[id];
    }

    /** The number of an address, or -1 for one the pool never handed out. Allocation-free. */
    int id(String address) {
        Integer id = ids.get(address);
        return id == null ? -1 : id;
    }
}
