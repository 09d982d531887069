package dev.meridian.istio;

import dev.meridian.core.Endpoint;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.IstioRelease;
import dev.meridian.topology.ExcludedEndpoint;
import dev.meridian.topology.TrafficDistribution;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What Istio reads from the destination's Kubernetes Service (and istiod's settings for it) that
 * changes which endpoints a sidecar is sent and how it balances them: the traffic distribution, the
 * persistent-session label, and whether unhealthy endpoints are sent.
 *
 * <p>Immutable and thread-safe.
 *
 * @param trafficDistribution the Service's {@code spec.trafficDistribution}, or null when unset
 * @param annotations the Service's annotations ({@value #ANNOTATION_TRAFFIC_DISTRIBUTION} is read)
 * @param namespaceAnnotations the namespace's annotations ({@value #ANNOTATION_TRAFFIC_DISTRIBUTION} is
 *     read from Istio 1.30, pull request 58701)
 * @param labels the Service's labels ({@value #LABEL_PERSISTENT_SESSION} is read)
 * @param sendUnhealthyEndpoints istiod's {@code PILOT_SEND_UNHEALTHY_ENDPOINTS}
 *     ({@code pilot/pkg/features/experimental.go} {@code GlobalSendUnhealthyEndpoints}), process-wide
 *     in istiod; Istio has no per-Service annotation for it
 */
public record KubernetesService(String trafficDistribution, Map<String, String> annotations,
                                Map<String, String> namespaceAnnotations, Map<String, String> labels,
                                boolean sendUnhealthyEndpoints) {

    /** Istio's {@code annotation.NetworkingTrafficDistribution}. */
    public static final String ANNOTATION_TRAFFIC_DISTRIBUTION = "networking.istio.io/traffic-distribution";
    /** istiod's {@code PILOT_PERSISTENT_SESSION_LABEL} default: a Service with it keeps DRAINING endpoints. */
    public static final String LABEL_PERSISTENT_SESSION = "istio.io/persistent-session";
    /** istiod's {@code PILOT_PERSISTENT_SESSION_HEADER_LABEL} default. */
    public static final String LABEL_PERSISTENT_SESSION_HEADER = "istio.io/persistent-session-header";
    /** istiod's {@code PILOT_DRAINING_LABEL} default: an endpoint carrying it is DRAINING. */
    public static final String LABEL_DRAINING = "istio.io/draining";

    /** A Service with nothing set: Istio's behaviour for a plain Service. */
    public static final KubernetesService NONE = new KubernetesService(null, Map.of(), Map.of(), Map.of(), false);

    /** @throws IllegalArgumentException naming the field when {@code trafficDistribution} is not a Kubernetes value */
    public KubernetesService {
        TrafficDistribution.parse("service.trafficDistribution", trafficDistribution);
        annotations = copy(annotations);
        namespaceAnnotations = copy(namespaceAnnotations);
        labels = copy(labels);
    }

    /** The field as Kubernetes validates it; what kube-proxy's hints follow (it ignores Istio's annotation). */
    public TrafficDistribution kubernetesTrafficDistribution() {
        return TrafficDistribution.parse("service.trafficDistribution", trafficDistribution);
    }

    /**
     * The traffic distribution Istio resolves for this Service, as {@code GetTrafficDistribution}
     * ({@code pilot/pkg/model/service.go}, 1.30): the spec field, else the Service annotation
     * (case-insensitive; an unknown value is {@code Any}, with a warning), else the namespace
     * annotation. Istio 1.25 and 1.26 knew only {@code PreferClose} (in the field and the annotation),
     * and no Istio before 1.25 reads either. {@link TrafficDistribution#ANY} when Istio sees none.
     *
     * @param warnings where to say what Istio ignored
     */
    public TrafficDistribution istioTrafficDistribution(IstioRelease release, List<String> warnings) {
        if (!release.atLeast(25)) {
            if (trafficDistribution != null || annotations.containsKey(ANNOTATION_TRAFFIC_DISTRIBUTION)) {
                warnings.add("service: Istio " + release + " does not read trafficDistribution or "
                        + ANNOTATION_TRAFFIC_DISTRIBUTION + " (from 1.25, pull request 54715)");
            }
            return TrafficDistribution.ANY;
        }
        boolean current = release.atLeast(27);
        TrafficDistribution spec = kubernetesTrafficDistribution();
        if (spec.prefers() && (current || spec == TrafficDistribution.PREFER_CLOSE)) {
            return spec;
        }
        if (spec.prefers()) {
            warnings.add("service.trafficDistribution: Istio " + release + " knows only PreferClose;"
                    + " " + spec.kubernetesName() + " is read from 1.27 (pull request 56042)");
        }
        TrafficDistribution fromService = annotation("service.annotations", annotations, current, warnings);
        if (fromService != null) {
            return fromService;
        }
        if (release.atLeast(30)) {
            TrafficDistribution fromNamespace = annotation("service.namespaceAnnotations", namespaceAnnotations, current,
                    warnings);
            if (fromNamespace != null) {
                return fromNamespace;
            }
        } else if (namespaceAnnotations.containsKey(ANNOTATION_TRAFFIC_DISTRIBUTION)) {
            warnings.add("service.namespaceAnnotations['" + ANNOTATION_TRAFFIC_DISTRIBUTION + "']: Istio " + release
                    + " does not read it (from 1.30, pull request 58701)");
        }
        return TrafficDistribution.ANY;
    }

    /**
     * Whether Istio sends this Service's not-ready endpoints, as {@code Service.SupportsUnhealthyEndpoints}
     * ({@code pilot/pkg/model/service.go}, 1.30): istiod's {@code PILOT_SEND_UNHEALTHY_ENDPOINTS}, or a
     * traffic distribution Istio acts on (from 1.25, pull request 54715: with it endpoint health, not
     * outlier detection, moves traffic between priorities). When true, Istio also writes the cluster's
     * {@code healthy_panic_threshold} as 0 ({@code cluster_traffic_policy.go} {@code applyLoadBalancer},
     * and {@code applyOutlierDetection} replaces {@code minHealthPercent} with 0).
     */
    public boolean supportsUnhealthyEndpoints(IstioRelease release) {
        return sendUnhealthyEndpoints || istioTrafficDistribution(release, new ArrayList<>()).prefers();
    }

    /**
     * Whether the Service has the {@value #LABEL_PERSISTENT_SESSION} label, the only thing
     * {@code filterIstioEndpoint} checks before sending a DRAINING endpoint (the header label makes
     * Istio mark endpoints DRAINING, {@code SupportsDrainingEndpoints}, but the filter then drops them).
     */
    public boolean persistentSession() {
        return !labels.getOrDefault(LABEL_PERSISTENT_SESSION, "").isEmpty();
    }

    /**
     * The endpoints Istio sends to the sidecar, and those it drops with the reason, as
     * {@code EndpointBuilder.filterIstioEndpoint} (istio/istio
     * {@code pilot/pkg/xds/endpoints/endpoint_builder.go}, 1.30):
     * <ul>
     *   <li>UNHEALTHY (not ready) is dropped unless {@link #supportsUnhealthyEndpoints}; then it is
     *       sent as UNHEALTHY, so Envoy counts it in priority health but never sends it traffic.</li>
     *   <li>TERMINATING is always dropped (from 1.25, pull request 54711; before it Istio had no such
     *       state and a terminating pod was UNHEALTHY, sent only with {@code PILOT_SEND_UNHEALTHY_ENDPOINTS}).</li>
     *   <li>DRAINING, or an endpoint with the {@value #LABEL_DRAINING} label, is dropped unless the
     *       Service has the {@value #LABEL_PERSISTENT_SESSION} label; then it is sent as DRAINING (from
     *       1.16, pull request 40660; before, always dropped).</li>
     * </ul>
     * Other statuses are sent as they are. The order of the endpoints is kept.
     */
    public SentEndpoints sentEndpoints(List<Endpoint> endpoints, IstioRelease release) {
        boolean unhealthyOk = supportsUnhealthyEndpoints(release);
        boolean persistent = persistentSession() && release.atLeast(16);
        List<Endpoint> sent = new ArrayList<>(endpoints.size());
        List<ExcludedEndpoint> excluded = new ArrayList<>();
        for (Endpoint e : endpoints) {
            HealthStatus h = e.health();
            if (h == HealthStatus.TERMINATING && !release.atLeast(25)) {
                h = HealthStatus.UNHEALTHY;
                e = e.withHealth(h);
            }
            boolean drainingLabel = !e.labels().getOrDefault(LABEL_DRAINING, "").isEmpty();
            if (h == HealthStatus.UNHEALTHY && !unhealthyOk) {
                excluded.add(new ExcludedEndpoint(e, "not ready (UNHEALTHY): Istio sends unhealthy endpoints only"
                        + " with istiod's PILOT_SEND_UNHEALTHY_ENDPOINTS or a Service trafficDistribution"
                        + " (endpoint_builder.go filterIstioEndpoint, Service.SupportsUnhealthyEndpoints)"));
            } else if (h == HealthStatus.TERMINATING) {
                excluded.add(new ExcludedEndpoint(e, "terminating: Istio never sends terminating endpoints, even"
                        + " when it sends unhealthy ones (endpoint_builder.go filterIstioEndpoint)"));
            } else if ((h == HealthStatus.DRAINING || drainingLabel) && !persistent) {
                excluded.add(new ExcludedEndpoint(e, (drainingLabel ? "labelled " + LABEL_DRAINING : "DRAINING")
                        + ": Istio sends draining endpoints only to Services labelled " + LABEL_PERSISTENT_SESSION
                        + (release.atLeast(16) ? "" : " (from 1.16)") + " (endpoint_builder.go filterIstioEndpoint)"));
            } else {
                // buildEnvoyLbEndpoint writes DRAINING for a labelled endpoint whatever its status.
                sent.add(drainingLabel ? e.withHealth(HealthStatus.DRAINING) : e);
            }
        }
        return new SentEndpoints(sent, excluded);
    }

    /**
     * The result of {@link #sentEndpoints}: what reaches the sidecar and what Istio dropped.
     *
     * @param sent the endpoints in the sidecar's ClusterLoadAssignment, before locality rules
     * @param excluded the endpoints Istio never sends, each with its reason
     */
    public record SentEndpoints(List<Endpoint> sent, List<ExcludedEndpoint> excluded) {
        public SentEndpoints {
            sent = List.copyOf(sent);
            excluded = List.copyOf(excluded);
        }
    }

    private static TrafficDistribution annotation(String field, Map<String, String> annotations, boolean current,
                                                  List<String> warnings) {
        String value = annotations.getOrDefault(ANNOTATION_TRAFFIC_DISTRIBUTION, "").toLowerCase(Locale.ROOT);
        if (value.isEmpty()) {
            return null;
        }
        for (TrafficDistribution t : TrafficDistribution.values()) {
            if (t.prefers() && t.kubernetesName().toLowerCase(Locale.ROOT).equals(value)
                    && (current || t == TrafficDistribution.PREFER_CLOSE)) {
                return t;
            }
        }
        warnings.add(field + "['" + ANNOTATION_TRAFFIC_DISTRIBUTION + "']: Istio does not know '"
                + annotations.get(ANNOTATION_TRAFFIC_DISTRIBUTION) + "' and treats it as no preference"
                + " (GetTrafficDistribution)");
        return TrafficDistribution.ANY;
    }

    private static Map<String, String> copy(Map<String, String> m) {
        return m == null || m.isEmpty() ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(m));
    }
}
