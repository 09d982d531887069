package dev.meridian.kubernetes;

import dev.meridian.istio.DestinationRule;
import dev.meridian.istio.DestinationRules;
import dev.meridian.istio.Parsed;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which watched DestinationRule applies to the Service, each resource read through
 * {@link DestinationRules#parse(String, Map)} once per resource version.
 *
 * <ul>
 *   <li>A rule's {@code spec.host} is resolved as Istio's {@code ResolveShortnameToFQDN}
 *       ({@code pilot/pkg/model/config.go}): a name without a dot is in the rule's namespace
 *       ({@code name.namespace.svc.<cluster domain>}); anything else, and {@code *}, stays as written.
 *       It matches the Service's full name exactly, or as a {@code *.suffix} wildcard.</li>
 *   <li>An exact match wins over a wildcard; among equals the oldest ({@code creationTimestamp}, then
 *       name) wins and the others are reported: Istio merges several rules for one host, Meridian
 *       does not.</li>
 *   <li>A resource Istio would reject (Istio's validating webhook would have refused the update) is
 *       reported, and its last valid version stays in force; one never valid is ignored.</li>
 * </ul>
 *
 * <p>Not thread-safe: the source calls it under its lock.
 */
final class DestinationRuleSelection {

    private record Entry(String resourceVersion, DestinationRule rule) {
    }

    private record Candidate(DestinationRule rule, int rank, String created, String name) {
    }

    private final String serviceNamespace;
    private final String fqdn;
    private final String clusterDomain;
    private final Map<String, Entry> parsed = new HashMap<>();
    private final Map<String, DestinationRule> lastValid = new HashMap<>();

    DestinationRuleSelection(String serviceNamespace, String serviceName, String clusterDomain) {
        this.serviceNamespace = serviceNamespace;
        this.clusterDomain = clusterDomain;
        this.fqdn = (serviceName + "." + serviceNamespace + ".svc." + clusterDomain).toLowerCase(Locale.ROOT);
    }

    /** The Service's full name, as rules' hosts are compared with it. */
    String fqdn() {
        return fqdn;
    }

    /**
     * The rule in force among the resources, or null for none.
     *
     * @param warnings where to add parse warnings (once per resource version) and conflicts
     */
    DestinationRule select(Collection<GenericKubernetesResource> resources, List<KubernetesWarning> warnings) {
        Map<String, GenericKubernetesResource> byName = new LinkedHashMap<>();
        for (GenericKubernetesResource r : resources) {
            byName.put(r.getMetadata().getName(), r);
        }
        parsed.keySet().retainAll(byName.keySet());
        lastValid.keySet().retainAll(byName.keySet());
        List<Candidate> candidates = new ArrayList<>();
        for (GenericKubernetesResource r : byName.values()) {
            ObjectMeta meta = r.getMetadata();
            String field = "destinationrules/" + meta.getNamespace() + "/" + meta.getName();
            String version = meta.getResourceVersion() == null ? "" : meta.getResourceVersion();
            Entry e = parsed.get(meta.getName());
            if (e == null || !e.resourceVersion().equals(version)) {
                e = new Entry(version, parse(field, r, warnings));
                parsed.put(meta.getName(), e);
            }
            DestinationRule rule = e.rule() != null ? e.rule() : lastValid.get(meta.getName());
            if (rule == null) {
                continue;
            }
            int rank = rank(rule.host(), meta.getNamespace());
            if (rank >= 0) {
                candidates.add(new Candidate(rule, rank, meta.getCreationTimestamp() == null ? ""
                        : meta.getCreationTimestamp(), meta.getName()));
            }
        }
        if (candidates.isEmpty()) {
            return null;
        }
        candidates.sort(Comparator.comparingInt(Candidate::rank).thenComparing(Candidate::created)
                .thenComparing(Candidate::name));
        Candidate chosen = candidates.get(0);
        for (int i = 1; i < candidates.size(); i++) {
            warnings.add(new KubernetesWarning("destinationrules/" + serviceNamespace + "/" + candidates.get(i).name(),
                    "also applies to " + fqdn + "; Istio merges the rules for one host, Meridian uses only '"
                            + chosen.name() + "' (" + (chosen.rank() == 0 ? "an exact host, " : "") + "the oldest)"));
        }
        return chosen.rule();
    }

    private DestinationRule parse(String field, GenericKubernetesResource r, List<KubernetesWarning> warnings) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("apiVersion", r.getApiVersion());
        document.put("kind", r.getKind());
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", r.getMetadata().getName());
        if (r.getMetadata().getNamespace() != null) {
            metadata.put("namespace", r.getMetadata().getNamespace());
        }
        document.put("metadata", metadata);
        // Everything but metadata arrives as the resource's own fields: spec, and status if any.
        for (Map.Entry<String, Object> f : r.getAdditionalProperties().entrySet()) {
            document.put(f.getKey(), f.getValue());
        }
        try {
            Parsed<DestinationRule> p = DestinationRules.parse(field, document);
            for (String w : p.warnings()) {
                warnings.add(new KubernetesWarning(field, w));
            }
            lastValid.put(r.getMetadata().getName(), p.value());
            return p.value();
        } catch (IllegalArgumentException invalid) {
            boolean kept = lastValid.containsKey(r.getMetadata().getName());
            warnings.add(new KubernetesWarning(field, invalid.getMessage() + (kept
                    ? "; Istio would reject this version, so its last valid version stays in force"
                    : "; Istio would reject it, so it is ignored")));
            return null;
        }
    }

    /** 0 for the Service's exact name, 1 for a matching wildcard, -1 when the host is another service's. */
    private int rank(String host, String ruleNamespace) {
        String h = host.toLowerCase(Locale.ROOT);
        if (!h.equals("*") && h.indexOf('.') < 0) {
            h = h + "." + (ruleNamespace == null ? serviceNamespace : ruleNamespace) + ".svc." + clusterDomain;
        }
        if (h.equals(fqdn)) {
            return 0;
        }
        if (h.equals("*") || h.startsWith("*.") && fqdn.endsWith(h.substring(1))) {
            return 1;
        }
        return -1;
    }
}
