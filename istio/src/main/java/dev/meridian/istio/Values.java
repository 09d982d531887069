package dev.meridian.istio;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a value read from YAML is shown in a message: short, and never dumping a whole subtree.
 *
 * <p>Stateless and thread-safe.
 */
final class Values {

    private static final int MAX_SHOWN = 80;

    private Values() {
    }

    /** Cuts long text so a hostile document cannot blow up an exception message. */
    static String clip(String text) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_SHOWN) + 4);
        for (int i = 0; i < text.length() && out.length() < MAX_SHOWN; i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                out.append("\\n");
            } else if (Character.isISOControl(c)) {
                out.append('?');
            } else {
                out.append(c);
            }
        }
        if (out.length() >= MAX_SHOWN && text.length() > MAX_SHOWN) {
            out.append("...");
        }
        return out.toString();
    }

    /** The value for an error message: quoted text, a number, or the kind of node. */
    static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String s) {
            return "'" + clip(s) + "'";
        }
        if (value instanceof Number || value instanceof Boolean) {
            return clip(value.toString());
        }
        if (value instanceof Map<?, ?>) {
            return "a mapping";
        }
        if (value instanceof List<?>) {
            return "a list";
        }
        if (value instanceof Set<?>) {
            return "a set";
        }
        if (value instanceof byte[]) {
            return "binary data";
        }
        return "a " + value.getClass().getSimpleName();
    }
}
