package dev.meridian.examples;

import dev.meridian.core.Endpoint;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Reads a scenario: a YAML file path or the name of a built-in scenario. YAML is read with
 * snakeyaml-engine's safe defaults (YAML 1.2 core schema; tags never construct objects).
 */
final class ScenarioLoader {
    static final List<String> BUILT_IN = List.of("cross-region", "cross-region-no-outlier", "bookinfo-multicluster",
            "zone-outage", "virtual-nodes");
    private static final int MAX_BYTES = 4 * 1024 * 1024;
    private static final Set<String> TOP = Set.of("name", "description", "caller", "mesh", "destinationRule",
            "subset", "endpoints", "simulation", "localCluster");
    private static final Set<String> ENDPOINT_FIELDS = Set.of("address", "locality", "region", "zone", "subzone",
            "labels", "weight", "health", "priority");

    private ScenarioLoader() {
    }

    static RawScenario load(String nameOrPath) {
        String text;
        String source;
        if (BUILT_IN.contains(nameOrPath)) {
            source = "built-in scenario '" + nameOrPath + "'";
            try (InputStream in = ScenarioLoader.class.getResourceAsStream("/scenarios/" + nameOrPath + ".yaml")) {
                if (in == null) {
                    throw new InputException(source, "missing from the jar");
                }
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new InputException(source, "cannot read: " + e.getMessage());
            }
        } else {
            Path p = Path.of(nameOrPath);
            source = nameOrPath;
            try {
                if (Files.size(p) > MAX_BYTES) {
                    throw new InputException(source, "file is larger than " + MAX_BYTES + " bytes");
                }
                text = Files.readString(p, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new InputException(source, "no such file, and not a built-in scenario (built-in: "
                        + String.join(", ", BUILT_IN) + ")");
            } catch (IOException e) {
                throw new InputException(source, "cannot read: " + e.getMessage());
            }
        }
        return parse(source, text);
    }

    static RawScenario parse(String source, String text) {
        Object doc;
        try {
            LoadSettings settings = LoadSettings.builder().setLabel(source).setMaxAliasesForCollections(50)
                    .setAllowDuplicateKeys(false).setCodePointLimit(MAX_BYTES).build();
            doc = new Load(settings).loadFromString(text);
        } catch (YamlEngineException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().replaceAll("\\s+", " ").strip();
            throw new InputException(source, "not valid YAML: " + msg);
        }
        YamlNode root = new YamlNode(source, "", doc);
        if (!(doc instanceof Map)) {
            throw root.error("a scenario must be a YAML mapping");
        }
        root.allowOnly(TOP);
        String name = root.get("name").string(source);
        String description = root.get("description").string("");
        YamlNode caller = root.get("caller");
        caller.allowOnly(Set.of("locality", "region", "zone", "subzone", "labels"));
        Locality callerLocality = locality(caller);
        Map<String, String> callerLabels = caller.get("labels").stringMap();
        List<Endpoint> endpoints = endpoints(root.get("endpoints"));
        return new RawScenario(source, name, description, callerLocality, callerLabels, root.get("mesh"),
                root.get("destinationRule"), root.get("subset").string(null), endpoints, root.get("simulation"));
    }

    static List<Endpoint> endpoints(YamlNode list) {
        List<Endpoint> out = new ArrayList<>();
        for (YamlNode e : list.list()) {
            e.allowOnly(ENDPOINT_FIELDS);
            try {
                out.add(Endpoint.parseAddress(e.get("address").requiredString(), locality(e),
                        e.get("labels").stringMap(), e.get("weight").intValue(1),
                        HealthStatus.parse(e.path() + ".health", e.get("health").string(null)),
                        e.get("priority").intValue(Endpoint.NO_PRIORITY)));
            } catch (IllegalArgumentException ex) {
                throw e.error(ex.getMessage());
            }
        }
        return out;
    }

    /** {@code locality: r/z/s} or separate {@code region}, {@code zone}, {@code subzone} fields. */
    static Locality locality(YamlNode n) {
        try {
            if (n.has("locality")) {
                if (n.has("region") || n.has("zone") || n.has("subzone")) {
                    throw n.get("locality").error("give either locality or region/zone/subzone, not both");
                }
                return Locality.parse(n.get("locality").string(""));
            }
            return Locality.of(n.get("region").string(""), n.get("zone").string(""), n.get("subzone").string(""));
        } catch (IllegalArgumentException ex) {
            throw n.error(ex.getMessage());
        }
    }

    /** A scenario as read, before the Istio parts are validated. */
    record RawScenario(String source, String name, String description, Locality callerLocality,
                       Map<String, String> callerLabels, YamlNode mesh, YamlNode destinationRule, String subset,
                       List<Endpoint> endpoints, YamlNode simulation) {
    }
}
