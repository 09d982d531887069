package dev.meridian.istio;

import dev.meridian.topology.LocalityLbSetting;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the mesh-wide {@code localityLbSetting} from the places Istio users keep it:
 * <ul>
 *   <li>a mesh config document (the {@code mesh} key of the {@code istio} ConfigMap), with a
 *       top-level {@code localityLbSetting};</li>
 *   <li>Helm values or an IstioOperator {@code spec} fragment, with {@code meshConfig.localityLbSetting};</li>
 *   <li>an {@code IstioOperator} resource, with {@code spec.meshConfig.localityLbSetting};</li>
 *   <li>the {@code istio} {@code ConfigMap} itself, whose {@code data.mesh} string holds the mesh config;</li>
 *   <li>the block on its own ({@code enabled}, {@code distribute}, {@code failover},
 *       {@code failoverPriority} at the top), as a scenario file embeds it; its paths are then
 *       reported under {@code localityLbSetting}.</li>
 * </ul>
 * Only the {@code localityLbSetting} block is read and checked; the many other mesh settings around
 * it are left alone. When the block is absent the result is {@link #MESH_DEFAULT}, Istio's default.
 *
 * <p>Stateless and thread-safe.
 */
public final class MeshConfigs {

    /**
     * Istio's default mesh-wide setting ({@code DefaultMeshConfig} in {@code pkg/config/mesh}):
     * locality load balancing enabled, with no distribute or failover rules.
     */
    public static final LocalityLbSetting MESH_DEFAULT =
            new LocalityLbSetting(Boolean.TRUE, List.of(), List.of(), List.of());

    private static final String BLOCK = "localityLbSetting";
    private static final List<String> BLOCK_FIELDS = List.of("enabled", "distribute", "failover", "failoverPriority");

    private MeshConfigs() {
    }

    /**
     * Parses the mesh-wide locality setting out of one YAML document.
     *
     * @param sourceName names the input in messages, such as a file name
     * @param yaml a mesh config, Helm values, an IstioOperator or the istio ConfigMap
     * @return the setting ({@link #MESH_DEFAULT} when none is written) and the warnings about it
     * @throws IllegalArgumentException if the YAML is malformed, oversized or unsafe, or the setting
     *         is one Istio would reject
     */
    public static Parsed<LocalityLbSetting> parseLocalityLbSetting(String sourceName, String yaml) {
        String source = DestinationRules.sourceName(sourceName);
        return read(source, YamlNode.loadDocument(source, yaml));
    }

    /**
     * Reads the mesh-wide locality setting out of an already loaded document.
     *
     * @param sourceName names the input in messages
     * @param document a mesh config, Helm values, an IstioOperator or the istio ConfigMap, as maps
     * @return the setting ({@link #MESH_DEFAULT} when none is written) and the warnings about it
     * @throws IllegalArgumentException if the setting is one Istio would reject
     */
    public static Parsed<LocalityLbSetting> parseLocalityLbSetting(String sourceName, Map<String, ?> document) {
        return read(DestinationRules.sourceName(sourceName), document);
    }

    private static Parsed<LocalityLbSetting> read(String source, Object document) {
        List<String> warnings = new ArrayList<>();
        try {
            YamlNode block = findBlock(source, YamlNode.root(document, warnings));
            if (block == null) {
                return new Parsed<>(MESH_DEFAULT, warnings);
            }
            LocalityLbSetting setting = LocalitySettingReader.read(block);
            if (LocalitySettingReader.wantsFailover(setting)) {
                warnings.add(block.path() + ": failover and failoverPriority apply only to destinations whose "
                        + "DestinationRule configures outlierDetection; elsewhere Istio leaves them out");
            }
            return new Parsed<>(setting, warnings);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static YamlNode findBlock(String source, YamlNode root) {
        Object kind = root.raw("kind");
        if ("ConfigMap".equals(kind)) {
            YamlNode data = root.mapping("data");
            String mesh = data == null ? null : data.stringField("mesh");
            if (mesh == null) {
                throw new IllegalArgumentException("data.mesh: required in the istio ConfigMap, got nothing");
            }
            // The ConfigMap's own size already bounds this nested document.
            Object meshDocument = YamlNode.loadDocument(source + " data.mesh", mesh);
            return YamlNode.of("data.mesh", meshDocument, root.warnings()).mapping(BLOCK);
        }
        if ("IstioOperator".equals(kind)) {
            YamlNode spec = root.mapping("spec");
            YamlNode meshConfig = spec == null ? null : spec.mapping("meshConfig");
            return meshConfig == null ? null : meshConfig.mapping(BLOCK);
        }
        YamlNode topLevel = root.mapping(BLOCK);
        YamlNode meshConfig = root.mapping("meshConfig");
        YamlNode nested = meshConfig == null ? null : meshConfig.mapping(BLOCK);
        if (topLevel != null && nested != null) {
            throw new IllegalArgumentException(BLOCK + ": written both at the top level and under meshConfig; "
                    + "keep one");
        }
        if (topLevel != null || nested != null) {
            return topLevel != null ? topLevel : nested;
        }
        if (kind == null && meshConfig == null && isBlockItself(root.entries())) {
            // The block's own fields at the top: a file (or an embedding) that holds just the setting.
            return YamlNode.of(BLOCK, root.entries(), root.warnings());
        }
        return null;
    }

    private static boolean isBlockItself(Map<?, ?> entries) {
        for (String field : BLOCK_FIELDS) {
            if (entries.containsKey(field)) {
                return true;
            }
        }
        return false;
    }
}
