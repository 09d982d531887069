package dev.meridian.cli;

import dev.meridian.core.Locality;
import dev.meridian.lb.LbConfig;
import dev.meridian.simulator.Scenario;
import dev.meridian.simulator.Scenarios;
import dev.meridian.xds.ConfigDumps;
import dev.meridian.xds.ConfigDumps.DumpedCluster;
import dev.meridian.xds.Translated;
import dev.meridian.xds.XdsWarning;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code plan} and {@code simulate} read, turned into a {@link Scenario}: a scenario (a YAML
 * file or a built-in name), an Envoy admin config dump ({@code /config_dump?include_eds}), or an
 * Envoy {@code Cluster} and its {@code ClusterLoadAssignment} in proto JSON. A dump is told by its
 * content, a JSON object with {@code configs}, never by its name; anything else given alone stays a
 * scenario. Two files are a cluster and its assignment when the first is a JSON object.
 *
 * <p>An Envoy input becomes {@link Scenario#fromControlPlane}: the endpoints at the priorities and
 * with the locality weights the control plane sent, the cluster's balancing and outlier detection
 * as {@code dev.meridian.xds} reads them, and their warnings. Errors are
 * {@link IllegalArgumentException}s in the command line's one-line form, {@code FILE: PATH: what,
 * got 'VALUE'}.
 *
 * <p>Stateless and thread-safe.
 */
final class InputFiles {
    /** A dump larger than this is refused unread (a large mesh's sidecar dump is tens of MB). */
    static final long MAX_BYTES = 512L << 20;
    /** How far into a file to look for the start of a JSON object. */
    private static final int PEEK_BYTES = 4096;
    /** Keys of a Cluster or a ClusterLoadAssignment that a scenario never has. */
    private static final Set<String> ENVOY_KEYS = Set.of("@type", "type", "lb_policy", "lbPolicy", "connect_timeout",
            "connectTimeout", "eds_cluster_config", "edsClusterConfig", "load_assignment", "loadAssignment",
            "cluster_name", "clusterName");

    private InputFiles() {
    }

    /** Whether the file exists and holds a JSON object: an Envoy resource or a dump, not a scenario. */
    static boolean isJsonObject(String path) {
        return !Scenarios.builtIn().contains(path) && Files.isRegularFile(Path.of(path)) && startsAnObject(path);
    }

    /**
     * Reads what the command line named.
     *
     * @param files one scenario or dump, or a cluster and its assignment (the caller has checked that
     *     two files start with a JSON object)
     * @param cluster {@code --cluster}: which cluster of a dump, or null
     * @param envoyMinor {@code --envoy-version}: the Envoy release (1.x) to read the files as, or null
     * @param traffic a note for the report's header on where the simulation's traffic comes from, or
     *     null (plan has none)
     * @throws IllegalArgumentException naming the file, the field and the value
     */
    static Scenario load(List<String> files, String cluster, Integer envoyMinor, String traffic) {
        if (files.size() == 2) {
            if (cluster != null) {
                throw new IllegalArgumentException("--cluster: picks a cluster of a config dump, and " + files.get(0)
                        + " is the cluster itself, got '" + cluster + "'");
            }
            return pair(files.get(0), files.get(1), envoyMinor, traffic);
        }
        String file = files.get(0);
        if (isJsonObject(file)) {
            String text = read(file);
            if (topLevelKeys(text).contains("configs")) {
                return dump(file, text, cluster, envoyMinor, traffic);
            }
        }
        if (cluster != null || envoyMinor != null) {
            throw new IllegalArgumentException((cluster != null ? "--cluster" : "--envoy-version")
                    + ": applies to an Envoy config dump or cluster, and " + file + " is a scenario, got '"
                    + (cluster != null ? cluster : "1." + envoyMinor) + "'");
        }
        try {
            return Scenarios.load(file);
        } catch (IllegalArgumentException e) {
            if (isJsonObject(file) && looksLikeEnvoy(topLevelKeys(read(file)))) {
                // A lone Envoy resource is read as a scenario; say what an Envoy user most likely meant.
                throw new IllegalArgumentException(e.getMessage() + " (Envoy JSON? give a config dump, or a Cluster"
                        + " and its ClusterLoadAssignment: CLUSTER.json CLA.json)", e);
            }
            throw e;
        }
    }

    private static boolean looksLikeEnvoy(Set<String> keys) {
        for (String k : keys) {
            if (ENVOY_KEYS.contains(k)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code --envoy-version}: {@code 1.34} (a patch is ignored) to the minor release.
     *
     * @throws IllegalArgumentException naming the option and the value
     */
    static int envoyMinor(String value) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("1\\.(\\d{1,3})(\\.\\d+)?").matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("--envoy-version: expected an Envoy release such as 1.34, got '"
                    + value + "'");
        }
        int minor = Integer.parseInt(m.group(1));
        if (minor < LbConfig.OLDEST_ENVOY_MINOR || minor > LbConfig.LATEST_ENVOY_MINOR) {
            throw new IllegalArgumentException("--envoy-version: Meridian models Envoy 1." + LbConfig.OLDEST_ENVOY_MINOR
                    + " to 1." + LbConfig.LATEST_ENVOY_MINOR + ", got '" + value + "'");
        }
        return minor;
    }

    // ================================================================== a config dump

    private static Scenario dump(String file, String text, String cluster, Integer envoyMinor, String traffic) {
        ConfigDumps.Dump dump;
        try {
            dump = envoyMinor == null ? ConfigDumps.read(text) : ConfigDumps.read(text, envoyMinor);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        DumpedCluster chosen = choose(file, dump, cluster);
        List<String> warnings = new ArrayList<>();
        for (XdsWarning w : dump.warnings()) {
            // The other clusters Meridian left out are not about this one.
            if (!w.field().startsWith("cluster[\"") || w.field().equals(leftOutField(chosen.name()))) {
                warnings.add(w.toString());
            }
        }
        chosen.warnings().forEach(w -> warnings.add(w.toString()));
        return scenario(file, chosen, "Envoy 1." + dump.envoyMinor() + " config dump, cluster as the node at "
                + where(chosen.nodeLocality()) + " runs it", traffic, warnings);
    }

    /** Which cluster of the dump: {@code --cluster}'s, or the only one with endpoints. */
    private static DumpedCluster choose(String file, ConfigDumps.Dump dump, String cluster) {
        List<String> withEndpoints = new ArrayList<>();
        for (DumpedCluster c : dump.clusters().values()) {
            if (c.assignment().table().size() > 0) {
                withEndpoints.add(c.name());
            }
        }
        if (cluster == null) {
            if (withEndpoints.size() == 1) {
                return dump.clusters().get(withEndpoints.get(0));
            }
            if (withEndpoints.isEmpty()) {
                throw new IllegalArgumentException(file + ": clusters: none with endpoints Meridian can run"
                        + leftOutNote(dump));
            }
            throw new IllegalArgumentException(file + ": --cluster: which cluster? the dump has "
                    + String.join(", ", withEndpoints));
        }
        DumpedCluster exact = dump.clusters().get(cluster);
        if (exact != null) {
            return exact;
        }
        for (XdsWarning w : dump.warnings()) {
            if (w.field().equals(leftOutField(cluster))) {
                throw new IllegalArgumentException(file + ": " + w.field() + ": " + w.message());
            }
        }
        // Istio's names (outbound|9080||reviews.bookinfo.svc.cluster.local) are long and need quoting:
        // a part of the name that only one cluster has names that cluster.
        List<String> matches = new ArrayList<>();
        for (String name : dump.clusters().keySet()) {
            if (name.contains(cluster)) {
                matches.add(name);
            }
        }
        if (matches.size() == 1) {
            return dump.clusters().get(matches.get(0));
        }
        if (matches.isEmpty()) {
            throw new IllegalArgumentException(file + ": --cluster: no such cluster; the dump has "
                    + String.join(", ", withEndpoints) + ", got '" + cluster + "'");
        }
        throw new IllegalArgumentException(file + ": --cluster: which cluster? '" + cluster + "' is part of "
                + String.join(", ", matches) + ", got '" + cluster + "'");
    }

    /** The field under which {@code ConfigDumps} warns about a cluster it left out. */
    private static String leftOutField(String cluster) {
        return "cluster[\"" + cluster + "\"]";
    }

    private static String leftOutNote(ConfigDumps.Dump dump) {
        List<String> left = new ArrayList<>();
        for (XdsWarning w : dump.warnings()) {
            if (w.field().startsWith("cluster[\"")) {
                left.add(w.field().substring(9, w.field().length() - 2));
            }
        }
        return left.isEmpty() ? "" : " (left out: " + String.join(", ", left) + ")";
    }

    // ================================================================== a cluster and its assignment

    private static Scenario pair(String clusterFile, String assignmentFile, Integer envoyMinor, String traffic) {
        String clusterJson = read(clusterFile);
        Set<String> clusterKeys = topLevelKeys(clusterJson);
        if (!clusterKeys.contains("name")
                && (clusterKeys.contains("cluster_name") || clusterKeys.contains("clusterName"))) {
            throw new IllegalArgumentException(clusterFile + ": cluster: give the Cluster first and its"
                    + " ClusterLoadAssignment second (CLUSTER.json CLA.json), got a ClusterLoadAssignment");
        }
        if (!isJsonObject(assignmentFile)) {
            throw new IllegalArgumentException(assignmentFile + ": cluster_load_assignment: expected the"
                    + " ClusterLoadAssignment of " + clusterFile + " as a JSON object, got "
                    + (Files.isRegularFile(Path.of(assignmentFile)) ? "something else" : "no such file"));
        }
        String assignmentJson = read(assignmentFile);
        Set<String> keys = topLevelKeys(assignmentJson);
        if (keys.contains("configs")) {
            throw new IllegalArgumentException(assignmentFile + ": cluster_load_assignment: a config dump, not a"
                    + " ClusterLoadAssignment; give a dump alone (and --cluster NAME), got a dump");
        }
        int minor = envoyMinor == null ? LbConfig.LATEST_ENVOY_MINOR : envoyMinor;
        Translated<DumpedCluster> read;
        try {
            String expected = edsServiceName(clusterJson);
            read = ConfigDumps.read(clusterJson, assignmentJson, minor);
            String sent = read.value().assignment().clusterName();
            // EdsClusterImpl::onConfigUpdate (source/extensions/clusters/eds/eds.cc) rejects an
            // assignment for another name: "Unexpected EDS cluster (expecting …)".
            if (!sent.equals(expected)) {
                throw new IllegalArgumentException("cluster_load_assignment.cluster_name: Envoy applies an"
                        + " assignment only to the cluster it names, and " + clusterFile + " expects '" + expected
                        + "' (its eds_cluster_config.service_name, else its name), got '" + sent + "'");
            }
        } catch (IllegalArgumentException e) {
            String message = String.valueOf(e.getMessage());
            String file = message.startsWith("cluster_load_assignment") ? assignmentFile : clusterFile;
            throw new IllegalArgumentException(file + ": " + message, e);
        }
        List<String> warnings = new ArrayList<>();
        if (envoyMinor == null) {
            warnings.add("envoyVersion: a Cluster and a ClusterLoadAssignment do not say which Envoy runs them:"
                    + " read as Envoy 1." + minor + " (--envoy-version 1.N to choose)");
        }
        read.warnings().forEach(w -> warnings.add(w.toString()));
        return scenario(clusterFile, read.value(), "Envoy 1." + minor + " cluster with the endpoints of "
                + assignmentFile, traffic, warnings);
    }

    /** The name an EDS assignment for this cluster must carry: its EDS service name, else its name. */
    private static String edsServiceName(String clusterJson) {
        var cluster = ConfigDumps.parseCluster(clusterJson).value();
        String service = cluster.getEdsClusterConfig().getServiceName();
        return service.isEmpty() ? cluster.getName() : service;
    }

    // ================================================================== both

    private static Scenario scenario(String file, DumpedCluster c, String what, String traffic,
                                     List<String> warnings) {
        LbConfig lb;
        try {
            lb = c.lbConfig();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        String description = what + (traffic == null ? "" : "; " + traffic);
        return Scenario.fromControlPlane(file, description, c.nodeLocality(), c.name(), c.assignment().table(), lb,
                c.settings().outlierDetection(), warnings);
    }

    private static String where(Locality l) {
        return l.isUnknown() ? "an unknown locality" : l.toString();
    }

    // ================================================================== files and JSON

    private static boolean startsAnObject(String path) {
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            byte[] head = in.readNBytes(PEEK_BYTES);
            int i = head.length >= 3 && (head[0] & 0xFF) == 0xEF && (head[1] & 0xFF) == 0xBB
                    && (head[2] & 0xFF) == 0xBF ? 3 : 0;
            while (i < head.length && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) {
                i++;
            }
            return i < head.length && head[i] == '{';
        } catch (IOException e) {
            return false;  // the scenario reader says why it cannot read the file
        }
    }

    /**
     * The file's text, as UTF-8.
     *
     * @throws IllegalArgumentException naming the file when it cannot be read, is too large or is
     *     not UTF-8
     */
    static String read(String file) {
        Path p = Path.of(file);
        try {
            if (Files.size(p) > MAX_BYTES) {
                throw new IllegalArgumentException(file + ": larger than " + MAX_BYTES + " bytes, got "
                        + Files.size(p) + " bytes");
            }
            byte[] bytes = Files.readAllBytes(p);
            int start = bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB
                    && (bytes[2] & 0xFF) == 0xBF ? 3 : 0;
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, start, bytes.length - start)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 (JSON is UTF-8), got bytes that are not", e);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file", e);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the file: " + e.getMessage(), e);
        }
    }

    /**
     * The keys of a JSON object's top level, found by one pass over the text without parsing the
     * values (a dump is told from other JSON before it is parsed). Stops at the end of the object;
     * a text cut short gives the keys seen so far.
     */
    static Set<String> topLevelKeys(String text) {
        Set<String> keys = new HashSet<>();
        int depth = 0;
        int i = 0;
        int n = text.length();
        while (i < n) {
            char ch = text.charAt(i);
            if (ch == '"') {
                int start = ++i;
                while (i < n && text.charAt(i) != '"') {
                    i += text.charAt(i) == '\\' ? 2 : 1;
                }
                String s = text.substring(start, Math.min(i, n));
                i++;
                if (depth == 1) {
                    int j = i;
                    while (j < n && Character.isWhitespace(text.charAt(j))) {
                        j++;
                    }
                    if (j < n && text.charAt(j) == ':') {
                        keys.add(s);
                    }
                }
                continue;
            }
            if (ch == '{' || ch == '[') {
                depth++;
            } else if (ch == '}' || ch == ']') {
                depth--;
                if (depth == 0) {
                    break;
                }
            }
            i++;
        }
        return keys;
    }
}
