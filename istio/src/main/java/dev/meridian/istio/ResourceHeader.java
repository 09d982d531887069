package dev.meridian.istio;

import java.util.Map;

/**
 * What every Istio resource Meridian reads has around its {@code spec}: an {@code apiVersion} of
 * {@code networking.istio.io} ({@link DestinationRule#API_VERSIONS}), its {@code kind}, and
 * {@code metadata} with a name; the fields the API server writes ({@code status}, the object
 * metadata) are accepted and not read.
 *
 * <p>Immutable and thread-safe.
 *
 * @param labels {@code metadata.labels}, validated as Kubernetes labels; empty when not asked for
 * @param annotations {@code metadata.annotations}; empty when not asked for
 * @param spec the {@code spec} mapping, for the caller to read and finish
 */
record ResourceHeader(String apiVersion, String name, String namespace, Map<String, String> labels,
                      Map<String, String> annotations, YamlNode spec) {

    /**
     * Reads and finishes everything of {@code root} but its {@code spec}.
     *
     * @param readLabels whether labels and annotations mean something for the resource (a
     *        ServiceEntry's say how Istio treats the service); otherwise they are valid and skipped
     * @throws IllegalArgumentException naming the field and value when the envelope is not one Istio accepts
     */
    static ResourceHeader read(YamlNode root, String kind, boolean readLabels) {
        String apiVersion = root.requiredString("apiVersion");
        if (!DestinationRule.API_VERSIONS.contains(apiVersion)) {
            throw new IllegalArgumentException("apiVersion: expected one of " + DestinationRule.API_VERSIONS
                    + ", got " + Values.describe(apiVersion));
        }
        String actualKind = root.requiredString("kind");
        if (!kind.equals(actualKind)) {
            throw new IllegalArgumentException("kind: expected " + kind + ", got " + Values.describe(actualKind));
        }
        YamlNode metadata = root.mapping("metadata");
        if (metadata == null) {
            throw new IllegalArgumentException("metadata: required, got nothing");
        }
        String name = metadata.requiredString("name");
        String namespace = metadata.stringField("namespace");
        Map<String, String> labels = Map.of();
        Map<String, String> annotations = Map.of();
        if (readLabels) {
            labels = IstioChecks.stringMap(metadata.mapping("labels"), true);
            annotations = IstioChecks.stringMap(metadata.mapping("annotations"), false);
        } else {
            metadata.skip("labels", "annotations");
        }
        // Kubernetes object metadata: valid here, and nothing in it changes endpoint choice.
        metadata.skip("uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
                "deletionGracePeriodSeconds", "managedFields", "ownerReferences", "finalizers", "generateName",
                "selfLink");
        metadata.finish();
        YamlNode spec = root.mapping("spec");
        if (spec == null) {
            throw new IllegalArgumentException("spec: required, got nothing");
        }
        // Written by the API server, not by the user.
        root.skip("status");
        root.finish();
        return new ResourceHeader(apiVersion, name, namespace, labels, annotations, spec);
    }
}
