package dev.meridian.xds.server;

import dev.meridian.core.IstioRelease;
import dev.meridian.topology.LocalityLbSetting;
import java.util.List;

/**
 * What a directory of Istio YAML says about the mesh's endpoints: the services and the clusters
 * istiod would build for them, the mesh-wide locality setting and the Istio release whose rules apply.
 *
 * <p>Immutable and thread-safe; two models read from the same files are equal.
 *
 * @param services the services, ordered by host then port
 * @param clusters every outbound cluster, each service's own first, then its subsets in the rule's order
 * @param meshLocality the mesh config's {@code localityLbSetting} (Istio's default when no mesh config
 *        is given)
 * @param release the Istio release: an IstioOperator's {@code spec.tag}, else {@link IstioRelease#LATEST}
 * @param warnings what was accepted but not modelled, each line starting with its file and YAML path
 */
public record MeshModel(List<MeshService> services, List<MeshCluster> clusters, LocalityLbSetting meshLocality,
                        IstioRelease release, List<String> warnings) {

    /** @throws IllegalArgumentException naming the field when the services or the clusters are null */
    public MeshModel {
        if (services == null) {
            throw new IllegalArgumentException("meshModel.services: must not be null");
        }
        if (clusters == null) {
            throw new IllegalArgumentException("meshModel.clusters: must not be null");
        }
        services = List.copyOf(services);
        clusters = List.copyOf(clusters);
        release = release == null ? IstioRelease.LATEST : release;
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }

    /** The cluster with this name, or null. */
    public MeshCluster cluster(String name) {
        for (MeshCluster c : clusters) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        return null;
    }
}
