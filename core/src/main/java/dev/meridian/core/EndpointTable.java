package dev.meridian.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable endpoint set laid out for the pick path: endpoints are numbered by an {@code int}
 * host id, and every per-host attribute sits in a primitive array indexed by it. Localities are
 * interned to small ints at build time.
 *
 * <p>Each endpoint carries its final Envoy priority (after any locality rule has been applied) and
 * the weight of its locality within that priority (Envoy's {@code LocalityLbEndpoints
 * .load_balancing_weight}), or 0 when no locality weight was given.
 *
 * <p>Immutable and thread-safe: built once on the cold path, then only read. The accessors return
 * the stored values without copying or allocating; the arrays themselves are never exposed.
 */
public final class EndpointTable {

    private static final EndpointTable EMPTY = new Builder().build();

    private final Endpoint[] endpoints;
    private final String[] addresses;
    private final int[] localityIds;
    private final int[] weights;
    private final int[] priorities;
    private final int[] localityWeights;
    private final byte[] health;
    private final Locality[] localities;
    private final int priorityCount;
    private final Map<String, Integer> idByAddress;
    private final IdentityHashMap<Endpoint, Integer> idByEndpoint;

    private EndpointTable(Builder b) {
        int n = b.endpoints.size();
        endpoints = b.endpoints.toArray(new Endpoint[0]);
        addresses = new String[n];
        localityIds = new int[n];
        weights = new int[n];
        priorities = new int[n];
        localityWeights = new int[n];
        health = new byte[n];
        Map<Locality, Integer> interned = new HashMap<>();
        List<Locality> localityList = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>(n * 2);
        int maxPriority = -1;
        for (int i = 0; i < n; i++) {
            Endpoint e = endpoints[i];
            addresses[i] = e.address();
            Integer previous = ids.putIfAbsent(addresses[i], i);
            if (previous != null) {
                throw new IllegalArgumentException("endpoints[" + i + "].address: duplicate '" + e.address()
                        + "' (also endpoints[" + previous + "])");
            }
            Integer lid = interned.get(e.locality());
            if (lid == null) {
                lid = localityList.size();
                interned.put(e.locality(), lid);
                localityList.add(e.locality());
            }
            localityIds[i] = lid;
            weights[i] = e.weight();
            priorities[i] = b.priorities.get(i);
            localityWeights[i] = b.localityWeights.get(i);
            health[i] = (byte) e.health().ordinal();
            maxPriority = Math.max(maxPriority, priorities[i]);
        }
        checkGroupWeights(maxPriority + 1, localityList.size());
        localities = localityList.toArray(new Locality[0]);
        priorityCount = maxPriority + 1;
        idByAddress = Collections.unmodifiableMap(ids);
        idByEndpoint = new IdentityHashMap<>(n);
        for (int i = 0; i < n; i++) {
            idByEndpoint.putIfAbsent(endpoints[i], i);
        }
    }

    /**
     * Every endpoint of one locality in one priority must carry the same locality weight. Checked
     * with one int per (priority, locality) pair in use, falling back to a map when that grid would
     * be large, so that building a large table costs no boxing per endpoint.
     */
    private void checkGroupWeights(int priorityCount, int localityCount) {
        long cells = (long) priorityCount * localityCount;
        if (cells <= 4L * endpoints.length + 1024) {
            int[] first = new int[(int) cells];  // host id + 1 of the first endpoint of each group
            for (int i = 0; i < endpoints.length; i++) {
                int cell = priorities[i] * localityCount + localityIds[i];
                if (first[cell] == 0) {
                    first[cell] = i + 1;
                } else {
                    checkSameWeight(i, first[cell] - 1);
                }
            }
        } else {
            Map<Long, Integer> first = new HashMap<>();
            for (int i = 0; i < endpoints.length; i++) {
                Integer j = first.putIfAbsent(((long) priorities[i] << 32) | localityIds[i], i);
                if (j != null) {
                    checkSameWeight(i, j);
                }
            }
        }
    }

    private void checkSameWeight(int i, int firstOfGroup) {
        if (localityWeights[i] != localityWeights[firstOfGroup]) {
            throw new IllegalArgumentException("endpoints[" + i + "].localityWeight: " + localityWeights[i]
                    + " differs from " + localityWeights[firstOfGroup] + " given for locality '"
                    + endpoints[i].locality() + "' at priority " + priorities[i]);
        }
    }

    /** The table with no endpoints. */
    public static EndpointTable empty() {
        return EMPTY;
    }

    /** A table of the given endpoints, each at its explicit priority (0 when it has none), no locality weights. */
    public static EndpointTable of(List<Endpoint> endpoints) {
        Builder b = builder();
        for (Endpoint e : endpoints) {
            b.add(e);
        }
        return b.build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Number of endpoints; host ids run from 0 to {@code size() - 1}. */
    public int size() {
        return endpoints.length;
    }

    /** The endpoint with this host id. */
    public Endpoint endpoint(int hostId) {
        return endpoints[hostId];
    }

    /** The interned locality id of a host. */
    public int localityId(int hostId) {
        return localityIds[hostId];
    }

    /** The host's load-balancing weight. */
    public int weight(int hostId) {
        return weights[hostId];
    }

    /** The host's final Envoy priority. */
    public int priority(int hostId) {
        return priorities[hostId];
    }

    /** The weight of the host's locality within its priority, or 0 when none was given. */
    public int localityWeight(int hostId) {
        return localityWeights[hostId];
    }

    /** The host's reported health. */
    public HealthStatus health(int hostId) {
        return HealthStatus.ofOrdinal(health[hostId]);
    }

    /** Number of distinct localities. */
    public int localityCount() {
        return localities.length;
    }

    /** The locality with this interned id. */
    public Locality locality(int localityId) {
        return localities[localityId];
    }

    /** One more than the highest priority in use; 0 for an empty table. */
    public int priorityCount() {
        return priorityCount;
    }

    /** The host's {@code host:port} address, built once with the table. */
    public String address(int hostId) {
        return addresses[hostId];
    }

    /**
     * The host id in this table of host {@code hostId} of table {@code from}, matched by address, or
     * -1 when this table does not have it. Cold path, used to carry per-host state across updates:
     * when both tables list an endpoint at the same position (the usual endpoint update, which
     * changes a few hosts of many) this compares two strings; otherwise it looks up a hash map.
     */
    public int idOf(EndpointTable from, int hostId) {
        String address = from.addresses[hostId];
        if (hostId < addresses.length && addresses[hostId].equals(address)) {
            return hostId;
        }
        return indexOf(address);
    }

    /**
     * The host id of an endpoint, or -1 when this table does not have it. For an endpoint object of
     * this table (as a pick hands out) this is an identity lookup that allocates nothing; any other
     * object is matched by address, which builds the address string.
     */
    public int idOf(Endpoint endpoint) {
        if (endpoint == null) {
            return -1;
        }
        Integer id = idByEndpoint.get(endpoint);
        return id != null ? id : indexOf(endpoint.address());
    }

    /**
     * Whether the other table lists the same addresses in the same order, so that host ids mean
     * the same hosts in both. Cold path: constant time for a table made by {@link #withHealth} from
     * this one (they share the address array), one comparison per host otherwise.
     */
    public boolean sameHostsAs(EndpointTable other) {
        return other.addresses == addresses || Arrays.equals(other.addresses, addresses);
    }

    /** The host id for a {@code host:port} address, or -1. Cold path: looks up a hash map. */
    public int indexOf(String address) {
        Integer id = idByAddress.get(address);
        return id == null ? -1 : id;
    }

    /** The endpoints in host-id order, as an unmodifiable list. Cold path. */
    public List<Endpoint> endpoints() {
        return Collections.unmodifiableList(Arrays.asList(endpoints));
    }

    /**
     * A copy of this table with one host's reported health changed. Cold path, but cheap: the
     * arrays are copied and the address index is shared, so a health change (the most common
     * endpoint update) costs no hashing or string building per host.
     *
     * @throws IllegalArgumentException when the host id is out of range or the status is null
     */
    public EndpointTable withHealth(int hostId, HealthStatus status) {
        if (hostId < 0 || hostId >= endpoints.length) {
            throw new IllegalArgumentException("hostId: must be 0.." + (endpoints.length - 1) + ", got " + hostId);
        }
        if (status == null) {
            throw new IllegalArgumentException("status: must not be null");
        }
        return new EndpointTable(this, hostId, endpoints[hostId].withHealth(status));
    }

    /** {@link #withHealth}: this table with one endpoint replaced by a copy that differs only in health. */
    @SuppressWarnings("unchecked")
    private EndpointTable(EndpointTable from, int hostId, Endpoint replacement) {
        endpoints = from.endpoints.clone();
        endpoints[hostId] = replacement;
        addresses = from.addresses;
        localityIds = from.localityIds;
        weights = from.weights;
        priorities = from.priorities;
        localityWeights = from.localityWeights;
        health = from.health.clone();
        health[hostId] = (byte) replacement.health().ordinal();
        localities = from.localities;
        priorityCount = from.priorityCount;
        idByAddress = from.idByAddress;
        idByEndpoint = (IdentityHashMap<Endpoint, Integer>) from.idByEndpoint.clone();
        idByEndpoint.remove(from.endpoints[hostId]);
        idByEndpoint.putIfAbsent(replacement, hostId);
    }

    /** Collects endpoints for a table. Not thread-safe. */
    public static final class Builder {
        private final List<Endpoint> endpoints = new ArrayList<>();
        private final List<Integer> priorities = new ArrayList<>();
        private final List<Integer> localityWeights = new ArrayList<>();

        private Builder() {
        }

        /** Adds an endpoint at its explicit priority (0 when it has none), with no locality weight. */
        public Builder add(Endpoint endpoint) {
            return add(endpoint, Math.max(0, endpoint.priority()), 0);
        }

        /**
         * Adds an endpoint at a final priority with the weight of its locality in that priority.
         *
         * @throws IllegalArgumentException if the priority or the locality weight is out of range
         */
        public Builder add(Endpoint endpoint, int priority, int localityWeight) {
            if (endpoint == null) {
                throw new IllegalArgumentException("endpoints[" + endpoints.size() + "]: must not be null");
            }
            if (priority < 0 || priority > Endpoint.MAX_PRIORITY) {
                throw new IllegalArgumentException("endpoints[" + endpoints.size() + "].priority: must be 0.."
                        + Endpoint.MAX_PRIORITY + ", got " + priority);
            }
            if (localityWeight < 0) {
                throw new IllegalArgumentException("endpoints[" + endpoints.size()
                        + "].localityWeight: must be >= 0, got " + localityWeight);
            }
            endpoints.add(endpoint);
            priorities.add(priority);
            localityWeights.add(localityWeight);
            return this;
        }

        /**
         * Builds the table.
         *
         * @throws IllegalArgumentException on a duplicate address, or on two different locality
         *     weights for one locality in one priority
         */
        public EndpointTable build() {
            return new EndpointTable(this);
        }
    }
}
