package dev.meridian.xds.server;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.meridian.core.Locality;
import dev.meridian.topology.Caller;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sidecars that receive the same configuration: one locality and one set of labels, as istiod
 * reads them from a connecting Envoy ({@code setTopologyLabels} in {@code pilot/pkg/xds/ads.go}).
 * Everything Istio's priorities depend on is here: the locality, and the labels that
 * {@code failoverPriority} compares (istiod keys its own EDS cache by the locality and those labels,
 * {@code EndpointBuilder.WriteHash} in {@code pilot/pkg/xds/endpoints/endpoint_builder.go}). Sidecars
 * of one workload in one zone share a group.
 *
 * <p>Immutable and thread-safe.
 *
 * @param locality the sidecar's locality; {@link Locality#UNKNOWN} when the node says nothing
 * @param labels the sidecar's labels, with the ones istiod adds ({@value #LABEL_NETWORK},
 *        {@value #LABEL_CLUSTER}, {@value #LABEL_HOSTNAME}), sorted by key; the locality labels are
 *        derived from the locality where priorities are computed
 */
public record SidecarGroup(Locality locality, Map<String, String> labels) {

    /** Sidecars that say nothing about where they run and carry no labels. */
    public static final SidecarGroup UNKNOWN = new SidecarGroup(Locality.UNKNOWN, Map.of());

    /** The node metadata key of Istio's proxy labels ({@code NodeMetadata.Labels} in {@code pkg/model/proxy.go}). */
    public static final String METADATA_LABELS = "LABELS";
    /** The node metadata key of the proxy's network. */
    public static final String METADATA_NETWORK = "NETWORK";
    /** The node metadata key of the proxy's cluster. */
    public static final String METADATA_CLUSTER_ID = "CLUSTER_ID";
    /** The node metadata key of the proxy's Kubernetes node. */
    public static final String METADATA_NODE_NAME = "NODE_NAME";
    /** The network label istiod adds from {@value #METADATA_NETWORK}. */
    public static final String LABEL_NETWORK = "topology.istio.io/network";
    /** The cluster label istiod adds from {@value #METADATA_CLUSTER_ID}. */
    public static final String LABEL_CLUSTER = "topology.istio.io/cluster";
    /** The host name label istiod adds from {@value #METADATA_NODE_NAME}. */
    public static final String LABEL_HOSTNAME = "kubernetes.io/hostname";

    private static final String LABEL_REGION = "topology.kubernetes.io/region";
    private static final String LABEL_ZONE = "topology.kubernetes.io/zone";
    private static final String LABEL_SUBZONE = "topology.istio.io/subzone";

    public SidecarGroup {
        locality = locality == null ? Locality.UNKNOWN : locality;
        labels = labels == null || labels.isEmpty() ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(labels));
    }

    /**
     * The group of a connecting Envoy, as istiod reads it: the labels from the node metadata's
     * {@value #METADATA_LABELS}; the locality from the labels {@code topology.kubernetes.io/region},
     * {@code /zone} and {@code topology.istio.io/subzone} when any is set, else from the
     * {@code topology.istio.io/locality} or {@code istio-locality} label, else from the node's own
     * {@code locality} ({@code localityFromProxyLabels}); then {@code AugmentLabels} adds the
     * network, cluster and host name labels from the metadata where the labels do not set them.
     *
     * @throws IllegalArgumentException naming the metadata field and its value when it is not what
     *         Istio's proxy metadata holds there (istiod refuses such a node too)
     */
    public static SidecarGroup of(Node node) {
        Struct metadata = node.getMetadata();
        Map<String, String> labels = new TreeMap<>();
        Value raw = metadata.getFieldsMap().get(METADATA_LABELS);
        if (raw != null && !raw.hasNullValue()) {
            if (!raw.hasStructValue()) {
                throw new IllegalArgumentException("node.metadata." + METADATA_LABELS + ": expected a map of strings, got "
                        + shown(raw));
            }
            for (Map.Entry<String, Value> e : raw.getStructValue().getFieldsMap().entrySet()) {
                if (!e.getValue().hasStringValue()) {
                    throw new IllegalArgumentException("node.metadata." + METADATA_LABELS + "." + e.getKey()
                            + ": expected a string, got " + shown(e.getValue()));
                }
                labels.put(e.getKey(), e.getValue().getStringValue());
            }
        }
        Locality locality = localityOf(node, labels);
        addFromMetadata(metadata, METADATA_NETWORK, LABEL_NETWORK, labels, true);
        addFromMetadata(metadata, METADATA_CLUSTER_ID, LABEL_CLUSTER, labels, false);
        addFromMetadata(metadata, METADATA_NODE_NAME, LABEL_HOSTNAME, labels, false);
        return new SidecarGroup(locality, labels);
    }

    /** The caller Meridian computes priorities for: this group's locality and labels. */
    public Caller caller() {
        return new Caller(locality, labels);
    }

    private static Locality localityOf(Node node, Map<String, String> labels) {
        String region = labels.get(LABEL_REGION);
        String zone = labels.get(LABEL_ZONE);
        String subzone = labels.get(LABEL_SUBZONE);
        try {
            if (region != null || zone != null || subzone != null) {
                return Locality.of(region, zone, subzone);
            }
            // GetLocalityLabel, then util.ConvertLocality (split on '/').
            String label = labels.getOrDefault("topology.istio.io/locality", labels.get("istio-locality"));
            if (label != null && !label.isEmpty()) {
                return Locality.parse(label);
            }
            io.envoyproxy.envoy.config.core.v3.Locality l = node.getLocality();
            return Locality.of(l.getRegion(), l.getZone(), l.getSubZone());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("node: locality: " + e.getMessage(), e);
        }
    }

    private static void addFromMetadata(Struct metadata, String key, String label, Map<String, String> labels,
                                        boolean onlyWhenUnset) {
        Value v = metadata.getFieldsMap().get(key);
        if (v == null || v.hasNullValue()) {
            return;
        }
        if (!v.hasStringValue()) {
            throw new IllegalArgumentException("node.metadata." + key + ": expected a string, got " + shown(v));
        }
        String value = v.getStringValue();
        // AugmentLabels: the network label yields to a non-empty label of the proxy's own; the cluster and
        // host name labels are written over whatever the proxy carries.
        if (!value.isEmpty() && (!onlyWhenUnset || labels.getOrDefault(label, "").isEmpty())) {
            labels.put(label, value);
        }
    }

    private static String shown(Value v) {
        return switch (v.getKindCase()) {
            case NUMBER_VALUE -> "the number " + v.getNumberValue();
            case BOOL_VALUE -> "the boolean " + v.getBoolValue();
            case STRING_VALUE -> "'" + v.getStringValue() + "'";
            case LIST_VALUE -> "a list";
            case STRUCT_VALUE -> "a map";
            default -> "nothing";
        };
    }
}
