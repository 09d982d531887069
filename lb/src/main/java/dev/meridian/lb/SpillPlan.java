package dev.meridian.lb;

/**
 * Capacity-aware spill-over within a {@link LoadPlan}: the configuration and the state the plan's
 * shares were computed with. Immutable and thread-safe.
 *
 * @param config the spill-over configuration
 * @param state the latest evaluation; {@link SpillState#atRest} when none has run yet
 */
public record SpillPlan(SpillConfig config, SpillState state) {
}
