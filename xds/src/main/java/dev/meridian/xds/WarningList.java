package dev.meridian.xds;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects a translation's warnings. A warning that repeats for every element of a list (every
 * endpoint's {@code hostname}, say) is reported once, at the first element's path, with how many
 * more elements it applies to: a thousand endpoints give one line, not a thousand.
 *
 * <p>Not thread-safe: one translation owns one list.
 */
final class WarningList {

    private static final class Entry {
        final String field;
        final String message;
        int more;

        Entry(String field, String message) {
            this.field = field;
            this.message = message;
        }
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    /** Adds a warning; one that differs from an earlier one only in its field's list indexes is counted. */
    void add(String field, String message) {
        String key = field.replaceAll("\\[\\d+\\]", "[]") + "\n" + message;
        Entry e = entries.get(key);
        if (e == null) {
            entries.put(key, new Entry(field, message));
        } else {
            e.more++;
        }
    }

    void addAll(List<XdsWarning> warnings) {
        for (XdsWarning w : warnings) {
            add(w.field(), w.message());
        }
    }

    List<XdsWarning> toList() {
        List<XdsWarning> out = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) {
            out.add(new XdsWarning(e.field, e.more == 0 ? e.message
                    : e.message + " (and " + e.more + " more like it)"));
        }
        return out;
    }
}
