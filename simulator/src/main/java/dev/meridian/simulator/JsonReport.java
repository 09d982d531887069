package dev.meridian.simulator;

import dev.meridian.core.Endpoint;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code --json} summary, for tools and tests: everything the terminal summary shows, with
 * times in seconds and shares as fractions, and nothing that depends on the wall clock, so two runs
 * with the same scenario and seed give the same bytes. Stateless and thread-safe.
 */
public final class JsonReport {
    private JsonReport() {
    }

    public static String render(SimulationResult r) {
        return write(tree(r));
    }

    /** Two runs of {@code --compare}, in the order given. */
    public static String render(SimulationResult left, SimulationResult right) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("runs", List.of(tree(left), tree(right)));
        return write(root);
    }

    private static Map<String, Object> tree(SimulationResult r) {
        SimulationSpec spec = r.spec();
        List<Endpoint> eps = r.endpoints();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("scenario", r.scenario());
        root.put("source", r.source());
        root.put("description", r.description());
        root.put("seed", spec.seed());
        root.put("durationSeconds", seconds(spec.durationNanos()));
        root.put("ratePerSecond", decimal(spec.ratePerSecond(), 3));
        root.put("bucketSeconds", seconds(spec.bucketNanos()));
        List<Object> callers = new ArrayList<>();
        for (SimulationSpec.CallerSpec c : spec.callers()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", c.name());
            m.put("locality", c.caller().locality().toString());
            m.put("share", decimal(c.share(), 4));
            callers.add(m);
        }
        root.put("callers", callers);
        root.put("notes", r.notes());
        root.put("requests", r.requests());
        root.put("errors", r.errors());
        root.put("errorRate", fraction(r.errors(), r.requests()));
        List<Object> endpoints = new ArrayList<>();
        SimulationResult.Load load = r.load();
        for (int i = 0; i < eps.size(); i++) {
            Endpoint e = eps.get(i);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("address", e.address());
            m.put("locality", e.locality().toString());
            m.put("version", SimulationResult.version(e));
            m.put("concurrency", bound(load.concurrency(i)));
            m.put("queueLimit", bound(load.queueLimit(i)));
            endpoints.add(m);
        }
        root.put("endpoints", endpoints);
        List<Object> phases = new ArrayList<>();
        for (SimulationResult.Phase p : r.phases()) {
            phases.add(phase(r, p));
        }
        root.put("phases", phases);
        root.put("queueing", queueing(r));
        root.put("spill", spill(r));
        List<Object> faults = new ArrayList<>();
        for (SimulationResult.FaultResult f : r.faults()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("atSeconds", seconds(f.fault().atNanos()));
            m.put("action", f.fault().action().key());
            m.put("target", f.fault().target().describe());
            m.put("description", f.fault().describe());
            m.put("endpoints", f.endpointNames(eps));
            List<Object> outcomes = new ArrayList<>();
            for (SimulationResult.Outcome o : f.outcomes()) {
                Map<String, Object> om = new LinkedHashMap<>();
                om.put("caller", spec.callers().get(o.caller()).name());
                om.put("measure", o.measure());
                om.put("settledSeconds", o.settled() ? seconds(o.settledNanos()) : null);
                om.put("firstRequestSeconds", o.firstRequestNanos() >= 0 ? seconds(o.firstRequestNanos()) : null);
                om.put("requests", o.requests());
                om.put("errors", o.errors());
                outcomes.add(om);
            }
            m.put("outcomes", outcomes);
            faults.add(m);
        }
        root.put("faults", faults);
        List<Object> notRun = new ArrayList<>();
        for (SimulationSpec.Fault f : spec.faultsNotRun()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("atSeconds", seconds(f.atNanos()));
            m.put("action", f.action().key());
            m.put("target", f.target().describe());
            m.put("description", f.describe());
            notRun.add(m);
        }
        root.put("faultsNotRun", notRun);
        List<Object> events = new ArrayList<>();
        for (SimulationResult.Event e : r.events()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("atSeconds", seconds(e.atNanos()));
            m.put("caller", spec.callers().get(e.caller()).name());
            m.put("endpoint", eps.get(e.endpoint()).address());
            m.put("event", e.type().label());
            m.put("untilSeconds", e.untilNanos() > e.atNanos() ? seconds(e.untilNanos()) : null);
            events.add(m);
        }
        root.put("events", events);
        root.put("droppedEvents", r.droppedEvents());
        return root;
    }

    private static Map<String, Object> phase(SimulationResult r, SimulationResult.Phase p) {
        List<Endpoint> eps = r.endpoints();
        SimulationResult.Load load = r.load();
        int phase = p.index();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("phase", p.index() + 1);
        m.put("fromSeconds", seconds(p.startNanos()));
        m.put("toSeconds", seconds(p.endNanos()));
        m.put("label", p.label());
        m.put("requests", p.requests());
        m.put("errors", p.errors());
        m.put("noEndpoint", p.noEndpoint());
        m.put("errorRate", fraction(p.errors(), p.requests()));
        Map<String, Object> latency = new LinkedHashMap<>();
        latency.put("p50", p.p50Nanos() < 0 ? null : decimal(p.p50Nanos() / 1e6, 3));
        latency.put("p99", p.p99Nanos() < 0 ? null : decimal(p.p99Nanos() / 1e6, 3));
        latency.put("p999", p.p999Nanos() < 0 ? null : decimal(p.p999Nanos() / 1e6, 3));
        m.put("latencyMs", latency);
        m.put("versions", shares(p.byVersion(eps), p.requests()));
        Map<String, Object> localities = shares(p.byLocality(eps), p.requests());
        for (int l = 0; l < load.localities().size(); l++) {
            @SuppressWarnings("unchecked")
            Map<String, Object> lm = (Map<String, Object>) localities.get(load.localities().get(l));
            if (load.latencyByLocality()) {
                lm.put("latencyMs", latency(load.p50Nanos(phase, l), load.p99Nanos(phase, l), load.p999Nanos(phase, l)));
            }
            lm.put("inFlight", decimal(load.localityInFlight(phase, l), 3));
            if (load.queueing() && load.bounded(l)) {
                queueFields(lm, (Long) lm.get("requests"), load.localityWaited(phase, l),
                        load.localityWaitSumNanos(phase, l), load.localityShed(phase, l));
            }
        }
        m.put("localities", localities);
        Map<String, Long> priorities = new LinkedHashMap<>();
        for (Map.Entry<Integer, Long> e : p.byPriority().entrySet()) {
            priorities.put(Integer.toString(e.getKey()), e.getValue());
        }
        m.put("priorities", shares(priorities, p.requests()));
        Map<String, Object> perEndpoint = new LinkedHashMap<>();
        for (int i = 0; i < eps.size(); i++) {
            Map<String, Object> em = new LinkedHashMap<>();
            long requests = p.endpointRequests()[i];
            em.put("requests", requests);
            em.put("errors", p.endpointErrors()[i]);
            em.put("inFlight", decimal(load.inFlight(phase, i), 3));
            em.put("latencyMsMean", requests == 0 ? null : decimal(load.latencySumNanos(phase, i) / requests / 1e6, 3));
            if (load.queueing() && load.concurrency(i) != ServerQueue.UNLIMITED) {
                queueFields(em, requests, load.waited(phase, i), load.waitSumNanos(phase, i), load.shed(phase, i));
            }
            perEndpoint.put(eps.get(i).address(), em);
        }
        m.put("endpoints", perEndpoint);
        m.put("ejections", p.ejections());
        m.put("returns", p.returns());
        return m;
    }

    /** {@code waited}, {@code waitMsMean} (over every request, those that waited none included) and {@code shed}. */
    private static void queueFields(Map<String, Object> m, long requests, long waited, double waitSumNanos, long shed) {
        m.put("waited", waited);
        m.put("waitMsMean", requests == 0 ? null : decimal(waitSumNanos / requests / 1e6, 3));
        m.put("shed", shed);
    }

    /** {@code {p50, p99}} in milliseconds, null for -1 (no request). */
    private static Map<String, Object> latency(long p50, long p99) {
        Map<String, Object> latency = new LinkedHashMap<>();
        latency.put("p50", p50 < 0 ? null : decimal(p50 / 1e6, 3));
        latency.put("p99", p99 < 0 ? null : decimal(p99 / 1e6, 3));
        return latency;
    }

    /** {@code {p50, p99, p999}} in milliseconds, null for -1 (no request). */
    private static Map<String, Object> latency(long p50, long p99, long p999) {
        Map<String, Object> latency = latency(p50, p99);
        latency.put("p999", p999 < 0 ? null : decimal(p999 / 1e6, 3));
        return latency;
    }

    /** A concurrency or queue limit; null for unlimited. */
    private static Object bound(int value) {
        return value == ServerQueue.UNLIMITED ? null : value;
    }

    /**
     * For a queueing run, per locality with bounded concurrency that got requests, the run by tenths
     * (as the text summary's table); null otherwise.
     */
    private static Map<String, Object> queueing(SimulationResult r) {
        SimulationResult.Load load = r.load();
        SimulationResult.Slices s = load.slices();
        if (s == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sliceSeconds", seconds(s.sliceNanos()));
        Map<String, Object> byLocality = new LinkedHashMap<>();
        int localities = load.localities().size();
        for (int l : TextReport.queuedLocalities(r)) {
            Map<String, Object> lm = new LinkedHashMap<>();
            lm.put("capacity", TextReport.capacity(r, l));
            List<Object> slices = new ArrayList<>();
            for (int i = 0; i < s.count(); i++) {
                int cell = i * localities + l;
                Map<String, Object> sm = new LinkedHashMap<>();
                sm.put("fromSeconds", seconds(i * s.sliceNanos()));
                sm.put("requests", s.requests()[cell]);
                sm.put("latencyMs", latency(s.p50Nanos()[cell], s.p99Nanos()[cell]));
                queueFields(sm, s.requests()[cell], s.waited()[cell], s.waitSumNanos()[cell], s.shed()[cell]);
                sm.put("inFlight", decimal(s.inFlight()[cell], 3));
                slices.add(sm);
            }
            lm.put("slices", slices);
            byLocality.put(load.localities().get(l), lm);
        }
        m.put("localities", byLocality);
        return m;
    }

    /**
     * For a run with spill-over, its configuration, per phase and per tenth of the run what the
     * callers decided (time averages over them) and how many requests left priority 0; null otherwise.
     */
    private static Map<String, Object> spill(SimulationResult r) {
        SimulationResult.Spill s = r.spill();
        if (s == null) {
            return null;
        }
        dev.meridian.lb.SpillConfig c = s.config();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("callers", s.callers());
        m.put("hostCapacity", decimal(c.hostCapacity(), 4));
        Map<String, Object> localityCapacity = new LinkedHashMap<>();
        c.localityCapacity().forEach((l, v) -> localityCapacity.put(l.toString(), decimal(v, 4)));
        m.put("localityCapacity", localityCapacity);
        m.put("spillThreshold", decimal(c.spillThreshold(), 4));
        m.put("releaseThreshold", decimal(c.releaseThreshold(), 4));
        m.put("smoothingSeconds", seconds(c.smoothing().toNanos()));
        m.put("evaluationIntervalSeconds", seconds(c.evaluationInterval().toNanos()));
        m.put("activeAtEnd", s.activeAtEnd());
        List<Object> phases = new ArrayList<>();
        for (SimulationResult.Phase p : r.phases()) {
            int i = p.index();
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("phase", i + 1);
            pm.put("active", decimal(s.active(i), 4));
            pm.put("fraction", decimal(s.fraction(i), 4));
            pm.put("demand", decimal(s.demand(i), 4));
            pm.put("utilization", decimal(s.utilization(i), 4));
            pm.put("capacity", decimal(s.capacity(i), 4));
            pm.put("started", s.phaseStarts()[i]);
            pm.put("stopped", s.phaseStops()[i]);
            phases.add(pm);
        }
        m.put("phases", phases);
        m.put("sliceSeconds", seconds(s.sliceNanos()));
        List<Object> slices = new ArrayList<>();
        for (int i = 0; i < s.sliceCount(); i++) {
            Map<String, Object> sm = new LinkedHashMap<>();
            sm.put("fromSeconds", seconds(i * s.sliceNanos()));
            sm.put("active", decimal(s.sliceActive(i), 4));
            sm.put("fraction", decimal(s.sliceFraction(i), 4));
            sm.put("demand", decimal(s.sliceDemand(i), 4));
            sm.put("utilization", decimal(s.sliceUtilization(i), 4));
            sm.put("requests", s.sliceRequests()[i]);
            sm.put("beyondPriority0", s.sliceBeyondZero()[i]);
            slices.add(sm);
        }
        m.put("slices", slices);
        return m;
    }

    private static Map<String, Object> shares(Map<String, Long> counts, long total) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("requests", e.getValue());
            m.put("share", fraction(e.getValue(), total));
            out.put(e.getKey(), m);
        }
        return out;
    }

    private static BigDecimal fraction(long part, long whole) {
        return Reports.fraction(part, whole);
    }

    private static BigDecimal seconds(long nanos) {
        return new BigDecimal(Reports.seconds(nanos));
    }

    private static BigDecimal decimal(double d, int places) {
        return new BigDecimal(Reports.decimal(d, places));
    }

    /** Writes maps, lists, strings, numbers, booleans and nulls with two-space indentation. */
    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0);
        return out.append('\n').toString();
    }

    private static void write(StringBuilder out, Object value, int depth) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String s) {
            quote(out, s);
        } else if (value instanceof BigDecimal d) {
            out.append(d.toPlainString());
        } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            String sep = "\n";
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.append(sep);
                indent(out, depth + 1);
                quote(out, String.valueOf(e.getKey()));
                out.append(": ");
                write(out, e.getValue(), depth + 1);
                sep = ",\n";
            }
            out.append('\n');
            indent(out, depth);
            out.append('}');
        } else if (value instanceof List<?> l) {
            if (l.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            String sep = "\n";
            for (Object item : l) {
                out.append(sep);
                indent(out, depth + 1);
                write(out, item, depth + 1);
                sep = ",\n";
            }
            out.append('\n');
            indent(out, depth);
            out.append(']');
        } else {
            throw new IllegalArgumentException("json: cannot write a " + value.getClass().getName());
        }
    }

    private static void indent(StringBuilder out, int depth) {
        out.append("  ".repeat(depth));
    }

    private static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }
}
