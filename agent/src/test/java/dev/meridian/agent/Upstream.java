package dev.meridian.agent;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test upstream on loopback named after its locality: over HTTP it answers every request with its
 * name and a status the test sets; over TCP it writes its name and echoes what it reads. Counts what
 * it served. A stopped upstream refuses connections on its port.
 */
final class Upstream {
    final String name;
    final AtomicInteger served = new AtomicInteger();
    volatile int status = 200;
    /** Requests to a path in here wait for its latch before they are answered. */
    final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
    /** The path of every request as it arrives, before any hold. */
    final BlockingQueue<String> arrived = new LinkedBlockingQueue<>();
    private HttpServer http;
    private ServerSocket tcp;
    private ExecutorService acceptor;
    /** Ends when the listening socket is closed; see {@link #stop()}. */
    private java.util.concurrent.Future<?> accepting;
    private int port;

    private Upstream(String name) {
        this.name = name;
    }

    static Upstream http(String name) throws IOException {
        Upstream u = new Upstream(name);
        u.http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        u.http.createContext("/", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                String path = ex.getRequestURI().getPath();
                u.arrived.add(path);
                CountDownLatch hold = u.holds.get(path);
                if (hold != null) {
                    try {
                        hold.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                u.served.incrementAndGet();
                byte[] body = u.name.getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(u.status, body.length);
                ex.getResponseBody().write(body);
            }
        });
        u.http.setExecutor(Executors.newFixedThreadPool(4));
        u.http.start();
        u.port = u.http.getAddress().getPort();
        return u;
    }

    /** Upstreams in r1/z1, r1/z2 and r2/z1, added to {@code started}; locality → port. */
    static Map<String, Integer> threeZones(boolean http, java.util.List<Upstream> started) throws IOException {
        Map<String, Integer> m = new java.util.TreeMap<>();
        for (String zone : java.util.List.of("r1/z1", "r1/z2", "r2/z1")) {
            Upstream u = http ? http(zone) : tcp(zone);
            started.add(u);
            m.put(zone, u.port());
        }
        return m;
    }

    static Upstream tcp(String name) throws IOException {
        Upstream u = new Upstream(name);
        u.tcp = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        u.port = u.tcp.getLocalPort();
        u.acceptor = Executors.newCachedThreadPool();
        u.accepting = u.acceptor.submit(u::acceptLoop);
        return u;
    }

    private void acceptLoop() {
        while (!tcp.isClosed()) {
            Socket s;
            try {
                s = tcp.accept();
            } catch (IOException closed) {
                return;
            }
            served.incrementAndGet();
            acceptor.execute(() -> echo(s));
        }
    }

    private void echo(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            out.write((name + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // the peer went away: nothing to serve
        }
    }

    /** Listens again on the same port after {@link #stop()} (TCP only). */
    void restart() throws IOException {
        tcp = new ServerSocket();
        tcp.setReuseAddress(true);
        tcp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        acceptor = Executors.newCachedThreadPool();
        accepting = acceptor.submit(this::acceptLoop);
    }

    int port() {
        return port;
    }

    void stop() throws IOException {
        if (http != null) {
            http.stop(0);
            ((ExecutorService) http.getExecutor()).shutdownNow();
        }
        if (tcp != null) {
            tcp.close();
            // The JDK closes a socket with a thread blocked in accept() for good only when that thread
            // leaves; until then a connect may still complete. Waiting for the accept loop to end makes
            // the port refuse from here on.
            try {
                accepting.get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("the accept loop did not end", e);
            }
            acceptor.shutdownNow();
        }
    }
}
