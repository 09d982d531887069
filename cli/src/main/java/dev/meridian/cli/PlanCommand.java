package dev.meridian.cli;

import dev.meridian.core.Clocks;
import dev.meridian.istio.KubernetesService;
import dev.meridian.simulator.MeshClient;
import dev.meridian.simulator.OutcomeEvent;
import dev.meridian.simulator.Scenario;
import dev.meridian.simulator.Scenarios;
import dev.meridian.simulator.SpillForecast;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.HostPlan;
import dev.meridian.lb.LoadPlan;
import dev.meridian.lb.LocalityPlan;
import dev.meridian.lb.PriorityPlan;
import dev.meridian.lb.SpillConfig;
import dev.meridian.lb.SpillPlan;
import dev.meridian.lb.SpillState;
import dev.meridian.lb.ZoneAwarePlan;
import dev.meridian.outlier.OutlierDetector;
import dev.meridian.topology.ExcludedEndpoint;
import dev.meridian.topology.PriorityAssignment;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import dev.meridian.core.ManualClock;

/**
 * {@code meridian plan SCENARIO}: explains, as JSON, which priority and locality each endpoint
 * lands in for the scenario's caller, how load splits between them, and why. The format is
 * documented in {@code docs/plan-format.md} and kept stable. In place of a scenario it reads an
 * Envoy config dump or a Cluster and its ClusterLoadAssignment ({@link InputFiles}).
 */
final class PlanCommand {
    private PlanCommand() {
    }

    static final String USAGE = """
            usage: meridian plan SCENARIO
                   meridian plan DUMP.json [--cluster NAME] [--envoy-version 1.N]
                   meridian plan CLUSTER.json CLA.json [--envoy-version 1.N]
              SCENARIO        a scenario YAML file or a built-in name: %s
              DUMP.json       an Envoy admin config dump (GET /config_dump?include_eds, or
                              istioctl proxy-config all POD -o json): the cluster as its Envoy runs it,
                              priorities and locality weights as the control plane sent them
              --cluster NAME  the dump's cluster (or a part of its name only one cluster has); needed
                              when more than one cluster has endpoints
              CLUSTER.json CLA.json
                              an Envoy Cluster and its ClusterLoadAssignment (EDS), in proto JSON
              --envoy-version 1.N
                              read the Envoy files as that release runs them (default: the dump's
                              node.user_agent_build_version, else the latest Meridian models)
              Prints the decision for the caller as JSON (docs/plan-format.md).
            """;

    static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> files = new ArrayList<>();
        String cluster = null;
        Integer envoyMinor = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                out.print(String.format(USAGE, String.join(", ", Scenarios.builtIn())));
                return 0;
            }
            if (a.equals("--cluster") || a.equals("--envoy-version")) {
                if (i + 1 >= args.length) {
                    Main.fail(err, a + ": needs a value, got nothing");
                    return 2;
                }
                if (a.equals("--cluster")) {
                    cluster = args[++i];
                } else {
                    envoyMinor = InputFiles.envoyMinor(args[++i]);
                }
                continue;
            }
            if (a.startsWith("-")) {
                Main.fail(err, "plan: unknown option, got '" + a + "' (meridian plan --help)");
                return 2;
            }
            // Two files are an Envoy cluster and its assignment; two scenarios are one too many.
            if (files.size() == 2 || (files.size() == 1 && !InputFiles.isJsonObject(files.get(0)))) {
                Main.fail(err, "plan: one scenario at a time, got '" + files.get(files.size() - 1) + "' and '" + a
                        + "'");
                return 2;
            }
            files.add(a);
        }
        if (files.isEmpty()) {
            Main.fail(err, "plan: which scenario? (a file or one of " + String.join(", ", Scenarios.builtIn()) + ")");
            return 2;
        }
        Scenario scenario = InputFiles.load(files, cluster, envoyMinor, null);
        ManualClock clock = Clocks.manual();
        MeshClient client = scenario.newClient(scenario.caller(), scenario.endpoints(), clock, RandomSource.seeded(1));
        replay(scenario, client, clock);
        out.println(render(scenario, client, clock.nanoTime()));
        return 0;
    }

    /**
     * Replays the scenario's {@code history:} through the client's outlier detector on virtual
     * time, running each sweep when its interval comes, up to {@code planAt}.
     */
    static void replay(Scenario scenario, MeshClient client, ManualClock clock) {
        for (OutcomeEvent e : scenario.history()) {
            advance(client, clock, e.atNanos());
            int host = client.table().indexOf(e.address());
            for (int i = 0; i < e.count(); i++) {
                if (e.localOrigin() != null) {
                    client.recordLocalOrigin(host, e.localOrigin());
                } else {
                    client.record(host, e.httpStatus());
                }
            }
        }
        advance(client, clock, scenario.planAtNanos());
    }

    private static void advance(MeshClient client, ManualClock clock, long toNanos) {
        while (client.nextSweepAtNanos() <= toNanos) {
            clock.update(client.nextSweepAtNanos());
            client.runDueSweeps();
        }
        clock.update(Math.max(clock.nanoTime(), toNanos));
    }

    static String render(Scenario scenario, MeshClient client, long nowNanos) {
        PriorityAssignment a = client.assignment();
        EndpointTable table = client.table();
        LoadPlan plan = client.plan();
        Json j = new Json().beginObject();
        j.field("scenario", scenario.name());
        j.field("destination", scenario.host());
        j.field("subset", scenario.subset());
        j.field("istioVersion", scenario.istioRelease() == null ? null : scenario.istioRelease().toString());
        j.field("envoyVersion", "1." + scenario.envoyMinor());
        j.field("atSeconds", nowNanos / 1e9, 3);
        j.key("caller").beginObject();
        locality(j, client.caller().locality());
        j.stringMap("labels", client.caller().labels());
        j.field("mode", client.mode().text());
        j.field("port", scenario.callerPort() == null ? null : scenario.callerPort().doubleValue(), 0);
        j.endObject();
        KubernetesService service = scenario.service();
        if (scenario.istioRelease() == null) {
            // A control plane's assignment: no Kubernetes Service that Istio read.
            j.field("service", (String) null);
        } else {
            j.key("service").beginObject()
                    .field("trafficDistribution", service.trafficDistribution())
                    .field("istioTrafficDistribution", service.istioTrafficDistribution(scenario.istioRelease(),
                            new ArrayList<>()).kubernetesName())
                    .field("sendUnhealthyEndpoints", service.supportsUnhealthyEndpoints(scenario.istioRelease()))
                    .field("persistentSession", service.persistentSession())
                    .endObject();
        }
        j.field("lbPolicy", plan.policy().name());
        j.field("overprovisioningFactor", plan.overprovisioningFactor());
        j.field("panicThreshold", plan.panicThreshold(), 2);
        j.field("weightedPriorityHealth", plan.weightedPriorityHealth());
        j.field("drainingExcluded", plan.drainingExcluded());
        j.field("activeRequestBias", plan.activeRequestBias(), 2);
        ZoneAwarePlan zone = plan.zoneAware();
        if (zone == null) {
            j.field("zoneAware", (String) null);
        } else {
            j.key("zoneAware").beginObject()
                    .field("state", zone.state())
                    .field("onlyWhenNoLocalityPicked", zone.onlyWhenNoLocalityPicked())
                    .field("minClusterSize", zone.minClusterSize())
                    .field("routingEnabled", zone.routingEnabledPercent(), 2)
                    .field("forceLocalZoneMinSize", zone.forceLocalZoneMinSize() == null ? null
                            : zone.forceLocalZoneMinSize().doubleValue(), 0)
                    .field("localityBasis", zone.localityBasis())
                    .endObject();
        }
        spill(j, plan.spill(), plan.spill() == null ? null : SpillForecast.of(scenario, client));
        j.key("localityLb").beginObject()
                .field("applied", a.applied())
                .field("mode", a.mode())
                .field("localityWeighted", a.localityWeighted())
                .field("reason", a.reason())
                .endObject();
        j.key("priorities").beginArray();
        for (PriorityPlan p : plan.priorities()) {
            j.beginObject();
            j.field("priority", p.priority());
            j.key("hosts").beginObject().field("total", p.hosts()).field("healthy", p.healthy())
                    .field("degraded", p.degraded()).field("excluded", p.excluded()).endObject();
            j.field("healthyLoad", p.healthyLoad());
            j.field("degradedLoad", p.degradedLoad());
            j.field("panic", p.panic());
            j.key("localities").beginArray();
            for (LocalityPlan l : p.localities()) {
                j.beginObject();
                locality(j, l.locality());
                j.field("weight", l.weight());
                j.field("effectiveWeight", l.effectiveWeight(), 4);
                j.field("share", l.share(), 4);
                j.key("endpoints").beginArray();
                for (HostPlan h : l.hosts()) {
                    Endpoint e = table.endpoint(h.hostId());
                    j.beginObject();
                    j.field("address", e.address());
                    j.field("health", e.health().name());
                    j.field("weight", e.weight());
                    j.stringMap("labels", e.labels());
                    j.field("share", h.share(), 4);
                    j.field("ejected", h.ejected());
                    j.field("excluded", h.excluded());
                    long until = client.ejectedUntilNanos(h.hostId());
                    j.field("ejectedForSeconds", h.ejected() && until != OutlierDetector.NOT_EJECTED
                            ? Math.max(0, until - nowNanos) / 1e9 : null, 3);
                    j.endObject();
                }
                j.endArray();
                j.endObject();
            }
            j.endArray();
            j.endObject();
        }
        j.endArray();
        j.key("excluded").beginArray();
        for (ExcludedEndpoint x : a.excluded()) {
            j.beginObject().field("address", x.endpoint().address()).field("reason", x.reason()).endObject();
        }
        j.endArray();
        List<String> warnings = new ArrayList<>(scenario.warnings());
        warnings.addAll(a.warnings());
        j.key("warnings").beginArray();
        for (String w : warnings) {
            j.value(w);
        }
        j.endArray();
        return j.endObject().toString();
    }

    /**
     * Capacity-aware spill-over: its configuration and the state the shares include. A static plan
     * has no requests in flight, so it shows the state at rest (or after the evaluations a
     * {@code history} replay ran, still with nothing in flight), then what the scenario's traffic
     * predicts the rule would settle at ({@code predicted}, null when no caller of the simulation is
     * the plan's caller).
     */
    private static void spill(Json j, SpillPlan spill, SpillForecast forecast) {
        if (spill == null) {
            j.field("spill", (String) null);
            return;
        }
        SpillConfig c = spill.config();
        SpillState s = spill.state();
        j.key("spill").beginObject()
                .field("spillThreshold", c.spillThreshold(), 4)
                .field("releaseThreshold", c.releaseThreshold(), 4)
                .field("hostCapacity", c.hostCapacity(), 4);
        j.key("localityCapacity").beginObject();
        c.localityCapacity().forEach((l, v) -> j.field(l.toString(), v, 4));
        j.endObject();
        j.field("smoothingSeconds", c.smoothing().toNanos() / 1e9, 3)
                .field("evaluationIntervalSeconds", c.evaluationInterval().toNanos() / 1e9, 3)
                .field("capacity", s.capacity(), 4)
                .field("targetPriority", s.targetPriority() < 0 ? null : (double) s.targetPriority(), 0)
                .field("active", s.active())
                .field("fraction", s.fraction(), 4)
                .field("utilization", s.utilization(), 4)
                .field("demand", s.demand(), 4)
                .field("sinceSeconds", s.sinceNanos() / 1e9, 3);
        if (forecast == null) {
            j.field("predicted", (String) null);
        } else {
            j.key("predicted").beginObject()
                    .field("callers", forecast.callers())
                    .field("requestsPerSecond", forecast.requestsPerSecond(), 4)
                    .field("meanLatencySeconds", forecast.meanLatencySeconds(), 6)
                    .field("inFlight", forecast.inFlight(), 4)
                    .field("demand", forecast.demand(), 4)
                    .field("active", forecast.active())
                    .field("fraction", forecast.fraction(), 4)
                    .field("localRequestsPerSecond", forecast.localRequestsPerSecond(), 4)
                    .field("spilledRequestsPerSecond", forecast.spilledRequestsPerSecond(), 4)
                    .endObject();
        }
        j.endObject();
    }

    private static void locality(Json j, Locality l) {
        j.field("region", l.region()).field("zone", l.zone()).field("subzone", l.subzone());
    }
}
