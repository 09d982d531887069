package dev.meridian.core;

/**
 * An Istio release, and so the Envoy release its sidecars run: what "what does my sidecar do"
 * depends on when a rule changed over time. Istio 1.x ships Envoy 1.(x + 8) from Istio 1.5 on
 * (1.6 ships Envoy 1.14, 1.10 ships 1.18, 1.30 ships 1.38). Checked against the Envoy commit each
 * istio/proxy release pins ({@code WORKSPACE} {@code ENVOY_SHA} and its commit date): 1.8 pins a
 * 2020-11-10 commit (before Envoy 1.17's max_ejection_time), 1.9 one of January 2021 (after it), 1.18
 * one of 2023-06-05 (before the 1.27 max-ejection fix), 1.19 one of 2023-08-30 (after it), 1.23 one
 * of 2024-07-31 (Envoy 1.31). Rules that differ between releases ask
 * {@link #atLeast} or {@link #envoyAtLeast} and cite the change that introduced them.
 *
 * <p>Immutable and thread-safe.
 *
 * @param major Istio's major version (1)
 * @param minor Istio's minor version
 */
public record IstioRelease(int major, int minor) implements Comparable<IstioRelease> {

    /** The latest Istio release Meridian models; the default everywhere a release is not given. */
    public static final IstioRelease LATEST = new IstioRelease(1, 30);

    /** The oldest release whose rules are modelled. */
    public static final IstioRelease OLDEST = new IstioRelease(1, 5);

    /** @throws IllegalArgumentException when the release is outside {@link #OLDEST}..{@link #LATEST} */
    public IstioRelease {
        if (major != 1 || minor < OLDEST_MINOR || minor > LATEST_MINOR) {
            throw new IllegalArgumentException("istioVersion: must be 1." + OLDEST_MINOR + " to 1." + LATEST_MINOR
                    + ", got " + major + "." + minor);
        }
    }

    private static final int OLDEST_MINOR = 5;
    private static final int LATEST_MINOR = 30;

    /**
     * Parses {@code 1.6}, {@code 1.6.9} or {@code v1.6.9}; the patch version is ignored.
     *
     * @throws IllegalArgumentException naming the value when it is not such a version or is out of range
     */
    public static IstioRelease parse(String version) {
        if (version == null) {
            throw new IllegalArgumentException("istioVersion: must be like 1.22, got null");
        }
        String v = version.strip();
        if (v.startsWith("v")) {
            v = v.substring(1);
        }
        String[] parts = v.split("\\.");
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("istioVersion: must be like 1.22, got '" + version + "'");
        }
        try {
            for (String p : parts) {
                if (p.isEmpty() || !p.chars().allMatch(Character::isDigit)) {
                    throw new NumberFormatException(p);
                }
            }
            return new IstioRelease(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("istioVersion: must be like 1.22, got '" + version + "'");
        }
    }

    /** Whether this release is {@code 1.minor} or later. */
    public boolean atLeast(int istioMinor) {
        return minor >= istioMinor;
    }

    /** The minor version of the Envoy release this Istio release ships (Envoy 1.x). */
    public int envoyMinor() {
        return minor + 8;
    }

    /** Whether the Envoy this release ships is {@code 1.envoyMinor} or later. */
    public boolean envoyAtLeast(int envoyMinor) {
        return envoyMinor() >= envoyMinor;
    }

    @Override
    public int compareTo(IstioRelease o) {
        return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
