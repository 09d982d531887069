package dev.meridian.istio;

import java.time.Duration;

/**
 * Durations as users write them in Istio resources ({@code 2m}, {@code 1.5s}, {@code 1h30m}).
 *
 * <p>Istio decodes {@code google.protobuf.Duration} fields from Kubernetes YAML through the
 * protobuf JSON decoder of {@code github.com/golang/protobuf/jsonpb}, which hands the string to Go's
 * {@code time.ParseDuration}. This class accepts exactly that grammar (Go {@code src/time/format.go}):
 * an optional sign, then one or more decimal numbers, each with an optional fraction and a unit out
 * of {@code ns}, {@code us}, {@code µs} (U+00B5), {@code μs} (U+03BC), {@code ms}, {@code s},
 * {@code m}, {@code h}; the lone string {@code 0} means zero. Fractions are converted the way Go
 * converts them, through a {@code double}, so {@code 0.1s} and friends give the same nanoseconds
 * as in Istio. Unlike Go, a negative duration is rejected: no Istio duration field accepts one.
 *
 * <p>Stateless and thread-safe.
 */
public final class IstioDuration {

    private static final long NANOS_PER_MICRO = 1_000L;
    private static final long NANOS_PER_MILLI = 1_000_000L;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** 2^63 as an unsigned 64-bit value, Go's overflow bound. */
    private static final long TWO_POW_63 = Long.MIN_VALUE;
    private static final String UNITS = "ns, us, µs, ms, s, m, h";

    private IstioDuration() {
    }

    /**
     * Parses a duration string.
     *
     * @param field the field or YAML path the text came from, used in error messages
     * @param text the text as written
     * @return the duration, never negative
     * @throws IllegalArgumentException naming {@code field} and {@code text} when the text is not a
     *         Go duration, is negative, or does not fit in 2^63-1 nanoseconds
     */
    public static Duration parse(String field, String text) {
        if (text == null) {
            throw invalid(field, null, "missing value");
        }
        String s = text;
        boolean negative = false;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            negative = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (negative) {
            throw invalid(field, text, "must not be negative");
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.isEmpty()) {
            throw invalid(field, text, null);
        }
        long total = 0; // unsigned, as in Go
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c != '.' && !isDigit(c)) {
                throw invalid(field, text, null);
            }
            // Integer part; Go rejects it outright on overflow.
            int start = i;
            long whole = 0;
            while (i < n && isDigit(s.charAt(i))) {
                if (Long.compareUnsigned(whole, Long.divideUnsigned(TWO_POW_63, 10)) > 0) {
                    throw invalid(field, text, "out of range");
                }
                whole = whole * 10 + (s.charAt(i) - '0');
                if (Long.compareUnsigned(whole, TWO_POW_63) > 0) {
                    throw invalid(field, text, "out of range");
                }
                i++;
            }
            boolean hasWhole = i != start;
            // Fraction; Go keeps the digits that fit and silently drops the rest.
            long fraction = 0;
            double scale = 1;
            boolean hasFraction = false;
            if (i < n && s.charAt(i) == '.') {
                i++;
                int fractionStart = i;
                boolean overflow = false;
                while (i < n && isDigit(s.charAt(i))) {
                    if (!overflow) {
                        if (Long.compareUnsigned(fraction, Long.MAX_VALUE / 10) > 0) {
                            overflow = true;
                        } else {
                            long next = fraction * 10 + (s.charAt(i) - '0');
                            if (Long.compareUnsigned(next, TWO_POW_63) > 0) {
                                overflow = true;
                            } else {
                                fraction = next;
                                scale *= 10;
                            }
                        }
                    }
                    i++;
                }
                hasFraction = i != fractionStart;
            }
            if (!hasWhole && !hasFraction) {
                throw invalid(field, text, null);
            }
            int unitStart = i;
            while (i < n && s.charAt(i) != '.' && !isDigit(s.charAt(i))) {
                i++;
            }
            if (unitStart == i) {
                throw invalid(field, text, "missing unit; units are " + UNITS);
            }
            String unitText = s.substring(unitStart, i);
            long unit = unitNanos(unitText);
            if (unit == 0) {
                throw invalid(field, text, "unknown unit '" + unitText + "'; units are " + UNITS);
            }
            if (Long.compareUnsigned(whole, Long.divideUnsigned(TWO_POW_63, unit)) > 0) {
                throw invalid(field, text, "out of range");
            }
            long value = whole * unit;
            if (fraction != 0) {
                value += doubleToUnsigned(unsignedToDouble(fraction) * ((double) unit / scale));
                if (Long.compareUnsigned(value, TWO_POW_63) > 0) {
                    throw invalid(field, text, "out of range");
                }
            }
            long sum = total + value;
            // Go lets 2^63 + 2^63 wrap to zero here; a parser of configuration should not.
            if (Long.compareUnsigned(sum, total) < 0 || Long.compareUnsigned(sum, TWO_POW_63) > 0) {
                throw invalid(field, text, "out of range");
            }
            total = sum;
        }
        if (total < 0) {
            // Exactly 2^63: representable in Go only as a negative duration.
            throw invalid(field, text, "out of range");
        }
        return Duration.ofNanos(total);
    }

    /**
     * Formats a duration the way Go's {@code time.Duration.String} does ({@code 2m0s}, {@code 1.5s},
     * {@code 100ms}, {@code 10µs}), so messages show values in the notation users write.
     *
     * @param duration a duration; durations beyond 2^63-1 nanoseconds fall back to ISO-8601
     * @return the text
     */
    public static String format(Duration duration) {
        long nanos;
        try {
            nanos = duration.toNanos();
        } catch (ArithmeticException tooLong) {
            return duration.toString();
        }
        if (nanos == 0) {
            return "0s";
        }
        if (nanos < 0) {
            return nanos == Long.MIN_VALUE ? duration.toString() : "-" + format(Duration.ofNanos(-nanos));
        }
        if (nanos < NANOS_PER_MICRO) {
            return nanos + "ns";
        }
        if (nanos < NANOS_PER_MILLI) {
            return decimal(nanos, NANOS_PER_MICRO) + "µs";
        }
        if (nanos < NANOS_PER_SECOND) {
            return decimal(nanos, NANOS_PER_MILLI) + "ms";
        }
        long seconds = nanos / NANOS_PER_SECOND;
        long hours = seconds / 3600;
        long minutes = seconds / 60 % 60;
        StringBuilder out = new StringBuilder();
        if (hours > 0) {
            out.append(hours).append('h');
        }
        if (hours > 0 || minutes > 0) {
            out.append(minutes).append('m');
        }
        out.append(decimal(seconds % 60 * NANOS_PER_SECOND + nanos % NANOS_PER_SECOND, NANOS_PER_SECOND));
        return out.append('s').toString();
    }

    private static String decimal(long value, long unit) {
        long whole = value / unit;
        long rest = value % unit;
        if (rest == 0) {
            return Long.toString(whole);
        }
        String digits = Long.toString(unit + rest).substring(1);
        int end = digits.length();
        while (digits.charAt(end - 1) == '0') {
            end--;
        }
        return whole + "." + digits.substring(0, end);
    }

    private static long unitNanos(String unit) {
        switch (unit) {
            case "ns":
                return 1;
            case "us":
            case "\u00b5s":
            case "\u03bcs":
                return NANOS_PER_MICRO;
            case "ms":
                return NANOS_PER_MILLI;
            case "s":
                return NANOS_PER_SECOND;
            case "m":
                return 60 * NANOS_PER_SECOND;
            case "h":
                return 3600 * NANOS_PER_SECOND;
            default:
                return 0;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static double unsignedToDouble(long value) {
        if (value >= 0) {
            return value;
        }
        // Halve, keeping the low bit so rounding matches a direct conversion.
        return ((value >>> 1) | (value & 1)) * 2.0;
    }

    private static long doubleToUnsigned(double value) {
        if (value < 0x1p63) {
            return (long) value;
        }
        return (long) (value - 0x1p63) ^ Long.MIN_VALUE;
    }

    private static IllegalArgumentException invalid(String field, String text, String detail) {
        String shown = text == null ? "null" : "'" + Values.clip(text) + "'";
        return new IllegalArgumentException(field + ": invalid duration " + shown
                + (detail == null ? "" : ": " + detail));
    }
}
