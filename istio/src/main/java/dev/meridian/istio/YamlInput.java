package dev.meridian.istio;

import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Loads one YAML document into plain maps, lists and scalars, defensively.
 *
 * <p>snakeyaml-engine constructs only standard YAML types (it has no tags that build arbitrary
 * objects, so {@code !!java/...} is rejected), and on top of that this class bounds what a hostile
 * document can cost: its length, the number of aliases to collections (billion laughs), and the
 * nesting depth (which the recursive composer would otherwise turn into a stack overflow). Duplicate
 * keys are rejected, as Kubernetes' strict decoding does. Scalars are resolved with the YAML 1.2
 * core schema, so {@code ~} is null and {@code True} is a boolean, as Kubernetes users write them.
 *
 * <p>Stateless and thread-safe.
 */
final class YamlInput {

    /** Far above any real DestinationRule or mesh config, far below what could hurt. */
    static final int MAX_CHARS = 1 << 20;
    static final int MAX_ALIASES = 50;
    static final int MAX_DEPTH = 64;

    private YamlInput() {
    }

    /**
     * Loads exactly one document.
     *
     * @throws IllegalArgumentException prefixed with {@code sourceName} when the text is not one
     *         well-formed, bounded YAML document
     */
    static Object loadOne(String sourceName, String yaml) {
        if (yaml == null) {
            throw new IllegalArgumentException(sourceName + ": no YAML given (null)");
        }
        if (yaml.length() > MAX_CHARS) {
            throw new IllegalArgumentException(sourceName + ": document is " + yaml.length()
                    + " characters, more than the " + MAX_CHARS + " accepted");
        }
        LoadSettings settings = LoadSettings.builder()
                .setLabel(sourceName)
                .setSchema(new CoreSchema())
                .setAllowDuplicateKeys(false)
                .setAllowRecursiveKeys(false)
                .setMaxAliasesForCollections(MAX_ALIASES)
                .setCodePointLimit(MAX_CHARS)
                .build();
        try {
            checkDepth(sourceName, settings, yaml);
            Object document = new Load(settings).loadFromString(yaml);
            if (document == null) {
                throw new IllegalArgumentException(sourceName + ": empty document");
            }
            return document;
        } catch (YamlEngineException e) {
            throw new IllegalArgumentException(sourceName + ": invalid YAML: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            // snakeyaml-engine reports some malformed input (a bad %-escape in a tag, "!aa%a") as a
            // bare IllegalArgumentException; name the source like every other refusal.
            if (String.valueOf(e.getMessage()).startsWith(sourceName + ": ")) {
                throw e;
            }
            throw new IllegalArgumentException(sourceName + ": invalid YAML: " + e.getMessage(), e);
        }
    }

    private static void checkDepth(String sourceName, LoadSettings settings, String yaml) {
        // The event parser keeps its own stack, so it can measure depth without recursing.
        int depth = 0;
        for (Event event : new Parse(settings).parseString(yaml)) {
            switch (event.getEventId()) {
                case MappingStart:
                case SequenceStart:
                    if (++depth > MAX_DEPTH) {
                        throw new IllegalArgumentException(sourceName + ": nesting deeper than " + MAX_DEPTH
                                + " levels");
                    }
                    break;
                case MappingEnd:
                case SequenceEnd:
                    depth--;
                    break;
                default:
                    break;
            }
        }
    }
}
