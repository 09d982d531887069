package dev.meridian.topology;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import java.util.List;

/**
 * The outcome of {@link LocalityPriorities#assign}: which Envoy priority and locality weight each
 * endpoint gets for one caller, and why.
 *
 * <p>Immutable and thread-safe.
 *
 * @param applied true when a locality rule changed priorities or weights; false when every
 *     endpoint kept its explicit priority (0 when it has none) and its locality kept the sum of its
 *     endpoint weights
 * @param reason one sentence saying what was decided and why, naming the Istio rule
 * @param mode what was applied: {@link #MODE_NONE} (always when not applied, except
 *     {@link #MODE_CONTROL_PLANE}: priorities a control plane sent, taken as they are),
 *     {@link #MODE_FAILOVER} (proximity priorities, with or without {@code failover} rules),
 *     {@link #MODE_FAILOVER_PRIORITY}, {@link #MODE_FAILOVER_AND_PRIORITY}, {@link #MODE_DISTRIBUTE}
 *     or {@link #MODE_KUBE_PROXY}
 * @param localityWeighted whether Envoy's {@code locality_weighted_lb_config} is on for the cluster,
 *     as Istio sets it: with {@code distribute}, or with outlier detection and {@code failover} or
 *     {@code failoverPriority} rules (istiod's {@code ENABLE_LOCALITY_WEIGHTED_LB_CONFIG}, off by
 *     default, would turn it on for every cluster)
 * @param priorities the priorities in ascending order, each with at least one endpoint
 * @param excluded endpoints that receive no traffic, each with its reason: a {@code distribute} rule's
 *     unmatched localities, endpoints Istio never sends to the sidecar, or those kube-proxy leaves out
 * @param warnings configuration Meridian accepted but where Istio's behaviour is surprising,
 *     nondeterministic or silently ignores something
 */
public record PriorityAssignment(boolean applied, String reason, String mode, boolean localityWeighted,
                                 List<Priority> priorities, List<ExcludedEndpoint> excluded,
                                 List<String> warnings) {

    /** No locality rule was applied. */
    public static final String MODE_NONE = "none";
    /** Istio's {@code applyLocalityFailover}: proximity priorities, with or without {@code failover} rules. */
    public static final String MODE_FAILOVER = "failover";
    /** Istio's {@code applyFailoverPriorities} alone. */
    public static final String MODE_FAILOVER_PRIORITY = "failoverPriority";
    /** {@code failoverPriority} first, then {@code failover} on top. */
    public static final String MODE_FAILOVER_AND_PRIORITY = "failover+failoverPriority";
    /** Istio's {@code applyLocalityWeights}. */
    public static final String MODE_DISTRIBUTE = "distribute";
    /** kube-proxy's endpoint choice for a caller outside the mesh ({@link KubeProxyRouting}). */
    public static final String MODE_KUBE_PROXY = "kube-proxy";
    /**
     * Priorities and locality weights as an xDS control plane sent them in a
     * {@code ClusterLoadAssignment}: Meridian applied no rule of its own, so {@code applied} is false.
     */
    public static final String MODE_CONTROL_PLANE = "control-plane";

    public PriorityAssignment {
        reason = reason == null ? "" : reason;
        mode = mode == null ? MODE_NONE : mode;
        priorities = priorities == null ? List.of() : List.copyOf(priorities);
        excluded = excluded == null ? List.of() : List.copyOf(excluded);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
        int previous = -1;
        for (Priority p : priorities) {
            if (p.priority() <= previous) {
                throw new IllegalArgumentException("priorityAssignment.priorities: must be strictly ascending, got "
                        + p.priority() + " after " + previous);
            }
            previous = p.priority();
        }
    }

    /** Number of endpoints in all priorities (excluded endpoints not counted). */
    public int hostCount() {
        int n = 0;
        for (Priority p : priorities) {
            n += p.hostCount();
        }
        return n;
    }

    /**
     * The priority of the endpoint with this {@code host:port} address, or -1 when it is excluded or
     * unknown. Cold path: scans the groups.
     */
    public int priorityOf(String address) {
        for (Priority p : priorities) {
            for (LocalityGroup g : p.localities()) {
                for (Endpoint e : g.endpoints()) {
                    if (e.address().equals(address)) {
                        return p.priority();
                    }
                }
            }
        }
        return -1;
    }

    /**
     * The endpoint table for the pick path: every endpoint that is not excluded, at its final
     * priority, with its locality group's weight. Host ids follow this assignment's order: priority,
     * then locality group, then endpoint. The table carries the weights whether or not
     * {@link #localityWeighted()} is on; the load balancer decides whether to read them.
     */
    public EndpointTable toTable() {
        EndpointTable.Builder b = EndpointTable.builder();
        for (Priority p : priorities) {
            for (LocalityGroup g : p.localities()) {
                for (Endpoint e : g.endpoints()) {
                    b.add(e, p.priority(), g.weight());
                }
            }
        }
        return b.build();
    }
}
