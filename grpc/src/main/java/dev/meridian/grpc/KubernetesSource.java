package dev.meridian.grpc;

import dev.meridian.core.IstioRelease;
import dev.meridian.istio.CallerProxy;
import dev.meridian.kubernetes.EndpointUpdate;
import dev.meridian.kubernetes.KubernetesEndpointSource;
import dev.meridian.kubernetes.KubernetesSourceListener;
import dev.meridian.kubernetes.KubernetesWarning;
import dev.meridian.topology.Caller;
import dev.meridian.topology.LocalityLbSetting;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Status;
import java.util.concurrent.CancellationException;
import java.util.regex.Pattern;

/**
 * A {@link MeridianSource} over Kubernetes: each watched service is a Service, watched by its own
 * {@link KubernetesEndpointSource} in listener mode (its EndpointSlices, the Nodes' topology labels,
 * the Service, optionally its DestinationRules), and each {@link EndpointUpdate} is delivered as
 * {@link ResolvedService#ofDecided decided}: the caller's priorities, the balancing and the outlier
 * detection as the chosen proxy ({@link CallerProxy#SIDECAR} or {@link CallerProxy#KUBE_PROXY}) would
 * run them for this source's {@link Builder#caller caller}; {@code meridian_locality} runs them as
 * they are. The channel's {@link MeridianNameResolverProvider#CALLER} plays no part.
 *
 * <p>Names, as a pod's DNS resolves them: {@code NAME} (in the {@link Builder#namespace default
 * namespace}), {@code NAME.NAMESPACE}, {@code NAME.NAMESPACE.svc} or
 * {@code NAME.NAMESPACE.svc.CLUSTER_DOMAIN}, each optionally with {@code :PORT}, a Service port's
 * name or number; without one, the Service's only port. An Istio cluster name
 * {@code outbound|PORT||NAME.NAMESPACE.svc.cluster.local} (its {@code |} written {@code %7C} in a
 * target) names the same Service and port; subsets are not supported.
 *
 * <p>Until the first update, a watch reports as an {@code UNAVAILABLE} error, naming the Service: a
 * name that is not a Service name, a Service that does not exist, one without the port, a watch that
 * cannot list. After it, the source keeps the last good state as {@link KubernetesEndpointSource}
 * does (a deleted Service empties the endpoints, as Istio removes the cluster), and calls fail at once
 * when there is no endpoint. Every {@link KubernetesWarning} is logged and handed to the
 * {@link Builder#listener}.
 *
 * <p>Thread-safe. Each watch runs its own fabric8 informers (the Nodes' included) on the embedder's
 * client; deliveries come from that watch's informer threads, one at a time.
 */
public final class KubernetesSource implements MeridianSource {

    private static final System.Logger LOG = System.getLogger(KubernetesSource.class.getName());
    /** A Service name: an RFC 1035 label, as Kubernetes validates it. */
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");
    /** A namespace: an RFC 1123 label. */
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    private final KubernetesClient client;
    private final Caller caller;
    private final CallerProxy proxy;
    private final IstioRelease release;
    private final LocalityLbSetting meshLocality;
    private final boolean meshLocalitySet;
    private final boolean watchDestinationRules;
    private final boolean sendUnhealthyEndpoints;
    private final String clusterDomain;
    private final String namespace;
    private final KubernetesSourceListener listener;

    private KubernetesSource(Builder b) {
        this.client = b.client;
        this.caller = b.caller;
        this.proxy = b.proxy;
        this.release = b.release;
        this.meshLocality = b.meshLocality;
        this.meshLocalitySet = b.meshLocalitySet;
        this.watchDestinationRules = b.watchDestinationRules;
        this.sendUnhealthyEndpoints = b.sendUnhealthyEndpoints;
        this.clusterDomain = b.clusterDomain;
        this.namespace = b.namespace;
        this.listener = b.listener;
    }

    /**
     * Starts a source on the embedder's client (its cluster, credentials and transport); the source
     * never closes it.
     *
     * @throws IllegalArgumentException when the client is null
     */
    public static Builder builder(KubernetesClient client) {
        if (client == null) {
            throw new IllegalArgumentException("client: must not be null");
        }
        return new Builder(client);
    }

    /** A Service and port a target names. */
    record ServiceName(String namespace, String name, String port) {
        @Override
        public String toString() {
            return namespace + "/" + name + (port == null ? "" : ":" + port);
        }
    }

    /**
     * Reads a target's service as a Service, its namespace and its port (null for the only one).
     *
     * @throws IllegalArgumentException saying which forms are accepted
     */
    ServiceName parse(String service) {
        String host = service;
        String port = null;
        String[] cluster = service.split("\\|", -1);
        if (cluster.length == 4) {
            if (!cluster[0].equals("outbound") || cluster[1].isEmpty() || cluster[3].isEmpty()) {
                throw unreadable(service);
            }
            if (!cluster[2].isEmpty()) {
                throw new IllegalArgumentException("meridian: '" + service + "': the Kubernetes source has no subsets"
                        + " (subset '" + cluster[2] + "')");
            }
            port = cluster[1];
            host = cluster[3];
        } else if (cluster.length != 1) {
            throw unreadable(service);
        } else {
            int colon = service.lastIndexOf(':');
            if (colon >= 0) {
                port = service.substring(colon + 1);
                host = service.substring(0, colon);
                if (port.isEmpty()) {
                    throw unreadable(service);
                }
            }
        }
        String[] labels = host.split("\\.", -1);
        String ns = labels.length >= 2 ? labels[1] : namespace;
        boolean suffixOk = labels.length <= 2
                || labels[2].equals("svc") && (labels.length == 3 || host.endsWith(".svc." + clusterDomain)
                && labels.length == 3 + clusterDomain.split("\\.").length);
        if (!suffixOk || !DNS_LABEL.matcher(labels[0]).matches() || !NAMESPACE.matcher(ns).matches()) {
            throw unreadable(service);
        }
        return new ServiceName(ns, labels[0], port);
    }

    private IllegalArgumentException unreadable(String service) {
        return new IllegalArgumentException("meridian: '" + service + "' is not a Kubernetes Service name (NAME,"
                + " NAME.NAMESPACE, NAME.NAMESPACE.svc or NAME.NAMESPACE.svc." + clusterDomain + ", optionally with"
                + " :PORT, or outbound|PORT||NAME.NAMESPACE.svc." + clusterDomain + ")");
    }

    @Override
    public Watch watch(String service, Listener target) {
        if (service == null || target == null) {
            throw new IllegalArgumentException("service and listener: must not be null");
        }
        ServiceName name;
        try {
            name = parse(service.strip());
        } catch (IllegalArgumentException e) {
            target.onError(Status.UNAVAILABLE.withDescription(e.getMessage()));
            return () -> { };
        }
        Subscription s = new Subscription(service, name, target);
        KubernetesEndpointSource.Builder b = KubernetesEndpointSource.builder(client)
                .service(name.namespace(), name.name()).caller(caller).proxy(proxy).istioRelease(release)
                .sendUnhealthyEndpoints(sendUnhealthyEndpoints).clusterDomain(clusterDomain).listener(s);
        if (name.port() != null) {
            b.port(name.port());
        }
        if (meshLocalitySet) {
            b.meshLocality(meshLocality);
        }
        if (watchDestinationRules) {
            b.watchDestinationRules(true);
        }
        s.start(b.build());
        return s;
    }

    @Override
    public String toString() {
        return "KubernetesSource[" + client.getMasterUrl() + ", caller " + caller.locality() + ", " + proxy + "]";
    }

    /** One watched Service: its endpoint source's listener; deliveries serialized under its lock. */
    private final class Subscription implements Watch, KubernetesSourceListener {
        private final String service;
        private final ServiceName name;
        private final String serviceField;
        /** The Service's host (and port when named), as the balancer's messages name it. */
        private final String destination;
        private final Listener target;
        // Guarded by this.
        private KubernetesEndpointSource source;
        private boolean delivered;
        private boolean closed;

        Subscription(String service, ServiceName name, Listener target) {
            this.service = service;
            this.name = name;
            this.serviceField = "services/" + name.namespace() + "/" + name.name();
            this.destination = name.name() + "." + name.namespace() + ".svc." + clusterDomain
                    + (name.port() == null ? "" : ":" + name.port());
            this.target = target;
        }

        void start(KubernetesEndpointSource s) {
            synchronized (this) {
                source = s;
            }
            s.start().whenComplete((ok, failure) -> {
                if (failure != null && !(failure instanceof CancellationException)) {
                    synchronized (this) {
                        fail("its watches could not start: " + failure);
                    }
                }
            });
        }

        /** Before the first update the channel hears why it has nothing; after it, the last good state stands. */
        private void fail(String why) {
            if (!delivered && !closed) {
                target.onError(Status.UNAVAILABLE.withDescription("meridian: Kubernetes Service " + name + " ('" + service
                        + "'): " + why));
            }
        }

        @Override
        public void onUpdate(EndpointUpdate update) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                delivered = true;
                target.onService(ResolvedService.ofDecided(destination, new DecidedBalancing(
                        update.assignment().toTable(), update.lbConfig(), update.outlierDetection())));
            }
            try {
                listener.onUpdate(update);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "meridian: the Kubernetes source's listener failed", e);
            }
        }

        @Override
        public void onWarning(KubernetesWarning warning) {
            LOG.log(System.Logger.Level.WARNING, "meridian: Kubernetes Service " + name + ": " + warning);
            try {
                listener.onWarning(warning);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "meridian: the Kubernetes source's listener failed", e);
            }
            // What keeps the first update from coming: no Service, no such port, a watch that cannot list.
            String field = warning.field();
            if (field.equals(serviceField) || field.equals(serviceField + ".spec.ports") || field.startsWith("watch/")) {
                synchronized (this) {
                    fail(warning.toString());
                }
            }
        }

        @Override
        public void close() {
            KubernetesEndpointSource s;
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                s = source;
            }
            if (s != null) {
                s.close();
            }
        }

        @Override
        public String toString() {
            return "KubernetesSource.Watch[" + name + "]";
        }
    }

    /** A Kubernetes source's configuration. Not thread-safe. */
    public static final class Builder {
        private final KubernetesClient client;
        private Caller caller;
        private CallerProxy proxy = CallerProxy.SIDECAR;
        private IstioRelease release = IstioRelease.LATEST;
        private LocalityLbSetting meshLocality;
        private boolean meshLocalitySet;
        private boolean watchDestinationRules;
        private boolean sendUnhealthyEndpoints;
        private String clusterDomain = "cluster.local";
        private String namespace = "default";
        private KubernetesSourceListener listener = KubernetesSourceListener.none();

        private Builder(KubernetesClient client) {
            this.client = client;
        }

        /**
         * The calling workload: its locality (Istio's proximity), labels ({@code failoverPriority}) and,
         * for kube-proxy, its node's {@code kubernetes.io/hostname} label. Required.
         *
         * @throws IllegalArgumentException when null
         */
        public Builder caller(Caller caller) {
            if (caller == null) {
                throw new IllegalArgumentException("caller: must not be null");
            }
            this.caller = caller;
            return this;
        }

        /** Whose rules decide ({@link KubernetesEndpointSource.Builder#proxy}); default {@link CallerProxy#SIDECAR}. */
        public Builder proxy(CallerProxy proxy) {
            if (proxy == null) {
                throw new IllegalArgumentException("proxy: must not be null");
            }
            this.proxy = proxy;
            return this;
        }

        /** The Istio release whose rules apply; default {@link IstioRelease#LATEST}. */
        public Builder istioRelease(IstioRelease release) {
            if (release == null) {
                throw new IllegalArgumentException("istioRelease: must not be null");
            }
            this.release = release;
            return this;
        }

        /** The mesh-wide {@code localityLbSetting} ({@link KubernetesEndpointSource.Builder#meshLocality}); null for none. */
        public Builder meshLocality(LocalityLbSetting setting) {
            this.meshLocality = setting;
            this.meshLocalitySet = true;
            return this;
        }

        /** Whether each watch also watches its namespace's DestinationRules (default false). */
        public Builder watchDestinationRules(boolean watch) {
            this.watchDestinationRules = watch;
            return this;
        }

        /** istiod's {@code PILOT_SEND_UNHEALTHY_ENDPOINTS} (default false). */
        public Builder sendUnhealthyEndpoints(boolean send) {
            this.sendUnhealthyEndpoints = send;
            return this;
        }

        /**
         * The cluster's DNS domain (default {@code cluster.local}).
         *
         * @throws IllegalArgumentException when blank
         */
        public Builder clusterDomain(String domain) {
            if (domain == null || domain.isBlank()) {
                throw new IllegalArgumentException("clusterDomain: must not be blank, got '" + domain + "'");
            }
            this.clusterDomain = domain.strip();
            return this;
        }

        /**
         * The namespace of a target that names none ({@code meridian:///reviews}); default {@code default}.
         *
         * @throws IllegalArgumentException when blank
         */
        public Builder namespace(String namespace) {
            if (namespace == null || namespace.isBlank()) {
                throw new IllegalArgumentException("namespace: must not be blank, got '" + namespace + "'");
            }
            this.namespace = namespace.strip();
            return this;
        }

        /**
         * Hears every watch's updates and warnings (which the source logs too), on informer threads,
         * after the channel was given the update; default none.
         */
        public Builder listener(KubernetesSourceListener listener) {
            this.listener = listener == null ? KubernetesSourceListener.none() : listener;
            return this;
        }

        /**
         * Builds the source; each {@link KubernetesSource#watch} starts its watches.
         *
         * @throws IllegalArgumentException without a caller
         */
        public KubernetesSource build() {
            if (caller == null) {
                throw new IllegalArgumentException("caller: required, got nothing");
            }
            return new KubernetesSource(this);
        }
    }
}
