package dev.meridian.xds;

import dev.meridian.core.EndpointTable;
import dev.meridian.lb.LbConfig;
import java.util.Objects;

/**
 * One destination's endpoints from a {@code ClusterLoadAssignment} (EDS): the table keeps each
 * endpoint's priority and its locality's weight; the assignment's policy fields
 * ({@code overprovisioning_factor}, {@code weighted_priority_health}) travel beside it, because
 * Meridian keeps them in {@link LbConfig} as Envoy keeps them per host set.
 *
 * <p>Two assignments are equal when they name the same cluster and policy and their tables list
 * the same endpoints (address, locality, labels, weight, health) in the same order, at the same
 * final priorities with the same locality weights. An endpoint's explicit
 * {@link dev.meridian.core.Endpoint#priority() priority}, an input to locality rules, is not
 * compared: the table's final priority is what Envoy runs.
 *
 * <p>Immutable and thread-safe.
 *
 * @param clusterName the assignment's {@code cluster_name} (the EDS service name), not blank
 * @param table the endpoints at their final priorities with their locality weights
 * @param overprovisioningFactor Envoy's {@code policy.overprovisioning_factor}, percent, at least 1
 * @param weightedPriorityHealth Envoy's {@code policy.weighted_priority_health}
 */
public record LoadAssignment(String clusterName, EndpointTable table, int overprovisioningFactor,
                             boolean weightedPriorityHealth) {

    public LoadAssignment {
        if (clusterName == null || clusterName.isBlank()) {
            throw new IllegalArgumentException("loadAssignment.clusterName: must not be blank, got '" + clusterName
                    + "'");
        }
        if (table == null) {
            throw new IllegalArgumentException("loadAssignment.table: must not be null (cluster " + clusterName + ")");
        }
        if (overprovisioningFactor < 1) {
            throw new IllegalArgumentException("loadAssignment.overprovisioningFactor: must be >= 1 (cluster "
                    + clusterName + "), got '" + overprovisioningFactor + "'");
        }
    }

    /** An assignment with Envoy's default policy: overprovisioning factor 140, priority health by count. */
    public static LoadAssignment of(String clusterName, EndpointTable table) {
        return new LoadAssignment(clusterName, table, LbConfig.DEFAULT_OVERPROVISIONING_FACTOR, false);
    }

    /**
     * {@code base} with this assignment's overprovisioning factor and weighted priority health.
     *
     * @throws IllegalArgumentException when {@code base} is null, or its Envoy release predates
     *     {@code weighted_priority_health} and this assignment sets it
     */
    public LbConfig applyTo(LbConfig base) {
        if (base == null) {
            throw new IllegalArgumentException("base: must not be null");
        }
        return base.toBuilder()
                .overprovisioningFactor(overprovisioningFactor)
                .weightedPriorityHealth(weightedPriorityHealth)
                .build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LoadAssignment a
                && clusterName.equals(a.clusterName)
                && overprovisioningFactor == a.overprovisioningFactor
                && weightedPriorityHealth == a.weightedPriorityHealth
                && sameTable(table, a.table);
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(clusterName, overprovisioningFactor, weightedPriorityHealth, table.size());
        for (int i = 0; i < table.size(); i++) {
            h = 31 * h + table.address(i).hashCode();
            h = 31 * h + table.priority(i);
        }
        return h;
    }

    @Override
    public String toString() {
        return "LoadAssignment[" + clusterName + ", " + table.size() + " endpoints in " + table.priorityCount()
                + " priorities, overprovisioningFactor=" + overprovisioningFactor + ", weightedPriorityHealth="
                + weightedPriorityHealth + ", " + table.endpoints() + "]";
    }

    private static boolean sameTable(EndpointTable x, EndpointTable y) {
        if (x.size() != y.size()) {
            return false;
        }
        for (int i = 0; i < x.size(); i++) {
            if (x.priority(i) != y.priority(i) || x.localityWeight(i) != y.localityWeight(i)
                    || !x.endpoint(i).withPriority(0).equals(y.endpoint(i).withPriority(0))) {
                return false;
            }
        }
        return true;
    }
}
