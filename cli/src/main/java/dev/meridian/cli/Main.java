package dev.meridian.cli;

import dev.meridian.simulator.Scenarios;
import java.io.PrintStream;
import java.util.Arrays;

/** The {@code meridian} command line: {@code plan} and {@code simulate}. */
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
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "plan" -> PlanCommand.run(rest, out, err);
                case "simulate" -> SimulateCommand.run(rest, out, err);
                default -> {
                    err.println("meridian: unknown command '" + args[0] + "' (commands: plan, simulate)");
                    yield 2;
                }
            };
        } catch (IllegalArgumentException e) {
            // InputException and every configuration error of the library: one line, status 2.
            err.println("meridian: " + e.getMessage());
            return 2;
        }
    }

    private static void usage(PrintStream out) {
        out.println("usage: meridian COMMAND [ARGS]");
        out.println();
        out.println("  simulate [SCENARIO]   run the locality simulator (default: the built-in cross-region scenario)");
        out.println("  plan SCENARIO         explain, as JSON, where each endpoint sits and how load splits");
        out.println();
        out.println("SCENARIO is a scenario YAML file or a built-in name: " + String.join(", ", Scenarios.builtIn()));
        out.println("'meridian COMMAND --help' tells more.");
    }
}
