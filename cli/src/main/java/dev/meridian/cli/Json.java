package dev.meridian.cli;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Map;

/**
 * A small streaming JSON writer with two-space indentation, for the command line's output. Keys are
 * written in the order given, so output is stable and diffable. Not thread-safe.
 */
final class Json {
    private final StringBuilder out = new StringBuilder();
    private final Deque<boolean[]> first = new ArrayDeque<>();
    private boolean afterKey;

    Json beginObject() {
        value();
        out.append('{');
        first.push(new boolean[] {true});
        return this;
    }

    Json endObject() {
        close('}');
        return this;
    }

    Json beginArray() {
        value();
        out.append('[');
        first.push(new boolean[] {true});
        return this;
    }

    Json endArray() {
        close(']');
        return this;
    }

    Json key(String name) {
        separator();
        string(name);
        out.append(": ");
        afterKey = true;
        return this;
    }

    Json value(String s) {
        value();
        if (s == null) {
            out.append("null");
        } else {
            string(s);
        }
        return this;
    }

    Json value(long n) {
        value();
        out.append(n);
        return this;
    }

    Json value(boolean b) {
        value();
        out.append(b);
        return this;
    }

    /** A number rounded to at most {@code decimals} places, or null for NaN / null. */
    Json value(Double d, int decimals) {
        value();
        if (d == null || d.isNaN() || d.isInfinite()) {
            out.append("null");
        } else {
            String s = String.format(Locale.ROOT, "%." + decimals + "f", d);
            if (s.indexOf('.') >= 0) {
                s = s.replaceAll("0+$", "");
                if (s.endsWith(".")) {
                    s = s.substring(0, s.length() - 1);
                }
            }
            if (s.equals("-0")) {
                s = "0";
            }
            out.append(s);
        }
        return this;
    }

    Json field(String k, String v) {
        return key(k).value(v);
    }

    Json field(String k, long v) {
        return key(k).value(v);
    }

    Json field(String k, boolean v) {
        return key(k).value(v);
    }

    Json field(String k, Double v, int decimals) {
        return key(k).value(v, decimals);
    }

    Json stringMap(String k, Map<String, String> map) {
        key(k).beginObject();
        for (Map.Entry<String, String> e : map.entrySet()) {
            field(e.getKey(), e.getValue());
        }
        return endObject();
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void value() {
        if (afterKey) {
            afterKey = false;
            return;
        }
        separator();
    }

    private void separator() {
        if (first.isEmpty()) {
            return;
        }
        boolean[] f = first.peek();
        if (!f[0]) {
            out.append(',');
        }
        f[0] = false;
        newline();
    }

    private void close(char c) {
        boolean[] f = first.pop();
        if (!f[0]) {
            newline();
        }
        out.append(c);
    }

    private void newline() {
        out.append('\n');
        for (int i = 0; i < first.size(); i++) {
            out.append("  ");
        }
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
