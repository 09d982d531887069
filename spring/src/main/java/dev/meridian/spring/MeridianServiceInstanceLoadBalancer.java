package dev.meridian.spring;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.NanoClock;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LoadPlan;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.outlier.LocalOriginResult;
import dev.meridian.topology.PriorityAssignment;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.client.loadbalancer.ResponseData;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.util.ClassUtils;
import reactor.core.publisher.Mono;

/**
 * Spring Cloud LoadBalancer's balancer for one service, deciding as an Envoy sidecar configured by
 * Istio would: the instances the {@link ServiceInstanceListSupplier} lists (any discovery client)
 * become the endpoints of a Meridian {@link Cluster}, prioritised by locality for the caller
 * ({@link MeridianLoadBalancerProperties}); each {@link #choose} picks from the cluster, and the
 * {@link LoadBalancerLifecycle} callbacks Spring makes around each request feed the outcome back:
 * the HTTP status of {@code ResponseData}, or the connection failure or timeout of a failed request,
 * for outlier detection, and the in-flight count for least request. It is its own lifecycle bean, so
 * {@link MeridianLoadBalancerConfiguration} declares one bean per service.
 *
 * <p><b>One writer.</b> The request thread that first sees a new instance list validates it and
 * queues the cluster's commands ({@link Cluster#configure(LbConfig)} when the locality weighting
 * changes, then {@link Cluster#update}); only the {@link ControlThread} applies commands
 * ({@link Cluster#drain()}), on its period and at once when asked. That choice, and every later one,
 * waits (without blocking a thread) until the control thread has applied the list, so a choice
 * never picks from a list older than the one it was given, as Spring's own balancers never do; a
 * choice racing a change whose pick falls on a host of neither list waits for the newest list and
 * picks again. A list becomes the newest before its commands are queued, so every host of a
 * published snapshot is in the choice's list or the newest one, and each such wait ends only when a
 * newer list has been applied.
 * A list Meridian cannot use (an instance without an address, a bad locality or weight, a repeated
 * address) is rejected whole with a warning, and the last good list stays in force, as Envoy keeps
 * its last good endpoints when it rejects an update; with no good list yet, the choice fails with
 * the reason. An outcome that completes a run of failures asks the control thread to decide the
 * ejection at once.
 *
 * <p><b>Threads.</b> Thread-safe. {@link #choose} and the lifecycle callbacks may run on any thread;
 * a choice reads the cluster's published snapshot once and so sees the batch before or after an
 * update, never a mix. Picking and recording are lock-free and do not allocate beyond the
 * {@code Response} and the instance wrapper Spring's API requires; accepting a new list takes a lock.
 */
public final class MeridianServiceInstanceLoadBalancer
        implements ReactorServiceInstanceLoadBalancer, LoadBalancerLifecycle<Object, Object, ServiceInstance>,
        AutoCloseable {

    private static final Log LOG = LogFactory.getLog(MeridianServiceInstanceLoadBalancer.class);
    private static final boolean SPRING_WEB = ClassUtils.isPresent("org.springframework.http.HttpStatusCode",
            MeridianServiceInstanceLoadBalancer.class.getClassLoader());
    private static final EmptyResponse NOTHING = new EmptyResponse();
    /** How often a choice waits for a newer list and picks again when lists change under it. */
    private static final int RETRIES = 3;
    private static final AtomicReferenceFieldUpdater<MeridianServiceInstanceLoadBalancer, View> VIEW =
            AtomicReferenceFieldUpdater.newUpdater(MeridianServiceInstanceLoadBalancer.class, View.class, "view");

    private final String serviceId;
    private final ObjectProvider<ServiceInstanceListSupplier> suppliers;
    private final MeridianLoadBalancerProperties properties;
    private final Cluster cluster;
    private final ControlThread control;
    private final boolean ownsControl;
    private final Object acceptLock = new Object();
    private volatile ServiceInstanceListSupplier supplier;
    private volatile View view;
    // Guarded by acceptLock: what was last queued on the cluster.
    private List<Endpoint> queuedEndpoints;
    private LbConfig queuedLb;

    /**
     * What choices pick from: the last list handed over (accepted or rejected) and the instances of
     * the last good one by address. Immutable.
     */
    private static final class View {
        final List<ServiceInstance> seen;
        final Map<String, ServiceInstance> byAddress;
        final CompletableFuture<Void> applied;
        /** Set when no good list was ever accepted and the last one was rejected. */
        final RuntimeException failure;

        View(List<ServiceInstance> seen, Map<String, ServiceInstance> byAddress, CompletableFuture<Void> applied,
             RuntimeException failure) {
            this.seen = seen;
            this.byAddress = byAddress;
            this.applied = applied;
            this.failure = failure;
        }

        View seeing(List<ServiceInstance> list) {
            return new View(list, byAddress, applied, failure);
        }
    }

    private MeridianServiceInstanceLoadBalancer(Builder b) {
        this.serviceId = b.serviceId;
        this.suppliers = b.suppliers;
        this.properties = b.properties;
        this.queuedEndpoints = List.of();
        this.queuedLb = properties.lbConfig(properties.assign(List.of()));
        EjectionListener told = b.listener;
        Cluster.Builder cb = Cluster.builder(queuedLb)
                .endpoints(EndpointTable.empty())
                .outlierDetection(properties.outlier())
                .listener(new EjectionLog(serviceId, told));
        if (b.clock != null) {
            cb.clock(b.clock);
        }
        if (b.random != null) {
            cb.random(b.random);
        }
        this.cluster = cb.build();
        this.ownsControl = b.control == null;
        this.control = ownsControl ? ControlThread.start("meridian-lb-" + serviceId, properties.controlPeriod())
                : b.control;
        control.attach(cluster);
        this.view = new View(null, Map.of(), CompletableFuture.completedFuture(null), null);
        for (String note : properties.notes()) {
            LOG.info("meridian: service '" + serviceId + "': " + note);
        }
    }

    /**
     * Starts a balancer's configuration.
     *
     * @param serviceId the service
     * @param suppliers where the instance list comes from, looked up at the first choice (as Spring's
     *     {@code RoundRobinLoadBalancer} does, so a supplier defined after the balancer is found)
     * @param properties the service's validated settings
     * @throws IllegalArgumentException when an argument is null or the service id blank
     */
    public static Builder builder(String serviceId, ObjectProvider<ServiceInstanceListSupplier> suppliers,
                                  MeridianLoadBalancerProperties properties) {
        if (serviceId == null || serviceId.isBlank()) {
            throw new IllegalArgumentException("serviceId: must not be blank, got '" + serviceId + "'");
        }
        if (suppliers == null) {
            throw new IllegalArgumentException("suppliers: must not be null");
        }
        if (properties == null) {
            throw new IllegalArgumentException("properties: must not be null");
        }
        return new Builder(serviceId, suppliers, properties);
    }

    // ============================================================== choosing (request threads)

    @Override
    @SuppressWarnings("rawtypes")
    public Mono<Response<ServiceInstance>> choose(Request request) {
        ServiceInstanceListSupplier s = supplier();
        if (s == null) {
            return Mono.error(new IllegalStateException("meridian: service '" + serviceId
                    + "' has no ServiceInstanceListSupplier: define a DiscoveryClient (simple, Kubernetes, Consul, ...) "
                    + "or a ServiceInstanceListSupplier bean"));
        }
        return s.get(request).next().flatMap(this::chooseFrom);
    }

    private ServiceInstanceListSupplier supplier() {
        ServiceInstanceListSupplier s = supplier;
        if (s == null) {
            s = suppliers.getIfAvailable();
            supplier = s;
        }
        return s;
    }

    private Mono<Response<ServiceInstance>> chooseFrom(List<ServiceInstance> list) {
        View v = view;
        if (list != v.seen) {
            if (list.equals(v.seen)) {
                // The same instances in a new list (a supplier without caching): nothing to apply.
                // Remembered only if no newer list was accepted meanwhile, which must not be undone.
                View same = v.seeing(list);
                if (VIEW.compareAndSet(this, v, same)) {
                    v = same;
                }
            } else {
                v = accept(list);
            }
        }
        if (v.failure != null) {
            return Mono.error(v.failure);
        }
        if (v.byAddress.isEmpty()) {
            return Mono.just(NOTHING);
        }
        if (!v.applied.isDone() || v.applied.isCompletedExceptionally()) {
            // A failed drain (the control thread is closed) fails the choice rather than picking
            // from a list older than the one it was given.
            return respondOnceApplied(v, RETRIES);
        }
        Response<ServiceInstance> response = respond(v);
        return response != null ? Mono.just(response) : respondOnceApplied(view, RETRIES);
    }

    /**
     * Picks once the control thread has applied the view's list. The wait is asynchronous, and the
     * view's future is shared: one cancelled request must not cancel the drain others wait for.
     */
    private Mono<Response<ServiceInstance>> respondOnceApplied(View v, int retries) {
        return Mono.fromFuture(v.applied, true).then(Mono.defer(() -> {
            Response<ServiceInstance> response = respond(v);
            if (response != null) {
                return Mono.just(response);
            }
            return retries > 0 ? respondOnceApplied(view, retries - 1) : Mono.just(NOTHING);
        }));
    }

    /**
     * One pick: a response with the chosen instance, Spring's empty response when the cluster has
     * nothing to pick, or null when the host picked belongs to neither the given view's list nor the
     * newest one (the snapshot is of a list accepted in between, still being replaced): the caller
     * then waits for the newest list to be applied and picks again.
     */
    private Response<ServiceInstance> respond(View v) {
        Host host = cluster.pick();
        if (host == null) {
            return NOTHING;
        }
        ServiceInstance instance = v.byAddress.get(host.address());
        if (instance == null) {
            instance = view.byAddress.get(host.address());
            if (instance == null) {
                return null;
            }
        }
        return new DefaultResponse(new PickedInstance(instance, cluster, host));
    }

    private View accept(List<ServiceInstance> list) {
        synchronized (acceptLock) {
            View v = view;
            if (list == v.seen || list.equals(v.seen)) {
                return v;
            }
            List<Endpoint> endpoints;
            PriorityAssignment assignment;
            try {
                endpoints = ServiceInstanceEndpoints.endpoints(list);
                assignment = properties.assign(endpoints);
            } catch (IllegalArgumentException e) {
                boolean anyGood = v.seen != null && v.failure == null;
                String message = "meridian: service '" + serviceId + "': instance list rejected"
                        + (anyGood ? ", the last good one stays in force: " : ": ") + e.getMessage();
                LOG.warn(message);
                View rejected = anyGood ? v.seeing(list)
                        : new View(list, Map.of(), v.applied, new IllegalArgumentException(message, e));
                view = rejected;
                return rejected;
            }
            for (String warning : assignment.warnings()) {
                LOG.warn("meridian: service '" + serviceId + "': " + warning);
            }
            Map<String, ServiceInstance> byAddress = new HashMap<>(list.size() * 2);
            for (int i = 0; i < list.size(); i++) {
                byAddress.put(endpoints.get(i).address(), list.get(i));
            }
            LbConfig lb = properties.lbConfig(assignment);
            boolean changed = !endpoints.equals(queuedEndpoints) || !lb.equals(queuedLb);
            CompletableFuture<Void> applied = changed ? new CompletableFuture<>() : v.applied;
            View accepted = new View(list, Map.copyOf(byAddress), applied, null);
            // Published before its commands are queued: the control thread may apply them at once, and a
            // choice racing this one that picks a host only this list has must find it in the newest
            // view, or wait for this view's future, not for the previous one, already complete, which
            // would have it retry without waiting and run out of retries while this thread is descheduled.
            view = accepted;
            if (changed) {
                if (!lb.equals(queuedLb)) {
                    cluster.configure(lb);
                    queuedLb = lb;
                }
                cluster.update(assignment.toTable());
                queuedEndpoints = endpoints;
                control.drainSoon(cluster).whenComplete((ignored, failure) -> {
                    if (failure == null) {
                        applied.complete(null);
                    } else {
                        boolean wrapped = failure instanceof CompletionException && failure.getCause() != null;
                        applied.completeExceptionally(wrapped ? failure.getCause() : failure);
                    }
                });
            }
            return accepted;
        }
    }

    // ============================================================== outcomes (request threads)

    /** Applies to every request whose chosen server is a {@link ServiceInstance}. */
    @Override
    @SuppressWarnings("rawtypes")
    public boolean supports(Class requestContextClass, Class responseClass, Class serverTypeClass) {
        return ServiceInstance.class.isAssignableFrom(serverTypeClass);
    }

    /** Nothing: no host is chosen yet. */
    @Override
    public void onStart(Request<Object> request) {
    }

    /** Counts the request in flight on the chosen host, for least request. */
    @Override
    public void onStartRequest(Request<Object> request, Response<ServiceInstance> lbResponse) {
        PickedInstance p = ours(lbResponse);
        if (p != null && p.markStarted()) {
            cluster.requestStarted(p.host);
        }
    }

    /**
     * Ends the in-flight count and records the outcome for outlier detection: with {@code SUCCESS},
     * the HTTP status of Spring's {@code ResponseData} (the blocking client and the WebClient filter
     * both report one), or, without a status, a connection that succeeded; with {@code FAILED}, a
     * connection failure, timeout or reset classified from the exception (anything that is not an
     * {@link IOException} or a timeout is the caller's, not the host's, and is not counted); with
     * {@code DISCARD} nothing. A choice completes once: a second completion is ignored.
     */
    @Override
    public void onComplete(CompletionContext<Object, ServiceInstance, Object> completionContext) {
        PickedInstance p = ours(completionContext.getLoadBalancerResponse());
        if (p == null) {
            return;
        }
        int previous = p.markCompleted();
        if (PickedInstance.wasCompleted(previous)) {
            return;
        }
        if (PickedInstance.wasStarted(previous)) {
            cluster.requestFinished(p.host);
        }
        boolean decided = switch (completionContext.status()) {
            case SUCCESS -> recordSuccess(p.host, completionContext.getClientResponse());
            case FAILED -> recordFailure(p.host, completionContext.getThrowable());
            case DISCARD -> false;
        };
        if (decided) {
            control.drainSoon(cluster);
        }
    }

    private PickedInstance ours(Response<ServiceInstance> response) {
        if (response != null && response.getServer() instanceof PickedInstance p && p.cluster == cluster) {
            return p;
        }
        return null;
    }

    private boolean recordSuccess(Host host, Object clientResponse) {
        int status = SPRING_WEB ? HttpStatuses.of(clientResponse) : -1;
        return status > 0 ? cluster.record(host, status)
                : cluster.recordLocalOrigin(host, LocalOriginResult.CONNECT_SUCCESS);
    }

    private boolean recordFailure(Host host, Throwable failure) {
        LocalOriginResult result = classify(failure);
        return result != null && cluster.recordLocalOrigin(host, result);
    }

    /**
     * What a failed request says about the host, as Envoy's router reports it: a connection that
     * could not be made, a timeout, or a reset (any other I/O failure); null when nothing in the
     * cause chain is an I/O failure or a timeout.
     */
    static LocalOriginResult classify(Throwable failure) {
        boolean io = false;
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause() == t ? null : t.getCause()) {
            String name = t.getClass().getSimpleName();
            if (t instanceof ConnectException || t instanceof NoRouteToHostException
                    || t instanceof PortUnreachableException || t instanceof UnknownHostException
                    || name.equals("HttpConnectTimeoutException")) {
                return LocalOriginResult.CONNECT_FAILED;
            }
            if (t instanceof SocketTimeoutException s && s.getMessage() != null
                    && s.getMessage().toLowerCase(Locale.ROOT).contains("connect")) {
                return LocalOriginResult.CONNECT_FAILED;
            }
            if (t instanceof SocketTimeoutException || t instanceof TimeoutException || name.contains("Timeout")) {
                // By name: the JDK HttpClient's HttpTimeoutException and the HTTP clients' own timeout
                // types (Netty's ReadTimeoutException) need no module of their own here.
                return LocalOriginResult.TIMEOUT;
            }
            io |= t instanceof IOException;
        }
        return io ? LocalOriginResult.RESET : null;
    }

    // ============================================================== views and lifecycle

    /** The service this balancer chooses for. */
    public String serviceId() {
        return serviceId;
    }

    /** The settings it runs with. */
    public MeridianLoadBalancerProperties properties() {
        return properties;
    }

    /** Explains the cluster's published snapshot: priorities, loads, per-host shares. Allocates. */
    public LoadPlan plan() {
        return cluster.plan();
    }

    /** Stops draining this service's cluster, and stops its control thread when it started one. */
    @Override
    public void close() {
        control.detach(cluster);
        if (ownsControl) {
            control.close();
        }
    }

    @Override
    public String toString() {
        return "MeridianServiceInstanceLoadBalancer[" + serviceId + ", " + cluster + "]";
    }

    /** Reads the status Spring Cloud reports; a class of its own so that it loads only with spring-web. */
    private static final class HttpStatuses {
        static int of(Object clientResponse) {
            if (clientResponse instanceof ResponseData data && data.getHttpStatus() != null) {
                return data.getHttpStatus().value();
            }
            return -1;
        }
    }

    /** Logs each ejection and return, then tells the application's listener. Control thread only. */
    private static final class EjectionLog implements EjectionListener {
        private final String serviceId;
        private final EjectionListener next;

        EjectionLog(String serviceId, EjectionListener next) {
            this.serviceId = serviceId;
            this.next = next;
        }

        @Override
        public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
            if (LOG.isInfoEnabled()) {
                LOG.info("meridian: service '" + serviceId + "': ejected " + table.endpoint(hostId) + " (" + type
                        + ") for " + (untilNanos - atNanos) / 1_000_000 + " ms");
            }
            if (next != null) {
                next.onEjected(table, hostId, type, atNanos, untilNanos);
            }
        }

        @Override
        public void onReturned(EndpointTable table, int hostId, long atNanos) {
            if (LOG.isInfoEnabled()) {
                LOG.info("meridian: service '" + serviceId + "': returned " + table.endpoint(hostId));
            }
            if (next != null) {
                next.onReturned(table, hostId, atNanos);
            }
        }
    }

    /** A balancer's configuration. Not thread-safe. */
    public static final class Builder {
        private final String serviceId;
        private final ObjectProvider<ServiceInstanceListSupplier> suppliers;
        private final MeridianLoadBalancerProperties properties;
        private ControlThread control;
        private NanoClock clock;
        private RandomSource random;
        private EjectionListener listener;

        private Builder(String serviceId, ObjectProvider<ServiceInstanceListSupplier> suppliers,
                        MeridianLoadBalancerProperties properties) {
            this.serviceId = serviceId;
            this.suppliers = suppliers;
            this.properties = properties;
        }

        /** A control thread shared with other services; by default the balancer starts and closes its own. */
        public Builder controlThread(ControlThread control) {
            this.control = control;
            return this;
        }

        /** The cluster's clock (default: the system's monotonic clock). */
        public Builder clock(NanoClock clock) {
            this.clock = clock;
            return this;
        }

        /** The cluster's random source (default: thread-local). */
        public Builder random(RandomSource random) {
            this.random = random;
            return this;
        }

        /** Told of every ejection and return, on the control thread; null for none. */
        public Builder listener(EjectionListener listener) {
            this.listener = listener;
            return this;
        }

        /** Builds the balancer, its cluster and, unless one was given, its control thread. */
        public MeridianServiceInstanceLoadBalancer build() {
            return new MeridianServiceInstanceLoadBalancer(this);
        }
    }
}
