package dev.meridian.grpc;

import dev.meridian.topology.Caller;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code meridian} name resolver scheme: {@code meridian:///reviews},
 * {@code meridian:///reviews.default.svc.cluster.local:9080}, or an Istio cluster name with its
 * {@code |} written {@code %7C}, as URIs require ({@link #target} builds one):
 * {@code meridian:///outbound%7C9080%7C%7Creviews.default.svc.cluster.local}. The service's endpoints
 * come from a {@link MeridianSource} and reach the balancer as address groups tagged with their
 * locality, weight, labels, reported health and any explicit priority ({@link MeridianAttributes},
 * and grpc's {@code EquivalentAddressGroup.ATTR_LOCALITY_NAME}), with the destination's policy and the
 * caller on the resolution.
 *
 * <p>The source is the channel's {@link #SOURCE} argument
 * ({@code ManagedChannelBuilder.setNameResolverArg}), else the one this provider was built with,
 * else a directory of Istio YAML named by the system property {@value #MESH_DIRECTORY_PROPERTY}
 * (watched; one source per directory for the whole process). The caller is the channel's
 * {@link #CALLER} argument, if any. Found by {@link java.util.ServiceLoader}; register an instance
 * built with a source in a {@code NameResolverRegistry} to change the default.
 *
 * <p>Thread-safe.
 */
public final class MeridianNameResolverProvider extends NameResolverProvider {

    /** The URI scheme. */
    public static final String SCHEME = "meridian";

    /** The system property naming a directory of Istio YAML to resolve from when no source is given. */
    public static final String MESH_DIRECTORY_PROPERTY = "meridian.grpc.meshDirectory";

    /** The channel's source of endpoints. */
    public static final NameResolver.Args.Key<MeridianSource> SOURCE = NameResolver.Args.Key.create("meridian.source");

    /** The calling workload (its locality and labels), passed to the balancer for Istio's priorities. */
    public static final NameResolver.Args.Key<Caller> CALLER = NameResolver.Args.Key.create("meridian.caller");

    private static final Map<String, MeridianSource> DIRECTORY_SOURCES = new ConcurrentHashMap<>();

    private final MeridianSource source;

    /** For {@link java.util.ServiceLoader}: no source of its own. */
    public MeridianNameResolverProvider() {
        this(null);
    }

    /**
     * A provider whose channels resolve from {@code source} unless their {@link #SOURCE} argument
     * names another.
     */
    public MeridianNameResolverProvider(MeridianSource source) {
        this.source = source;
    }

    /**
     * The target URI for a service or an Istio cluster name, with the characters a URI path may not
     * hold ({@code |}) escaped.
     *
     * @throws IllegalArgumentException when the name is blank
     */
    public static String target(String service) {
        if (service == null || service.isBlank()) {
            throw new IllegalArgumentException("service: must not be blank, got '" + service + "'");
        }
        return SCHEME + ":///" + URLEncoder.encode(service.strip(), StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    protected boolean isAvailable() {
        return true;
    }

    @Override
    protected int priority() {
        return 5;
    }

    @Override
    public String getDefaultScheme() {
        return SCHEME;
    }

    @Override
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
        return List.of(InetSocketAddress.class);
    }

    /**
     * A resolver for a {@code meridian:///} target, or null for another scheme.
     *
     * @throws IllegalArgumentException when the target has an authority or no service name
     */
    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
        if (!SCHEME.equals(targetUri.getScheme())) {
            return null;
        }
        if (targetUri.getAuthority() != null && !targetUri.getAuthority().isEmpty()) {
            throw new IllegalArgumentException("meridian target '" + targetUri + "': no authority is used; write "
                    + SCHEME + ":///SERVICE");
        }
        String path = targetUri.getPath();
        String service = path == null ? "" : path.startsWith("/") ? path.substring(1) : path;
        if (service.isBlank()) {
            throw new IllegalArgumentException("meridian target '" + targetUri + "': names no service; write "
                    + SCHEME + ":///SERVICE");
        }
        MeridianSource chosen = args.getArg(SOURCE);
        Status missing = null;
        if (chosen == null) {
            chosen = source;
        }
        if (chosen == null) {
            String dir = System.getProperty(MESH_DIRECTORY_PROPERTY);
            if (dir == null || dir.isBlank()) {
                missing = Status.UNAVAILABLE.withDescription("meridian: no source for '" + service + "': give the channel "
                        + "a MeridianSource (setNameResolverArg(MeridianNameResolverProvider.SOURCE, ...)) or set -D"
                        + MESH_DIRECTORY_PROPERTY + "=DIR");
            } else {
                try {
                    chosen = DIRECTORY_SOURCES.computeIfAbsent(dir, d -> MeshDirectorySource.watching(Path.of(d)));
                } catch (LinkageError e) {
                    missing = Status.UNAVAILABLE.withDescription("meridian: -D" + MESH_DIRECTORY_PROPERTY + " needs "
                            + "meridian-xds-server on the class path (" + e + ")");
                } catch (RuntimeException e) {
                    missing = Status.UNAVAILABLE.withDescription("meridian: cannot read " + dir + ": " + e.getMessage());
                }
            }
        }
        return new MeridianNameResolver(service, chosen, missing, args);
    }
}
