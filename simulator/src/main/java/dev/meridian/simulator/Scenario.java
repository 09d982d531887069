package dev.meridian.simulator;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.core.IstioRelease;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.istio.KubernetesService;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.Caller;
import java.util.List;
import java.util.Map;
import dev.meridian.core.NanoClock;

/**
 * A validated scenario: the caller, the destination's endpoints (already narrowed to the pinned
 * subset, if any), the translated mesh policy, and the raw {@code simulation:} section. A scenario
 * from a control plane's assignment ({@link #fromControlPlane}) has no mesh policy: its caller runs
 * the priorities, locality weights and cluster settings it was given.
 *
 * <p>Immutable and thread-safe.
 */
public final class Scenario {
    private final String source;
    private final String name;
    private final String description;
    private final Caller caller;
    private final String host;
    private final String subset;
    private final List<Endpoint> endpoints;
    private final DestinationPolicy policy;
    private final Map<String, Object> simulation;
    private final List<String> warnings;
    private final List<OutcomeEvent> history;
    private final long planAtNanos;
    private final LocalCluster localCluster;
    private final KubernetesService service;
    private final CallerMode callerMode;
    private final EnvoySettings envoy;
    private final ControlPlaneAssignment controlPlane;

    Scenario(String source, String name, String description, Caller caller, String host, String subset,
             List<Endpoint> endpoints, DestinationPolicy policy, Map<String, Object> simulation, List<String> warnings,
             List<OutcomeEvent> history, long planAtNanos, LocalCluster localCluster, KubernetesService service,
             CallerMode callerMode, EnvoySettings envoy) {
        this(source, name, description, caller, host, subset, endpoints, policy, simulation, warnings, history,
                planAtNanos, localCluster, service, callerMode, envoy, null);
    }

    private Scenario(String source, String name, String description, Caller caller, String host, String subset,
                     List<Endpoint> endpoints, DestinationPolicy policy, Map<String, Object> simulation,
                     List<String> warnings, List<OutcomeEvent> history, long planAtNanos, LocalCluster localCluster,
                     KubernetesService service, CallerMode callerMode, EnvoySettings envoy,
                     ControlPlaneAssignment controlPlane) {
        this.source = source;
        this.name = name;
        this.description = description;
        this.caller = caller;
        this.host = host;
        this.subset = subset;
        this.endpoints = List.copyOf(endpoints);
        this.policy = policy;
        this.simulation = simulation;
        this.warnings = List.copyOf(warnings);
        this.history = List.copyOf(history);
        this.planAtNanos = planAtNanos;
        this.localCluster = localCluster;
        this.service = service;
        this.callerMode = callerMode;
        this.envoy = envoy;
        this.controlPlane = controlPlane;
    }

    /**
     * A scenario whose caller runs what an xDS control plane sent it for one destination, as an
     * Envoy does: the endpoints at the priorities and with the locality weights of the table, the
     * balancing and the outlier detection as given. No Istio rule is applied ({@link #callerMode()}
     * is {@link CallerMode#XDS}, the plan's locality mode
     * {@link dev.meridian.topology.PriorityAssignment#MODE_CONTROL_PLANE}). When a simulation
     * removes endpoints and adds them back, each returns at the priority and with the locality
     * weight it was sent with. The scenario has no {@code simulation:} section: a run uses the
     * simulator's defaults unless the caller parses a plan of its own.
     *
     * @param source where the assignment came from (a file), for reports and messages
     * @param description one line for the report's header
     * @param callerLocality the caller's locality (an Envoy's {@code node.locality}), or
     *     {@link Locality#UNKNOWN}
     * @param destination the destination's name (the Envoy cluster), not blank
     * @param table the endpoints as sent: each one's priority and its locality's weight
     * @param lb the balancing Envoy runs, with the assignment's overprovisioning factor and
     *     priority-health rule
     * @param outlierDetection the cluster's outlier detection, or null when it has none
     * @param warnings what of the control plane's resources the scenario does not carry, one line each
     * @throws IllegalArgumentException naming the argument when one is missing
     */
    public static Scenario fromControlPlane(String source, String description, Locality callerLocality,
                                            String destination, EndpointTable table, LbConfig lb,
                                            OutlierDetectionConfig outlierDetection, List<String> warnings) {
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("source: must not be blank, got '" + source + "'");
        }
        if (destination == null || destination.isBlank()) {
            throw new IllegalArgumentException("destination: must not be blank, got '" + destination + "'");
        }
        if (table == null || lb == null) {
            throw new IllegalArgumentException("table and lb: must not be null (destination " + destination + ")");
        }
        Caller caller = Caller.at(callerLocality == null ? Locality.UNKNOWN : callerLocality);
        return new Scenario(source, destination, description == null ? "" : description, caller, destination, null,
                table.endpoints(), null, Map.of(), warnings == null ? List.of() : warnings, List.of(), 0, null,
                KubernetesService.NONE, CallerMode.XDS, EnvoySettings.NONE,
                new ControlPlaneAssignment(table, lb, outlierDetection));
    }

    /** Envoy-side settings Istio does not write ({@code envoy:}), {@link EnvoySettings#NONE} when absent. */
    public EnvoySettings envoy() {
        return envoy;
    }

    /** The destination's Kubernetes Service ({@code service:}), {@link KubernetesService#NONE} when absent. */
    public KubernetesService service() {
        return service;
    }

    /** How the callers reach the destination ({@code caller.mode}). */
    public CallerMode callerMode() {
        return callerMode;
    }

    /** The caller's own cluster for zone-aware routing ({@code localCluster:}), or null. */
    public LocalCluster localCluster() {
        return localCluster;
    }

    /** Request outcomes to replay before planning ({@code history:}), sorted by time. */
    public List<OutcomeEvent> history() {
        return history;
    }

    /** The virtual time at which {@code plan} explains the decision ({@code planAt:}, default the last history entry). */
    public long planAtNanos() {
        return planAtNanos;
    }

    /** Where the scenario came from: a file path or {@code built-in scenario 'NAME'}. */
    public String source() {
        return source;
    }

    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    /** The scenario's caller (the {@code caller:} section). */
    public Caller caller() {
        return caller;
    }

    /** The DestinationRule's {@code spec.host}, or null when the scenario has no rule. */
    public String host() {
        return host;
    }

    /** The pinned subset, or null. */
    public String subset() {
        return subset;
    }

    /** The destination's endpoints, narrowed to the subset when one is pinned. */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /**
     * The Istio release whose rules apply ({@code mesh.istioVersion}, default {@code IstioRelease.LATEST});
     * null for a scenario {@link #fromControlPlane from a control plane}, where no Istio rule applies.
     */
    public IstioRelease istioRelease() {
        return policy == null ? null : policy.release();
    }

    /**
     * The Envoy release (1.x) whose rules apply: the one the Istio release ships, or the one the
     * control plane's cluster settings were read for.
     */
    public int envoyMinor() {
        return controlPlane != null ? controlPlane.lb().envoyRelease() : policy.release().envoyMinor();
    }

    /** The destination port the caller uses ({@code caller.port}), or null when not given. */
    public Integer callerPort() {
        return policy == null ? null : policy.port();
    }

    /** The translated policy; null for a scenario {@link #fromControlPlane from a control plane}. */
    public DestinationPolicy policy() {
        return policy;
    }

    /** The raw {@code simulation:} section, or an empty map. */
    public Map<String, Object> simulation() {
        return simulation;
    }

    /** Warnings from reading the scenario and translating its Istio configuration. */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * A client for one caller over the given endpoints, wired from the real library classes.
     *
     * @throws IllegalArgumentException if the endpoints are invalid together (duplicate addresses)
     */
    public MeshClient newClient(Caller forCaller, List<Endpoint> withEndpoints, NanoClock clock, RandomSource random) {
        return newClient(forCaller, withEndpoints, clock, random, EjectionListener.none());
    }

    /** As {@link #newClient(Caller, List, NanoClock, RandomSource)}, telling a listener of every ejection and return. */
    public MeshClient newClient(Caller forCaller, List<Endpoint> withEndpoints, NanoClock clock, RandomSource random,
                                EjectionListener listener) {
        return newClient(forCaller, withEndpoints, clock, random, listener, null);
    }

    /** As above, sharing priority assignments and tables with the other clients given the same {@code shared}. */
    MeshClient newClient(Caller forCaller, List<Endpoint> withEndpoints, NanoClock clock, RandomSource random,
                         EjectionListener listener, MeshClient.Assignments shared) {
        return new MeshClient(policy, forCaller, withEndpoints, clock, random, listener,
                localCluster == null ? null : localCluster.zoneAware(forCaller.locality()), service, callerMode,
                istioRelease(), envoy, controlPlane, shared);
    }
}
