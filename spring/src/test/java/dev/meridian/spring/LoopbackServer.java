package dev.meridian.spring;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.cloud.client.discovery.simple.InstanceProperties;

/**
 * One HTTP server on a loopback port chosen by the system, standing for one instance of a service in
 * a locality: it counts the requests it answers and answers with the status the test sets. Started
 * and stopped by the test. Thread-safe.
 */
final class LoopbackServer implements AutoCloseable {

    final String name;
    final String region;
    final String zone;
    private final HttpServer server;
    private final AtomicInteger served = new AtomicInteger();
    private final AtomicInteger status = new AtomicInteger(200);
    private final String host;
    private final int port;
    private volatile boolean stopped;

    private LoopbackServer(String name, String region, String zone) throws IOException {
        this.name = name;
        this.region = region;
        this.zone = zone;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            served.incrementAndGet();
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            // A connection per request: the JDK server's keep-alive responses meet the client's delayed
            // acknowledgements and cost about 40 ms each on loopback.
            exchange.getResponseHeaders().set("Connection", "close");
            exchange.sendResponseHeaders(status.get(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        host = server.getAddress().getAddress().getHostAddress();
        port = server.getAddress().getPort();
    }

    static LoopbackServer start(String name, String region, String zone) throws IOException {
        return new LoopbackServer(name, region, zone);
    }

    int port() {
        return port;
    }

    String host() {
        return host;
    }

    String address() {
        return host() + ":" + port();
    }

    /** Requests answered so far. */
    int served() {
        return served.get();
    }

    /** Answers every later request with this status. */
    void answer(int httpStatus) {
        status.set(httpStatus);
    }

    /** The instance a discovery client lists for this server, with Spring's zone key and a region key. */
    InstanceProperties instance(String serviceId) {
        InstanceProperties p = new InstanceProperties();
        p.setInstanceId(name);
        p.setServiceId(serviceId);
        p.setHost(host());
        p.setPort(port());
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("region", region);
        metadata.put("zone", zone);
        p.setMetadata(metadata);
        return p;
    }

    /** Closes the port: later connections are refused. */
    @Override
    public void close() {
        if (!stopped) {
            stopped = true;
            server.stop(0);
        }
    }

    @Override
    public String toString() {
        return name + "@" + region + "/" + zone;
    }
}
