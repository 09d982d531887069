package dev.meridian.cli;

import dev.meridian.simulator.Scenarios;
import java.io.PrintStream;
import java.util.Arrays;

/** The {@code meridian} command line: {@code plan}, {@code simulate}, {@code xds-serve} and {@code agent}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command; returns the exit status (0 ok, 1 failure, 2 bad input). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            usage(out);
            return args.length == 0 ? 2 : 0;
        }
        if (args[0].equals("--version") || args[0].equals("-V") || args[0].equals("version")) {
            out.println("meridian " + version());
            return 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "plan" -> PlanCommand.run(rest, out, err);
                case "simulate" -> SimulateCommand.run(rest, out, err);
                case "xds-serve" -> XdsServeCommand.run(rest, out, err);
                case "agent" -> AgentCommand.run(rest, out, err);
                default -> {
                    fail(err, "unknown command, got '" + args[0] + "' (commands: plan, simulate, xds-serve, agent; meridian --help)");
                    yield 2;
                }
            };
        } catch (IllegalArgumentException e) {
            // InputException and every configuration error of the library: one line, status 2.
            fail(err, e.getMessage());
            return 2;
        }
    }

    /**
     * Prints an error as every command does: one line, {@code meridian: FILE: PATH: what, got 'VALUE'}
     * (command-line problems name the option or the command in place of the file and path).
     */
    static void fail(PrintStream err, String message) {
        err.println("meridian: " + String.valueOf(message).replaceAll("[\\r\\n]+", " "));
    }

    /** The version Maven built, from the properties file it filters; {@code unknown} outside a build. */
    static String version() {
        java.util.Properties p = new java.util.Properties();
        try (java.io.InputStream in = Main.class.getResourceAsStream("/dev/meridian/cli/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (java.io.IOException e) {
            return "unknown";
        }
        String v = p.getProperty("version", "unknown");
        return v.startsWith("${") ? "unknown" : v;
    }

    private static void usage(PrintStream out) {
        out.println("usage: meridian COMMAND [ARGS]      (meridian --version prints the version)");
        out.println();
        out.println("  simulate [SCENARIO]   run the locality simulator (default: the built-in cross-region scenario)");
        out.println("  plan SCENARIO         explain, as JSON, where each endpoint sits and how load splits");
        out.println("  xds-serve DIR         serve a directory of Istio YAML to Envoy sidecars over ADS, reloading on change");
        out.println("  agent --config FILE   run the VM agent: forward loopback traffic as a sidecar in the VM's locality would");
        out.println();
        out.println("SCENARIO is a scenario YAML file or a built-in name: " + String.join(", ", Scenarios.builtIn()));
        out.println("In its place: an Envoy config dump (DUMP.json [--cluster NAME]) or CLUSTER.json CLA.json.");
        out.println("'meridian COMMAND --help' tells more.");
    }
}
