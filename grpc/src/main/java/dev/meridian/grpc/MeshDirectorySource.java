package dev.meridian.grpc;

import dev.meridian.istio.DestinationRule;
import dev.meridian.xds.server.MeshCluster;
import dev.meridian.xds.server.MeshDirectory;
import dev.meridian.xds.server.MeshModel;
import dev.meridian.xds.server.MeshService;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link MeridianSource} over a directory of Istio YAML (ServiceEntries and WorkloadEntries with
 * localities, DestinationRules, a mesh config), read by {@code xds-server}'s {@link MeshDirectory}
 * exactly as {@code meridian xds-serve} reads it: each service resolves to the outbound cluster
 * istiod would build, with its endpoints and its {@code DestinationPolicy}. Needs
 * {@code meridian-xds-server} on the class path (an optional dependency of this module).
 *
 * <p>Names resolve as a sidecar's short names would: an Istio cluster name
 * ({@code outbound|9080||reviews.default.svc.cluster.local}, or a subset's) exactly; otherwise a host,
 * optionally with {@code :port}: the ServiceEntry host itself, or a host that starts with the name
 * and a dot ({@code reviews}, {@code reviews.default}). A name that matches no service, or several,
 * is an {@code UNAVAILABLE} error that names the candidates.
 *
 * <p>Thread-safe. A watching source ({@link #watching}) re-reads the directory after each change on
 * the watcher's thread and delivers the new state to every watch; an invalid change is logged and the
 * last good model stays, as {@code xds-serve} keeps it.
 */
public final class MeshDirectorySource implements MeridianSource, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(MeshDirectorySource.class.getName());

    private final String description;
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private volatile MeshModel model;
    private volatile MeshDirectory.Watch fileWatch;

    private MeshDirectorySource(String description, MeshModel model) {
        this.description = description;
        this.model = model;
    }

    /**
     * A source over a model already read (or built by hand); it never changes.
     *
     * @throws IllegalArgumentException when the model is null
     */
    public static MeshDirectorySource of(MeshModel model) {
        if (model == null) {
            throw new IllegalArgumentException("model: must not be null");
        }
        return new MeshDirectorySource("the given mesh model", model);
    }

    /**
     * Reads a directory once.
     *
     * @throws IllegalArgumentException naming the file, path and value when its content is invalid
     */
    public static MeshDirectorySource read(Path directory) {
        return new MeshDirectorySource(directory.toString(), MeshDirectory.read(directory));
    }

    /**
     * Reads a directory and keeps watching it; {@link #close()} stops the watcher.
     *
     * @throws IllegalArgumentException naming the file, path and value when its content is invalid
     * @throws java.io.UncheckedIOException when the directory cannot be watched
     */
    public static MeshDirectorySource watching(Path directory) {
        MeshDirectory dir = new MeshDirectory(directory);
        MeshDirectorySource source = new MeshDirectorySource(directory.toString(), dir.reload());
        source.fileWatch = dir.watch(source::changed, e -> LOG.log(System.Logger.Level.WARNING,
                "meridian: " + directory + " changed to invalid content, the last good model stays: " + e.getMessage()));
        return source;
    }

    /** The model now served. */
    public MeshModel model() {
        return model;
    }

    private void changed(MeshModel next) {
        model = next;
        for (Subscription s : subscriptions) {
            s.deliver();
        }
    }

    @Override
    public Watch watch(String service, Listener listener) {
        if (service == null || listener == null) {
            throw new IllegalArgumentException("service and listener: must not be null");
        }
        Subscription s = new Subscription(service, listener);
        subscriptions.add(s);
        s.deliver();
        return s;
    }

    /** Stops watching the directory (a no-op for a source that does not watch). */
    @Override
    public void close() {
        MeshDirectory.Watch w = fileWatch;
        if (w != null) {
            w.close();
        }
    }

    @Override
    public String toString() {
        return "MeshDirectorySource[" + description + "]";
    }

    /** One service's deliveries; deliveries are serialized and always read the newest model. */
    private final class Subscription implements Watch {
        private final String service;
        private final Listener listener;
        private volatile boolean closed;

        Subscription(String service, Listener listener) {
            this.service = service;
            this.listener = listener;
        }

        synchronized void deliver() {
            if (closed) {
                return;
            }
            ResolvedService resolved;
            try {
                resolved = resolve(model, service, description);
            } catch (UnresolvedException e) {
                listener.onError(e.status);
                return;
            }
            listener.onService(resolved);
        }

        @Override
        public void refresh() {
            deliver();
        }

        @Override
        public void close() {
            closed = true;
            subscriptions.remove(this);
        }
    }

    /** A name the model cannot resolve, with the status that says why. */
    static final class UnresolvedException extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Status status;

        UnresolvedException(String message) {
            super(message, null, false, false);
            this.status = Status.UNAVAILABLE.withDescription(message);
        }
    }

    /** Resolves a target's name in a model; see the class documentation for the rules. */
    static ResolvedService resolve(MeshModel model, String name, String description) throws UnresolvedException {
        MeshCluster cluster;
        if (name.indexOf('|') >= 0) {
            cluster = model.cluster(name);
            if (cluster == null) {
                List<String> known = new ArrayList<>();
                for (MeshCluster c : model.clusters()) {
                    known.add(c.name());
                }
                throw new UnresolvedException("meridian: no cluster '" + name + "' in " + description + " (known: "
                        + String.join(", ", known) + ")");
            }
        } else {
            String host = name;
            Integer port = null;
            int colon = name.lastIndexOf(':');
            if (colon > 0 && colon < name.length() - 1 && name.substring(colon + 1).chars().allMatch(Character::isDigit)) {
                host = name.substring(0, colon);
                port = Integer.parseInt(name.substring(colon + 1));
            }
            List<MeshService> exact = new ArrayList<>();
            List<MeshService> prefixed = new ArrayList<>();
            for (MeshService s : model.services()) {
                if (port != null && s.port() != port) {
                    continue;
                }
                if (s.host().equals(host)) {
                    exact.add(s);
                } else if (s.host().startsWith(host + ".")) {
                    prefixed.add(s);
                }
            }
            List<MeshService> matches = exact.isEmpty() ? prefixed : exact;
            if (matches.isEmpty()) {
                TreeSet<String> known = new TreeSet<>();
                for (MeshService s : model.services()) {
                    known.add(s.host() + ":" + s.port());
                }
                throw new UnresolvedException("meridian: no service '" + name + "' in " + description + " (known: "
                        + (known.isEmpty() ? "none" : String.join(", ", known)) + ")");
            }
            if (matches.size() > 1) {
                List<String> names = new ArrayList<>();
                for (MeshService s : matches) {
                    names.add(s.host() + ":" + s.port());
                }
                throw new UnresolvedException("meridian: '" + name + "' in " + description + " matches " + names.size()
                        + " services (" + String.join(", ", names) + "); name one with host:port or its cluster name");
            }
            MeshService service = matches.get(0);
            cluster = model.cluster(service.clusterName());
            if (cluster == null) {
                throw new UnresolvedException("meridian: service '" + name + "' in " + description
                        + " has no cluster Meridian can run (" + service.clusterName() + " was left out; see the "
                        + "directory's warnings)");
            }
        }
        Map<String, DestinationRule> rules = new LinkedHashMap<>();
        for (MeshService s : model.services()) {
            if (s.destinationRule() != null) {
                rules.putIfAbsent(s.host(), s.destinationRule());
            }
        }
        return new ResolvedService(cluster.name(), cluster.endpoints(), cluster.policy(),
                cluster.service().kubernetesService(), model.release(), rules);
    }
}
