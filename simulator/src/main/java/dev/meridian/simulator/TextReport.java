package dev.meridian.simulator;

import dev.meridian.core.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The terminal summary: a header, one block per phase (traffic shares, errors, latency, ejections,
 * failover and return times), the ejection log and the wall-clock speed. Blocks have a fixed shape
 * so that two runs can be printed side by side ({@code --compare}). Stateless and thread-safe.
 */
public final class TextReport {
    /** Ejection and return lines shown before the log is cut short. */
    static final int MAX_EVENT_LINES = 24;
    private static final String GAP = "   |   ";
    private static final int WRAP = 78;

    private TextReport() {
    }

    /** The summary of one run; the speed line is left out when {@code timing} is false. */
    public static String render(SimulationResult r, boolean timing) {
        StringBuilder out = new StringBuilder();
        for (List<String> section : sections(r)) {
            for (String line : section) {
                out.append(line.stripTrailing()).append('\n');
            }
        }
        if (timing) {
            out.append('\n').append(speed(r)).append('\n');
        }
        return out.toString();
    }

    /**
     * Two runs, section by section, left and right. Within a phase the lines that say the same thing
     * face each other (a phase's {@code priority} line opposite the other run's, however many queue
     * lines either has above it): lines are paired by their label, the words before the first
     * number, in the longest common order, and a line one run lacks faces a blank. Other sections
     * pair their lines in order.
     */
    public static String sideBySide(SimulationResult left, SimulationResult right, boolean timing) {
        List<List<String>> a = unwrapped(left);
        List<List<String>> b = unwrapped(right);
        List<String[]> rows = new ArrayList<>();
        int width = 0;
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            List<String> sa = i < a.size() ? a.get(i) : List.of();
            List<String> sb = i < b.size() ? b.get(i) : List.of();
            // A phase's lines differ in number between runs (queues, spill-over); other sections pair by position.
            boolean phase = !sa.isEmpty() && !sb.isEmpty() && sa.get(0).startsWith("phase ")
                    && sb.get(0).startsWith("phase ");
            for (String[] pair : phase ? align(sa, sb) : byPosition(sa, sb)) {
                List<String> la = pair[0] == null ? List.of() : wrapped(pair[0]);
                List<String> lb = pair[1] == null ? List.of() : wrapped(pair[1]);
                for (int j = 0; j < Math.max(la.size(), lb.size()); j++) {
                    String l = j < la.size() ? la.get(j) : "";
                    width = Math.max(width, l.length());
                    rows.add(new String[] {l, j < lb.size() ? lb.get(j) : ""});
                }
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            boolean blank = row[0].isEmpty() && row[1].isEmpty();
            out.append(blank ? "" : (pad(row[0], width) + GAP + row[1]).stripTrailing()).append('\n');
        }
        if (timing) {
            out.append('\n').append(speed(left)).append('\n').append(speed(right)).append('\n');
        }
        return out.toString();
    }

    private static List<String[]> byPosition(List<String> a, List<String> b) {
        List<String[]> pairs = new ArrayList<>();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            pairs.add(new String[] {i < a.size() ? a.get(i) : null, i < b.size() ? b.get(i) : null});
        }
        return pairs;
    }

    /**
     * The lines of two sections in pairs, either side null where the other run has a line this one
     * lacks: a longest common subsequence of the lines' {@link #label labels}, so matching lines stay
     * in order and face each other.
     */
    static List<String[]> align(List<String> a, List<String> b) {
        int n = a.size();
        int m = b.size();
        int[][] common = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                common[i][j] = label(a.get(i)).equals(label(b.get(j))) ? common[i + 1][j + 1] + 1
                        : Math.max(common[i + 1][j], common[i][j + 1]);
            }
        }
        List<String[]> pairs = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && label(a.get(i)).equals(label(b.get(j)))) {
                pairs.add(new String[] {a.get(i++), b.get(j++)});
            } else if (j >= m || (i < n && common[i + 1][j] >= common[i][j + 1])) {
                pairs.add(new String[] {a.get(i++), null});
            } else {
                pairs.add(new String[] {null, b.get(j++)});
            }
        }
        return pairs;
    }

    /**
     * What a line is about: its indentation and the words before the first one with a digit, or up
     * to one that ends with a colon ({@code "  latency by locality"}, {@code "  priority"},
     * {@code "  failover:"}, {@code "  "} for a table row that starts with a time).
     */
    static String label(String line) {
        String stripped = line.stripLeading();
        StringBuilder label = new StringBuilder(line.substring(0, line.length() - stripped.length()));
        for (String word : stripped.split(" ")) {
            if (word.chars().anyMatch(Character::isDigit)) {
                break;
            }
            label.append(word).append(' ');
            if (word.endsWith(":")) {
                break;
            }
        }
        return label.toString();
    }

    static String speed(SimulationResult r) {
        return r.scenario() + ": simulated " + Reports.count(r.requests()) + " requests in "
                + Reports.decimal(r.wallNanos() / 1e9, 2) + " s wall clock ("
                + Reports.count(Math.round(r.requestsPerWallSecond())) + " requests/s)";
    }

    private static List<List<String>> sections(SimulationResult r) {
        List<List<String>> sections = new ArrayList<>();
        for (List<String> section : unwrapped(r)) {
            List<String> lines = new ArrayList<>();
            for (String line : section) {
                lines.addAll(wrapped(line));
            }
            sections.add(lines);
        }
        return sections;
    }

    /** One line of the summary as printed: broken at {@link #WRAP}, the rest indented under it. */
    private static List<String> wrapped(String line) {
        int indent = line.length() - line.stripLeading().length();
        String more = " ".repeat(indent + (line.stripLeading().startsWith("- ") ? 2 : 4));
        return wrap(line, more);
    }

    private static List<List<String>> unwrapped(SimulationResult r) {
        List<List<String>> sections = new ArrayList<>();
        sections.add(header(r));
        for (SimulationResult.Phase p : r.phases()) {
            sections.add(phase(r, p));
        }
        // Always a section, empty without queueing, so --compare keeps the two runs' sections aligned.
        sections.add(queueingOverTime(r));
        // Likewise always a section, empty without spill-over.
        sections.add(spillOverTime(r));
        sections.add(eventLog(r));
        List<String> notes = new ArrayList<>();
        notes.add("");
        notes.add("what decided the picks:");
        for (String note : r.notes()) {
            notes.add("- " + note);
        }
        sections.add(notes);
        return sections;
    }

    private static List<String> header(SimulationResult r) {
        SimulationSpec spec = r.spec();
        List<String> lines = new ArrayList<>();
        lines.add("scenario " + r.scenario() + " (" + r.source() + ")");
        if (!r.description().isEmpty()) {
            lines.add(r.description());
        }
        lines.add(Reports.number(spec.ratePerSecond()) + " requests/s for " + Reports.duration(spec.durationNanos())
                + ", seed " + spec.seed() + ": " + Reports.count(r.requests()) + " requests, "
                + Reports.share(r.errors(), r.requests()) + " errors");
        if (!spec.faultsNotRunNote().isEmpty()) {
            lines.add("warning: " + spec.faultsNotRunNote());
        }
        StringBuilder callers = new StringBuilder(spec.callers().size() == 1 ? "caller " : "callers ");
        double total = 0;
        for (SimulationSpec.CallerSpec c : spec.callers()) {
            total += c.share();
        }
        for (int i = 0; i < spec.callers().size(); i++) {
            SimulationSpec.CallerSpec c = spec.callers().get(i);
            callers.append(i > 0 ? ", " : "").append(c.name());
            if (spec.callers().size() > 1) {
                callers.append(" (").append(Reports.percent(100 * c.share() / total)).append(')');
            }
            if (!c.name().equals(c.caller().locality().toString())) {
                callers.append(" at ").append(c.caller().locality().isUnknown() ? SimulationResult.NO_LOCALITY
                        : c.caller().locality().toString());
            }
        }
        lines.add(callers.toString());
        lines.add("");
        return lines;
    }

    private static List<String> phase(SimulationResult r, SimulationResult.Phase p) {
        List<Endpoint> eps = r.endpoints();
        List<String> lines = new ArrayList<>();
        lines.add("phase " + (p.index() + 1) + "  " + Reports.duration(p.startNanos()) + " - "
                + Reports.duration(p.endNanos()) + "  " + p.label());
        lines.add("  requests " + Reports.count(p.requests()) + ", errors " + Reports.count(p.errors()) + " ("
                + Reports.share(p.errors(), p.requests()) + ")"
                + (p.noEndpoint() > 0 ? ", no endpoint " + Reports.count(p.noEndpoint()) : ""));
        lines.add("  latency " + (p.p50Nanos() < 0 ? "-" : "p50 " + Reports.millis(p.p50Nanos()) + ", p99 "
                + Reports.millis(p.p99Nanos()) + ", p99.9 " + Reports.millis(p.p999Nanos())));
        lines.add("  version  " + shares(p.byVersion(eps), p.requests()));
        lines.add("  locality " + shares(p.byLocality(eps), p.requests()));
        SimulationResult.Load load = r.load();
        if (load.latencyByLocality()) {
            StringBuilder latency = new StringBuilder();
            for (int l = 0; l < load.localities().size(); l++) {
                if (load.p50Nanos(p.index(), l) >= 0) {
                    latency.append(latency.length() == 0 ? "" : "; ").append(load.localities().get(l)).append(" p50 ")
                            .append(Reports.millis(load.p50Nanos(p.index(), l))).append(", p99 ")
                            .append(Reports.millis(load.p99Nanos(p.index(), l)));
                }
            }
            lines.add("  latency by locality " + (latency.length() == 0 ? "-" : latency));
        }
        for (String queue : queues(r, p)) {
            lines.add("  queue " + queue);
        }
        if (r.spill() != null) {
            lines.add("  spill " + spill(r.spill(), p.index()));
        }
        StringBuilder prio = new StringBuilder("  priority ");
        Map<Integer, Long> byPriority = p.byPriority();
        for (Map.Entry<Integer, Long> e : byPriority.entrySet()) {
            prio.append(e.getKey() == 0 ? "" : "  ").append('P').append(e.getKey()).append(' ')
                    .append(Reports.share(e.getValue(), p.requests()));
        }
        lines.add(byPriority.isEmpty() ? "  priority -" : prio.toString());
        lines.add("  ejected " + p.ejections() + ", returned " + p.returns());
        List<SimulationResult.FaultResult> starting = new ArrayList<>();
        for (SimulationResult.FaultResult f : r.faults()) {
            if (f.fault().atNanos() == p.startNanos()) {
                starting.add(f);
            }
        }
        for (SimulationResult.FaultResult f : starting) {
            lines.addAll(outcomes(r, f, starting.size() > 1));
        }
        lines.add("");
        return lines;
    }

    /** The requests of phase {@code p} per locality of the run's load accounts, by index. */
    static long[] requestsByLocality(SimulationResult r, SimulationResult.Phase p) {
        SimulationResult.Load load = r.load();
        long[] requests = new long[load.localities().size()];
        for (int e = 0; e < r.endpoints().size(); e++) {
            requests[load.locality(e)] += p.endpointRequests()[e];
        }
        return requests;
    }

    /**
     * One entry per locality with bounded concurrency that got requests in the phase: its capacity,
     * the time-average number in flight, how many requests waited and how long on average (over all
     * its requests), and how many were shed. Empty for a run without queueing.
     */
    static List<String> queues(SimulationResult r, SimulationResult.Phase p) {
        SimulationResult.Load load = r.load();
        List<String> lines = new ArrayList<>();
        if (!load.queueing()) {
            return lines;
        }
        long[] requests = requestsByLocality(r, p);
        int phase = p.index();
        for (int l = 0; l < requests.length; l++) {
            if (!load.bounded(l) || requests[l] == 0) {
                continue;
            }
            long shed = load.localityShed(phase, l);
            lines.add(load.localities().get(l) + " (" + capacity(r, l) + "): in flight "
                    + Reports.average(load.localityInFlight(phase, l)) + ", waited "
                    + Reports.share(load.localityWaited(phase, l), requests[l]) + ", mean wait "
                    + Reports.millis(Math.round(load.localityWaitSumNanos(phase, l) / requests[l])) + ", shed "
                    + Reports.count(shed) + " (" + Reports.share(shed, requests[l]) + ")");
        }
        return lines;
    }

    /**
     * What the callers' spill-over did in a phase, time-averaged over the callers that spill: the
     * share of the time spent spilling, the diverted share of priority 0's picks, the demand and the
     * load carried (utilizations), the capacity they are measured against, and the starts and stops.
     */
    static String spill(SimulationResult.Spill s, int phase) {
        return "active " + Reports.percent(100 * s.active(phase)) + ", fraction " + two(s.fraction(phase))
                + ", demand " + two(s.demand(phase)) + ", utilization " + two(s.utilization(phase)) + " ("
                + s.callers() + (s.callers() == 1 ? " caller" : " callers") + ", capacity "
                + Reports.number(s.capacity(phase)) + " in flight each); started " + s.phaseStarts()[phase]
                + ", stopped " + s.phaseStops()[phase];
    }

    /**
     * The callers and their spill-over configuration in a few words: {@code 10 callers; hostCapacity
     * 0.8, spill at 0.8, release below 0.6, smoothing 2s, evaluated every 100 ms}.
     */
    static String spillConfig(SimulationResult.Spill s) {
        dev.meridian.lb.SpillConfig c = s.config();
        return s.callers() + (s.callers() == 1 ? " caller" : " callers") + "; hostCapacity "
                + Reports.number(c.hostCapacity()) + (c.localityCapacity().isEmpty() ? "" : " (some localities their own)")
                + ", spill at " + Reports.number(c.spillThreshold()) + ", release below "
                + Reports.number(c.releaseThreshold()) + ", smoothing " + Reports.duration(c.smoothing().toNanos())
                + ", evaluated every " + Reports.millis(c.evaluationInterval().toNanos());
    }

    private static String two(double d) {
        return String.format(java.util.Locale.ROOT, "%.2f", d);
    }

    /**
     * For a run with spill-over, the run by tenths: the share of caller-time spent spilling, the
     * diverted fraction, the demand and utilization (time averages over the callers) and the share
     * of the tenth's requests picked outside priority 0. Empty otherwise.
     */
    private static List<String> spillOverTime(SimulationResult r) {
        List<String> lines = new ArrayList<>();
        SimulationResult.Spill s = r.spill();
        if (s == null) {
            return lines;
        }
        lines.add("spill-over over time (" + spillConfig(s) + "):");
        table(spillRows(s), lines);
        lines.add("  spilling when the run ended: " + s.activeAtEnd() + " of " + s.callers());
        lines.add("");
        return lines;
    }

    /**
     * Adds {@code rows} (a header first) to {@code lines} as an indented table: the first column reads
     * left to right, numbers align on the right.
     */
    private static void table(List<String[]> rows, List<String> lines) {
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int c = 0; c < row.length; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder b = new StringBuilder(" ");
            for (int c = 0; c < row.length; c++) {
                b.append(' ').append(c == 0 ? pad(row[c], width[c]) : " ".repeat(width[c] - row[c].length()) + row[c]);
            }
            lines.add(b.toString());
        }
    }

    /** The header and one row per tenth of the run: what {@link #spillOverTime} lays out. */
    static List<String[]> spillRows(SimulationResult.Spill s) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"from", "active", "fraction", "demand", "utilization", "beyond P0"});
        for (int i = 0; i < s.sliceCount(); i++) {
            rows.add(new String[] {Reports.duration(i * s.sliceNanos()), Reports.percent(100 * s.sliceActive(i)),
                two(s.sliceFraction(i)), two(s.sliceDemand(i)), two(s.sliceUtilization(i)),
                Reports.share(s.sliceBeyondZero()[i], s.sliceRequests()[i])});
        }
        return rows;
    }

    /**
     * A locality's capacity in a few words: {@code 2 endpoints x concurrency 8}, with {@code , queue
     * limit 50} when waiting is limited; ranges when its endpoints differ.
     */
    static String capacity(SimulationResult r, int locality) {
        SimulationResult.Load load = r.load();
        int count = load.endpointsIn(locality);
        return count + (count == 1 ? " endpoint" : " endpoints") + " x concurrency "
                + range(load.minConcurrency(locality), load.maxConcurrency(locality))
                + (load.minQueueLimit(locality) == ServerQueue.UNLIMITED ? ""
                : ", queue limit " + range(load.minQueueLimit(locality), load.maxQueueLimit(locality)));
    }

    private static String range(int min, int max) {
        return (min == ServerQueue.UNLIMITED ? "unlimited" : Integer.toString(min))
                + (min == max ? "" : ".." + (max == ServerQueue.UNLIMITED ? "unlimited" : Integer.toString(max)));
    }

    /**
     * For a queueing run, one table per locality with bounded concurrency that got requests: the run
     * by tenths, each row the requests that started in that tenth, their latency, waits and sheds,
     * and the time-average number in flight. Empty otherwise.
     */
    private static List<String> queueingOverTime(SimulationResult r) {
        List<String> lines = new ArrayList<>();
        for (int l : queuedLocalities(r)) {
            lines.add("queueing over time, " + r.load().localities().get(l) + " (" + capacity(r, l) + "):");
            table(sliceRows(r, l), lines);
            lines.add("");
        }
        return lines;
    }

    /** The localities with bounded concurrency that got requests, for a queueing run; empty otherwise. */
    static List<Integer> queuedLocalities(SimulationResult r) {
        SimulationResult.Load load = r.load();
        SimulationResult.Slices s = load.slices();
        List<Integer> out = new ArrayList<>();
        if (s == null) {
            return out;
        }
        int localities = load.localities().size();
        for (int l = 0; l < localities; l++) {
            long total = 0;
            for (int i = 0; i < s.count(); i++) {
                total += s.requests()[i * localities + l];
            }
            if (load.bounded(l) && total > 0) {
                out.add(l);
            }
        }
        return out;
    }

    /** The header and one row per tenth of the run, for one locality: what {@link #queueingOverTime} lays out. */
    static List<String[]> sliceRows(SimulationResult r, int l) {
        SimulationResult.Slices s = r.load().slices();
        int localities = r.load().localities().size();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"from", "requests", "p50", "p99", "waited", "mean wait", "in flight", "shed"});
        for (int i = 0; i < s.count(); i++) {
            int cell = i * localities + l;
            long n = s.requests()[cell];
            rows.add(new String[] {Reports.duration(i * s.sliceNanos()), Reports.count(n),
                n == 0 ? "-" : Reports.millis(s.p50Nanos()[cell]), n == 0 ? "-" : Reports.millis(s.p99Nanos()[cell]),
                Reports.share(s.waited()[cell], n),
                n == 0 ? "-" : Reports.millis(Math.round(s.waitSumNanos()[cell] / n)),
                Reports.average(s.inFlight()[cell]), Reports.count(s.shed()[cell])});
        }
        return rows;
    }

    private static List<String> outcomes(SimulationResult r, SimulationResult.FaultResult f, boolean name) {
        List<String> lines = new ArrayList<>();
        boolean many = r.spec().callers().size() > 1;
        for (SimulationResult.Outcome o : f.outcomes()) {
            String who = (name ? " (" + f.fault().action().key() + " " + f.fault().target().describe() + ")" : "")
                    + (many ? " for " + r.spec().callers().get(o.caller()).name() : "");
            switch (o.measure()) {
                case SimulationResult.Outcome.FAILOVER -> lines.add("  failover" + who + ": " + (o.settled()
                        ? "after " + Reports.duration(o.settledNanos()) + ", " + Reports.count(o.errors())
                        + " errors on the way"
                        : o.requests() == 0 ? "not needed, no request reached it"
                        : "none, still picked (" + Reports.count(o.requests()) + " requests, "
                        + Reports.count(o.errors()) + " errors)"));
                case SimulationResult.Outcome.RETURN -> lines.add("  back" + who + ": " + (o.settled()
                        ? "all in service after " + Reports.duration(o.settledNanos()) : "not all in service")
                        + (o.firstRequestNanos() >= 0 ? ", first request after "
                        + Reports.duration(o.firstRequestNanos()) : ", no request reached them"));
                default -> {
                }
            }
        }
        return lines;
    }

    private static String shares(Map<String, Long> counts, long total) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            b.append(b.length() == 0 ? "" : "  ").append(e.getKey()).append(' ')
                    .append(Reports.share(e.getValue(), total));
        }
        return b.length() == 0 ? "-" : b.toString();
    }

    private static List<String> eventLog(SimulationResult r) {
        List<String> lines = new ArrayList<>();
        List<SimulationResult.Event> events = r.events();
        long total = events.size() + r.droppedEvents();
        lines.add("ejections and returns: " + total);
        boolean many = r.spec().callers().size() > 1;
        int shown = Math.min(events.size(), MAX_EVENT_LINES);
        // Columns: time, event and endpoint padded to the widest shown, so the lines read as a table.
        int timeWidth = 0;
        int labelWidth = 0;
        int endpointWidth = 0;
        for (int i = 0; i < shown; i++) {
            SimulationResult.Event e = events.get(i);
            timeWidth = Math.max(timeWidth, Reports.duration(e.atNanos()).length());
            labelWidth = Math.max(labelWidth, e.type().label().length());
            endpointWidth = Math.max(endpointWidth, endpoint(r.endpoints().get(e.endpoint())).length());
        }
        for (int i = 0; i < shown; i++) {
            SimulationResult.Event e = events.get(i);
            Endpoint ep = r.endpoints().get(e.endpoint());
            lines.add("  " + pad(Reports.duration(e.atNanos()), timeWidth) + "  " + pad(e.type().label(), labelWidth)
                    + "  " + pad(endpoint(ep), endpointWidth)
                    + (many ? " by " + r.spec().callers().get(e.caller()).name() : "")
                    + (e.untilNanos() > e.atNanos() ? " until " + Reports.duration(e.untilNanos()) : ""));
        }
        if (total > MAX_EVENT_LINES) {
            lines.add("  ... " + Reports.count(total - MAX_EVENT_LINES) + " more (--json, --csv or --html show all)");
        }
        return lines;
    }

    private static String endpoint(Endpoint ep) {
        return ep.address() + " (" + SimulationResult.locality(ep) + ", " + SimulationResult.version(ep) + ")";
    }

    /** Breaks a long line at spaces so side-by-side output stays readable. */
    static List<String> wrap(String text, String indent) {
        List<String> out = new ArrayList<>();
        String rest = text;
        String prefix = "";
        while (prefix.length() + rest.length() > WRAP) {
            int cut = rest.lastIndexOf(' ', WRAP - prefix.length());
            if (cut <= 0) {
                break;
            }
            out.add(prefix + rest.substring(0, cut));
            rest = rest.substring(cut + 1);
            prefix = indent;
        }
        out.add(prefix + rest);
        return out;
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
