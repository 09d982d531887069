/**
 * Envoy-faithful host selection: given an {@link dev.meridian.core.EndpointTable} (endpoints with
 * their final priority, locality, locality weight, host weight and reported health) and the set of
 * hosts ejected by outlier detection, the snapshot built from them picks the host an Envoy sidecar
 * would pick, and its plan ({@link dev.meridian.lb.LoadPlan}) explains the expected shares. This
 * package holds the configuration and the plan; the snapshot builder and picker are internal, used
 * by {@code dev.meridian.cluster.Cluster}, the one owner of a destination's state that applications
 * hold.
 *
 * <h2>Semantics (Envoy's {@code load_balancer_impl.cc} unless noted)</h2>
 * <ol>
 *   <li><b>Health.</b> {@code HEALTHY} and {@code UNKNOWN} hosts are healthy, {@code DEGRADED}
 *       hosts are degraded, the rest (and every ejected host, Envoy's {@code FAILED_OUTLIER_CHECK})
 *       are unavailable.</li>
 *   <li><b>Priority load.</b> Per priority, health = {@code min(100, factor × healthy / hosts)} in
 *       integer arithmetic with the overprovisioning factor in percent (140), degraded likewise;
 *       normalized total availability = {@code min(100, Σ health + Σ degraded)}. Load goes to
 *       priorities in order, {@code min(remaining, availability × 100 / normalized)}, healthy first
 *       then degraded; the rounding remainder goes to the first priority with healthy availability,
 *       else the first with degraded availability. Loads are integers summing to 100, and a pick
 *       draws {@code random mod 100} against them ({@code choosePriority}).</li>
 *   <li><b>Panic.</b> Never when normalized total availability is 100. Otherwise a priority whose
 *       (healthy + degraded) percent of hosts is below the threshold (the configured percent
 *       rounded to an integer, default 50) is in panic and balances over all its hosts, without
 *       locality weights. When every priority is in panic, load is split by host count (remainder to
 *       the first non-empty priority). Threshold 0 disables panic; with nothing available all load
 *       goes to P0 and no host is found. {@code failTrafficOnPanic} makes a priority in panic find no
 *       host.</li>
 *   <li><b>Localities.</b> With {@code localityWeighted}, a locality is chosen by effective weight
 *       {@code weight × min(1, factor/100 × eligible/hosts)} over healthy hosts (degraded hosts for a
 *       degraded pick) ({@code locality_wrr.cc}). Otherwise, with a {@link dev.meridian.lb.ZoneAwareConfig},
 *       priority 0 uses zone-aware routing: direct when the upstream's share of the caller's
 *       locality is at least the local cluster's, else that fraction locally and the rest by
 *       residual capacity, skipped for clusters below {@code minClusterSize} healthy hosts, when the
 *       local cluster is in panic, or for the {@code 100 − routingEnabledPercent} of requests.</li>
 *   <li><b>Hosts.</b> Round robin: plain rotation for equal weights, weight-proportional otherwise.
 *       Random: uniform, ignoring weights. Least request: the least loaded of
 *       {@code leastRequestChoiceCount} random hosts for equal weights, otherwise shares in
 *       proportion to {@code weight / (active + 1)^bias}. Ring hash: Ketama ring of xxHash64 of
 *       {@code address_i} points, sized between the minimum and maximum. Maglev: a prime-sized table
 *       ({@code maglev_lb.cc}). The hash policies choose the priority from the hash, use healthy
 *       hosts (all hosts in panic) and raw locality weights ({@code thread_aware_lb_impl.cc}). Slow
 *       start (round robin and least request) scales a new host's weight by
 *       {@code max(minWeightPercent, (t / window)^(1/aggression))}, with {@code t} in whole
 *       milliseconds and at least 1.</li>
 *   <li><b>Concurrency.</b> All state for picking is an immutable snapshot published through one
 *       volatile field; a pick reads it once, takes no lock and allocates nothing.</li>
 * </ol>
 *
 * <h2>Deliberate differences from Envoy</h2>
 * <ul>
 *   <li>Capacity-aware spill-over ({@link dev.meridian.lb.SpillConfig}, off by default) is
 *       Meridian's own: with it, a share of the picks that Envoy's priority choice sends to
 *       priority 0 goes to the next priority while priority 0's requests in flight exceed its
 *       capacity ({@code docs/spill.md}). Without it, picks are Envoy's, draw for draw.</li>
 *   <li>Envoy keeps an EDF schedule per worker thread; one Meridian balancer serves every thread, so
 *       the locality choice and weighted round robin both walk a golden-ratio low-discrepancy
 *       sequence over cumulative weights (one counter step and one table read per pick, or a
 *       guide-table lookup with O(1) expected steps for large weights, whatever the weights; under
 *       slow start a visit is kept with the host's slow-start factor). Host shares are Envoy's exactly, with no quantisation of weights, and N
 *       consecutive picks of one thread stay within O(log N) picks of them; the exact order of picks
 *       is not Envoy's. Locality effective weights are scaled to integers, the heaviest to 2^20 and
 *       every positive one to at least 1, so with k localities a locality's share differs from the
 *       one plan reports by at most (k + 1) × 2^-20 (about one
 *       pick in a million per locality, far below what the chi-square tests resolve).</li>
 *   <li>The sequences are striped by thread (a hash of the thread id chooses one of up to 64
 *       counters per host list), as Envoy's per-worker schedules are: each stripe on its own keeps
 *       exact long-run shares and a smooth order, so the shares of all picks are exact too, but the
 *       order is smooth per thread, not across threads. Stripes start in the order threads first
 *       pick from them: the first where the balancer's random source says, each later one 2^64 / φ
 *       further on, as each Envoy worker starts its rotation at its own random seed. A thread that
 *       picks alone from a seeded balancer therefore takes the same hosts on any thread and any
 *       machine.
 *       A counter step is an opaque read and write, not an atomic increment: two threads hashed
 *       to the same stripe that pick at the same instant may take the same value and pick one
 *       host twice (the stripe repeats a step, never skips a host).</li>
 *   <li>When one priority takes all the load (every entry of the priority table is the same) a pick
 *       draws no random value for the priority, and a level with a single weighted locality takes
 *       no locality step; neither changes a share. Without a hash key the priority draw is
 *       {@code random.nextInt(100)} (multiply-shift, bias below 100 / 2^32) instead of Envoy's
 *       {@code random() % 100}; with a key it is Envoy's {@code hash % 100}.</li>
 *   <li>Slow start costs nothing once over: a snapshot records when its last ramp ends, reads the
 *       clock per pick only until then, and stops at the first pick after it (Envoy re-reads host
 *       weights on every EDF insertion).</li>
 *   <li>Weighted least request samples hosts and keeps one with probability
 *       {@code dynamicWeight / maxWeight} (same long-run shares as Envoy's dynamic EDF); after 64
 *       rejections it takes the best host seen.</li>
 *   <li>Random draws the priority and the host independently; Envoy reuses one random value for
 *       both, which slightly correlates them.</li>
 *   <li>Hosts in the table given to {@code create} are not in slow start; hosts added by
 *       {@code update} start it when first healthy. (Envoy also starts the hosts present when the
 *       cluster starts, all at once, which changes no round-robin share.)</li>
 *   <li>A locality weight of 0 in the table means "none given": a priority whose localities all
 *       have weight 0 is balanced as a whole, for the hash policies too (Envoy would build an empty
 *       hash table there).</li>
 *   <li>With an overprovisioning factor below 100, nothing may have integer availability while no
 *       priority is in panic; Envoy then keeps stale loads and falls back to P0, which Meridian makes
 *       explicit as 100% to P0.</li>
 *   <li>Not modelled: runtime overrides, retry host predicates and priority retry, hash balance
 *       factor (bounded load), hashing by host name, least request's full-scan mode and pending
 *       requests, priority health weighted by host weight, {@code force_locality_direct_routing}, and
 *       degraded hosts of the local cluster in zone-aware routing.</li>
 * </ul>
 */
package dev.meridian.lb;
