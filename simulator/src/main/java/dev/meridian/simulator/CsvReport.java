package dev.meridian.simulator;

import dev.meridian.core.Endpoint;
import java.io.IOException;
import java.io.Writer;

/**
 * The {@code --csv} output: one row per time bucket and endpoint, with the header
 * {@code t_seconds,endpoint,locality,priority,requests,errors,ejected,in_flight,latency_ms,wait_ms,shed}.
 * {@code t_seconds} is the bucket's start; {@code priority} is the first caller's priority for the
 * endpoint at the bucket's end, empty when the endpoint was not in its set; {@code ejected} is 1 when
 * the endpoint was ejected, for any caller, at any moment of the bucket; {@code in_flight} is the
 * time-average number of requests in flight to it (queued ones included); {@code latency_ms} and
 * {@code wait_ms} are the mean latency and mean queue wait of the bucket's requests to it (empty when
 * it had none); {@code shed} counts those its full queue answered with 503. For {@code --compare} a
 * first column, {@code run}, names the scenario each row belongs to. Stateless and thread-safe.
 */
public final class CsvReport {
    static final String HEADER =
            "t_seconds,endpoint,locality,priority,requests,errors,ejected,in_flight,latency_ms,wait_ms,shed";

    private CsvReport() {
    }

    public static void write(SimulationResult r, Writer out) throws IOException {
        out.write(HEADER);
        out.write('\n');
        rows(r, "", out);
    }

    /**
     * Both runs of {@code --compare}, the first's rows then the second's, each row starting with
     * the run's scenario name ({@code first} and {@code second} when both have the same name).
     */
    public static void write(SimulationResult first, SimulationResult second, Writer out) throws IOException {
        out.write("run,");
        out.write(HEADER);
        out.write('\n');
        boolean same = first.scenario().equals(second.scenario());
        rows(first, field(same ? "first" : first.scenario()) + ",", out);
        rows(second, field(same ? "second" : second.scenario()) + ",", out);
    }

    private static void rows(SimulationResult r, String run, Writer out) throws IOException {
        SimulationResult.Buckets b = r.buckets();
        SimulationResult.Load load = r.load();
        int n = r.endpoints().size();
        String[] names = new String[n];
        String[] localities = new String[n];
        for (int e = 0; e < n; e++) {
            Endpoint ep = r.endpoints().get(e);
            names[e] = field(ep.address());
            localities[e] = field(ep.locality().toString());
        }
        StringBuilder row = new StringBuilder(96);
        for (int i = 0; i < b.count(); i++) {
            String t = Reports.seconds(b.startNanos(i));
            for (int e = 0; e < n; e++) {
                row.setLength(0);
                row.append(run);
                int priority = b.priority(i, e);
                row.append(t).append(',').append(names[e]).append(',').append(localities[e]).append(',')
                        .append(priority < 0 ? "" : Integer.toString(priority)).append(',')
                        .append(b.requests(i, e)).append(',').append(b.errors(i, e)).append(',')
                        .append(b.ejected(i, e) ? '1' : '0').append(',')
                        .append(thousandths(load.bucketInFlight(i, e))).append(',')
                        .append(millis(load.bucketLatencyMs(i, e))).append(',')
                        .append(millis(load.bucketWaitMs(i, e))).append(',')
                        .append(load.bucketShed(i, e)).append('\n');
                out.append(row);
            }
        }
    }

    /** Milliseconds with up to three decimals; empty for NaN (no request). */
    private static String millis(float ms) {
        return Float.isNaN(ms) ? "" : thousandths(ms);
    }

    /**
     * A non-negative value rounded to three decimals, trailing zeros dropped ({@code 0}, {@code 2.5},
     * {@code 12.345}), without {@link java.math.BigDecimal}: a large run writes millions of these.
     */
    static String thousandths(double v) {
        long m = Math.round(v * 1000);
        long whole = m / 1000;
        int frac = (int) (m % 1000);
        if (frac == 0) {
            return Long.toString(whole);
        }
        String digits = Integer.toString(1000 + frac).substring(1);
        int end = digits.length();
        while (digits.charAt(end - 1) == '0') {
            end--;
        }
        return whole + "." + digits.substring(0, end);
    }

    /** Quotes a field that holds a comma or a quote (IPv6 addresses do not, but labels might). */
    private static String field(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
