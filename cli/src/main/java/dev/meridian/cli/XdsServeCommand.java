package dev.meridian.cli;

import dev.meridian.xds.server.MeshDirectory;
import dev.meridian.xds.server.MeshModel;
import dev.meridian.xds.server.SidecarXdsServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * {@code meridian xds-serve DIR}: serves the Istio YAML in a directory (ServiceEntries, WorkloadEntries,
 * DestinationRules, a mesh config) to Envoy sidecars over ADS, each receiving the clusters and the
 * locality priorities istiod would send it, and serves the directory again whenever a file in it
 * changes. A change that makes the directory invalid is reported and the last good configuration
 * stays. Runs until the process is stopped.
 *
 * <p>Exit status: 2 on bad arguments or an invalid directory at startup, 1 when the port cannot be
 * bound; each with one line on stderr, {@code meridian: FILE: PATH: what, got 'VALUE'}.
 *
 * <p>Stateless and thread-safe; each call works on its own arguments and streams.
 */
public final class XdsServeCommand {
    /** istiod's plaintext xDS port, where a sidecar's bootstrap looks by default. */
    public static final int DEFAULT_PORT = 15010;

    static final String USAGE = """
            usage: meridian xds-serve DIR [--port N]
              DIR        a directory of Istio YAML: ServiceEntry (resolution STATIC) and WorkloadEntry for the
                         endpoints and their localities, DestinationRule, and at most one mesh config
                         (IstioOperator, the istio ConfigMap, Helm values); every *.yaml and *.yml in it,
                         several documents per file allowed; read again whenever a file changes
              --port N   the port to listen on (default 15010, istiod's plaintext xDS port; 0 picks one)
            Envoy connects over plaintext gRPC ADS; each sidecar is served by the locality and labels
            its node reports. Runs until stopped (Ctrl-C).
            """;

    private XdsServeCommand() {
    }

    /**
     * Runs the command until the process is stopped.
     *
     * @param args the arguments after {@code xds-serve}
     * @return the exit status, when it does not serve
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CompletableFuture<Void> stop = new CompletableFuture<>();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        // On Ctrl-C: stop serving and give the server a moment to close its streams before the JVM halts.
        Thread hook = new Thread(() -> {
            stop.complete(null);
            try {
                closed.get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                // Halting anyway.
            }
        }, "meridian-xds-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return serve(args, out, err, stop, null);
        } finally {
            closed.complete(null);
        }
    }

    /**
     * Runs the command until {@code stop} completes.
     *
     * @param started told the server once it listens (tests), or null
     */
    static int serve(String[] args, PrintStream out, PrintStream err, CompletableFuture<Void> stop,
                     java.util.function.Consumer<SidecarXdsServer> started) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            Main.fail(err, e.getMessage() + " (meridian xds-serve --help lists the options)");
            return 2;
        }
        if (o.help) {
            out.print(USAGE);
            return 0;
        }
        Path dir = Path.of(o.directory);
        if (!Files.isDirectory(dir)) {
            Main.fail(err, o.directory + ": expected a directory of Istio YAML, got "
                    + (Files.exists(dir) ? "a file" : "nothing (no such directory)"));
            return 2;
        }
        MeshDirectory mesh = new MeshDirectory(dir);
        MeshModel model;
        try {
            model = mesh.reload();
        } catch (IllegalArgumentException e) {
            Main.fail(err, e.getMessage());
            return 2;
        }
        warn(err, model);
        SidecarXdsServer server = SidecarXdsServer.builder().port(o.port).model(model)
                .warnings(w -> Main.fail(err, "warning: " + w)).build();
        try {
            server.start();
        } catch (IOException e) {
            Main.fail(err, "--port: cannot listen on " + o.port + ", got '" + e.getMessage() + "'");
            server.close();
            return 1;
        }
        try (server; MeshDirectory.Watch watch = mesh.watch(m -> {
            server.update(m);
            warn(err, m);
            out.println("meridian: " + dir + " changed: version " + server.version() + ", " + summary(m));
        }, e -> Main.fail(err, e.getMessage() + " (keeping version " + server.version() + ")"))) {
            out.println("meridian: serving " + dir + " on port " + server.port() + " (ADS, plaintext gRPC): version "
                    + server.version() + ", " + summary(model));
            if (started != null) {
                started.accept(server);
            }
            stop.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // Stopped.
        }
        return 0;
    }

    private static String summary(MeshModel m) {
        return m.services().size() + " service" + (m.services().size() == 1 ? "" : "s") + ", " + m.clusters().size()
                + " cluster" + (m.clusters().size() == 1 ? "" : "s") + ", Istio " + m.release();
    }

    private static void warn(PrintStream err, MeshModel m) {
        for (String w : m.warnings()) {
            Main.fail(err, "warning: " + w);
        }
    }

    /** The parsed arguments. */
    static final class Options {
        String directory;
        int port = DEFAULT_PORT;
        boolean help;

        /** @throws IllegalArgumentException naming the bad argument */
        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "-h", "--help" -> o.help = true;
                    case "--port" -> {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException("--port: expected a port number, got nothing");
                        }
                        String v = args[++i];
                        try {
                            o.port = Integer.parseInt(v);
                        } catch (NumberFormatException e) {
                            o.port = -1;
                        }
                        if (o.port < 0 || o.port > 65535) {
                            throw new IllegalArgumentException("--port: expected a port number from 0 to 65535, got '"
                                    + v + "'");
                        }
                    }
                    default -> {
                        if (a.startsWith("-") && a.length() > 1) {
                            throw new IllegalArgumentException("xds-serve: unknown option, got '" + a + "'");
                        }
                        if (o.directory != null) {
                            throw new IllegalArgumentException("xds-serve: one directory at a time, got '" + o.directory
                                    + "' and '" + a + "'");
                        }
                        o.directory = a;
                    }
                }
            }
            if (o.directory == null && !o.help) {
                throw new IllegalArgumentException("xds-serve: DIR is required, got nothing");
            }
            return o;
        }
    }
}
