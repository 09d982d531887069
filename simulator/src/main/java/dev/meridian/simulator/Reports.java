package dev.meridian.simulator;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * How the simulator's reports write times, latencies, shares and counts, so the terminal, CSV, JSON
 * and HTML outputs agree. Locale-independent. Stateless and thread-safe.
 */
public final class Reports {
    private static final BigDecimal ONE_PERCENT = new BigDecimal("0.01");

    private Reports() {
    }

    /** A virtual time or interval: {@code 0s}, {@code 0.093s}, {@code 45s}, {@code 5m}, {@code 5m30s}, {@code 1h05m}. */
    public static String duration(long nanos) {
        if (nanos < 0) {
            return "-" + duration(-nanos);
        }
        long totalMillis = nanos / 1_000_000;
        if (nanos < 60_000_000_000L && nanos % 1_000_000_000L != 0) {
            return decimal(nanos / 1e9, 3) + "s";
        }
        long seconds = totalMillis / 1000;
        long h = seconds / 3600;
        long m = (seconds % 3600) / 60;
        long s = seconds % 60;
        long ms = totalMillis % 1000;
        StringBuilder b = new StringBuilder();
        if (h > 0) {
            b.append(h).append('h');
        }
        if (m > 0 || (h > 0 && (s > 0 || ms > 0))) {
            b.append(h > 0 ? String.format(Locale.ROOT, "%02d", m) : Long.toString(m)).append('m');
        }
        if (s > 0 || ms > 0 || b.length() == 0) {
            String sec = ms > 0 ? decimal(s + ms / 1000.0, 3) : Long.toString(s);
            b.append(b.length() > 0 && s < 10 ? "0" + sec : sec).append('s');
        }
        return b.toString();
    }

    /** A latency: {@code 0.85 ms}, {@code 12.3 ms}, {@code 240 ms}, {@code 2.35 s}. */
    static String millis(long nanos) {
        double ms = nanos / 1e6;
        // Thresholds sit where rounding would carry into the next format (99.96 is "100 ms", not "100.0 ms").
        if (ms >= 999.5) {
            return String.format(Locale.ROOT, "%.2f s", ms / 1000);
        }
        if (ms >= 99.95) {
            return String.format(Locale.ROOT, "%.0f ms", ms);
        }
        if (ms >= 9.995) {
            return String.format(Locale.ROOT, "%.1f ms", ms);
        }
        return String.format(Locale.ROOT, "%.2f ms", ms);
    }

    /**
     * A percentage given in percent: {@code 33.3%}; a small share below 0.1% keeps two significant
     * digits ({@code 0.042%}, {@code 0.053%}: one decimal would show 0.0% or double it to 0.1%), and
     * one that would round up to 100.0% shows as {@code >99.9%}, so neither hides that something
     * happened nor overstates it.
     */
    static String percent(double pct) {
        if (pct > 0 && pct < 0.1) {
            return new BigDecimal(pct).round(new MathContext(2)).stripTrailingZeros().toPlainString() + "%";
        }
        if (pct >= 99.95 && pct < 100) {
            return ">99.9%";
        }
        return String.format(Locale.ROOT, "%.1f%%", pct);
    }

    /**
     * The share {@code part / whole} as a plain decimal fraction for the JSON output: four decimals,
     * but a share under 1% keeps two significant digits ({@code 0.000042}) and one over 99% keeps
     * two significant digits of what it misses ({@code 0.99958}), so a count that is neither none
     * nor all never reads as 0 or 1. 0 when {@code whole} is 0.
     */
    static BigDecimal fraction(long part, long whole) {
        if (whole == 0 || part == 0) {
            return BigDecimal.ZERO;
        }
        if (part == whole) {
            return BigDecimal.ONE;
        }
        MathContext two = new MathContext(2, RoundingMode.HALF_UP);
        BigDecimal exact = BigDecimal.valueOf(part).divide(BigDecimal.valueOf(whole), MathContext.DECIMAL64);
        if (exact.compareTo(ONE_PERCENT) < 0) {
            return exact.round(two).stripTrailingZeros();
        }
        BigDecimal missing = BigDecimal.ONE.subtract(exact);
        if (missing.compareTo(ONE_PERCENT) < 0) {
            return BigDecimal.ONE.subtract(missing.round(two)).stripTrailingZeros();
        }
        return exact.setScale(4, RoundingMode.HALF_UP).stripTrailingZeros();
    }

    /** The share {@code part / whole} as a percentage, {@code 0.0%} when {@code whole} is 0. */
    static String share(long part, long whole) {
        return percent(whole == 0 ? 0 : 100.0 * part / whole);
    }

    /** A count with thousands separators: {@code 240,012}. */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /**
     * A time-average count such as requests in flight: one decimal below 100 ({@code 0.4},
     * {@code 12.0}), whole with thousands separators from there ({@code 4,508}).
     */
    static String average(double d) {
        return d < 99.95 ? String.format(Locale.ROOT, "%.1f", d) : count(Math.round(d));
    }

    /** A number with at most three decimals and no trailing zeros: {@code 2}, {@code 2.5}. */
    static String number(double d) {
        return decimal(d, 3);
    }

    /** {@code d} rounded half-up to at most {@code places} decimals, trailing zeros dropped. */
    static String decimal(double d, int places) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return "null";
        }
        String s = BigDecimal.valueOf(d).setScale(places, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
        return s.equals("-0") ? "0" : s;
    }

    /** Seconds with up to three decimals, as the CSV and JSON outputs write times. */
    static String seconds(long nanos) {
        return decimal(nanos / 1e9, 3);
    }
}
