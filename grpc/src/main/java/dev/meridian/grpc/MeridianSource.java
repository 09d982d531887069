package dev.meridian.grpc;

import io.grpc.Status;

/**
 * Where {@code meridian:///} targets get their endpoints and policy: a directory of Istio YAML
 * ({@link MeshDirectorySource}), an xDS control plane ({@link XdsSource}), Kubernetes
 * ({@link KubernetesSource}), or any other source an application adapts. A source validates its
 * input and delivers either Istio-level services (endpoints and a policy) or what it already decided
 * ({@link DecidedBalancing}); the name resolver turns that into address groups tagged with
 * {@link MeridianAttributes}, and {@code meridian_locality} into {@code Cluster} commands. Data flows
 * one way: source, resolver, balancer.
 *
 * <p>Implementations must be thread-safe: {@link #watch} may be called from any thread, and a watch's
 * listener may be called from any thread, but never concurrently with itself for one watch, and the
 * last call always carries the newest state.
 */
public interface MeridianSource {

    /**
     * Starts delivering one service: at once (or as soon as the source knows) either
     * {@link Listener#onService} or {@link Listener#onError}, then again whenever it changes.
     *
     * @param service the name as written in the target ({@code reviews}, {@code reviews:9080},
     *     {@code reviews.default.svc.cluster.local} or an Istio cluster name
     *     {@code outbound|9080||reviews.default.svc.cluster.local})
     * @return the watch; closing it stops the deliveries
     */
    Watch watch(String service, Listener listener);

    /** Receives one service's state. */
    interface Listener {

        /** The service's current endpoints and policy; replaces whatever came before. */
        void onService(ResolvedService service);

        /**
         * The service cannot be resolved (unknown name, unreadable source); {@code UNAVAILABLE} with a
         * description naming the service and the cause. A channel keeps endpoints it already has.
         */
        void onError(Status error);
    }

    /** One running delivery. Thread-safe. */
    interface Watch extends AutoCloseable {

        /** Asks for the current state again (the channel's {@code refresh()}); a no-op by default. */
        default void refresh() {
        }

        /** Stops the deliveries; idempotent. */
        @Override
        void close();
    }
}
