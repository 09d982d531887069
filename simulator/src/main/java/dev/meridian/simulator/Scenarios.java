package dev.meridian.simulator;

import dev.meridian.core.Endpoint;
import dev.meridian.core.IstioRelease;
import dev.meridian.istio.DestinationPolicy;
import dev.meridian.istio.DestinationRule;
import dev.meridian.istio.DestinationRules;
import dev.meridian.istio.MeshConfigs;
import dev.meridian.istio.Parsed;
import dev.meridian.istio.Subset;
import dev.meridian.topology.Caller;
import dev.meridian.topology.LocalityLbSetting;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Loads scenarios (a YAML file or a built-in name) into validated {@link Scenario}s. Every problem
 * is reported as one line naming the file, the field and the value.
 *
 * <p>Stateless and thread-safe.
 */
public final class Scenarios {
    /** Outlier sweeps times endpoints a plan replays to reach {@code planAt}: seconds, not hours. */
    static final long MAX_PLAN_SWEEP_WORK = 1_000_000_000L;
    private Scenarios() {
    }

    /** The names of the built-in scenarios. */
    public static List<String> builtIn() {
        return ScenarioLoader.BUILT_IN;
    }

    /**
     * Loads and validates a scenario.
     *
     * @throws InputException (an IllegalArgumentException) naming the file, the field and the value
     */
    public static Scenario load(String nameOrPath) {
        return resolve(ScenarioLoader.load(nameOrPath));
    }

    /**
     * Validates a scenario given as YAML text; {@code source} names it in errors.
     *
     * @throws InputException (an IllegalArgumentException) naming {@code source}, the field and the value
     */
    public static Scenario parse(String source, String yaml) {
        return resolve(ScenarioLoader.parse(source, yaml));
    }

    /** The endpoints a subset selects by label, as Istio builds a subset cluster. */
    private static List<Endpoint> subsetEndpoints(String source, DestinationRule rule, String subset,
                                                  List<Endpoint> endpoints) {
        if (rule == null) {
            throw new InputException(source, "subset: '" + subset + "' needs a destinationRule that defines it");
        }
        Subset s = rule.subset(subset).orElseThrow(() -> new InputException(source, "subset: no subset named '"
                + subset + "' in the destinationRule (subsets: "
                + rule.subsets().stream().map(Subset::name).toList() + ")"));
        return endpoints.stream().filter(e -> s.selects(e.labels())).toList();
    }

    /**
     * Runs an Istio reader on a section of the scenario and names its errors by their path in the
     * scenario file: the reader's {@code spec.host} is the file's {@code destinationRule.spec.host}.
     */
    private static <T> T within(String source, String section, java.util.function.Supplier<T> reader) {
        try {
            return reader.get();
        } catch (IllegalArgumentException e) {
            String message = String.valueOf(e.getMessage());
            String rest = message.startsWith(source + ": ") ? message.substring(source.length() + 2) : message;
            throw new InputException(source, rest.startsWith(section) ? rest : section + rest);
        }
    }

    /**
     * A plan replays every outlier sweep up to {@code planAt}, each over every endpoint: with a 1ms
     * interval, {@code planAt: 1000h} is 3.6 billion sweeps, hours of replay for an answer that
     * stopped changing long before. Refused past {@link #MAX_PLAN_SWEEP_WORK} endpoint-sweeps.
     */
    private static void requirePlanWithinReach(long planAtNanos, DestinationPolicy policy, int endpointCount) {
        if (policy.outlier() == null) {
            return;
        }
        long interval = policy.outlier().interval().toNanos();
        long sweeps = planAtNanos / interval;
        long hosts = Math.max(1, endpointCount);
        // sweeps < 2^63 / 10^6 (the interval is at least 1ms) and hosts <= 100,000: no overflow.
        if (sweeps * hosts > MAX_PLAN_SWEEP_WORK) {
            throw new IllegalArgumentException("planAt: reaching " + Reports.duration(planAtNanos) + " replays "
                    + sweeps + " outlier sweeps (one every " + Reports.duration(interval) + ") over " + hosts
                    + " endpoint(s), more than the " + MAX_PLAN_SWEEP_WORK + " endpoint-sweeps a plan replays; plan"
                    + " at most " + Reports.duration(MAX_PLAN_SWEEP_WORK / hosts * interval) + " in (planAt, or the last"
                    + " history entry), got '" + Reports.duration(planAtNanos) + "'");
        }
    }

    private static Scenario resolve(ScenarioLoader.RawScenario raw) {
        String source = raw.source();
        List<String> warnings = new ArrayList<>();
        try {
            // Without a mesh section the mesh has Istio's default: locality load balancing enabled.
            LocalityLbSetting mesh = MeshConfigs.MESH_DEFAULT;
            IstioRelease release = IstioRelease.LATEST;
            if (!raw.mesh().isMissing()) {
                Map<String, Object> meshMap = new java.util.LinkedHashMap<>(raw.mesh().map());
                Object version = meshMap.remove("istioVersion");
                if (version != null) {
                    if (!(version instanceof String text)) {
                        // YAML reads 1.10 as the number 1.1: only a string says which release is meant.
                        throw raw.mesh().get("istioVersion").error("write the release as a string, such as \"1.10\" "
                                + "(YAML reads 1.10 as the number 1.1), got " + version);
                    }
                    try {
                        release = IstioRelease.parse(text);
                    } catch (IllegalArgumentException e) {
                        throw raw.mesh().get("istioVersion").error(e.getMessage().replaceFirst("^istioVersion: ", ""));
                    }
                }
                Parsed<LocalityLbSetting> m = within(source, "mesh.",
                        () -> MeshConfigs.parseLocalityLbSetting(source, meshMap));
                mesh = m.value();
                m.warnings().forEach(w -> warnings.add("mesh." + w));
            }
            DestinationRule rule = null;
            if (!raw.destinationRule().isMissing()) {
                Parsed<DestinationRule> r = within(source, "destinationRule.",
                        () -> DestinationRules.parse(source, raw.destinationRule().map()));
                rule = r.value();
                r.warnings().forEach(w -> warnings.add("destinationRule." + w));
            }
            List<Endpoint> endpoints = raw.endpoints();
            if (raw.subset() != null) {
                endpoints = subsetEndpoints(source, rule, raw.subset(), endpoints);
            }
            DestinationPolicy policy = DestinationPolicy.from(rule, raw.subset(), raw.callerPort(), mesh, release);
            if (raw.callerMode() == CallerMode.KUBE_PROXY) {
                if (rule != null || !raw.mesh().isMissing()) {
                    warnings.add("caller.mode: kube-proxy: the caller is outside the mesh, so the destinationRule and"
                            + " the mesh settings do not apply; kube-proxy follows only the Service's"
                            + " trafficDistribution");
                }
            } else {
                warnings.addAll(policy.notes());
                String note = policy.serviceNote(raw.service(), release);
                if (note != null) {
                    warnings.add(note);
                }
            }
            Caller caller = new Caller(raw.callerLocality(), raw.callerLabels());
            @SuppressWarnings("unchecked")
            Map<String, Object> simulation = raw.simulation().isMissing() ? Map.of() : raw.simulation().map();
            Scenario scenario = new Scenario(source, raw.name(), raw.description(), caller,
                    rule == null ? null : rule.host(), raw.subset(), endpoints, policy, simulation, warnings,
                    raw.history(), raw.planAtNanos(), raw.localCluster(), raw.service(), raw.callerMode(), raw.envoy());
            for (int i = 0; i < raw.history().size(); i++) {
                String address = raw.history().get(i).address();
                if (endpoints.stream().noneMatch(e -> e.address().equals(address))) {
                    throw new InputException(source, "history[" + i + "].endpoint: no endpoint '" + address + "'"
                            + (raw.subset() == null ? "" : " in subset " + raw.subset()));
                }
            }
            // Build once so that endpoint sets that cannot form a table (duplicates) fail here, early.
            dev.meridian.core.EndpointTable.of(endpoints);
            requirePlanWithinReach(raw.planAtNanos(), policy, endpoints.size());
            return scenario;
        } catch (IllegalArgumentException e) {
            String message = String.valueOf(e.getMessage());
            // The istio readers already name the source; say it once.
            if (message.startsWith(source + ": ")) {
                message = message.substring(source.length() + 2);
            }
            throw new InputException(source, message);
        }
    }
}
