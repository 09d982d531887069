package dev.meridian.topology;

import dev.meridian.core.Endpoint;
import java.util.ArrayList;
import java.util.List;

/**
 * One Envoy priority level and the locality groups in it.
 *
 * <p>Immutable and thread-safe.
 *
 * @param priority the Envoy priority, 0 the highest
 * @param localities the locality groups, one per locality, in the order the localities first
 *     appear in the input
 */
public record Priority(int priority, List<LocalityGroup> localities) {

    public Priority {
        if (priority < 0 || priority > Endpoint.MAX_PRIORITY) {
            throw new IllegalArgumentException("priority.priority: must be 0.." + Endpoint.MAX_PRIORITY + ", got "
                    + priority);
        }
        localities = localities == null ? List.of() : List.copyOf(localities);
    }

    /** Number of endpoints at this priority. */
    public int hostCount() {
        int n = 0;
        for (LocalityGroup g : localities) {
            n += g.hostCount();
        }
        return n;
    }

    /** The endpoints at this priority, locality by locality. Cold path: allocates a list. */
    public List<Endpoint> endpoints() {
        List<Endpoint> out = new ArrayList<>(hostCount());
        for (LocalityGroup g : localities) {
            out.addAll(g.endpoints());
        }
        return List.copyOf(out);
    }
}
