package dev.meridian.simulator;

import dev.meridian.core.Endpoint;
import dev.meridian.core.RandomSource;
import dev.meridian.core.IstioRelease;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.istio.KubernetesService;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.topology.Caller;
import java.util.List;
import java.util.Map;
import dev.meridian.core.NanoClock;

/**
 * A validated scenario: the caller, the destination's endpoints (already narrowed to the pinned
 * subset, if any), the translated mesh policy, and the raw {@code simulation:} section.
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

    Scenario(String source, String name, String description, Caller caller, String host, String subset,
             List<Endpoint> endpoints, DestinationPolicy policy, Map<String, Object> simulation, List<String> warnings,
             List<OutcomeEvent> history, long planAtNanos, LocalCluster localCluster, KubernetesService service,
             CallerMode callerMode, EnvoySettings envoy) {
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

    /** The Istio release whose rules apply ({@code mesh.istioVersion}, default {@code IstioRelease.LATEST}). */
    public IstioRelease istioRelease() {
        return policy.release();
    }

    /** The destination port the caller uses ({@code caller.port}), or null when not given. */
    public Integer callerPort() {
        return policy.port();
    }

    /** The translated policy. */
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
                istioRelease(), envoy, shared);
    }
}
