package dev.meridian.istio;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Istio's own validation rules, shared by the records (so a value built in code is checked) and
 * the YAML reader (so a value read from a file is checked with its full YAML path).
 *
 * <p>Sources: {@code pkg/config/validation/validation.go} and
 * {@code pkg/config/validation/agent/validation.go} ({@code ValidateDuration},
 * {@code ValidatePercent}, {@code ValidateWildcardDomain}) and {@code pkg/config/labels} in
 * istio/istio.
 *
 * <p>Stateless and thread-safe.
 */
final class IstioChecks {

    private static final Duration ONE_MILLISECOND = Duration.ofMillis(1);
    private static final int DNS1123_LABEL_MAX = 63;
    private static final int DNS_PREFIX_MAX = 253;
    private static final String DNS1123_LABEL = "[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?";
    private static final Pattern DNS1123_LABEL_PATTERN = Pattern.compile(DNS1123_LABEL);
    private static final Pattern WILDCARD_LABEL_PATTERN = Pattern.compile("\\*|(?:\\*|\\*-)?" + DNS1123_LABEL);
    private static final String QUALIFIED_NAME = "(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private static final Pattern LABEL_KEY_PATTERN = Pattern.compile(
            "(" + DNS1123_LABEL + "(?:\\." + DNS1123_LABEL + ")*/)?(" + QUALIFIED_NAME + ")");
    private static final Pattern LABEL_VALUE_PATTERN = Pattern.compile("(?:" + QUALIFIED_NAME + ")?");

    private IstioChecks() {
    }

    /**
     * A YAML mapping of strings, such as labels, annotations or a selector: keys and values must be
     * strings, and labels Kubernetes label keys and values.
     *
     * @param block the mapping, or null for none (an empty map)
     */
    static Map<String, String> stringMap(YamlNode block, boolean validateAsLabels) {
        Map<String, String> out = new LinkedHashMap<>();
        if (block == null) {
            return out;
        }
        for (Map.Entry<?, ?> e : block.entries().entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new IllegalArgumentException(block.path() + ": keys must be strings, got "
                        + Values.describe(e.getKey()));
            }
            String valuePath = block.path(key);
            if (!(e.getValue() instanceof String value)) {
                throw new IllegalArgumentException(valuePath + ": expected a string, got " + Values.describe(e.getValue())
                        + (e.getValue() instanceof Number || e.getValue() instanceof Boolean
                                ? " (quote it to make it a string)" : ""));
            }
            if (validateAsLabels) {
                IstioChecks.labelKey(block.path(), key);
                IstioChecks.labelValue(valuePath, value);
            }
            out.put(key, value);
        }
        return out;
    }

    /** A count such as {@code consecutive5xxErrors}: Istio rejects negatives. */
    static Integer count(String field, Integer value) {
        if (value != null && value < 0) {
            throw new IllegalArgumentException(field + ": must not be negative, got " + value);
        }
        return value;
    }

    /** Istio's {@code ValidatePercent}: 0..100. */
    static Integer percent(String field, Integer value) {
        if (value != null && (value < 0 || value > 100)) {
            throw new IllegalArgumentException(field + ": must be a percentage from 0 to 100, got " + value);
        }
        return value;
    }

    /**
     * Istio's {@code agent.ValidateDuration}, applied to {@code interval}, {@code baseEjectionTime}
     * and {@code warmup.duration}: at least 1ms, and a whole number of milliseconds.
     */
    static Duration protoDuration(String field, Duration value) {
        if (value == null) {
            return null;
        }
        atLeastOneMillisecond(field, value);
        if (value.getNano() % 1_000_000 != 0) {
            throw new IllegalArgumentException(field + ": only whole milliseconds are supported, got "
                    + IstioDuration.format(value));
        }
        return value;
    }

    /** The CRD schema's {@code duration(self) >= duration('1ms')} rule. */
    static Duration atLeastOneMillisecond(String field, Duration value) {
        if (value != null && value.compareTo(ONE_MILLISECOND) < 0) {
            throw new IllegalArgumentException(field + ": must be at least 1ms, got " + IstioDuration.format(value));
        }
        return value;
    }

    /** Istio's {@code agent.ValidateWildcardDomain} for {@code spec.host}. */
    static String host(String field, String host) {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException(field + ": must not be empty, got " + Values.describe(host));
        }
        if (host.length() > 255) {
            throw new IllegalArgumentException(field + ": must be at most 255 characters, got '"
                    + Values.clip(host) + "'");
        }
        String[] parts = host.split("\\.", 2);
        if (!isWildcardLabel(parts[0])) {
            throw badHost(field, host, parts[0]);
        }
        if (parts.length == 1) {
            return host;
        }
        String[] labels = parts[1].split("\\.", -1);
        if (isAllDigits(labels[labels.length - 1])) {
            throw new IllegalArgumentException(field + ": top level domain '" + labels[labels.length - 1]
                    + "' cannot be all-numeric, got '" + Values.clip(host) + "'");
        }
        for (int i = 0; i < labels.length; i++) {
            // A trailing dot (istio.io.) is allowed.
            if (i == labels.length - 1 && labels[i].isEmpty()) {
                break;
            }
            if (!isDns1123Label(labels[i])) {
                throw badHost(field, host, labels[i]);
            }
        }
        return host;
    }

    /** Istio's {@code validateSubsetName}. */
    static String subsetName(String field, String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(field + ": must not be empty, got " + Values.describe(name));
        }
        if (!isDns1123Label(name)) {
            throw new IllegalArgumentException(field + ": must be a DNS-1123 label, got '" + Values.clip(name) + "'");
        }
        return name;
    }

    /** Kubernetes label key rules as Istio's {@code labels.Instance.Validate} applies them. */
    static void labelKey(String field, String key) {
        var m = LABEL_KEY_PATTERN.matcher(key);
        boolean ok = m.matches()
                && (m.group(1) == null || m.group(1).length() - 1 <= DNS_PREFIX_MAX)
                && m.group(2).length() <= DNS1123_LABEL_MAX;
        if (!ok) {
            throw new IllegalArgumentException(field + ": invalid label key '" + Values.clip(key) + "'");
        }
    }

    /** Kubernetes label value rules as Istio's {@code labels.Instance.Validate} applies them. */
    static void labelValue(String field, String value) {
        if (!LABEL_VALUE_PATTERN.matcher(value).matches()) {
            throw new IllegalArgumentException(field + ": invalid label value '" + Values.clip(value) + "'");
        }
    }

    /** Envoy's primality test, which Istio copies for Maglev table sizes. */
    static boolean isPrime(long x) {
        if (x != 0 && x < 4) {
            return true;
        }
        if ((x & 1) == 0) {
            return false;
        }
        long limit = (long) Math.sqrt((double) x);
        for (long factor = 3; factor <= limit; factor += 2) {
            if (x % factor == 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDns1123Label(String label) {
        return label.length() <= DNS1123_LABEL_MAX && DNS1123_LABEL_PATTERN.matcher(label).matches();
    }

    private static boolean isWildcardLabel(String label) {
        return label.length() <= DNS1123_LABEL_MAX && WILDCARD_LABEL_PATTERN.matcher(label).matches();
    }

    private static boolean isAllDigits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static IllegalArgumentException badHost(String field, String host, String label) {
        return new IllegalArgumentException(field + ": invalid host '" + Values.clip(host) + "' (label '"
                + Values.clip(label) + "' is not a DNS-1123 label)");
    }
}
