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

    /** Two runs, section by section, left and right. */
    public static String sideBySide(SimulationResult left, SimulationResult right, boolean timing) {
        List<List<String>> a = sections(left);
        List<List<String>> b = sections(right);
        int width = 0;
        for (List<String> s : a) {
            for (String line : s) {
                width = Math.max(width, line.length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            List<String> sa = i < a.size() ? a.get(i) : List.of();
            List<String> sb = i < b.size() ? b.get(i) : List.of();
            for (int j = 0; j < Math.max(sa.size(), sb.size()); j++) {
                String la = j < sa.size() ? sa.get(j) : "";
                String lb = j < sb.size() ? sb.get(j) : "";
                boolean blank = la.isEmpty() && lb.isEmpty();
                out.append(blank ? "" : (pad(la, width) + GAP + lb).stripTrailing()).append('\n');
            }
        }
        if (timing) {
            out.append('\n').append(speed(left)).append('\n').append(speed(right)).append('\n');
        }
        return out.toString();
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
                int indent = line.length() - line.stripLeading().length();
                String more = " ".repeat(indent + (line.stripLeading().startsWith("- ") ? 2 : 4));
                lines.addAll(wrap(line, more));
            }
            sections.add(lines);
        }
        return sections;
    }

    private static List<List<String>> unwrapped(SimulationResult r) {
        List<List<String>> sections = new ArrayList<>();
        sections.add(header(r));
        for (SimulationResult.Phase p : r.phases()) {
            sections.add(phase(r, p));
        }
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
