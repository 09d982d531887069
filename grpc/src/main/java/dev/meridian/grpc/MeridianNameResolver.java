package dev.meridian.grpc;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.topology.Caller;
import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * Resolves one {@code meridian:///} target through a {@link MeridianSource}: each delivery becomes a
 * resolution result whose address groups carry {@link MeridianAttributes} (and grpc's
 * {@link EquivalentAddressGroup#ATTR_LOCALITY_NAME}, Istio's {@code region/zone/subzone}), and whose
 * attributes carry the destination's policy, its DestinationRules, the Istio release and the caller,
 * or the balancing the source decided ({@link MeridianAttributes#LB_CONFIG}, with each group's
 * priority and locality weight).
 * An unknown service, or no source at all, is reported as an {@code UNAVAILABLE} error naming it; a
 * service without endpoints as an empty result, which {@code meridian_locality} turns into calls
 * that fail at once.
 *
 * <p>Thread-safe: deliveries may arrive on any thread; they are handed to the channel's
 * synchronization context, where only the newest is applied.
 */
final class MeridianNameResolver extends NameResolver implements MeridianSource.Listener {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final String service;
    private final MeridianSource source;
    private final Status missingSource;
    private final Caller caller;
    private final SynchronizationContext sync;
    /** The newest delivery not yet applied: a ResolutionResult or a Status. */
    private final AtomicReference<Object> pending = new AtomicReference<>();

    // Context only.
    private Listener2 listener;
    private MeridianSource.Watch watch;
    private boolean shutdown;

    MeridianNameResolver(String service, MeridianSource source, Status missingSource, Args args) {
        this.service = service;
        this.source = source;
        this.missingSource = missingSource;
        this.caller = args.getArg(MeridianNameResolverProvider.CALLER);
        this.sync = args.getSynchronizationContext();
    }

    /** The authority calls carry: the host (and port) of a cluster name, else the name as written. */
    @Override
    public String getServiceAuthority() {
        String[] parts = service.split("\\|", -1);
        if (parts.length == 4 && !parts[3].isEmpty()) {
            return parts[1].isEmpty() ? parts[3] : parts[3] + ":" + parts[1];
        }
        return service;
    }

    @Override
    public void start(Listener2 listener) {
        this.listener = listener;
        if (source == null) {
            listener.onError(missingSource);
            return;
        }
        watch = source.watch(service, this);
    }

    @Override
    public void refresh() {
        MeridianSource.Watch w = watch;
        if (w != null) {
            w.refresh();
        }
    }

    @Override
    public void shutdown() {
        shutdown = true;
        if (watch != null) {
            watch.close();
            watch = null;
        }
    }

    // ---- deliveries (any thread) ----

    @Override
    public void onService(ResolvedService resolved) {
        offer(result(resolved));
    }

    @Override
    public void onError(Status error) {
        offer(error);
    }

    private void offer(Object delivery) {
        pending.set(delivery);
        sync.execute(this::apply);
    }

    private void apply() {
        Object delivery = pending.getAndSet(null);
        if (delivery == null || shutdown || listener == null) {
            return;
        }
        if (delivery instanceof Status error) {
            listener.onError(error);
        } else {
            listener.onResult2((ResolutionResult) delivery);
        }
    }

    private ResolutionResult result(ResolvedService s) {
        List<EquivalentAddressGroup> groups = new ArrayList<>(s.endpoints().size());
        DecidedBalancing decided = s.decided();
        if (decided != null) {
            // Each endpoint at the priority and with the locality weight the source sent, as EDS tags them.
            EndpointTable table = decided.table();
            for (int h = 0; h < table.size(); h++) {
                Endpoint e = table.endpoint(h);
                groups.add(new EquivalentAddressGroup(socketAddress(e), endpointAttributes(e)
                        .set(MeridianAttributes.PRIORITY, table.priority(h))
                        .set(MeridianAttributes.LOCALITY_WEIGHT, table.localityWeight(h))
                        .build()));
            }
        } else {
            for (Endpoint e : s.endpoints()) {
                Attributes.Builder a = endpointAttributes(e);
                if (e.priority() != Endpoint.NO_PRIORITY) {
                    a.set(MeridianAttributes.PRIORITY, e.priority());
                }
                groups.add(new EquivalentAddressGroup(socketAddress(e), a.build()));
            }
        }
        Attributes.Builder attrs = Attributes.newBuilder()
                .set(MeridianAttributes.SERVICE_NAME, s.name())
                .set(MeridianAttributes.KUBERNETES_SERVICE, s.kubernetesService())
                .set(MeridianAttributes.ISTIO_RELEASE, s.release())
                .set(MeridianAttributes.DESTINATION_RULES, s.destinationRules());
        if (s.policy() != null) {
            attrs.set(MeridianAttributes.DESTINATION_POLICY, s.policy());
        }
        if (decided != null) {
            attrs.set(MeridianAttributes.LB_CONFIG, decided.lb());
            if (decided.outlierDetection() != null) {
                attrs.set(MeridianAttributes.OUTLIER_DETECTION, decided.outlierDetection());
            }
        }
        if (caller != null) {
            attrs.set(MeridianAttributes.CALLER, caller);
        }
        return ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(groups))
                .setAttributes(attrs.build()).build();
    }

    private static Attributes.Builder endpointAttributes(Endpoint e) {
        return Attributes.newBuilder()
                .set(MeridianAttributes.LOCALITY, e.locality())
                .set(EquivalentAddressGroup.ATTR_LOCALITY_NAME, e.locality().toString())
                .set(MeridianAttributes.WEIGHT, e.weight())
                .set(MeridianAttributes.HEALTH, e.health())
                .set(MeridianAttributes.LABELS, e.labels());
    }

    /**
     * An IP literal becomes a resolved address without a lookup; a host name stays unresolved, for the
     * transport to resolve when it connects, so a delivery never blocks on DNS.
     */
    private static InetSocketAddress socketAddress(Endpoint e) {
        String host = e.host();
        if (IPV4.matcher(host).matches() || host.indexOf(':') >= 0) {
            try {
                return new InetSocketAddress(InetAddress.getByName(host), e.port());
            } catch (UnknownHostException ex) {
                // Not a valid literal after all: leave it to the transport.
            }
        }
        return InetSocketAddress.createUnresolved(host, e.port());
    }

    @Override
    public String toString() {
        return "MeridianNameResolver[" + service + " from " + source + "]";
    }
}
