package dev.meridian.kubernetes;

import dev.meridian.cluster.Cluster;
import dev.meridian.core.Endpoint;
import dev.meridian.core.IstioRelease;
import dev.meridian.istio.CallerProxy;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.istio.DestinationRule;
import dev.meridian.istio.KubernetesService;
import dev.meridian.istio.MeshConfigs;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.KubeProxyRouting;
import dev.meridian.topology.LocalityLbSetting;
import dev.meridian.topology.PriorityAssignment;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Kubernetes as the source of one destination's {@link Cluster} commands: it watches a Service's
 * EndpointSlices (label {@value #LABEL_SERVICE_NAME}), every Node (for the topology labels of the
 * nodes its endpoints run on), the Service itself ({@code spec.trafficDistribution}, annotations,
 * labels, ports) and, when asked, the Istio DestinationRules in the Service's namespace, all with
 * fabric8 informers. On every change that matters it recomputes the endpoint list, the caller's
 * priorities, the balancing and the outlier configuration, exactly as the chosen
 * {@link CallerProxy} would run them, and queues {@link Cluster#update}, {@link Cluster#configure(LbConfig)}
 * and {@link Cluster#configure(OutlierDetectionConfig)} for what changed. It never drains: the
 * embedder's control thread does ({@link Cluster#drain()}, {@link Cluster#runOn}). Built without a
 * target, it queues nothing and only its listener hears each {@link EndpointUpdate}: the mode for an
 * embedder that owns the cluster and turns updates into its commands itself (a gRPC balancer, for one).
 *
 * <pre>{@code
 * Cluster cluster = Cluster.builder(LbConfig.defaults()).build();
 * KubernetesEndpointSource source = KubernetesEndpointSource.builder(client)
 *         .service("shop", "reviews").port("http")
 *         .caller(new Caller(Locality.of("eu-west-1", "eu-west-1a", ""), Map.of()))
 *         .watchDestinationRules(true)
 *         .target(cluster)
 *         .build();
 * source.start();                       // the first commands are queued once every watch has listed
 * cluster.runOn(scheduler, Duration.ofMillis(50));
 * }</pre>
 *
 * <p>Input Kubernetes accepts but Meridian cannot use is reported to the listener as a
 * {@link KubernetesWarning} and never thrown: an invalid DestinationRule keeps the last valid one in
 * force, a Service with no such port keeps the last good state, a lost connection to the API server
 * keeps everything as it was while fabric8 reconnects. A Service that is deleted empties the endpoint
 * set, as Istio removes the cluster.
 *
 * <p><b>Threads.</b> Thread-safe: {@link #start()}, {@link #close()} and {@link #lastUpdate()} may be
 * called from any thread. Recomputations run on fabric8's informer threads, one at a time under one
 * lock, so the cluster receives each recomputation's commands together and in order; a drain that
 * runs while they are being queued may publish the new endpoint set one batch before the new
 * configuration. The listener is called under that lock; an exception it throws goes to the informer
 * thread's uncaught-exception handler, and the source goes on.
 */
public final class KubernetesEndpointSource implements AutoCloseable {

    /** The label the EndpointSlice controller puts on a Service's slices. */
    public static final String LABEL_SERVICE_NAME = "kubernetes.io/service-name";

    /** Istio's DestinationRule resource, as served by {@code networking.istio.io/v1} (Istio 1.22 on). */
    public static final ResourceDefinitionContext DESTINATION_RULES = new ResourceDefinitionContext.Builder()
            .withGroup("networking.istio.io").withVersion("v1").withKind("DestinationRule")
            .withPlural("destinationrules").withNamespaced(true).build();

    private final KubernetesClient client;
    private final String namespace;
    private final String serviceName;
    private final String port;
    private final Caller caller;
    private final CallerProxy proxy;
    private final IstioRelease release;
    private final LocalityLbSetting meshLocality;
    private final DestinationRule fixedRule;
    private final boolean watchRules;
    private final boolean sendUnhealthyEndpoints;
    /** Null when only the listener hears the updates. */
    private final Cluster cluster;
    private final KubernetesSourceListener listener;
    private final String serviceField;

    private final Object lock = new Object();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private volatile EndpointUpdate lastUpdate;

    // Guarded by lock.
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private SharedIndexInformer<EndpointSlice> slices;
    private SharedIndexInformer<Node> nodes;
    private SharedIndexInformer<Service> services;
    private SharedIndexInformer<GenericKubernetesResource> rules;
    private final DestinationRuleSelection ruleSelection;
    private boolean started;
    private boolean synced;
    private boolean closed;
    private KubernetesService lastService;
    private DestinationPolicy lastPolicy;
    private PriorityAssignment lastAssignment;
    private LbConfig lastLb;
    private OutlierDetectionConfig lastOutlier;
    private long sequence;
    private Set<KubernetesWarning> reported = Set.of();

    private KubernetesEndpointSource(Builder b) {
        this.client = b.client;
        this.namespace = b.namespace;
        this.serviceName = b.serviceName;
        this.port = b.port;
        this.caller = b.caller;
        this.proxy = b.proxy;
        this.release = b.release;
        this.meshLocality = b.meshLocality;
        this.fixedRule = b.rule;
        this.watchRules = b.watchRules;
        this.sendUnhealthyEndpoints = b.sendUnhealthyEndpoints;
        this.cluster = b.cluster;
        this.listener = b.listener == null ? KubernetesSourceListener.none() : b.listener;
        this.serviceField = "services/" + namespace + "/" + serviceName;
        this.ruleSelection = new DestinationRuleSelection(namespace, serviceName, b.clusterDomain);
    }

    /**
     * Starts a source's configuration.
     *
     * @throws IllegalArgumentException when the client is null
     */
    public static Builder builder(KubernetesClient client) {
        if (client == null) {
            throw new IllegalArgumentException("client: must not be null");
        }
        return new Builder(client);
    }

    /**
     * Starts the watches. Returns at once; the returned future completes once every watch has listed
     * its resources and the first recomputation has queued its commands (or reported why it could
     * not), and is cancelled by {@link #close()} before that. While the API server cannot be reached
     * fabric8 keeps retrying and each failure is reported as a warning. Calling it again returns the
     * same future.
     *
     * @throws IllegalStateException when the source is closed
     */
    public CompletableFuture<Void> start() {
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("source: closed");
            }
            if (started) {
                return ready;
            }
            started = true;
            slices = watch("endpointslices", client.discovery().v1().endpointSlices().inNamespace(namespace)
                    .withLabel(LABEL_SERVICE_NAME, serviceName).runnableInformer(0), new Changes<>());
            nodes = watch("nodes", client.nodes().runnableInformer(0), new NodeChanges());
            services = watch("services", client.services().inNamespace(namespace).withName(serviceName)
                    .runnableInformer(0), new Changes<>());
            if (watchRules) {
                rules = watch("destinationrules", client.genericKubernetesResources(DESTINATION_RULES)
                        .inNamespace(namespace).runnableInformer(0), new Changes<>());
            }
            for (SharedIndexInformer<?> informer : informers) {
                starts.add(informer.start().toCompletableFuture());
            }
        }
        CompletableFuture.allOf(starts.toArray(new CompletableFuture<?>[0])).whenComplete((ok, failure) -> {
            synchronized (lock) {
                if (failure == null && !closed) {
                    synced = true;
                    recompute();
                }
            }
            if (failure != null) {
                ready.completeExceptionally(failure);
            } else {
                ready.complete(null);
            }
        });
        return ready;
    }

    /** Stops every watch; nothing more is queued. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            for (SharedIndexInformer<?> informer : informers) {
                informer.close();
            }
        }
        ready.cancel(false);
    }

    /**
     * Whether every watch is connected now. False before {@link #start()} has listed, after
     * {@link #close()}, and while fabric8 reconnects a lost watch (which it does on its own and tells no
     * handler): an embedder's readiness check may read it; the last good state stays in the cluster
     * meanwhile.
     */
    public boolean isWatching() {
        synchronized (lock) {
            if (!synced || closed) {
                return false;
            }
            for (SharedIndexInformer<?> informer : informers) {
                if (!informer.isWatching()) {
                    return false;
                }
            }
            return true;
        }
    }

    /** The last update queued, or null before the first. */
    public EndpointUpdate lastUpdate() {
        return lastUpdate;
    }

    private <T> SharedIndexInformer<T> watch(String kind, SharedIndexInformer<T> informer,
                                             ResourceEventHandler<? super T> handler) {
        informer.addEventHandler(handler);
        informer.exceptionHandler((isStarted, failure) -> {
            synchronized (lock) {
                if (closed) {
                    return false;
                }
                warn(new KubernetesWarning("watch/" + kind, failure.getClass().getSimpleName() + ": "
                        + failure.getMessage() + "; fabric8 retries, and the last good state is kept until it"
                        + " lists again"));
                return true;
            }
        });
        informers.add(informer);
        return informer;
    }

    /** Any change to a watched resource: recompute (the result is compared with the last one). */
    private class Changes<T> implements ResourceEventHandler<T> {
        @Override
        public void onAdd(T obj) {
            changed();
        }

        @Override
        public void onUpdate(T oldObj, T newObj) {
            changed();
        }

        @Override
        public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            changed();
        }
    }

    /** Nodes change their status every few seconds; only their labels decide a locality. */
    private final class NodeChanges extends Changes<Node> {
        @Override
        public void onUpdate(Node oldObj, Node newObj) {
            if (!Objects.equals(oldObj.getMetadata().getLabels(), newObj.getMetadata().getLabels())) {
                changed();
            }
        }
    }

    private void changed() {
        synchronized (lock) {
            recompute();
        }
    }

    /** Reads every watched store and queues what changed. Called under the lock. */
    private void recompute() {
        if (!synced || closed) {
            return;
        }
        List<KubernetesWarning> warnings = new ArrayList<>();
        try {
            recompute(warnings);
        } catch (RuntimeException unexpected) {
            warnings.add(new KubernetesWarning("source", "recomputation failed (" + unexpected
                    + "); the last good state is kept"));
        }
        report(warnings);
    }

    private void recompute(List<KubernetesWarning> warnings) {
        Service svc = services.getStore().list().stream()
                .filter(s -> serviceName.equals(s.getMetadata().getName())).findFirst().orElse(null);
        if (svc == null) {
            warnings.add(new KubernetesWarning(serviceField, "not found; "
                    + (lastAssignment == null ? "nothing is queued until it exists"
                    : "the endpoint set is emptied, as Istio removes the cluster of a deleted Service")));
            if (lastAssignment != null) {
                queue(new SliceEndpoints.Read(List.of(), Map.of()), new PriorityAssignment(false,
                        "the Service " + namespace + "/" + serviceName + " is deleted", PriorityAssignment.MODE_NONE,
                        false, List.of(), List.of(), List.of()), lastLb, lastOutlier, null, List.of());
            }
            return;
        }
        ServicePort servicePort = servicePort(svc, warnings);
        if (servicePort == null) {
            return;
        }
        KubernetesService service = kubernetesService(svc, warnings);
        Map<String, String> labels = service.labels();
        boolean supportsDraining = !labels.getOrDefault(KubernetesService.LABEL_PERSISTENT_SESSION, "").isEmpty()
                || !labels.getOrDefault(KubernetesService.LABEL_PERSISTENT_SESSION_HEADER, "").isEmpty();
        String portName = servicePort.getName() == null ? "" : servicePort.getName();
        SliceEndpoints.Read read = SliceEndpoints.read(slices.getStore().list(), portName,
                name -> nodes.getStore().getByKey(name), proxy, supportsDraining, warnings);

        List<String> notes = new ArrayList<>();
        DestinationRule rule = null;
        DestinationPolicy policy = null;
        PriorityAssignment assignment;
        if (proxy == CallerProxy.KUBE_PROXY) {
            assignment = KubeProxyRouting.assign(read.endpoints(), caller, read.hints());
            warnUnhintedDistribution(service, read, warnings);
        } else {
            rule = fixedRule != null ? fixedRule : watchRules ? ruleSelection.select(rules.getStore().list(), warnings)
                    : null;
            policy = policy(rule, servicePort.getPort(), warnings);
            assignment = proxy.assign(policy, read.endpoints(), caller, service, release);
            notes.addAll(policy.notes());
            String serviceNote = policy.serviceNote(service, release);
            if (serviceNote != null) {
                notes.add(serviceNote);
            }
        }
        notes.addAll(assignment.warnings());
        queue(read, assignment, proxy.lbConfig(policy, assignment, service, release), proxy.outlier(policy), rule,
                notes);
    }

    private void queue(SliceEndpoints.Read read, PriorityAssignment assignment, LbConfig lb,
                       OutlierDetectionConfig outlier, DestinationRule rule, List<String> notes) {
        boolean first = lastAssignment == null;
        boolean changed = false;
        // Without a target only the listener hears the update: its embedder owns the cluster.
        if (first || !assignment.equals(lastAssignment)) {
            if (cluster != null) {
                cluster.update(assignment.toTable());
            }
            lastAssignment = assignment;
            changed = true;
        }
        if (lb != null && (first || !lb.equals(lastLb))) {
            if (cluster != null) {
                cluster.configure(lb);
            }
            lastLb = lb;
            changed = true;
        }
        if (first || !Objects.equals(outlier, lastOutlier)) {
            if (cluster != null) {
                cluster.configure(outlier);
            }
            lastOutlier = outlier;
            changed = true;
        }
        if (!changed) {
            return;
        }
        EndpointUpdate update = new EndpointUpdate(++sequence, read.endpoints(), assignment, lastLb, lastOutlier, rule,
                notes);
        lastUpdate = update;
        try {
            listener.onUpdate(update);
        } catch (RuntimeException failure) {
            Thread t = Thread.currentThread();
            t.getUncaughtExceptionHandler().uncaughtException(t, failure);
        }
    }

    /**
     * The Service port the caller uses: by name, or by number. Istio builds one cluster per Service
     * port and kube-proxy one rule set; both match slices to it by the port's name.
     */
    private ServicePort servicePort(Service svc, List<KubernetesWarning> warnings) {
        List<ServicePort> ports = svc.getSpec() == null || svc.getSpec().getPorts() == null ? List.of()
                : svc.getSpec().getPorts();
        if (port == null && ports.size() == 1) {
            return ports.get(0);
        }
        for (ServicePort p : ports) {
            String name = p.getName() == null ? "" : p.getName();
            if (name.equals(port) || p.getPort() != null && Integer.toString(p.getPort()).equals(port)) {
                return p;
            }
        }
        List<String> known = new ArrayList<>();
        for (ServicePort p : ports) {
            known.add((p.getName() == null ? "" : p.getName() + "=") + p.getPort());
        }
        warnings.add(new KubernetesWarning(serviceField + ".spec.ports", (port == null
                ? "no port was named and the Service has " + (ports.isEmpty() ? "none" : "several")
                : "no port named or numbered '" + port + "'") + " (the Service has " + known
                + "); the last good state is kept"));
        return null;
    }

    private KubernetesService kubernetesService(Service svc, List<KubernetesWarning> warnings) {
        String distribution = svc.getSpec() == null ? null : svc.getSpec().getTrafficDistribution();
        Map<String, String> annotations = svc.getMetadata().getAnnotations();
        Map<String, String> labels = svc.getMetadata().getLabels();
        try {
            // Namespace annotations (read by Istio 1.30) are not watched.
            lastService = new KubernetesService(distribution, annotations, Map.of(), labels, sendUnhealthyEndpoints);
        } catch (IllegalArgumentException invalid) {
            warnings.add(new KubernetesWarning(serviceField + ".spec.trafficDistribution", invalid.getMessage()
                    + "; " + (lastService == null ? "read as unset" : "the last valid value is kept")));
            if (lastService == null) {
                lastService = new KubernetesService(null, annotations, Map.of(), labels, sendUnhealthyEndpoints);
            }
        }
        return lastService;
    }

    private DestinationPolicy policy(DestinationRule rule, Integer servicePort, List<KubernetesWarning> warnings) {
        try {
            lastPolicy = DestinationPolicy.from(rule, null, servicePort, meshLocality, release);
        } catch (IllegalArgumentException invalid) {
            String field = rule == null ? serviceField : "destinationrules/" + rule.namespace() + "/" + rule.name();
            warnings.add(new KubernetesWarning(field,
                    invalid.getMessage() + "; " + (lastPolicy == null ? "the Service is balanced as without a rule"
                            : "the last valid policy is kept")));
            if (lastPolicy == null) {
                lastPolicy = DestinationPolicy.from(null, null, servicePort, meshLocality, release);
            }
        }
        return lastPolicy;
    }

    /** kube-proxy reads hints, never the field: say so when the field asks for a preference nobody wrote. */
    private void warnUnhintedDistribution(KubernetesService service, SliceEndpoints.Read read,
                                          List<KubernetesWarning> warnings) {
        if (!service.kubernetesTrafficDistribution().prefers()) {
            return;
        }
        for (Endpoint e : read.endpoints()) {
            if (e.health().isHealthy() && !read.hints().get(e.address()).forZones().isEmpty()) {
                return;
            }
        }
        warnings.add(new KubernetesWarning(serviceField + ".spec.trafficDistribution", service.trafficDistribution()
                + " is set but no ready endpoint carries a zone hint: kube-proxy follows only the hints the"
                + " EndpointSlice controller writes, so every ready endpoint is used"));
    }

    /** Tells the listener of the warnings it was not told at the previous recomputation. */
    private void report(List<KubernetesWarning> warnings) {
        Set<KubernetesWarning> now = new HashSet<>(warnings);
        for (KubernetesWarning w : warnings) {
            if (!reported.contains(w)) {
                warn(w);
            }
        }
        reported = now;
    }

    private void warn(KubernetesWarning w) {
        try {
            listener.onWarning(w);
        } catch (RuntimeException failure) {
            Thread t = Thread.currentThread();
            t.getUncaughtExceptionHandler().uncaughtException(t, failure);
        }
    }

    /** A source's configuration. Not thread-safe. */
    public static final class Builder {
        private final KubernetesClient client;
        private String namespace;
        private String serviceName;
        private String port;
        private Caller caller;
        private CallerProxy proxy = CallerProxy.SIDECAR;
        private IstioRelease release = IstioRelease.LATEST;
        private LocalityLbSetting meshLocality = MeshConfigs.MESH_DEFAULT;
        private DestinationRule rule;
        private boolean watchRules;
        private boolean sendUnhealthyEndpoints;
        private String clusterDomain = "cluster.local";
        private Cluster cluster;
        /** Null for none. */
        private KubernetesSourceListener listener;

        private Builder(KubernetesClient client) {
            this.client = client;
        }

        /** The destination Service (required). */
        public Builder service(String namespace, String name) {
            this.namespace = required("service.namespace", namespace);
            this.serviceName = required("service.name", name);
            return this;
        }

        /**
         * The Service port the caller uses, by name or by number. Default: the Service's only port (a
         * Service with several is reported and waited for, as one without the named port).
         */
        public Builder port(String nameOrNumber) {
            this.port = required("port", nameOrNumber);
            return this;
        }

        /** The caller: its locality, and for kube-proxy its node ({@code kubernetes.io/hostname} label) (required). */
        public Builder caller(Caller caller) {
            if (caller == null) {
                throw new IllegalArgumentException("caller: must not be null");
            }
            this.caller = caller;
            return this;
        }

        /** Whose rules decide (default {@link CallerProxy#SIDECAR}). */
        public Builder proxy(CallerProxy proxy) {
            if (proxy == null) {
                throw new IllegalArgumentException("proxy: must not be null");
            }
            this.proxy = proxy;
            return this;
        }

        /** The Istio release whose rules apply (default {@link IstioRelease#LATEST}). */
        public Builder istioRelease(IstioRelease release) {
            if (release == null) {
                throw new IllegalArgumentException("istioRelease: must not be null");
            }
            this.release = release;
            return this;
        }

        /** The mesh-wide {@code localityLbSetting} (default {@link MeshConfigs#MESH_DEFAULT}); null for none. */
        public Builder meshLocality(LocalityLbSetting setting) {
            this.meshLocality = setting;
            return this;
        }

        /** A DestinationRule given by the embedder, in place of watching them (default: none). */
        public Builder destinationRule(DestinationRule rule) {
            this.rule = rule;
            return this;
        }

        /**
         * Whether to watch {@code networking.istio.io/v1} DestinationRules in the Service's namespace and
         * use the one whose host is the Service (default false).
         */
        public Builder watchDestinationRules(boolean watch) {
            this.watchRules = watch;
            return this;
        }

        /** istiod's {@code PILOT_SEND_UNHEALTHY_ENDPOINTS} (default false, Istio's default). */
        public Builder sendUnhealthyEndpoints(boolean send) {
            this.sendUnhealthyEndpoints = send;
            return this;
        }

        /** The cluster's DNS domain, for DestinationRule hosts (default {@code cluster.local}). */
        public Builder clusterDomain(String domain) {
            this.clusterDomain = required("clusterDomain", domain);
            return this;
        }

        /**
         * The cluster the commands go to. Without one, only the {@link #listener} hears each update
         * ({@link EndpointUpdate} carries the table, the balancing and the outlier detection), for an
         * embedder that owns the cluster and issues its commands from its own control thread.
         */
        public Builder target(Cluster cluster) {
            if (cluster == null) {
                throw new IllegalArgumentException("target: must not be null");
            }
            this.cluster = cluster;
            return this;
        }

        /** Told of every update and warning (default: none). */
        public Builder listener(KubernetesSourceListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Builds the source; nothing is watched before {@link #start()}.
         *
         * @throws IllegalArgumentException naming the field when a required one is missing (a target or a
         *     listener is), or when a
         *     DestinationRule is asked for with kube-proxy (which never reads one) or both given and watched
         */
        public KubernetesEndpointSource build() {
            if (namespace == null) {
                throw new IllegalArgumentException("service: required, got nothing");
            }
            if (caller == null) {
                throw new IllegalArgumentException("caller: required, got nothing");
            }
            if (cluster == null && listener == null) {
                throw new IllegalArgumentException("target: required when no listener takes the updates, got neither");
            }
            if (rule != null && watchRules) {
                throw new IllegalArgumentException("destinationRule: given and watched; choose one");
            }
            if (proxy == CallerProxy.KUBE_PROXY && (rule != null || watchRules)) {
                throw new IllegalArgumentException("destinationRule: kube-proxy does not read DestinationRules");
            }
            return new KubernetesEndpointSource(this);
        }

        private static String required(String field, String value) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(field + ": must not be blank, got '" + value + "'");
            }
            return value.strip();
        }
    }
}
