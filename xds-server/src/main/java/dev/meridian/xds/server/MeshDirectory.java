package dev.meridian.xds.server;

import dev.meridian.core.Endpoint;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.IstioRelease;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.istio.DestinationRule;
import dev.meridian.istio.DestinationRules;
import dev.meridian.istio.KubernetesService;
import dev.meridian.istio.MeshConfigs;
import dev.meridian.istio.Parsed;
import dev.meridian.istio.ServiceEntries;
import dev.meridian.istio.ServiceEntry;
import dev.meridian.istio.Subset;
import dev.meridian.istio.TrafficPolicy;
import dev.meridian.istio.WorkloadEntry;
import dev.meridian.istio.YamlNode;
import dev.meridian.topology.LocalityLbSetting;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A directory of Istio YAML read as a {@link MeshModel}: every {@code *.yaml} and {@code *.yml} file
 * directly in it (hidden files left out, as a mounted ConfigMap's {@code ..data} entries are), each
 * possibly holding several documents separated by {@code ---}.
 *
 * <p>The documents read: {@code ServiceEntry} and {@code WorkloadEntry} (the endpoints, with their
 * localities, labels and weights), {@code DestinationRule} (the policy), and one mesh config (an
 * {@code IstioOperator}, the {@code istio} ConfigMap, Helm values or a bare mesh config, for the mesh's
 * {@code localityLbSetting}; an IstioOperator's {@code spec.tag} names the Istio release). Every other
 * document is reported as a warning. What istiod would build from them:
 * <ul>
 *   <li>one service per STATIC ServiceEntry host and non-UDP port (Istio builds no outbound cluster
 *       for UDP, {@code pilot/pkg/networking/core/cluster.go}); other resolutions are resolved by
 *       Envoy itself, not sent over EDS, and are reported;</li>
 *   <li>its endpoints: the inline {@code endpoints}, or the WorkloadEntries of the entry's namespace
 *       its {@code workloadSelector} selects, ordered by namespace and name; each at the port
 *       {@link ServiceEntry.Port#endpointPort} gives, with the locality and labels
 *       {@code conversion.go} gives; Unix sockets and addresses behind a network gateway are reported
 *       and left out, as are host names selected by a STATIC entry (Istio's {@code DNSServiceEntryOnly});</li>
 *   <li>the DestinationRule that applies to the host: rules for one host merged as Istio's
 *       {@code mergeDestinationRule} does (ordered by name, then namespace, as
 *       {@code configCompareByCreationTime} orders rules without creation times: the first top-level
 *       traffic policy wins, subsets are concatenated, a repeated subset name is reported and left out),
 *       then the most specific host match ({@code MostSpecificHostMatch} in
 *       {@code pilot/pkg/model/config.go}: an exact host first, else the longest matching wildcard).
 *       Namespaces and {@code exportTo} do not restrict which rule applies;</li>
 *   <li>the clusters: {@code outbound|PORT||HOST} and one {@code outbound|PORT|SUBSET|HOST} per subset,
 *       each with its {@link DestinationPolicy}. A policy Meridian cannot run ({@code PASSTHROUGH}) is
 *       reported and its cluster left out.</li>
 * </ul>
 *
 * <p>Invalid input is refused whole: {@link #read} and {@link #reload} throw an
 * {@link IllegalArgumentException} naming the file (and the document, {@code file.yaml#2}), the YAML
 * path and the value, and a watching directory keeps its last good model.
 *
 * <p>Thread-safe: {@link #reload} may be called from any thread (reloads are serialized); the
 * watcher's callbacks run on its own thread, one at a time.
 */
public final class MeshDirectory {

    /** The namespace of a resource that does not name one, as {@code kubectl apply} would put it. */
    public static final String DEFAULT_NAMESPACE = "default";

    private static final System.Logger LOG = System.getLogger(MeshDirectory.class.getName());

    private final Path directory;
    private final Object reloadLock = new Object();
    private volatile MeshModel current;

    /**
     * @param directory the directory to read; it is read by {@link #reload}, not here
     */
    public MeshDirectory(Path directory) {
        if (directory == null) {
            throw new IllegalArgumentException("directory: required, got null");
        }
        this.directory = directory;
    }

    /** The directory read. */
    public Path directory() {
        return directory;
    }

    /** The last model read successfully, or null before the first. */
    public MeshModel current() {
        return current;
    }

    /**
     * Reads the directory again. On success the result becomes {@link #current()} (unless it equals
     * the current model, which then stays, same instance); on failure the current model stays.
     *
     * @return the model now current
     * @throws IllegalArgumentException naming the file, path and value when the directory's content is
     *         invalid or cannot be read
     */
    public MeshModel reload() {
        synchronized (reloadLock) {
            MeshModel model = read(directory);
            if (!model.equals(current)) {
                current = model;
            }
            // Nothing changed: the model already current stays, so its identity says "unchanged".
            return current;
        }
    }

    /**
     * Watches the directory with a {@link WatchService}: after each batch of changes the directory is
     * read again, and {@code onChange} receives the new model when it differs from the last good one,
     * or {@code onRejected} the error when the content is invalid (the last good model stays). Both
     * run on the watcher's thread, never concurrently; an exception either throws is logged and the
     * watch goes on.
     *
     * @return the watch; closing it stops the thread
     * @throws UncheckedIOException when the directory cannot be watched
     */
    public Watch watch(Consumer<MeshModel> onChange, Consumer<IllegalArgumentException> onRejected) {
        WatchService service;
        try {
            service = directory.getFileSystem().newWatchService();
            directory.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot watch " + directory + ": " + e.getMessage(), e);
        }
        Thread thread = new Thread(() -> watchLoop(service, onChange, onRejected), "meridian-mesh-watch");
        thread.setDaemon(true);
        Watch watch = new Watch(service, thread);
        thread.start();
        return watch;
    }

    private void watchLoop(WatchService service, Consumer<MeshModel> onChange,
                           Consumer<IllegalArgumentException> onRejected) {
        try {
            while (true) {
                WatchKey key = service.take();
                // One reload per batch: an editor's save is several events.
                key.pollEvents();
                key.reset();
                WatchKey more;
                while ((more = service.poll()) != null) {
                    more.pollEvents();
                    more.reset();
                }
                MeshModel before = current;
                MeshModel after;
                try {
                    after = reload();
                } catch (IllegalArgumentException e) {
                    deliver(onRejected, e);
                    continue;
                } catch (RuntimeException e) {
                    // Not a refusal of the content but a failure to read it; the last good model stays all the same.
                    deliver(onRejected, new IllegalArgumentException(directory + ": reading failed: " + e, e));
                    continue;
                }
                if (!after.equals(before)) {
                    deliver(onChange, after);
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // Closed: the watch is over.
        }
    }

    /** A callback that throws must not end the watch: later changes would never be served. */
    private static <T> void deliver(Consumer<T> callback, T value) {
        try {
            callback.accept(value);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "mesh directory watch: a callback failed; the watch goes on", e);
        }
    }

    /**
     * A running watch of the directory. Thread-safe: it may be closed from any thread, more than once;
     * {@link #close()} returns once the watcher's thread has ended (a callback in progress finishes
     * first), unless called from a callback itself.
     */
    public static final class Watch implements Closeable {
        private final WatchService service;
        private final Thread thread;

        private Watch(WatchService service, Thread thread) {
            this.service = service;
            this.thread = thread;
        }

        @Override
        public void close() {
            try {
                service.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (Thread.currentThread() != thread) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * Reads a directory once.
     *
     * @throws IllegalArgumentException naming the file, path and value when the content is invalid, or
     *         naming the directory when it cannot be listed
     */
    public static MeshModel read(Path directory) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                String lower = name.toLowerCase(Locale.ROOT);
                if (!name.startsWith(".") && (lower.endsWith(".yaml") || lower.endsWith(".yml"))
                        && Files.isRegularFile(p)) {
                    files.add(p);
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            // An I/O error while iterating arrives unchecked, wrapped in DirectoryIteratorException.
            throw new IllegalArgumentException(directory + ": cannot list the directory: " + e.getMessage(), e);
        }
        files.sort(Comparator.comparing(p -> p.getFileName().toString()));
        Documents docs = new Documents();
        for (Path file : files) {
            docs.readFile(file);
        }
        return docs.build();
    }

    /** What the files hold, gathered before the services are built from them. */
    private static final class Documents {
        private final List<Parsed<ServiceEntry>> serviceEntries = new ArrayList<>();
        private final List<String> serviceEntrySources = new ArrayList<>();
        private final List<Parsed<WorkloadEntry>> workloadEntries = new ArrayList<>();
        private final List<String> workloadEntrySources = new ArrayList<>();
        private final List<DestinationRule> rules = new ArrayList<>();
        private final List<String> warnings = new ArrayList<>();
        private LocalityLbSetting meshLocality;
        private String meshSource;
        private IstioRelease release;

        void readFile(Path file) {
            String source = file.toString();
            String text;
            try {
                // Strict decoding: a file in another encoding is refused, not read with replacement characters.
                text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException(source + ": not UTF-8 text", e);
            } catch (IOException e) {
                throw new IllegalArgumentException(source + ": cannot read the file: " + e.getMessage(), e);
            }
            for (YamlNode doc : YamlNode.parseAll(source, text)) {
                readDocument(doc);
            }
        }

        private void readDocument(YamlNode doc) {
            String src = doc.source();
            if (!doc.isMap()) {
                throw doc.error("expected a Kubernetes resource (a mapping), got '" + doc.shown() + "'");
            }
            String kind = doc.get("kind").string(null);
            Map<String, Object> map = doc.map();
            if (kind == null) {
                if (map.containsKey("localityLbSetting") || map.containsKey("meshConfig")) {
                    readMesh(doc, null);
                } else {
                    warnings.add(src + ": a document without a kind and without localityLbSetting or meshConfig; "
                            + "not read");
                }
                return;
            }
            switch (kind) {
                case "ServiceEntry" -> {
                    Parsed<ServiceEntry> p = ServiceEntries.parse(src, map);
                    serviceEntries.add(p);
                    serviceEntrySources.add(src);
                    addWarnings(src, p.warnings());
                }
                case "WorkloadEntry" -> {
                    Parsed<WorkloadEntry> p = ServiceEntries.parseWorkloadEntry(src, map);
                    workloadEntries.add(p);
                    workloadEntrySources.add(src);
                    addWarnings(src, p.warnings());
                }
                case "DestinationRule" -> {
                    Parsed<DestinationRule> p = DestinationRules.parse(src, map);
                    rules.add(p.value());
                    addWarnings(src, p.warnings());
                }
                case "IstioOperator" -> readMesh(doc, releaseOf(doc));
                case "ConfigMap" -> {
                    if (doc.get("data").isMap() && doc.get("data").map().containsKey("mesh")) {
                        readMesh(doc, null);
                    } else {
                        warnings.add(src + ": kind: ConfigMap without data.mesh is not a mesh config; not read");
                    }
                }
                default -> warnings.add(src + ": kind: " + kind + " is not read by Meridian's xDS server");
            }
        }

        private void readMesh(YamlNode doc, IstioRelease tagged) {
            String src = doc.source();
            if (meshSource != null) {
                throw new IllegalArgumentException(src + ": a second mesh config; " + meshSource
                        + " already gives one, keep one");
            }
            Parsed<LocalityLbSetting> p = MeshConfigs.parseLocalityLbSetting(src, doc.map());
            meshLocality = p.value();
            meshSource = src;
            release = tagged;
            addWarnings(src, p.warnings());
        }

        /** An IstioOperator's {@code spec.tag}: the release it installs ({@code 1.22.3}, {@code 1.22.3-distroless}). */
        private static IstioRelease releaseOf(YamlNode doc) {
            YamlNode tag = doc.get("spec").get("tag");
            String text = tag.string(null);
            if (text == null) {
                return null;
            }
            String version = text.strip();
            int dash = version.indexOf('-');
            if (dash > 0) {
                version = version.substring(0, dash);
            }
            try {
                return IstioRelease.parse(version);
            } catch (IllegalArgumentException e) {
                throw tag.error("expected an Istio release such as 1.22.3, got '" + tag.shown() + "' ("
                        + e.getMessage() + ")");
            }
        }

        private void addWarnings(String src, List<String> found) {
            for (String w : found) {
                warnings.add(src + ": " + w);
            }
        }

        MeshModel build() {
            LocalityLbSetting mesh = meshLocality == null ? MeshConfigs.MESH_DEFAULT : meshLocality;
            IstioRelease r = release == null ? IstioRelease.LATEST : release;
            RuleIndex ruleIndex = new RuleIndex(rules, warnings);
            List<MeshService> services = new ArrayList<>();
            Map<String, String> declaredBy = new HashMap<>();
            for (int i = 0; i < serviceEntries.size(); i++) {
                ServiceEntry se = serviceEntries.get(i).value();
                String src = serviceEntrySources.get(i);
                if (se.resolution() != ServiceEntry.Resolution.STATIC) {
                    warnings.add(src + ": spec.resolution: " + se.resolution() + ": Envoy finds these endpoints "
                            + "itself, not over EDS, so the entry is not served");
                    continue;
                }
                List<Selected> endpoints = endpointsOf(se, src);
                for (String host : se.hosts()) {
                    for (ServiceEntry.Port port : se.ports()) {
                        if (port.isUdp()) {
                            warnings.add(src + ": spec.ports: port " + port.number() + " is UDP, for which Istio "
                                    + "builds no outbound cluster");
                            continue;
                        }
                        String key = host + ":" + port.number();
                        String earlier = declaredBy.putIfAbsent(key, src);
                        if (earlier != null) {
                            throw new IllegalArgumentException(src + ": spec.hosts: host " + host + " port "
                                    + port.number() + " is already declared by " + earlier
                                    + "; Meridian reads one ServiceEntry per host and port");
                        }
                        services.add(new MeshService(host, namespaceOf(se.namespace()), port.number(), port.name(),
                                endpointsAt(port, endpoints, host), ruleIndex.forHost(host),
                                new KubernetesService(null, se.annotations(), Map.of(), se.labels(), false), src));
                    }
                }
            }
            services.sort(Comparator.comparing(MeshService::host).thenComparingInt(MeshService::port));
            List<MeshCluster> clusters = new ArrayList<>();
            for (MeshService s : services) {
                addCluster(clusters, s, null, s.endpoints(), mesh, r);
                DestinationRule rule = s.destinationRule();
                if (rule != null) {
                    for (Subset subset : rule.subsets()) {
                        List<Endpoint> selected = new ArrayList<>();
                        for (Endpoint e : s.endpoints()) {
                            if (subset.selects(e.labels())) {
                                selected.add(e);
                            }
                        }
                        addCluster(clusters, s, subset.name(), selected, mesh, r);
                    }
                }
            }
            return new MeshModel(services, clusters, mesh, r, warnings);
        }

        private void addCluster(List<MeshCluster> clusters, MeshService s, String subset, List<Endpoint> endpoints,
                                LocalityLbSetting mesh, IstioRelease r) {
            String name = s.clusterName(subset);
            DestinationPolicy policy;
            try {
                policy = DestinationPolicy.from(s.destinationRule(), subset, s.port(), mesh, r);
            } catch (IllegalArgumentException e) {
                warnings.add(s.source() + ": cluster " + name + " is not served: " + e.getMessage());
                return;
            }
            clusters.add(new MeshCluster(name, s, subset, endpoints, policy));
        }

        /** A workload with where it was written, for messages. */
        private record Selected(WorkloadEntry workload, String where) {
        }

        private List<Selected> endpointsOf(ServiceEntry se, String src) {
            List<Selected> out = new ArrayList<>();
            if (se.workloadSelector() == null) {
                for (int i = 0; i < se.endpoints().size(); i++) {
                    WorkloadEntry e = se.endpoints().get(i);
                    String where = src + ": spec.endpoints[" + i + "]";
                    if (usable(e, where)) {
                        out.add(new Selected(e, where));
                    }
                }
                return out;
            }
            String namespace = namespaceOf(se.namespace());
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < workloadEntries.size(); i++) {
                WorkloadEntry we = workloadEntries.get(i).value();
                if (namespaceOf(we.namespace()).equals(namespace) && se.selects(we.labels())) {
                    order.add(i);
                }
            }
            // Istio sorts the selected workloads by kind, namespace and name (conversion.go services()).
            order.sort(Comparator.comparing(i -> workloadEntries.get(i).value().name()));
            for (int i : order) {
                WorkloadEntry we = workloadEntries.get(i).value();
                String where = workloadEntrySources.get(i) + ": spec";
                if (!we.address().isEmpty() && !we.isUnixSocket() && !we.hasIpAddress()) {
                    // DNSServiceEntryOnly: a host-name workload only joins DNS entries.
                    warnings.add(where + ".address: '" + we.address() + "' is a host name, which Istio selects only "
                            + "for DNS ServiceEntries; left out of " + src);
                    continue;
                }
                if (usable(we, where)) {
                    out.add(new Selected(we, where));
                }
            }
            return out;
        }

        private boolean usable(WorkloadEntry e, String where) {
            if (e.isUnixSocket()) {
                warnings.add(where + ".address: a Unix socket is not an endpoint Meridian can hand out; left out");
                return false;
            }
            if (e.address().isEmpty()) {
                warnings.add(where + ".address: empty, reached through network " + e.network()
                        + "'s gateway, which Meridian does not model; left out");
                return false;
            }
            return true;
        }

        private static List<Endpoint> endpointsAt(ServiceEntry.Port port, List<Selected> selected, String host) {
            List<Endpoint> out = new ArrayList<>();
            Map<String, String> seen = new HashMap<>();
            for (Selected s : selected) {
                WorkloadEntry we = s.workload();
                Endpoint e = new Endpoint(we.address(), port.endpointPort(we), we.locality(), we.endpointLabels(),
                        we.loadBalancingWeight(), HealthStatus.HEALTHY, Endpoint.NO_PRIORITY);
                String earlier = seen.putIfAbsent(e.address(), s.where());
                if (earlier != null) {
                    throw new IllegalArgumentException(s.where() + ".address: duplicate endpoint for host " + host
                            + " port " + port.number() + " (also " + earlier + "), got '" + e.address() + "'");
                }
                out.add(e);
            }
            return out;
        }
    }

    static String namespaceOf(String namespace) {
        return namespace == null || namespace.isEmpty() ? DEFAULT_NAMESPACE : namespace;
    }

    /** DestinationRules merged per host and looked up as Istio's {@code MostSpecificHostMatch} does. */
    private static final class RuleIndex {
        private final Map<String, DestinationRule> specific = new HashMap<>();
        private final Map<String, DestinationRule> wildcard = new TreeMap<>();

        RuleIndex(List<DestinationRule> rules, List<String> warnings) {
            List<DestinationRule> ordered = new ArrayList<>(rules);
            // configCompareByCreationTime without creation times: by name, then namespace.
            ordered.sort(Comparator.comparing(DestinationRule::name)
                    .thenComparing(r -> namespaceOf(r.namespace())));
            Map<String, DestinationRule> byHost = new LinkedHashMap<>();
            for (DestinationRule r : ordered) {
                DestinationRule existing = byHost.get(r.host());
                byHost.put(r.host(), existing == null ? r : merge(existing, r, warnings));
            }
            for (DestinationRule r : byHost.values()) {
                (r.host().startsWith("*") ? wildcard : specific).put(r.host(), r);
            }
        }

        /** Istio's mergeDestinationRule: subsets concatenated, the first top-level traffic policy kept. */
        private static DestinationRule merge(DestinationRule first, DestinationRule next, List<String> warnings) {
            List<Subset> subsets = new ArrayList<>(first.subsets());
            Set<String> names = new HashSet<>();
            for (Subset s : subsets) {
                names.add(s.name());
            }
            for (Subset s : next.subsets()) {
                if (names.add(s.name())) {
                    subsets.add(s);
                } else {
                    warnings.add("DestinationRule " + next.name() + ": subset " + s.name() + " for host " + next.host()
                            + " is already defined by DestinationRule " + first.name() + "; Istio keeps the first");
                }
            }
            TrafficPolicy policy = first.trafficPolicy();
            if (policy == null) {
                policy = next.trafficPolicy();
            } else if (next.trafficPolicy() != null) {
                warnings.add("DestinationRule " + next.name() + ": trafficPolicy for host " + next.host()
                        + " is ignored: DestinationRule " + first.name() + " already sets one, and Istio keeps the first");
            }
            return new DestinationRule(first.apiVersion(), first.name(), first.namespace(), first.host(), policy,
                    subsets);
        }

        DestinationRule forHost(String host) {
            if (host.startsWith("*")) {
                DestinationRule exact = wildcard.get(host);
                return exact != null ? exact : mostSpecificWildcard(host.substring(1));
            }
            DestinationRule exact = specific.get(host);
            return exact != null ? exact : mostSpecificWildcard(host);
        }

        private DestinationRule mostSpecificWildcard(String needle) {
            DestinationRule best = null;
            for (Map.Entry<String, DestinationRule> e : wildcard.entrySet()) {
                String h = e.getKey();
                if (needle.endsWith(h.substring(1)) && (best == null || moreSpecific(h, best.host()))) {
                    best = e.getValue();
                }
            }
            return best;
        }

        /** {@code host.MoreSpecific}: longer first, then alphabetical (both are wildcards here). */
        private static boolean moreSpecific(String a, String b) {
            return a.length() == b.length() ? a.compareTo(b) < 0 : a.length() > b.length();
        }
    }
}
