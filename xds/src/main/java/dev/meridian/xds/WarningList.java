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
        String key = withoutIndexes(field) + "\n" + message;
        Entry e = entries.get(key);
        if (e == null) {
            entries.put(key, new Entry(field, message));
        } else {
            e.more++;
        }
    }

    /**
     * The field with every list index ({@code [12]}) emptied to {@code []}; a key on a map entry
     * ({@code ["istio"]}) is kept. Written out rather than a regular expression: an update that
     * warns for every one of its thousands of endpoints calls this for each.
     */
    static String withoutIndexes(String field) {
        int open = field.indexOf('[');
        if (open < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder(field.length());
        int copied = 0;
        while (open >= 0) {
            int close = open + 1;
            while (close < field.length() && field.charAt(close) >= '0' && field.charAt(close) <= '9') {
                close++;
            }
            if (close > open + 1 && close < field.length() && field.charAt(close) == ']') {
                out.append(field, copied, open + 1);
                copied = close;
            }
            open = field.indexOf('[', open + 1);
        }
        return out.append(field, copied, field.length()).toString();
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
