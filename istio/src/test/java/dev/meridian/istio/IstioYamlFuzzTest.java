package dev.meridian.istio;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.meridian.core.Endpoint;
import dev.meridian.core.IstioRelease;
import dev.meridian.core.Locality;
import dev.meridian.topology.Caller;
import dev.meridian.topology.LocalityLbSetting;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every Istio reader of this package on the same fuzzed YAML: {@link YamlNode} (every accessor on
 * every node), {@link DestinationRules} with the {@link DestinationPolicy} each subset and port
 * gives and the priorities it assigns, {@link MeshConfigs}, {@link ServiceEntries} (ServiceEntry
 * and WorkloadEntry). Each must return a value or refuse with the documented
 * {@link IllegalArgumentException} ({@link DocumentedErrors}). One target rather than one per
 * reader because Jazzer fuzzes one target per JVM, and each JVM costs seconds of {@code mvn verify}.
 * Seeds: the rules, mesh configs and entries of docs/examples, the built-in scenarios and this
 * module's tests. docs/fuzzing.md.
 */
class IstioYamlFuzzTest {
    private static final String SOURCE = "fuzz.yaml";
    private static final int MAX_NODES = 300;
    /** Two regions, three zones, labelled as Bookinfo's reviews: enough for every priority rule to bite. */
    private static final List<Endpoint> ENDPOINTS = List.of(
            endpoint("10.0.0.1", "us-east1/us-east1-b", "v1"),
            endpoint("10.0.0.2", "us-east1/us-east1-c", "v2"),
            endpoint("10.0.0.3", "us-west1/us-west1-a/rack-7", "v3"));
    private static final Caller CALLER = new Caller(Locality.parse("us-east1/us-east1-b"), Map.of("app", "productpage"));

    @FuzzTest(maxDuration = "5m", maxExecutions = 5_000)
    void readers(byte[] data) {
        String yaml = new String(data, StandardCharsets.UTF_8);
        yamlNode(yaml);
        destinationRule(yaml);
        meshConfig(yaml);
        entries(yaml);
    }

    private static void yamlNode(String yaml) {
        List<YamlNode> documents;
        try {
            documents = YamlNode.parseAll(SOURCE, yaml);
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireNamed(SOURCE, e);
            return;
        }
        int[] budget = {MAX_NODES};
        for (YamlNode document : documents) {
            walk(document, budget);
        }
    }

    /**
     * Every public accessor on every node, up to {@link #MAX_NODES} nodes: aliases let a few lines
     * name a tree of millions of nodes, which is the readers' concern, not the walk's.
     */
    private static void walk(YamlNode node, int[] budget) {
        if (--budget[0] < 0) {
            return;
        }
        String source = node.source();
        accept(source, node::shown);
        accept(source, () -> node.string(null));
        accept(source, node::requiredString);
        accept(source, () -> node.longValue(0));
        accept(source, () -> node.intValue(0));
        accept(source, () -> node.doubleValue(0));
        accept(source, () -> node.durationNanos(0, YamlNode.MAX_SECONDS));
        accept(source, () -> node.durationNanos(0, 60));
        accept(source, node::stringMap);
        accept(source, () -> {
            node.allowOnly("apiVersion", "kind", "metadata", "spec");
            return null;
        });
        List<YamlNode> children = new ArrayList<>();
        accept(source, () -> children.addAll(node.list()));
        if (node.isMap()) {
            try {
                for (String key : node.map().keySet()) {
                    node.has(key);
                    children.add(node.get(key));
                }
            } catch (IllegalArgumentException e) {
                DocumentedErrors.requireNamed(source, e);
            }
        }
        for (YamlNode child : children) {
            walk(child, budget);
        }
    }

    private static void accept(String source, java.util.function.Supplier<?> read) {
        try {
            read.get();
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireNamed(source, e);
        }
    }

    private static void destinationRule(String yaml) {
        DestinationRule rule;
        try {
            rule = DestinationRules.parse(SOURCE, yaml).value();
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireNamed(SOURCE, e);
            return;
        }
        List<String> subsets = new ArrayList<>();
        subsets.add(null);
        rule.subsets().forEach(s -> subsets.add(s.name()));
        List<Integer> ports = new ArrayList<>();
        ports.add(null);
        if (rule.trafficPolicy() != null) {
            rule.trafficPolicy().portLevelSettings().forEach(p -> ports.add(p.port()));
        }
        for (String subset : subsets) {
            for (Integer port : ports) {
                for (IstioRelease release : List.of(IstioRelease.LATEST, IstioRelease.parse("1.6"))) {
                    policy(rule, subset, port, release);
                }
            }
        }
    }

    private static void policy(DestinationRule rule, String subset, Integer port, IstioRelease release) {
        DestinationPolicy policy;
        try {
            policy = DestinationPolicy.from(rule, subset, port, MeshConfigs.MESH_DEFAULT, release);
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireField(e);
            return;
        }
        policy.assign(ENDPOINTS, CALLER);
        policy.assign(ENDPOINTS, CALLER, KubernetesService.NONE, release);
        policy.lbFor(KubernetesService.NONE, release);
    }

    private static void meshConfig(String yaml) {
        LocalityLbSetting setting;
        try {
            setting = MeshConfigs.parseLocalityLbSetting(SOURCE, yaml).value();
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireNamed(SOURCE, e);
            return;
        }
        // The mesh setting decides priorities when no rule has one, with and without failover.
        DestinationPolicy.from(null, null, null, setting, IstioRelease.LATEST).assign(ENDPOINTS, CALLER);
        DestinationPolicy.from(OUTLIER_ONLY, setting, IstioRelease.LATEST).assign(ENDPOINTS, CALLER);
    }

    private static final TrafficPolicy OUTLIER_ONLY = DestinationRules.parse("outlier.yaml", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy: {outlierDetection: {consecutive5xxErrors: 5}}
            """).value().trafficPolicy();

    private static void entries(String yaml) {
        try {
            ServiceEntry entry = ServiceEntries.parse(SOURCE, yaml).value();
            for (ServiceEntry.Port port : entry.ports()) {
                for (WorkloadEntry endpoint : entry.endpoints()) {
                    port.endpointPort(endpoint);
                }
            }
            for (WorkloadEntry endpoint : entry.endpoints()) {
                endpoint.loadBalancingWeight();
                endpoint.endpointLabels();
                entry.selects(endpoint.labels());
            }
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireNamed(SOURCE, e);
        }
        try {
            WorkloadEntry workload = ServiceEntries.parseWorkloadEntry(SOURCE, yaml).value();
            workload.loadBalancingWeight();
            workload.endpointLabels();
        } catch (IllegalArgumentException e) {
            DocumentedErrors.requireNamed(SOURCE, e);
        }
    }

    private static Endpoint endpoint(String host, String locality, String version) {
        return new Endpoint(host, 9080, Locality.parse(locality), Map.of("app", "reviews", "version", version), 1,
                dev.meridian.core.HealthStatus.HEALTHY, Endpoint.NO_PRIORITY);
    }
}
