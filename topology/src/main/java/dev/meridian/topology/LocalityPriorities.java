package dev.meridian.topology;

import dev.meridian.core.Endpoint;
import dev.meridian.core.IstioRelease;
import dev.meridian.core.Locality;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Istio's locality priority assignment for one caller: which Envoy priority each endpoint gets and
 * which weight each locality gets, exactly as istiod writes them into the caller's
 * {@code ClusterLoadAssignment} ({@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go}).
 *
 * <h2>Which setting applies</h2>
 * As Istio's {@code GetLocalityLbSetting}: a DestinationRule's {@code localityLbSetting} wins over
 * the mesh-wide one; {@code enabled: false} on the winning level turns locality load balancing off;
 * with neither there is nothing to apply. A {@code null} argument means the field is absent. Istio's
 * default mesh config carries {@code localityLbSetting: {enabled: true}}, so model a default mesh
 * with {@link LocalityLbSetting#DEFAULT}.
 *
 * <h2>What the setting does</h2>
 * <ul>
 *   <li>{@code distribute} ({@code applyLocalityWeights}) applies whether or not outlier detection
 *       is configured. The first rule whose {@code from} matches the caller sets the weights: each
 *       {@code to} entry's localities share its percentage in proportion to their own weight,
 *       {@code ceil(original * percent / total)}; localities no entry matches receive nothing and
 *       are reported in {@link PriorityAssignment#excluded()}. Istio iterates {@code to} as a Go map,
 *       so with overlapping wildcards which entry claims a locality changes from push to push;
 *       Meridian uses the order written and warns. Priorities stay as given. Istio's 32-bit
 *       unsigned arithmetic is reproduced, wrap-around included, and warned about.</li>
 *   <li>Everything else is failover, and Istio applies it only when the destination has outlier
 *       detection, since without it Envoy never sees a host fail and never moves load down a
 *       priority. Then:
 *     <ul>
 *       <li>no rules, or {@code failover} rules ({@code applyLocalityFailover}): proximity to the
 *           caller ({@code util.LbPriority}): same region, zone and subzone 0, same region and
 *           zone 1, same region 2, otherwise 3, each field compared as a string, so a missing field
 *           equals only a missing field. When the caller's region is the {@code from} of a
 *           {@code failover} rule (the first such rule only), other-region endpoints outside its
 *           {@code to} region drop to 4. An explicit endpoint priority is kept as the outer tier
 *           ({@code priority * 5 + level}, as Istio treats a priority already on the group).</li>
 *       <li>{@code failoverPriority} ({@code applyFailoverPriorities}): labels compared in order
 *           between caller and endpoint, a {@code label=value} entry putting {@code value} in place
 *           of the caller's own; the first mismatch at position {@code j} of {@code n} gives
 *           {@code n - j}, all matching gives 0. Explicit endpoint priorities are replaced, as
 *           Istio replaces them. With {@code failover} rules too, the proximity level is applied
 *           on top ({@code priority * 5 + level}). A caller without labels skips this step.
 *           This is Istio 1.30's {@code applyFailoverPriorityPerLocality}, for every label including
 *           {@code topology.istio.io/network}: a network mismatch in first place gives {@code n}, the
 *           lowest priority, whatever the other labels say. Istio master after 1.30 (pull request
 *           60829, commit {@code b6787c126ec}, first tagged 1.31.0-alpha.0) makes the network
 *           "preferred but not required" when {@code topology.istio.io/network} is the first entry:
 *           a mismatch there adds {@code n} and the remaining labels keep counting, so endpoints in
 *           other networks are ordered by region and zone below every in-network endpoint.
 *           {@link IstioRelease} stops at 1.30, so Meridian applies 1.30's rule.</li>
 *     </ul>
 *     Priorities are then renumbered 0..N without gaps.</li>
 * </ul>
 *
 * <h2>Labels</h2>
 * Istio adds the locality to the labels of both the proxy and the endpoints
 * ({@code AugmentLabels}): {@value #LABEL_REGION}, {@value #LABEL_ZONE} and {@value #LABEL_SUBZONE}
 * are taken from the {@link Locality} wherever it has a value, in place of an explicit label of the
 * same name; an explicit label stays where the locality field is empty. The caller's locality goes
 * through Istio's {@code LocalityToString} first, which drops the subzone when the zone is empty.
 * The other labels Istio adds ({@code topology.istio.io/cluster}, {@code topology.istio.io/network},
 * {@code kubernetes.io/hostname}) are not known here: pass them as explicit labels.
 *
 * <h2>Groups and order</h2>
 * Within a priority, endpoints are grouped by locality (Envoy's {@code LocalityLbEndpoints}); a
 * group's weight is the sum of its endpoint weights, as Istio sets it, or its {@code distribute}
 * weight. With {@code failoverPriority} one locality may sit in several priorities, each with its
 * own weight. Priorities come in ascending order, localities in the order they first appear in the
 * input, endpoints in input order. Every input endpoint is in exactly one priority or excluded.
 *
 * <p>Stateless and thread-safe; a cold-path computation that allocates freely.
 */
public final class LocalityPriorities {

    /** The Kubernetes region label, derived from {@link Locality#region()}. */
    public static final String LABEL_REGION = "topology.kubernetes.io/region";
    /** The Kubernetes zone label, derived from {@link Locality#zone()}. */
    public static final String LABEL_ZONE = "topology.kubernetes.io/zone";
    /** Istio's subzone label, derived from {@link Locality#subzone()}. */
    public static final String LABEL_SUBZONE = "topology.istio.io/subzone";

    /** applyLocalityFailover assigns levels 0..4, so a priority already on a group is scaled by 5. */
    private static final int LEVELS = 5;
    private static final int OTHER_REGION = 3;
    private static final int OTHER_REGION_NOT_FAILOVER_TARGET = 4;
    private static final long UINT32_MASK = 0xFFFF_FFFFL;

    private LocalityPriorities() {
    }

    /**
     * Assigns priorities and locality weights for one caller. Cold path.
     *
     * @param endpoints the destination's endpoints; addresses must be distinct
     * @param caller the calling workload
     * @param meshSetting the mesh-wide {@code localityLbSetting}, or null when absent
     * @param ruleSetting the DestinationRule's {@code localityLbSetting}, or null when absent
     * @param outlierDetectionConfigured whether the DestinationRule (at the level that applies to
     *     this port and subset) configures {@code outlierDetection}
     * @throws IllegalArgumentException naming the field when the endpoint list or an endpoint is
     *     null, an address repeats, or the caller is null; endpoints with missing locality fields
     *     are valid
     */
    public static PriorityAssignment assign(List<Endpoint> endpoints, Caller caller, LocalityLbSetting meshSetting,
                                            LocalityLbSetting ruleSetting, boolean outlierDetectionConfigured) {
        return assign(endpoints, caller, meshSetting, ruleSetting, TrafficDistribution.ANY, IstioRelease.LATEST,
                outlierDetectionConfigured);
    }

    /**
     * Assigns priorities and locality weights for one caller of a Service that may carry a
     * {@code trafficDistribution}. Cold path.
     *
     * <p>Precedence, as Istio's {@code GetLocalityLbSetting}
     * ({@code pilot/pkg/networking/core/loadbalancer/loadbalancer.go}, 1.30): the DestinationRule's
     * {@code localityLbSetting} (its {@code enabled: false} turns everything off), then the Service's
     * traffic distribution, then the mesh-wide setting (whose {@code enabled: false} does not turn a
     * traffic distribution off, since it is read after). A traffic distribution becomes the forced
     * {@code failoverPriority} of {@link TrafficDistribution#failoverPriority}, applied even without
     * outlier detection ({@code forceFailover}), with locality-weighted balancing on
     * ({@code applyLocalityLoadBalancer}).
     *
     * @param distribution the Service's traffic distribution, {@link TrafficDistribution#ANY} for none
     * @param release the Istio release whose rules apply
     * @see #assign(List, Caller, LocalityLbSetting, LocalityLbSetting, boolean)
     */
    public static PriorityAssignment assign(List<Endpoint> endpoints, Caller caller, LocalityLbSetting meshSetting,
                                            LocalityLbSetting ruleSetting, TrafficDistribution distribution,
                                            IstioRelease release, boolean outlierDetectionConfigured) {
        if (distribution == null) {
            throw new IllegalArgumentException("trafficDistribution: must not be null (ANY for none)");
        }
        if (release == null) {
            throw new IllegalArgumentException("istioVersion: must not be null");
        }
        Endpoint[] eps = checkEndpoints(endpoints);
        if (caller == null) {
            throw new IllegalArgumentException("caller: must not be null");
        }
        int n = eps.length;
        int[] explicit = new int[n];
        boolean anyExplicit = false;
        for (int i = 0; i < n; i++) {
            explicit[i] = Math.max(0, eps[i].priority());
            anyExplicit |= eps[i].priority() != Endpoint.NO_PRIORITY;
        }
        List<String> warnings = new ArrayList<>();

        LocalityLbSetting setting;
        String source;
        boolean forced = false;
        if (distribution.prefers() && distribution.failoverPriority(release).isEmpty()) {
            warnings.add("trafficDistribution " + distribution.kubernetesName() + " is ignored: Istio " + release
                    + (release.atLeast(25) ? " knows only PreferClose (PreferSameZone and PreferSameNode from 1.27)"
                            : " does not read it (from 1.25)"));
        } else if (distribution.prefers() && ruleSetting != null) {
            warnings.add("trafficDistribution " + distribution.kubernetesName() + " is overridden by the"
                    + " DestinationRule's localityLbSetting (Istio GetLocalityLbSetting reads the rule first)");
        }
        if (ruleSetting != null) {
            if (!ruleSetting.isEnabled()) {
                return unapplied(eps, explicit, "the DestinationRule's localityLbSetting sets enabled: false, which"
                        + " turns locality load balancing off for this destination whatever the mesh-wide setting"
                        + " says (Istio GetLocalityLbSetting); endpoints keep their explicit priorities", false,
                        warnings);
            }
            setting = ruleSetting;
            source = "the DestinationRule's localityLbSetting";
        } else if (!distribution.failoverPriority(release).isEmpty()) {
            setting = new LocalityLbSetting(true, List.of(), List.of(), distribution.failoverPriority(release));
            source = "the Service's trafficDistribution " + distribution.kubernetesName() + " (Istio "
                    + release + " GetLocalityLbSetting forces it, with or without outlier detection; the"
                    + " DestinationRule has no localityLbSetting to override it)";
            forced = true;
        } else if (meshSetting != null) {
            if (!meshSetting.isEnabled()) {
                return unapplied(eps, explicit, "the mesh-wide localityLbSetting sets enabled: false and the"
                        + " DestinationRule has none (Istio GetLocalityLbSetting); endpoints keep their explicit"
                        + " priorities", false, warnings);
            }
            setting = meshSetting;
            source = "the mesh-wide localityLbSetting";
        } else {
            return unapplied(eps, explicit, "no localityLbSetting in the mesh config or the DestinationRule, so"
                    + " Istio applies no locality rule; endpoints keep their explicit priorities", false, warnings);
        }

        if (!setting.distribute().isEmpty()) {
            if (!setting.failoverPriority().isEmpty()) {
                warnings.add("localityLbSetting.failoverPriority " + setting.failoverPriority()
                        + " is ignored: Istio applies only 'distribute' when it is set (ApplyLocalityLoadBalancer)");
            }
            return distribute(eps, explicit, caller, setting, source, warnings);
        }
        if (!outlierDetectionConfigured && !forced) {
            return unapplied(eps, explicit, "locality failover needs outlier detection on the destination (Istio"
                    + " applies localityLbSetting failover only when the DestinationRule sets outlierDetection);"
                    + " all endpoints stay in one priority", false, warnings);
        }

        // Istio's applyLocalityLoadBalancer turns on locality-weighted balancing for failover only
        // when rules were written; plain proximity priorities leave it off.
        boolean weighted = !setting.failover().isEmpty() || !setting.failoverPriority().isEmpty();
        Locality here = caller.locality();
        if (!setting.failoverPriority().isEmpty()) {
            Map<String, String> callerLabels = callerLabels(caller);
            if (callerLabels.isEmpty()) {
                String skipped = "failoverPriority " + setting.failoverPriority() + " is skipped: the caller has no"
                        + " labels and no locality to compare (Istio applyFailoverPriorities needs proxy labels)";
                if (setting.failover().isEmpty()) {
                    return unapplied(eps, explicit, skipped + "; endpoints keep their explicit priorities", weighted,
                            warnings);
                }
                warnings.add(skipped);
            } else {
                if (anyExplicit) {
                    warnings.add("explicit endpoint priorities are replaced by failoverPriority, as Istio's"
                            + " applyFailoverPriorityPerLocality replaces the priority of every group it splits");
                }
                int[] byLabels = denseRanks(failoverPriorityLevels(eps, callerLabels, setting.failoverPriority()));
                if (setting.failover().isEmpty()) {
                    String reason = "failoverPriority " + setting.failoverPriority() + " from " + source
                            + ": endpoints matching more of the caller's labels, in order, come first (Istio"
                            + " applyFailoverPriorities), renumbered without gaps";
                    return assembled(eps, byLabels, null, null, true, reason, PriorityAssignment.MODE_FAILOVER_PRIORITY,
                            weighted, List.of(), warnings);
                }
                int[] keys = new int[eps.length];
                for (int i = 0; i < eps.length; i++) {
                    keys[i] = byLabels[i] * LEVELS + failoverLevel(here, eps[i].locality(), setting.failover());
                }
                String reason = "failoverPriority " + setting.failoverPriority() + " then failover "
                        + describe(setting.failover()) + " from " + source + ": label matches first, then proximity"
                        + " to caller '" + here + "' within each (Istio applies applyLocalityFailover on top of"
                        + " applyFailoverPriorities as priority*5+level), renumbered without gaps";
                return assembled(eps, denseRanks(keys), null, null, true, reason,
                        PriorityAssignment.MODE_FAILOVER_AND_PRIORITY, weighted, List.of(), warnings);
            }
        }

        int[] keys = new int[eps.length];
        for (int i = 0; i < eps.length; i++) {
            keys[i] = explicit[i] * LEVELS + failoverLevel(here, eps[i].locality(), setting.failover());
        }
        String reason = (setting.failover().isEmpty()
                ? "proximity priorities from " + source
                : "failover " + describe(setting.failover()) + " from " + source)
                + ": same region/zone/subzone as caller '" + here + "' first, then same zone, same region, other"
                + " regions" + (setting.failover().isEmpty() ? "" : " (the failover target region before the rest)")
                + " (Istio applyLocalityFailover), renumbered without gaps";
        return assembled(eps, denseRanks(keys), null, null, true, reason, PriorityAssignment.MODE_FAILOVER, weighted,
                List.of(), warnings);
    }

    /**
     * Istio's {@code util.LbPriority}: 0 when region, zone and subzone all equal the caller's, 1 when
     * region and zone do, 2 when the region does, 3 otherwise. Empty fields compare as strings.
     */
    public static int proximity(Locality caller, Locality endpoint) {
        if (!caller.region().equals(endpoint.region())) {
            return OTHER_REGION;
        }
        if (!caller.zone().equals(endpoint.zone())) {
            return 2;
        }
        return caller.subzone().equals(endpoint.subzone()) ? 0 : 1;
    }

    /**
     * Istio's {@code util.LocalityMatch}: whether a locality matches a {@code region/zone/subzone}
     * pattern from a {@code distribute} rule. {@code *} matches any value; a zone or subzone left out
     * of the pattern (or empty) matches anything; the region must always match.
     */
    public static boolean localityMatches(Locality locality, String pattern) {
        String[] parts = pattern.split("/", -1);
        String region = parts[0];
        String zone = parts.length > 1 ? parts[1] : "";
        String subzone = parts.length > 2 ? parts[2] : "";
        boolean regionMatch = region.equals("*") || locality.region().equals(region);
        boolean zoneMatch = zone.equals("*") || zone.isEmpty() || locality.zone().equals(zone);
        boolean subzoneMatch = subzone.equals("*") || subzone.isEmpty() || locality.subzone().equals(subzone);
        return regionMatch && zoneMatch && subzoneMatch;
    }

    /**
     * An endpoint's labels as Istio compares them: its own labels, with the region, zone and
     * subzone labels taken from its locality wherever the locality has a value.
     */
    public static Map<String, String> endpointLabels(Endpoint endpoint) {
        return augment(endpoint.labels(), endpoint.locality());
    }

    /**
     * The caller's labels as Istio compares them: its own labels with its locality added, after
     * Istio's {@code LocalityToString} (which leaves the subzone out when the zone is empty).
     */
    public static Map<String, String> callerLabels(Caller caller) {
        Locality l = caller.locality();
        Locality asIstioWritesIt = l.zone().isEmpty() ? Locality.of(l.region(), "", "") : l;
        return augment(caller.labels(), asIstioWritesIt);
    }

    private static Map<String, String> augment(Map<String, String> labels, Locality locality) {
        Map<String, String> out = new HashMap<>(labels);
        if (!locality.region().isEmpty()) {
            out.put(LABEL_REGION, locality.region());
        }
        if (!locality.zone().isEmpty()) {
            out.put(LABEL_ZONE, locality.zone());
        }
        if (!locality.subzone().isEmpty()) {
            out.put(LABEL_SUBZONE, locality.subzone());
        }
        return out;
    }

    private static int failoverLevel(Locality caller, Locality endpoint, List<LocalityLbSetting.Failover> rules) {
        int level = proximity(caller, endpoint);
        if (level == OTHER_REGION) {
            for (LocalityLbSetting.Failover rule : rules) {
                if (rule.from().equals(caller.region())) {
                    if (!endpoint.region().equals(rule.to())) {
                        level = OTHER_REGION_NOT_FAILOVER_TARGET;
                    }
                    // Istio stops at the first rule whose 'from' is the caller's region.
                    break;
                }
            }
        }
        return level;
    }

    private static int[] failoverPriorityLevels(Endpoint[] eps, Map<String, String> callerLabels,
                                                List<String> failoverPriority) {
        int n = failoverPriority.size();
        String[] names = new String[n];
        Map<String, String> overrides = new HashMap<>();
        for (int j = 0; j < n; j++) {
            // Istio splits on every '=' and honours the override only when there are exactly two parts.
            String[] parts = failoverPriority.get(j).split("=", -1);
            names[j] = parts[0];
            if (parts.length == 2) {
                overrides.put(parts[0], parts[1]);
            }
        }
        int[] levels = new int[eps.length];
        for (int i = 0; i < eps.length; i++) {
            Map<String, String> own = endpointLabels(eps[i]);
            for (int j = 0; j < n; j++) {
                String wanted = overrides.containsKey(names[j])
                        ? overrides.get(names[j])
                        : callerLabels.getOrDefault(names[j], "");
                if (!wanted.equals(own.getOrDefault(names[j], ""))) {
                    // Istio 1.30: the first mismatch decides, the network label included. Master after
                    // 1.30 (istio/istio#60829) adds n for a first-place network mismatch and goes on.
                    levels[i] = n - j;
                    break;
                }
            }
        }
        return levels;
    }

    private static PriorityAssignment distribute(Endpoint[] eps, int[] explicit, Caller caller,
                                                 LocalityLbSetting setting, String source, List<String> warnings) {
        LocalityLbSetting.Distribute rule = null;
        for (LocalityLbSetting.Distribute d : setting.distribute()) {
            if (localityMatches(caller.locality(), d.from())) {
                rule = d;
                break;
            }
        }
        if (rule == null) {
            return unapplied(eps, explicit, "no distribute rule in " + source + " has a 'from' matching caller"
                    + " locality '" + caller.locality() + "', so Istio changes no weight (applyLocalityWeights);"
                    + " locality-weighted balancing stays on with each locality weighted by the sum of its"
                    + " endpoint weights", true, warnings);
        }

        // Istio weights each LocalityLbEndpoints: here one group per (explicit priority, locality).
        Map<Long, Integer> groupOf = new HashMap<>();
        List<Locality> groupLocality = new ArrayList<>();
        List<Long> groupWeight = new ArrayList<>();
        int[] group = new int[eps.length];
        Map<Locality, Integer> localityIds = new HashMap<>();
        for (int i = 0; i < eps.length; i++) {
            int lid = localityIds.computeIfAbsent(eps[i].locality(), k -> localityIds.size());
            long key = ((long) explicit[i] << 32) | lid;
            Integer g = groupOf.get(key);
            if (g == null) {
                g = groupLocality.size();
                groupOf.put(key, g);
                groupLocality.add(eps[i].locality());
                groupWeight.add(0L);
            }
            // The endpoint builder sums with saturation at the uint32 maximum.
            groupWeight.set(g, Math.min(UINT32_MASK, groupWeight.get(g) + eps[i].weight()));
            group[i] = g;
        }
        int groups = groupLocality.size();
        long[] weight = new long[groups];
        boolean[] matched = new boolean[groups];
        Set<String> overlapWarned = new HashSet<>();
        List<Map.Entry<String, Integer>> to = new ArrayList<>(rule.to().entrySet());
        for (int t = 0; t < to.size(); t++) {
            String pattern = to.get(t).getKey();
            long percent = to.get(t).getValue();
            List<Integer> hits = new ArrayList<>();
            long total = 0;
            for (int g = 0; g < groups; g++) {
                if (!matched[g] && localityMatches(groupLocality.get(g), pattern)) {
                    matched[g] = true;
                    hits.add(g);
                    total = (total + groupWeight.get(g)) & UINT32_MASK;
                    warnOverlap(rule, to, t, groupLocality.get(g), overlapWarned, warnings);
                }
            }
            for (int g : hits) {
                long original = groupWeight.get(g);
                weight[g] = original;
                long product = original * percent;
                if (product > UINT32_MASK || total == 0) {
                    warnings.add("distribute[from=" + rule.from() + "].to['" + pattern + "']: locality '"
                            + groupLocality.get(g) + "' weight " + original + " x " + percent + " overflows Istio's"
                            + " 32-bit arithmetic; the weight Istio computes is reproduced, not the intended one");
                }
                if (total == 0) {
                    continue;
                }
                double share = (double) (product & UINT32_MASK) / (double) total;
                if (share > 0) {
                    weight[g] = (long) Math.ceil(share);
                }
            }
        }

        long[] endpointWeight = new long[eps.length];
        boolean[] excludedMask = new boolean[eps.length];
        List<ExcludedEndpoint> excluded = new ArrayList<>();
        Set<Locality> excludedLocalities = new LinkedHashSet<>();
        for (int i = 0; i < eps.length; i++) {
            int g = group[i];
            if (matched[g]) {
                endpointWeight[i] = weight[g];
            } else {
                excludedMask[i] = true;
                excludedLocalities.add(eps[i].locality());
                excluded.add(new ExcludedEndpoint(eps[i], "locality '" + eps[i].locality() + "' matches no 'to'"
                        + " entry of the distribute rule from '" + rule.from() + "'; Istio empties its endpoint"
                        + " group (applyLocalityWeights)"));
            }
        }
        String reason = "distribute rule from '" + rule.from() + "' in " + source + " (the first whose 'from' matches"
                + " caller locality '" + caller.locality() + "') sets locality weights " + rule.to()
                + " (Istio applyLocalityWeights, applied with or without outlier detection)"
                + (excludedLocalities.isEmpty() ? "" : "; localities matching no 'to' entry receive nothing: "
                        + quoted(excludedLocalities));
        return assembled(eps, explicit, endpointWeight, excludedMask, true, reason, PriorityAssignment.MODE_DISTRIBUTE,
                true, excluded, warnings);
    }

    private static void warnOverlap(LocalityLbSetting.Distribute rule, List<Map.Entry<String, Integer>> to, int claimedBy,
                                    Locality locality, Set<String> warned, List<String> warnings) {
        for (int later = claimedBy + 1; later < to.size(); later++) {
            if (localityMatches(locality, to.get(later).getKey())) {
                String key = rule.from() + "|" + locality;
                if (warned.add(key)) {
                    warnings.add("distribute[from=" + rule.from() + "]: locality '" + locality + "' matches both '"
                            + to.get(claimedBy).getKey() + "' and '" + to.get(later).getKey() + "'; Istio iterates"
                            + " 'to' as a Go map, so which entry claims it varies between pushes; Meridian uses the"
                            + " order written ('" + to.get(claimedBy).getKey() + "')");
                }
                return;
            }
        }
    }

    private static PriorityAssignment unapplied(Endpoint[] eps, int[] explicit, String reason, boolean weighted,
                                                List<String> warnings) {
        return assembled(eps, explicit, null, null, false, reason, PriorityAssignment.MODE_NONE, weighted, List.of(),
                warnings);
    }

    /**
     * Groups endpoints by (final priority, locality), in ascending priority and first-appearance
     * locality order. A group's weight is the given per-endpoint weight when there is one, else the
     * sum of its endpoints' weights.
     */
    private static PriorityAssignment assembled(Endpoint[] eps, int[] priority, long[] endpointWeight,
                                                boolean[] excludedMask, boolean applied, String reason, String mode,
                                                boolean weighted, List<ExcludedEndpoint> excluded,
                                                List<String> warnings) {
        Map<Locality, Integer> firstSeen = new HashMap<>();
        TreeMap<Integer, TreeMap<Integer, List<Integer>>> byPriority = new TreeMap<>();
        boolean clamped = false;
        for (int i = 0; i < eps.length; i++) {
            if (excludedMask != null && excludedMask[i]) {
                continue;
            }
            int order = firstSeen.computeIfAbsent(eps[i].locality(), k -> firstSeen.size());
            int p = priority[i];
            if (p > Endpoint.MAX_PRIORITY) {
                p = Endpoint.MAX_PRIORITY;
                clamped = true;
            }
            byPriority.computeIfAbsent(p, k -> new TreeMap<>()).computeIfAbsent(order, k -> new ArrayList<>()).add(i);
        }
        if (clamped) {
            warnings.add("more than " + (Endpoint.MAX_PRIORITY + 1) + " priorities: the lowest ones are merged into"
                    + " priority " + Endpoint.MAX_PRIORITY + ", Meridian's maximum");
        }
        List<Priority> priorities = new ArrayList<>(byPriority.size());
        for (Map.Entry<Integer, TreeMap<Integer, List<Integer>>> level : byPriority.entrySet()) {
            List<LocalityGroup> groups = new ArrayList<>(level.getValue().size());
            for (List<Integer> members : level.getValue().values()) {
                List<Endpoint> groupEndpoints = new ArrayList<>(members.size());
                long weight = 0;
                for (int i : members) {
                    groupEndpoints.add(eps[i]);
                    weight = endpointWeight != null ? endpointWeight[i] : weight + eps[i].weight();
                }
                Locality locality = eps[members.get(0)].locality();
                if (weight > Integer.MAX_VALUE) {
                    warnings.add("locality '" + locality + "' at priority " + level.getKey() + " has weight " + weight
                            + ", above Meridian's maximum " + Integer.MAX_VALUE + "; it is capped");
                    weight = Integer.MAX_VALUE;
                }
                groups.add(new LocalityGroup(locality, (int) weight, groupEndpoints));
            }
            priorities.add(new Priority(level.getKey(), groups));
        }
        return new PriorityAssignment(applied, reason, mode, weighted, priorities, excluded, warnings);
    }

    /** Renumbers keys 0..N-1 in ascending order without gaps, as Istio does after every step. */
    private static int[] denseRanks(int[] keys) {
        int[] distinct = Arrays.stream(keys).distinct().sorted().toArray();
        int[] ranks = new int[keys.length];
        for (int i = 0; i < keys.length; i++) {
            ranks[i] = Arrays.binarySearch(distinct, keys[i]);
        }
        return ranks;
    }

    private static Endpoint[] checkEndpoints(List<Endpoint> endpoints) {
        if (endpoints == null) {
            throw new IllegalArgumentException("endpoints: must not be null");
        }
        Endpoint[] eps = new Endpoint[endpoints.size()];
        Map<String, Integer> seen = new HashMap<>(endpoints.size() * 2);
        for (int i = 0; i < eps.length; i++) {
            Endpoint e = endpoints.get(i);
            if (e == null) {
                throw new IllegalArgumentException("endpoints[" + i + "]: must not be null");
            }
            Integer previous = seen.putIfAbsent(e.address(), i);
            if (previous != null) {
                throw new IllegalArgumentException("endpoints[" + i + "].address: duplicate '" + e.address()
                        + "' (also endpoints[" + previous + "])");
            }
            eps[i] = e;
        }
        return eps;
    }

    private static String describe(List<LocalityLbSetting.Failover> rules) {
        List<String> parts = new ArrayList<>(rules.size());
        for (LocalityLbSetting.Failover f : rules) {
            parts.add(f.from() + "->" + f.to());
        }
        return parts.toString();
    }

    private static String quoted(Set<Locality> localities) {
        List<String> parts = new ArrayList<>(localities.size());
        for (Locality l : localities) {
            parts.add("'" + l + "'");
        }
        return String.join(", ", parts);
    }
}
