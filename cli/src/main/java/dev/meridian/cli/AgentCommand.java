package dev.meridian.cli;

import dev.meridian.agent.Agent;
import dev.meridian.agent.AgentConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code meridian agent --config agent.yaml}: runs the VM agent until the process is stopped. A bad
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
        out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
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
