/**
 * The discrete-event locality simulator as a library: {@link dev.meridian.simulator.Scenarios} reads
 * a scenario (a file or a built-in), {@link dev.meridian.simulator.Simulation} runs its traffic and
 * faults on virtual time through {@link dev.meridian.simulator.MeshClient}, the one place that wires
 * the balancing library, and the report classes render a
 * {@link dev.meridian.simulator.SimulationResult} as text, JSON, CSV or HTML.
 *
 * <p>Runs are exactly repeatable: time is a manual clock and every random choice comes from the
 * scenario's seed. Everything here is cold path and may allocate and throw.
 */
package dev.meridian.simulator;
