package dev.meridian.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The agent's admin endpoint on loopback, on the JDK's HTTP server (one thread: every answer is a
 * read of state the agent already keeps): {@code GET /ready}, {@code /live}, {@code /metrics},
 * {@code /plan} and {@code POST /drain}, with Envoy's admin paths and status codes
 * ({@code source/server/admin/server_info_handler.cc}: {@code /ready} is 200 only while the server is
 * LIVE, 503 otherwise, draining included).
 *
 * <p>Thread-safe: requests are served on its own thread; {@link #close()} may be called from any.
 */
final class AdminEndpoint implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService thread;

    AdminEndpoint(Agent agent, String host, int port) {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new IllegalArgumentException("admin " + host + ":" + port + ": cannot listen: " + e.getMessage(), e);
        }
        thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "meridian-agent-admin");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(thread);
        server.createContext("/", ex -> {
            try (ex) {
                String path = ex.getRequestURI().getPath();
                String method = ex.getRequestMethod();
                ex.getRequestBody().readAllBytes();
                switch (path) {
                    case "/live" -> get(ex, method, 200, "text/plain", "LIVE\n");
                    case "/ready" -> {
                        boolean draining = agent.isDraining();
                        boolean ready = agent.ready();
                        get(ex, method, ready ? 200 : 503, "text/plain",
                                ready ? "LIVE\n" : draining ? "DRAINING\n" : "PRE_INITIALIZING\n");
                    }
                    case "/metrics" -> get(ex, method, 200, "text/plain; version=0.0.4; charset=utf-8", agent.metrics());
                    case "/plan" -> get(ex, method, 200, "application/json", agent.planJson());
                    case "/drain" -> {
                        if (!"POST".equals(method)) {
                            send(ex, 405, "text/plain", "POST /drain\n");
                        } else {
                            agent.drain();
                            send(ex, 202, "text/plain", "DRAINING\n");
                        }
                    }
                    default -> send(ex, 404, "text/plain", "not found: " + path
                            + " (GET /ready, /live, /metrics, /plan; POST /drain)\n");
                }
            }
        });
        server.start();
    }

    private static void get(HttpExchange ex, String method, int status, String type, String body) throws IOException {
        if (!"GET".equals(method)) {
            send(ex, 405, "text/plain", "GET " + ex.getRequestURI().getPath() + "\n");
            return;
        }
        send(ex, status, type, body);
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        thread.shutdownNow();
    }
}
