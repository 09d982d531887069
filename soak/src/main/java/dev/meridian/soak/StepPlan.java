package dev.meridian.soak;

/**
 * What the pickers do in one step: which addresses fail and how, whether to finish every request
 * they hold open before the step's first barrier (so the control thread can check the in-flight
 * counts at rest), and whether to wait while the heap is measured.
 *
 * <p>Immutable; published by the control thread before the barrier that starts the step.
 */
final class StepPlan {
    final long step;
    /** Per address, its burst in this step, or null when it answers normally. */
    final Burst[] bursts;
    final boolean finishOutstanding;
    /**
     * Whether the pickers wait at a third barrier after checking the step, so the control thread
     * can measure the heap while they hold nothing and do nothing.
     */
    final boolean measureHeap;

    StepPlan(long step, Burst[] bursts, boolean finishOutstanding, boolean measureHeap) {
        this.step = step;
        this.bursts = bursts;
        this.finishOutstanding = finishOutstanding;
        this.measureHeap = measureHeap;
    }
}
