package dev.meridian.cli;

import dev.meridian.istio.YamlNode;
import dev.meridian.simulator.CallerMode;
import dev.meridian.simulator.CsvReport;
import dev.meridian.simulator.HtmlReport;
import dev.meridian.simulator.JsonReport;
import dev.meridian.simulator.Reports;
import dev.meridian.simulator.Scenario;
import dev.meridian.simulator.Scenarios;
import dev.meridian.simulator.Simulation;
import dev.meridian.simulator.SimulationResult;
import dev.meridian.simulator.SimulationSpec;
import dev.meridian.simulator.TextReport;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * {@code meridian simulate}: runs a scenario's traffic and faults through the real Meridian client on
 * virtual time and reports where the requests went, when endpoints were ejected, and when traffic
 * failed over and came back. Without arguments it runs the built-in {@code cross-region} scenario.
 * In place of a scenario it runs an Envoy config dump's cluster or a Cluster and its
 * ClusterLoadAssignment ({@link InputFiles}), with the simulator's default traffic or the
 * {@code simulation:} section of a scenario named by {@code --simulation}.
 *
 * <p>Exit status: 0 on success, 2 on bad arguments or a bad scenario, 1 when an output file cannot
 * be written; either way one line on stderr, {@code meridian: FILE: PATH: what, got 'VALUE'}.
 *
 * <p>Stateless and thread-safe; each call works on its own arguments and streams.
 */
public final class SimulateCommand {
    /** The scenario {@code meridian simulate} runs when none is named. */
    public static final String DEFAULT_SCENARIO = "cross-region";

    static final String USAGE = """
            usage: meridian simulate [SCENARIO] [options]
                   meridian simulate DUMP.json [--cluster NAME] [options]
                   meridian simulate CLUSTER.json CLA.json [options]
              SCENARIO          a built-in scenario name or a scenario YAML file (default: cross-region)
              DUMP.json         an Envoy admin config dump (GET /config_dump?include_eds): its cluster
                                as its Envoy runs it (meridian plan --help tells more)
              CLUSTER.json CLA.json
                                an Envoy Cluster and its ClusterLoadAssignment, in proto JSON
              --cluster NAME    the dump's cluster, when more than one has endpoints
              --envoy-version 1.N
                                read the Envoy files as that release runs them
              --simulation SCENARIO
                                run the Envoy files with that scenario's simulation: section (traffic,
                                behaviour, faults); without it, the defaults: 100 requests/s for 10m,
                                seed 1, no faults
              --list            list the built-in scenarios and exit
              --json            print the summary as JSON (deterministic: no wall-clock figures)
              --csv FILE        write requests, errors and ejections per time bucket and endpoint
              --html FILE       write a self-contained HTML page with the traffic chart and the summary
              --compare OTHER   run OTHER's mesh, rule and endpoints (or OTHER, a config dump) with
                                the same traffic and faults, and print both summaries side by side
                                (--csv and --html hold both runs)
              --seed N          use this random seed instead of the scenario's
              --duration D      simulate this long instead (90s, 10m, 1h)
              --rate R          send R requests per second instead
              --no-timing       leave the wall-clock speed line out of the text summary
              --no-progress     no progress on stderr (a bar on a terminal; otherwise, for a run
                                longer than 2s, a line at every 5% of the virtual time)
            """;

    private SimulateCommand() {
    }

    /**
     * Runs the command.
     *
     * @param args the arguments after {@code simulate}
     * @param out where the summary goes
     * @param err where errors and progress go
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            Main.fail(err, e.getMessage() + " (meridian simulate --help lists the options)");
            return 2;
        }
        if (o.help) {
            out.print(USAGE);
            return 0;
        }
        try {
            if (o.list) {
                list(out);
                return 0;
            }
            Scenario lender = o.simulation == null ? null : Scenarios.load(o.simulation);
            Scenario scenario = InputFiles.load(o.second == null ? List.of(o.scenario)
                    : List.of(o.scenario, o.second), o.cluster, o.envoyMinor, lender != null
                    ? "traffic and faults: the simulation: section of " + lender.source()
                    : "traffic: the simulator's defaults, as Envoy files have no simulation: section (--simulation"
                    + " SCENARIO lends one)");
            if (lender != null && scenario.callerMode() != CallerMode.XDS) {
                throw new IllegalArgumentException("--simulation: lends a simulation: section to Envoy files, and "
                        + o.scenario + " is a scenario with its own, got '" + o.simulation + "'");
            }
            Scenario plan = lender == null ? scenario : lender;
            SimulationSpec spec = spec(scenario, plan, o);
            Scenario other = null;
            if (o.compare != null) {
                other = InputFiles.load(List.of(o.compare), o.cluster, o.envoyMinor,
                        "traffic and faults: the first run's");
                spec.requireTargets(plan.source(), other.source(), other.endpoints());
            }
            boolean terminal = o.progress && stderrIsTerminal();
            Progress progress = terminal ? new Progress(err) : null;
            SimulationResult result = Simulation.run(scenario, spec, progress != null
                    ? progress.stage(other == null ? "" : scenario.name() + " ", spec.durationNanos())
                    : o.progress ? new ProgressLines(err, scenario.name(), spec.durationNanos()) : null);
            SimulationResult otherResult = null;
            if (other != null) {
                otherResult = Simulation.run(other, spec, progress != null
                        ? progress.stage(other.name() + " ", spec.durationNanos())
                        : o.progress ? new ProgressLines(err, other.name(), spec.durationNanos()) : null);
            }
            if (progress != null) {
                progress.clear();
            }
            // With --compare both runs go into one file: a run column in the CSV, both runs on one page.
            SimulationResult second = otherResult;
            if (o.csv != null) {
                writeFile(o.csv, "the CSV", w -> {
                    if (second == null) {
                        CsvReport.write(result, w);
                    } else {
                        CsvReport.write(result, second, w);
                    }
                });
                err.println("meridian: wrote " + o.csv + (second == null ? "" : " (both runs)"));
            }
            if (o.html != null) {
                String page = second == null ? HtmlReport.render(result) : HtmlReport.render(result, second);
                writeFile(o.html, "the HTML page", w -> w.write(page));
                err.println("meridian: wrote " + o.html + (second == null ? "" : " (both runs)"));
            }
            if (o.json) {
                out.print(otherResult == null ? JsonReport.render(result) : JsonReport.render(result, otherResult));
            } else {
                out.print(otherResult == null ? TextReport.render(result, o.timing)
                        : TextReport.sideBySide(result, otherResult, o.timing));
            }
            out.flush();
            return 0;
        } catch (IllegalArgumentException e) {
            Main.fail(err, e.getMessage());
            return 2;
        } catch (IOException e) {
            Main.fail(err, e.getMessage());
            return 1;
        }
    }

    /** The scenario's simulation plan with the command line's overrides applied. */
    static SimulationSpec spec(Scenario scenario, Options o) {
        return spec(scenario, scenario, o);
    }

    /**
     * The simulation plan of {@code plan}'s {@code simulation:} section (the scenario's own, or the
     * one {@code --simulation} lends to Envoy files) for the scenario's caller and endpoints, with
     * the command line's overrides applied.
     */
    private static SimulationSpec spec(Scenario scenario, Scenario plan, Options o) {
        if (plan != scenario && plan.simulation().containsKey("callers")) {
            // The control plane decided the priorities for the dump's node only.
            Object callers = plan.simulation().get("callers");
            throw new IllegalArgumentException(plan.source() + ": simulation.callers: Envoy files have one caller,"
                    + " the Envoy the control plane sent them to; leave callers out to lend this section, got "
                    + (callers instanceof List<?> l ? l.size() + " caller(s)" : "'" + callers + "'"));
        }
        SimulationSpec spec = SimulationSpec.parse(plan.source(), plan.simulation(), scenario.caller(),
                scenario.endpoints());
        if (o.duration != null) {
            spec = spec.withDuration(new YamlNode(null, "--duration", o.duration)
                    .durationNanos(0, SimulationSpec.MAX_DURATION_SECONDS));
        }
        if (o.rate != null) {
            spec = spec.withRate(o.rate);
        }
        if (o.seed != null) {
            spec = spec.withSeed(o.seed);
        }
        spec.requireBucketCells(plan.source(), scenario.endpoints().size());
        return spec;
    }

    private static void list(PrintStream out) {
        int width = 0;
        for (String name : Scenarios.builtIn()) {
            width = Math.max(width, name.length());
        }
        for (String name : Scenarios.builtIn()) {
            Scenario s = load(name);
            out.println(name + " ".repeat(width - name.length() + 2) + s.description());
        }
    }

    /** Loads a scenario; its input errors are {@link IllegalArgumentException}s naming file, field and value. */
    private static Scenario load(String nameOrPath) {
        return Scenarios.load(nameOrPath);
    }


    private interface WriterBody {
        void write(Writer w) throws IOException;
    }

    /**
     * Writes an output file.
     *
     * @param what what the file holds, for the message when it cannot be written
     * @throws IOException with the message {@code FILE: cannot write WHAT: why}
     */
    private static void writeFile(String file, String what, WriterBody body) throws IOException {
        Path path = Path.of(file);
        try (BufferedWriter w = Files.newBufferedWriter(path, StandardCharsets.UTF_8)) {
            body.write(w);
        } catch (IOException e) {
            throw new IOException(file + ": cannot write " + what + ": " + why(path, e), e);
        }
    }

    /** Why a file could not be written, in words rather than an exception's class name. */
    static String why(Path path, IOException e) {
        Path parent = path.toAbsolutePath().getParent();
        if (e instanceof java.nio.file.NoSuchFileException) {
            return parent != null && !Files.isDirectory(parent) ? "no directory '" + parent + "'"
                    : "no such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason().toLowerCase(java.util.Locale.ROOT);
        }
        return String.valueOf(e.getMessage());
    }

    /** The parsed command line. */
    static final class Options {
        String scenario = DEFAULT_SCENARIO;
        /** The ClusterLoadAssignment when {@link #scenario} is an Envoy Cluster, else null. */
        String second;
        String cluster;
        Integer envoyMinor;
        /** {@code --simulation}: the scenario whose simulation: section Envoy files run, or null. */
        String simulation;
        boolean list;
        boolean help;
        boolean json;
        boolean timing = true;
        boolean progress = true;
        String csv;
        String html;
        String compare;
        Long seed;
        String duration;
        Double rate;

        /**
         * Parses the arguments after {@code simulate}.
         *
         * @throws IllegalArgumentException naming the bad argument
         */
        static Options parse(String[] args) {
            Options o = new Options();
            boolean named = false;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--list" -> o.list = true;
                    case "-h", "--help" -> o.help = true;
                    case "--json" -> o.json = true;
                    case "--no-timing" -> o.timing = false;
                    case "--no-progress" -> o.progress = false;
                    case "--csv" -> o.csv = value(args, ++i, a);
                    case "--html" -> o.html = value(args, ++i, a);
                    case "--compare" -> o.compare = value(args, ++i, a);
                    case "--duration" -> o.duration = value(args, ++i, a);
                    case "--cluster" -> o.cluster = value(args, ++i, a);
                    case "--envoy-version" -> o.envoyMinor = InputFiles.envoyMinor(value(args, ++i, a));
                    case "--simulation" -> o.simulation = value(args, ++i, a);
                    case "--seed" -> {
                        String v = value(args, ++i, a);
                        try {
                            o.seed = Long.parseLong(v);
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("--seed: expected a whole number, got '" + v + "'");
                        }
                    }
                    case "--rate" -> {
                        String v = value(args, ++i, a);
                        try {
                            o.rate = Double.parseDouble(v);
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("--rate: expected requests per second, got '" + v
                                    + "'");
                        }
                    }
                    default -> {
                        if (a.startsWith("-") && a.length() > 1) {
                            throw new IllegalArgumentException("simulate: unknown option, got '" + a + "'");
                        }
                        // Two files are an Envoy cluster and its assignment; two scenarios are one too many.
                        if (named && (o.second != null || !InputFiles.isJsonObject(o.scenario))) {
                            throw new IllegalArgumentException("simulate: one scenario at a time (use --compare "
                                    + "OTHER), got '" + (o.second != null ? o.second : o.scenario) + "' and '" + a
                                    + "'");
                        }
                        if (named) {
                            o.second = a;
                            continue;
                        }
                        o.scenario = a;
                        named = true;
                    }
                }
            }
            return o;
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + ": needs a value, got nothing");
            }
            return args[i];
        }
    }

    /** A one-line progress bar on a terminal's stderr. Not thread-safe; used by one run at a time. */
    private static final class Progress {
        private static final int WIDTH = 30;
        private final PrintStream err;

        Progress(PrintStream err) {
            this.err = err;
        }

        LongConsumer stage(String prefix, long durationNanos) {
            return now -> {
                int filled = (int) (WIDTH * now / durationNanos);
                err.print("\r" + prefix + "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] "
                        + Reports.duration(now - now % 1_000_000_000L) + " of " + Reports.duration(durationNanos) + " virtual ");
                err.flush();
            };
        }

        void clear() {
            err.print("\r" + " ".repeat(WIDTH + 60) + "\r");
            err.flush();
        }
    }

    /**
     * Progress for a log: when stderr is not a terminal, a run still going after
     * {@link #QUIET_NANOS} of wall-clock time prints a line at every 5% of its virtual time (virtual
     * time, requests so far, requests per second of wall-clock time), so a long run in a pipeline or
     * CI log shows it is alive; a short run prints nothing. Not thread-safe; used by one run.
     */
    static final class ProgressLines implements Simulation.Progress {
        static final long QUIET_NANOS = 2_000_000_000L;
        private static final int STEPS = 20;
        private final PrintStream err;
        private final String name;
        private final long durationNanos;
        private final long wallStart = System.nanoTime();
        private int printedStep;

        ProgressLines(PrintStream err, String name, long durationNanos) {
            this.err = err;
            this.name = name;
            this.durationNanos = durationNanos;
        }

        @Override
        public void at(long virtualNanos, long requests) {
            int step = (int) (STEPS * virtualNanos / durationNanos);
            if (step <= printedStep || step >= STEPS) {
                return;
            }
            printedStep = step;
            long wall = System.nanoTime() - wallStart;
            if (wall < QUIET_NANOS) {
                return;
            }
            err.println(line(name, step * 100 / STEPS, virtualNanos, durationNanos, requests, wall));
            err.flush();
        }

        static String line(String name, int percent, long virtualNanos, long durationNanos, long requests,
                           long wallNanos) {
            return String.format(java.util.Locale.ROOT, "meridian simulate: %s %3d%%  %s of %s virtual, %,d requests,"
                    + " %,.0f requests/s", name, percent, Reports.duration(virtualNanos - virtualNanos % 1_000_000_000L),
                    Reports.duration(durationNanos), requests, requests / (wallNanos / 1e9));
        }
    }

    /**
     * Whether stderr is a terminal, so the progress bar never lands in a log file. Java 17 has no
     * API for one stream ({@code System.console()} asks about stdin and stdout), so on Linux this
     * reads where file descriptor 2 points; elsewhere it falls back to {@code System.console()}.
     */
    static boolean stderrIsTerminal() {
        try {
            String target = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
            return System.console() != null;
        }
    }
}
