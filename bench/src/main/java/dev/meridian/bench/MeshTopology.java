package dev.meridian.bench;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import java.util.BitSet;
import java.util.Map;

/**
 * The endpoint set every benchmark balances over, so that Meridian and each peer are handed the same
 * hosts: {@code n} endpoints spread round-robin over 3 regions × 3 zones, seen by a caller in
 * {@code r1/z1}.
 *
 * <p>Priorities follow Istio's default proximity order for that caller: the caller's zone is
 * priority 0, the rest of its region priority 1, other regions priority 2. Host weights cycle through
 * 1..4 and zone {@code zK} has locality weight {@code 4 - K}, so weighted and unweighted policies
 * choose differently. A few hosts are reported degraded and a few more are ejected, as they would be
 * in a live mesh; peers that have no notion of either see those hosts as ordinary.
 *
 * <p>Immutable and thread-safe once built.
 */
public final class MeshTopology {

    /** The caller's region. */
    public static final String CALLER_REGION = "r1";
    /** The caller's zone. */
    public static final String CALLER_ZONE = "z1";
    /** Regions, zones per region, and so localities. */
    public static final int REGIONS = 3;
    public static final int ZONES_PER_REGION = 3;
    public static final int LOCALITIES = REGIONS * ZONES_PER_REGION;

    private final Endpoint[] endpoints;
    private final int[] priorities;
    private final int[] localityWeights;
    private final String[] regions;
    private final String[] zones;
    private final BitSet ejected;

    private MeshTopology(int n) {
        endpoints = new Endpoint[n];
        priorities = new int[n];
        localityWeights = new int[n];
        regions = new String[n];
        zones = new String[n];
        ejected = new BitSet(n);
        for (int i = 0; i < n; i++) {
            int locality = i % LOCALITIES;
            int r = locality / ZONES_PER_REGION + 1;
            int z = locality % ZONES_PER_REGION + 1;
            regions[i] = "r" + r;
            zones[i] = "z" + z;
            HealthStatus health = i % 37 == 5 ? HealthStatus.DEGRADED : HealthStatus.HEALTHY;
            if (i % 41 == 8) {
                ejected.set(i);
            }
            String address = "10." + r + "." + (i >>> 16 & 0xff) + "." + (i >>> 8 & 0xff) + ":" + (8000 + (i & 0xff));
            endpoints[i] = Endpoint.parseAddress(address, Locality.of(regions[i], zones[i], ""),
                    Map.of("app", "reviews"), 1 + i % 4, health, Endpoint.NO_PRIORITY);
            priorities[i] = r != 1 ? 2 : z != 1 ? 1 : 0;
            localityWeights[i] = 4 - z;
        }
    }

    /**
     * The topology of {@code n} endpoints.
     *
     * @throws IllegalArgumentException if {@code n} is not 1..1,000,000
     */
    public static MeshTopology of(int n) {
        if (n < 1 || n > 1_000_000) {
            throw new IllegalArgumentException("endpoints: must be 1..1000000, got " + n);
        }
        return new MeshTopology(n);
    }

    public int size() {
        return endpoints.length;
    }

    public Endpoint endpoint(int i) {
        return endpoints[i];
    }

    /** A copy of the endpoints, in host-id order. */
    public Endpoint[] endpoints() {
        return endpoints.clone();
    }

    public String region(int i) {
        return regions[i];
    }

    public String zone(int i) {
        return zones[i];
    }

    /** The host's weight (1..4). */
    public int weight(int i) {
        return endpoints[i].weight();
    }

    /** The host's Istio proximity priority for a caller in r1/z1. */
    public int priority(int i) {
        return priorities[i];
    }

    /** The weight of the host's locality. */
    public int localityWeight(int i) {
        return localityWeights[i];
    }

    /** True when the host is reported degraded. */
    public boolean degraded(int i) {
        return endpoints[i].health() == HealthStatus.DEGRADED;
    }

    /** The hosts the outlier detector would have ejected (a copy). */
    public BitSet ejected() {
        return (BitSet) ejected.clone();
    }

    /** Meridian's table: final priorities and locality weights as the topology module would set them. */
    public EndpointTable table(boolean withLocalityWeights) {
        EndpointTable.Builder b = EndpointTable.builder();
        for (int i = 0; i < endpoints.length; i++) {
            b.add(endpoints[i], priorities[i], withLocalityWeights ? localityWeights[i] : 0);
        }
        return b.build();
    }
}
