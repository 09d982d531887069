package dev.meridian.cli;

import dev.meridian.agent.Agent;
import dev.meridian.agent.AgentConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code meridian agent --config agent.yaml}: runs the VM agent until the process is stopped; SIGTERM
 * drains it first ({@link Agent#drain()}, up to {@code drainTimeout}). A bad
 * configuration, an unknown service or a port in use stops the start with one line and status 2.
 */
final class AgentCommand {
    private AgentCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        String config = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-h", "--help" -> {
                    usage(out);
                    return 0;
                }
                case "--config" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("agent: --config needs a file, got nothing");
                    }
                    config = args[++i];
                }
                default -> throw new IllegalArgumentException("agent: unknown argument, got '" + args[i]
                        + "' (meridian agent --config agent.yaml)");
            }
        }
        if (config == null) {
            throw new IllegalArgumentException("agent: --config FILE is required (meridian agent --config agent.yaml)");
        }
        Agent agent = Agent.builder(AgentConfig.read(Path.of(config))).log(err::println).start();
        for (int i = 0; i < agent.config().listeners().size(); i++) {
            AgentConfig.Listener l = agent.config().listeners().get(i);
            out.println("meridian agent: " + agent.address(i) + " -> " + l.service() + " (" + l.mode().name().toLowerCase(java.util.Locale.ROOT)
                    + ", from " + agent.config().locality() + ")");
        }
        out.println("meridian agent: " + agent.config().threads() + " event loop" + (agent.config().threads() == 1 ? "" : "s")
                + " on " + agent.transport());
        if (agent.adminAddress() != null) {
            out.println("meridian agent: admin on http://" + agent.adminAddress().getHostString() + ":"
                    + agent.adminAddress().getPort() + " (/ready, /live, /metrics, /plan, POST /drain)");
        }
        out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM drains first, as pilot-agent drains its Envoy for terminationDrainDuration before it
        // stops it: listeners close, in-flight work gets drainTimeout to finish, the rest is cut and logged.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                agent.drain().get(agent.config().drainTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                err.println("meridian agent: drain did not end: " + e);
            }
            agent.close();
            stopped.countDown();
        }, "meridian-agent-stop"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            agent.close();
            return 1;
        }
        return 0;
    }

    private static void usage(PrintStream out) {
        out.println("usage: meridian agent --config agent.yaml");
        out.println();
        out.println("Forwards a VM's outbound TCP and HTTP/1.1 traffic from loopback listeners to the upstream");
        out.println("Meridian picks for the VM's locality, as a sidecar would for a pod there (docs/agent.md).");
    }
}
