package dev.meridian.grpc;

import dev.meridian.core.HealthStatus;
import dev.meridian.core.IstioRelease;
import dev.meridian.core.Locality;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.istio.DestinationRule;
import dev.meridian.istio.KubernetesService;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.Caller;
import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import java.util.Map;

/**
 * The attribute keys through which a name resolver tells {@code meridian_locality} what Meridian
 * needs: per address group, where the endpoint runs and how the control plane sees it; per
 * resolution, who is calling and which Istio policy applies. {@link MeridianNameResolverProvider}
 * sets them; any other resolver may set them too, and the policy reads what is there (every key is
 * optional).
 *
 * <p>An address group without {@link #LOCALITY} is read from grpc-java's
 * {@link EquivalentAddressGroup#ATTR_LOCALITY_NAME} when that holds Istio's {@code region/zone/subzone}
 * form; Meridian's resolver sets both, so grpc's per-locality metrics see the same names.
 *
 * <p>Immutable constants; thread-safe.
 */
public final class MeridianAttributes {

    // ---- per address group (EquivalentAddressGroup.getAttributes()) ----

    /** Where the endpoint runs. */
    @EquivalentAddressGroup.Attr
    public static final Attributes.Key<Locality> LOCALITY = Attributes.Key.create("meridian.locality");

    /**
     * The Envoy priority a control plane already assigned for this caller (as in EDS); used as is
     * when the resolution carries {@link #LB_CONFIG} or the policy knows no caller to compute Istio's
     * priorities for.
     */
    @EquivalentAddressGroup.Attr
    public static final Attributes.Key<Integer> PRIORITY = Attributes.Key.create("meridian.priority");

    /** The endpoint's load-balancing weight, 1 to {@link dev.meridian.core.Endpoint#MAX_WEIGHT} (default 1). */
    @EquivalentAddressGroup.Attr
    public static final Attributes.Key<Integer> WEIGHT = Attributes.Key.create("meridian.weight");

    /** The weight of the endpoint's locality within its priority, as EDS carries it (default: none). */
    @EquivalentAddressGroup.Attr
    public static final Attributes.Key<Integer> LOCALITY_WEIGHT = Attributes.Key.create("meridian.localityWeight");

    /** The health the control plane reports (EDS {@code health_status}, a Pod's readiness); default UNKNOWN. */
    @EquivalentAddressGroup.Attr
    public static final Attributes.Key<HealthStatus> HEALTH = Attributes.Key.create("meridian.health");

    /** The endpoint's labels, which Istio's {@code failoverPriority} compares with the caller's. */
    @EquivalentAddressGroup.Attr
    public static final Attributes.Key<Map<String, String>> LABELS = Attributes.Key.create("meridian.labels");

    // ---- per resolution (ResolutionResult / ResolvedAddresses attributes) ----

    /** The calling workload: its locality and labels. The policy's own {@code callerLocality} wins. */
    @NameResolver.ResolutionResultAttr
    public static final Attributes.Key<Caller> CALLER = Attributes.Key.create("meridian.caller");

    /** The destination's policy as Istio would build it (the source's DestinationRule and mesh setting). */
    @NameResolver.ResolutionResultAttr
    public static final Attributes.Key<DestinationPolicy> DESTINATION_POLICY =
            Attributes.Key.create("meridian.destinationPolicy");

    /** The DestinationRules the source knows, by host, for a service config that names one by host. */
    @NameResolver.ResolutionResultAttr
    public static final Attributes.Key<Map<String, DestinationRule>> DESTINATION_RULES =
            Attributes.Key.create("meridian.destinationRules");

    /** The destination as a Kubernetes Service (traffic distribution, persistent sessions); default none. */
    @NameResolver.ResolutionResultAttr
    public static final Attributes.Key<KubernetesService> KUBERNETES_SERVICE =
            Attributes.Key.create("meridian.kubernetesService");

    /** The Istio release whose rules apply; default {@link IstioRelease#LATEST}. */
    @NameResolver.ResolutionResultAttr
    public static final Attributes.Key<IstioRelease> ISTIO_RELEASE = Attributes.Key.create("meridian.istioRelease");

    /**
     * Balancing the source already decided (a control plane's cluster, translated): with it the
     * policy runs the address groups at their {@link #PRIORITY} and {@link #LOCALITY_WEIGHT} with this
     * configuration and {@link #OUTLIER_DETECTION}, as an Envoy runs what its control plane sent, and
     * computes nothing for a caller. {@link MeridianNameResolverProvider} sets it from
     * {@link ResolvedService#decided()}.
     */
    @NameResolver.ResolutionResultAttr
    public static final Attributes.Key<LbConfig> LB_CONFIG = Attributes.Key.create("meridian.lbConfig");

    /** With {@link #LB_CONFIG}: the outlier detection the source decided; absent for none. Ignored without it. */
    @NameResolver.ResolutionResultAttr
    public static final Attributes.Key<OutlierDetectionConfig> OUTLIER_DETECTION =
            Attributes.Key.create("meridian.outlierDetection");

    /** The destination's name as the source knows it (an Istio cluster name), for messages. */
    @NameResolver.ResolutionResultAttr
    public static final Attributes.Key<String> SERVICE_NAME = Attributes.Key.create("meridian.serviceName");

    private MeridianAttributes() {
    }
}
