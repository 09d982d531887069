package dev.meridian.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.meridian.core.Endpoint;
import dev.meridian.core.Locality;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One upstream for the tests: a JDK {@link HttpServer} on a loopback port chosen by the system,
 * labelled with its locality, answering every request with its status (200 until told otherwise)
 * and its label as the body, counting what it served and remembering the last request's Host,
 * target and headers. It can hold requests until released, handing the test each arrival, so a test
 * can keep requests in flight, and release them one by one, without sleeping.
 *
 * <p>Thread-safe: the server's threads and the test thread share only atomics and volatiles.
 */
final class Backend implements AutoCloseable {
    final String label;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final AtomicInteger served = new AtomicInteger();
    private volatile int status = 200;
    private volatile boolean holding;
    /** Each held request's latch, in the order the requests arrived. */
    private final BlockingQueue<CountDownLatch> arrivals = new LinkedBlockingQueue<>();
    private final List<CountDownLatch> held = new CopyOnWriteArrayList<>();
    volatile String lastHost;
    volatile String lastTarget;
    volatile List<String> lastMarker;

    private Backend(String label) throws IOException {
        this.label = label;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(threads);
        server.start();
    }

    /** Starts a backend labelled with a locality such as {@code r1/z1}. */
    static Backend start(String label) throws IOException {
        return new Backend(label);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            in.readAllBytes();
            lastHost = exchange.getRequestHeaders().getFirst("Host");
            lastTarget = exchange.getRequestURI().toString();
            lastMarker = exchange.getRequestHeaders().get(MeridianHttpClient.RETRYABLE_HEADER);
            if (holding) {
                CountDownLatch h = new CountDownLatch(1);
                held.add(h);
                arrivals.add(h);
                if (!h.await(60, TimeUnit.SECONDS)) {
                    throw new IOException(label + ": held request never released");
                }
            }
            served.incrementAndGet();
            byte[] body = label.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The endpoint this backend serves, in its locality. */
    Endpoint endpoint() {
        return Endpoint.of("127.0.0.1:" + port(), Locality.parse(label));
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Answers every request from now on with this status. */
    void respond(int newStatus) {
        status = newStatus;
    }

    /** Requests served (answered) so far. */
    int served() {
        return served.get();
    }

    /** Holds every request from now on until it is released, alone or with {@link #release()}. */
    void holdRequests() {
        holding = true;
    }

    /**
     * Waits for the next held request to arrive (a generous bound, never reached when the test is
     * right) and returns what releases it alone.
     */
    CountDownLatch awaitArrival() throws InterruptedException {
        CountDownLatch h = arrivals.poll(30, TimeUnit.SECONDS);
        if (h == null) {
            throw new AssertionError(label + ": no request arrived");
        }
        return h;
    }

    /** Lets every held request go and stops holding. */
    void release() {
        holding = false;
        for (CountDownLatch h : held) {
            h.countDown();
        }
    }

    /** Stops the server: its port refuses connections from now on. */
    void stop() {
        release();
        server.stop(0);
        threads.shutdownNow();
    }

    @Override
    public void close() {
        stop();
    }
}
