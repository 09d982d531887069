package dev.meridian.agent;

import dev.meridian.core.Locality;
import dev.meridian.istio.YamlNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code agent.yaml} says: where the VM is, where the mesh comes from, and what to forward.
 *
 * <pre>{@code
 * locality: r1/z1                 # the VM's region/zone/subzone, as a pod's node labels would give it
 * labels: {app: ratings-vm}       # the VM's workload labels (failoverPriority matches on them)
 * mesh:
 *   directory: mesh               # Istio YAML, watched; relative to this file
 *   # or xds: {address: istiod.istio-system:15010, node: sidecar~10.0.0.5~vm-1.default~default.svc.cluster.local}
 * threads: 2                      # Netty event loops shared by every listener
 * connectTimeout: 10s             # Istio's meshConfig.connectTimeout default
 * idleTimeout: 1h                 # Envoy's TCP proxy and HTTP connection manager default
 * responseTimeout: 15s            # HTTP only: Istio's default route timeout is none; bound it here
 * admin: 127.0.0.1:15000          # /ready, /live, /metrics, /plan, POST /drain; absent: no admin endpoint
 * drainTimeout: 5s                # how long a drain lets in-flight work finish (Istio's terminationDrainDuration)
 * listeners:
 * - {listen: 127.0.0.1:9080, service: reviews:9080, mode: http}
 * - {listen: 127.0.0.1:5432, service: 'outbound|5432||db.default.svc.cluster.local', mode: tcp, connectAttempts: 2}
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param source the file read, for messages
 * @param locality the VM's locality
 * @param labels the VM's workload labels
 * @param meshDirectory the directory of Istio YAML, or null when the mesh comes from xDS
 * @param xdsAddress the xDS server's {@code host:port}, or null when the mesh comes from a directory
 * @param xdsNode the node id the agent presents to the xDS server, or null
 * @param threads the number of Netty event-loop threads
 * @param connectTimeout how long an upstream connect may take
 * @param idleTimeout how long a connection may see no traffic either way
 * @param responseTimeout how long an HTTP upstream may take to answer a request
 * @param adminHost the address the admin endpoint binds, a loopback address, or null for none
 * @param adminPort the admin endpoint's port (0 for any free one); ignored without {@code adminHost}
 * @param drainTimeout how long a drain lets in-flight TCP connections and HTTP requests finish before
 *        it closes them
 * @param listeners one per upstream service, each on its own loopback port
 */
public record AgentConfig(String source, Locality locality, Map<String, String> labels, Path meshDirectory,
                          String xdsAddress, String xdsNode, int threads, Duration connectTimeout,
                          Duration idleTimeout, Duration responseTimeout, String adminHost, int adminPort,
                          Duration drainTimeout, List<Listener> listeners) {

    /** Istio's {@code ProxyConfig.terminationDrainDuration} default: what a sidecar gets to drain on SIGTERM. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(5);

    /** Envoy's TCP proxy default {@code max_connect_attempts}: one attempt, no retry. */
    public static final int DEFAULT_CONNECT_ATTEMPTS = 1;
    /** Connections one listener holds open at once before it refuses more. */
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;

    /**
     * One loopback listener.
     *
     * @param host the address to bind, a loopback address
     * @param port the port to bind; 0 for any free one
     * @param service the upstream: an Istio cluster name or a host, optionally with {@code :port}
     * @param mode how it forwards
     * @param connectAttempts how many connects one TCP connection or HTTP request may try, each on a new
     *        pick ({@code max_connect_attempts} of Envoy's TCP proxy)
     * @param maxConnections how many downstream connections it holds at once
     */
    public record Listener(String host, int port, String service, ForwardMode mode, int connectAttempts,
                           int maxConnections) {

        /** @throws IllegalArgumentException naming the field when a value is out of range */
        public Listener {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("listener.host: must not be blank, got '" + host + "'");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("listener.port: must be 0..65535, got '" + port + "'");
            }
            if (service == null || service.isBlank()) {
                throw new IllegalArgumentException("listener.service: must not be blank, got '" + service + "'");
            }
            if (mode == null) {
                throw new IllegalArgumentException("listener.mode: must be tcp or http, got 'null'");
            }
            if (connectAttempts < 1 || connectAttempts > 10) {
                throw new IllegalArgumentException("listener.connectAttempts: must be 1..10, got '" + connectAttempts + "'");
            }
            if (maxConnections < 1) {
                throw new IllegalArgumentException("listener.maxConnections: must be at least 1, got '" + maxConnections + "'");
            }
        }
    }

    /** @throws IllegalArgumentException naming the field when a value is missing or out of range */
    public AgentConfig {
        if (locality == null) {
            throw new IllegalArgumentException("locality: must not be null");
        }
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        if ((meshDirectory == null) == (xdsAddress == null)) {
            throw new IllegalArgumentException("mesh: exactly one of directory and xds is required");
        }
        if (threads < 1 || threads > 64) {
            throw new IllegalArgumentException("threads: must be 1..64, got '" + threads + "'");
        }
        positive("connectTimeout", connectTimeout);
        positive("idleTimeout", idleTimeout);
        positive("responseTimeout", responseTimeout);
        positive("drainTimeout", drainTimeout);
        if (adminPort < 0 || adminPort > 65535) {
            throw new IllegalArgumentException("admin.port: must be 0..65535, got '" + adminPort + "'");
        }
        if (listeners == null || listeners.isEmpty()) {
            throw new IllegalArgumentException("listeners: at least one is required");
        }
        listeners = List.copyOf(listeners);
    }

    private static void positive(String field, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(field + ": must be a positive duration, got '" + d + "'");
        }
    }

    /**
     * Reads {@code agent.yaml}.
     *
     * @throws IllegalArgumentException on one line, {@code FILE: PATH: what, got 'VALUE'}, when the
     *         file cannot be read or says something invalid
     */
    public static AgentConfig read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getClass().getSimpleName() + " "
                    + e.getMessage());
        }
        return parse(file.toString(), text, file.toAbsolutePath().getParent());
    }

    /**
     * Reads the text of {@code agent.yaml}; a relative mesh directory is resolved against {@code base}.
     *
     * @throws IllegalArgumentException on one line naming {@code source}, the path and the value
     */
    public static AgentConfig parse(String source, String yaml, Path base) {
        YamlNode root = YamlNode.parse(source, yaml);
        if (!root.isMap()) {
            throw root.error("expected a mapping, got '" + root.shown() + "'");
        }
        root.allowOnly("locality", "labels", "mesh", "threads", "connectTimeout", "idleTimeout", "responseTimeout",
                "admin", "drainTimeout", "listeners");
        YamlNode localityNode = root.get("locality");
        Locality locality;
        try {
            locality = Locality.parse(localityNode.requiredString());
        } catch (IllegalArgumentException e) {
            throw localityNode.error("expected region/zone/subzone, got '" + localityNode.shown() + "'");
        }
        if (locality.region().isEmpty()) {
            throw localityNode.error("must name at least a region, got '" + localityNode.shown() + "'");
        }
        Map<String, String> labels = root.get("labels").stringMap();
        YamlNode mesh = root.get("mesh");
        if (!mesh.isMap()) {
            throw mesh.isMissing() ? mesh.error("is required (directory: DIR or xds: {address: HOST:PORT})")
                    : mesh.error("expected a mapping, got '" + mesh.shown() + "'");
        }
        mesh.allowOnly("directory", "xds");
        Path directory = null;
        String xdsAddress = null;
        String xdsNode = null;
        if (mesh.has("directory") == mesh.has("xds")) {
            throw mesh.error("expected exactly one of directory and xds, got '" + mesh.shown() + "'");
        }
        if (mesh.has("directory")) {
            YamlNode d = mesh.get("directory");
            Path p;
            try {
                p = Path.of(d.requiredString());
            } catch (InvalidPathException e) {
                // Path.of's own refusal (a NUL character) names neither the file nor the field.
                throw d.error("not a path (" + e.getReason() + "), got '" + d.shown() + "'");
            }
            directory = p.isAbsolute() || base == null ? p : base.resolve(p);
            if (!Files.isDirectory(directory)) {
                throw d.error("no such directory, got '" + d.shown() + "'");
            }
        } else {
            YamlNode x = mesh.get("xds");
            x.allowOnly("address", "node");
            YamlNode a = x.get("address");
            xdsAddress = a.requiredString();
            if (xdsAddress.lastIndexOf(':') <= 0) {
                throw a.error("expected host:port, got '" + a.shown() + "'");
            }
            xdsNode = x.get("node").string(null);
        }
        int threads = positiveInt(root.get("threads"), 2, 64);
        Duration connect = duration(root.get("connectTimeout"), Duration.ofSeconds(10));
        Duration idle = duration(root.get("idleTimeout"), Duration.ofHours(1));
        Duration response = duration(root.get("responseTimeout"), Duration.ofSeconds(15));
        Duration drain = duration(root.get("drainTimeout"), DEFAULT_DRAIN_TIMEOUT);
        String adminHost = null;
        int adminPort = 0;
        YamlNode adminNode = root.get("admin");
        if (!adminNode.isMissing()) {
            String[] hostPort = hostPort(adminNode);
            adminHost = hostPort[0];
            adminPort = Integer.parseInt(hostPort[1]);
        }
        YamlNode listenersNode = root.get("listeners");
        if (listenersNode.list().isEmpty()) {
            throw listenersNode.error("at least one listener is required, got '" + listenersNode.shown() + "'");
        }
        List<Listener> listeners = new ArrayList<>();
        Set<String> bound = new HashSet<>();
        if (adminHost != null && adminPort != 0) {
            bound.add(adminHost + ":" + adminPort);
        }
        for (YamlNode l : listenersNode.list()) {
            listeners.add(listener(l, bound));
        }
        return new AgentConfig(source, locality, labels, directory, xdsAddress, xdsNode, threads, connect, idle,
                response, adminHost, adminPort, drain, listeners);
    }

    private static Listener listener(YamlNode l, Set<String> bound) {
        if (!l.isMap()) {
            throw l.error("expected a mapping with listen, service and mode, got '" + l.shown() + "'");
        }
        l.allowOnly("listen", "service", "mode", "connectAttempts", "maxConnections");
        YamlNode listen = l.get("listen");
        String[] hostPort = hostPort(listen);
        String host = hostPort[0];
        int port = Integer.parseInt(hostPort[1]);
        if (port != 0 && !bound.add(host + ":" + port)) {
            throw listen.error("already used by another listener, got '" + listen.shown() + "'");
        }
        String service = l.get("service").requiredString();
        if (service.isBlank()) {
            throw l.get("service").error("must name the upstream, got '" + l.get("service").shown() + "'");
        }
        YamlNode modeNode = l.get("mode");
        String modeText = modeNode.string("tcp");
        ForwardMode mode;
        switch (modeText) {
            case "tcp" -> mode = ForwardMode.TCP;
            case "http" -> mode = ForwardMode.HTTP;
            default -> throw modeNode.error("expected tcp or http, got '" + modeNode.shown() + "'");
        }
        int attempts = positiveInt(l.get("connectAttempts"), DEFAULT_CONNECT_ATTEMPTS, 10);
        int max = positiveInt(l.get("maxConnections"), DEFAULT_MAX_CONNECTIONS, 1_000_000);
        return new Listener(host, port, service, mode, attempts, max);
    }

    /** {@code host:port} with a port 0..65535, brackets around an IPv6 host removed. */
    private static String[] hostPort(YamlNode node) {
        String address = node.requiredString();
        int colon = address.lastIndexOf(':');
        int port;
        try {
            port = colon <= 0 ? -1 : Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw node.error("expected host:port with a port 0..65535, got '" + node.shown() + "'");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isBlank()) {
            throw node.error("expected host:port with a host, got '" + node.shown() + "'");
        }
        return new String[] {host, Integer.toString(port)};
    }

    private static int positiveInt(YamlNode n, int fallback, int max) {
        int v = n.intValue(fallback);
        if (v < 1 || v > max) {
            throw n.error("must be 1.." + max + ", got '" + n.shown() + "'");
        }
        return v;
    }

    private static Duration duration(YamlNode n, Duration fallback) {
        long nanos = n.durationNanos(fallback.toNanos(), 366L * 24 * 3600);
        if (nanos <= 0) {
            throw n.error("must be a positive duration, got '" + n.shown() + "'");
        }
        return Duration.ofNanos(nanos);
    }
}
