package dev.meridian.simulator;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.lb.SpillConfig;
import dev.meridian.lb.SpillPlan;
import dev.meridian.lb.SpillState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The load a scenario's traffic offers its caller's priority 0, and where capacity-aware spill-over
 * ({@code docs/spill.md}) would settle under it: predicted from the scenario, not measured. A static
 * plan has nothing in flight, so its {@link SpillState} is at rest; this says what the running rule
 * would decide.
 *
 * <p>By Little's law, requests in flight are throughput times time in the system. The caller's
 * requests per second come from the scenario's {@code simulation:} section (its rate times this
 * caller's share, or the simulator's defaults without one); the time is the mean of the latency
 * model the section's behaviour rules give priority 0's available endpoints, weighted by endpoint
 * weight as the balancer spreads picks. That is the demand with nothing diverted and nobody waiting:
 * queueing only adds to it. The rule then spills when the demand reaches the spill threshold and
 * holds priority 0 at the release threshold, diverting {@code 1 - r / d} of its picks (at most
 * {@link #MAX_FRACTION}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param callers the callers of the simulation that are this caller (the same locality and labels):
 *     each is its own sidecar with its own load, so the figures are one caller's
 * @param requestsPerSecond the requests one of them sends per second
 * @param meanLatencySeconds the mean service time of priority 0's available endpoints
 * @param inFlight {@code requestsPerSecond × meanLatencySeconds}: the requests in flight the caller
 *     would keep on priority 0 with nothing diverted
 * @param demand {@code inFlight} over priority 0's capacity for this caller ({@link SpillState#capacity})
 * @param active whether spill-over would run: the demand reaches the spill threshold and there is a
 *     priority to spill to
 * @param fraction the share of priority 0's picks it would divert: {@code 1 - releaseThreshold /
 *     demand} when active, at most {@link #MAX_FRACTION}; else 0
 */
public record SpillForecast(int callers, double requestsPerSecond, double meanLatencySeconds, double inFlight,
                            double demand, boolean active, double fraction) {

    /** The largest share spill-over diverts, as its controller caps it ({@code docs/spill.md}). */
    public static final double MAX_FRACTION = 0.95;

    /** The requests per second the caller would send to priority 0: all but the diverted share. */
    public double localRequestsPerSecond() {
        return requestsPerSecond * (1 - fraction);
    }

    /** The requests per second it would send to the spill target instead. */
    public double spilledRequestsPerSecond() {
        return requestsPerSecond * fraction;
    }

    /**
     * The forecast for a client of the scenario's caller, as {@code meridian plan} builds it.
     *
     * @return null when the client has no spill-over, priority 0 has no capacity, or no caller of
     *     the simulation is the scenario's caller
     * @throws IllegalArgumentException naming the file, the field and the value when the scenario's
     *     {@code simulation:} section is bad
     */
    public static SpillForecast of(Scenario scenario, MeshClient client) {
        SpillPlan plan = client.plan().spill();
        if (plan == null || plan.state().capacity() <= 0) {
            return null;
        }
        SimulationSpec spec = SimulationSpec.parse(scenario.source(), scenario.simulation(), scenario.caller(),
                scenario.endpoints());
        double total = 0;
        double share = -1;
        int callers = 0;
        for (SimulationSpec.CallerSpec c : spec.callers()) {
            total += c.share();
            if (c.caller().equals(client.caller())) {
                callers++;
                share = share < 0 ? c.share() : share;
            }
        }
        if (callers == 0) {
            return null;
        }
        Map<String, LatencyModel> latency = new HashMap<>();
        List<dev.meridian.core.Endpoint> endpoints = scenario.endpoints();
        for (dev.meridian.core.Endpoint e : endpoints) {
            latency.put(e.address(), spec.latencyOf(e));
        }
        EndpointTable table = client.table();
        double weighted = 0;
        double weights = 0;
        for (int h = 0; h < table.size(); h++) {
            HealthStatus health = table.health(h);
            if (table.priority(h) != 0 || client.ejected(h) || !(health.isHealthy() || health.isDegraded())) {
                continue;
            }
            LatencyModel model = latency.getOrDefault(table.address(h), SimulationSpec.DEFAULT_LATENCY);
            weighted += table.weight(h) * model.meanNanos() / 1e9;
            weights += table.weight(h);
        }
        if (weights == 0) {
            return null;
        }
        double rate = spec.ratePerSecond() * share / total;
        double mean = weighted / weights;
        double inFlight = rate * mean;
        double demand = inFlight / plan.state().capacity();
        SpillConfig config = plan.config();
        boolean active = demand >= config.spillThreshold() && plan.state().targetPriority() >= 0;
        double fraction = active ? Math.min(MAX_FRACTION, Math.max(0, 1 - config.releaseThreshold() / demand)) : 0;
        return new SpillForecast(callers, rate, mean, inFlight, demand, active, fraction);
    }
}
