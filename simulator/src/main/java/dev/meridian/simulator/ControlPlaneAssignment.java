package dev.meridian.simulator;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.LocalityGroup;
import dev.meridian.topology.Priority;
import dev.meridian.topology.PriorityAssignment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What an xDS control plane sent one caller for one destination, taken as it is: the endpoints at
 * their priorities with their localities' weights (the {@code ClusterLoadAssignment}), and the
 * cluster's balancing and outlier detection. A {@link MeshClient} built from it runs these and
 * computes no priorities of its own.
 *
 * <p>Immutable and thread-safe.
 *
 * @param table the endpoints as sent: each one's priority and its locality's weight
 * @param lb the cluster's balancing, with the assignment's overprovisioning factor
 * @param outlierDetection the cluster's outlier detection, or null when it has none
 */
record ControlPlaneAssignment(EndpointTable table, LbConfig lb, OutlierDetectionConfig outlierDetection) {

    static final String REASON = "each endpoint's priority and its locality's weight as the control plane sent"
            + " them (ClusterLoadAssignment): Meridian applies no locality rule of its own";

    /**
     * The sent table narrowed to the endpoints still present (a fault scaled some to zero or back),
     * each at the priority and with the locality weight the control plane gave it, in the order it
     * sent them: what Envoy holds when the control plane sends the same assignment without them.
     *
     * @throws IllegalArgumentException when an endpoint is not in the sent table
     */
    EndpointTable narrowedTo(List<Endpoint> endpoints) {
        if (endpoints.size() == table.size() && endpoints.equals(table.endpoints())) {
            return table;
        }
        Set<String> present = new HashSet<>();
        for (Endpoint e : endpoints) {
            if (table.indexOf(e.address()) < 0) {
                throw new IllegalArgumentException("endpoints: '" + e.address()
                        + "' is not in the control plane's assignment, which the simulation cannot add to");
            }
            present.add(e.address());
        }
        EndpointTable.Builder b = EndpointTable.builder();
        for (int h = 0; h < table.size(); h++) {
            if (present.contains(table.address(h))) {
                b.add(table.endpoint(h), table.priority(h), table.localityWeight(h));
            }
        }
        return b.build();
    }

    /**
     * The table told as priorities and locality groups, for explanations: groups in the order
     * their localities first appear within each priority, each with its weight as sent. Not
     * {@link PriorityAssignment#applied() applied}: the control plane decided.
     */
    PriorityAssignment describe(EndpointTable sent) {
        Map<Integer, Map<Locality, List<Endpoint>>> byPriority = new TreeMap<>();
        Map<Integer, Map<Locality, Integer>> weights = new TreeMap<>();
        for (int h = 0; h < sent.size(); h++) {
            Endpoint e = sent.endpoint(h);
            byPriority.computeIfAbsent(sent.priority(h), p -> new LinkedHashMap<>())
                    .computeIfAbsent(e.locality(), l -> new ArrayList<>()).add(e);
            weights.computeIfAbsent(sent.priority(h), p -> new LinkedHashMap<>())
                    .putIfAbsent(e.locality(), sent.localityWeight(h));
        }
        List<Priority> priorities = new ArrayList<>();
        for (Map.Entry<Integer, Map<Locality, List<Endpoint>>> p : byPriority.entrySet()) {
            List<LocalityGroup> groups = new ArrayList<>();
            for (Map.Entry<Locality, List<Endpoint>> g : p.getValue().entrySet()) {
                groups.add(new LocalityGroup(g.getKey(), weights.get(p.getKey()).get(g.getKey()), g.getValue()));
            }
            priorities.add(new Priority(p.getKey(), groups));
        }
        return new PriorityAssignment(false, REASON, PriorityAssignment.MODE_CONTROL_PLANE, lb.localityWeighted(),
                priorities, List.of(), List.of());
    }
}
