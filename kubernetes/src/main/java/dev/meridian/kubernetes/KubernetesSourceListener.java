package dev.meridian.kubernetes;

/**
 * Told what a {@link KubernetesEndpointSource} queued and what it could not use. Both methods are
 * called on the source's recomputation, on a fabric8 informer thread, one call at a time and in
 * order; they must return quickly and must not block on the cluster's control thread (the commands
 * they describe are queued, not yet applied: they take effect at the next
 * {@link dev.meridian.cluster.Cluster#drain()}).
 */
public interface KubernetesSourceListener {

    /** After a recomputation queued commands on the cluster because something that decides picks changed. */
    default void onUpdate(EndpointUpdate update) {
    }

    /** When a watched resource said something the source could not use; the last good state stays. */
    default void onWarning(KubernetesWarning warning) {
    }

    /** A listener that ignores everything. */
    static KubernetesSourceListener none() {
        return new KubernetesSourceListener() {
        };
    }
}
