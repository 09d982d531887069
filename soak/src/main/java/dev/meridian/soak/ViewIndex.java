package dev.meridian.soak;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The publications the pickers may still be checking, by publication number, in a ring of fixed
 * capacity so that an hour of publications costs no more memory than a few steps' worth. The
 * control thread adds each publication as it is made and forgets those no picker can need any more;
 * pickers look them up.
 *
 * <p>Thread-safe: one writer, the control thread; any number of readers. A reader is handed a
 * publication only after the write that added it has happened before its read (the harness's
 * barriers order them).
 */
final class ViewIndex {

    private final AtomicReferenceArray<PublishedView> ring;
    private final int mask;
    /** The oldest publication still held; control thread only. */
    private long oldest;
    /** The newest publication added; control thread only. */
    private long newest;

    /** @param capacity a power of two, more than the publications of a few steps */
    ViewIndex(int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity: must be a power of two, got " + capacity);
        }
        ring = new AtomicReferenceArray<>(capacity);
        mask = capacity - 1;
    }

    /**
     * Adds the next publication.
     *
     * @throws IllegalStateException when it does not follow the newest one, or the ring is full
     */
    void add(PublishedView view) {
        if (newest != 0 && view.publication != newest + 1) {
            throw new IllegalStateException("publication " + view.publication + " does not follow " + newest);
        }
        if (newest == 0) {
            oldest = view.publication;
        }
        if (view.publication - oldest >= ring.length()) {
            throw new IllegalStateException("more than " + ring.length() + " publications held at once");
        }
        ring.set((int) (view.publication & mask), view);
        newest = view.publication;
    }

    /** Forgets every publication before this one. Control thread. */
    void forgetBefore(long publication) {
        while (oldest < publication && oldest < newest) {
            ring.set((int) (oldest & mask), null);
            oldest++;
        }
    }

    /** The publication with this number, or null when it is not held. */
    PublishedView get(long publication) {
        PublishedView v = ring.get((int) (publication & mask));
        return v != null && v.publication == publication ? v : null;
    }

    long newest() {
        return newest;
    }
}
