package dev.meridian.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.meridian.core.ManualClock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that ends its side of the connection still gets its answer, and a client that sends its
 * HTTP/1.1 requests without waiting for the answers (pipelining) gets them back in order.
 */
class AgentHalfCloseTest {
    @TempDir
    Path dir;

    private Agent agent;
    private final List<AutoCloseable> upstreams = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        for (AutoCloseable u : upstreams) {
            u.close();
        }
    }

    private void start(String protocol, String mode, int upstreamPort) throws IOException {
        agent = Agent.builder(AgentConfig.read(AgentFailoverTest.oneZone(dir, protocol, mode, upstreamPort, "")))
                .clock(new ManualClock()).log(line -> { }).start();
    }

    private Socket open() throws IOException {
        return AgentFailoverTest.open(agent);
    }

    /** An upstream that reads until its client's FIN, then answers with the byte count and closes. */
    private int countingUpstream() throws IOException {
        ScriptedUpstream upstream = new ScriptedUpstream(c -> c.write("read " + c.in.readAllBytes().length + " bytes\n"));
        upstreams.add(upstream);
        return upstream.port();
    }

    @Test
    @DisplayName("TCP: the client's FIN reaches the upstream, whose answer after it still reaches the client (Envoy's tcp_proxy keeps half-close)")
    void tcpHalfCloseIsPassedOn() throws Exception {
        start("TCP", "tcp", countingUpstream());
        try (Socket s = open()) {
            s.getOutputStream().write("hello, upstream".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            // Only a FIN passed on lets the upstream's readAllBytes end; only an open downstream direction
            // lets its answer through; the end of stream comes after it, when the upstream closes.
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("read 15 bytes\n");
        }
    }

    /** An HTTP upstream that answers each request with its path. */
    private int pathUpstream() throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                byte[] body = ex.getRequestURI().getPath().getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        });
        http.setExecutor(Executors.newFixedThreadPool(4));
        http.start();
        upstreams.add(() -> http.stop(0));
        return http.getAddress().getPort();
    }

    @Test
    @DisplayName("HTTP: a client that half-closes after its request gets the response, then the close (Envoy closes at once: envoy#2066)")
    void httpHalfCloseStillAnswered() throws Exception {
        start("HTTP", "http", pathUpstream());
        try (Socket s = open()) {
            RawHttp.send(s, "/after-fin");
            s.shutdownOutput();
            RawHttp.Response r = RawHttp.read(s);
            assertThat(r).isNotNull();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("/after-fin");
            assertThat(RawHttp.ended(s)).isTrue();
        }
    }

    @Test
    @DisplayName("HTTP: pipelined requests, written at once, are answered in their order on the same connection")
    void pipelinedRequestsAnsweredInOrder() throws Exception {
        start("HTTP", "http", pathUpstream());
        try (Socket s = open()) {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 10; i++) {
                all.append("GET /p").append(i).append(" HTTP/1.1\r\nHost: reviews\r\n\r\n");
            }
            s.getOutputStream().write(all.toString().getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            for (int i = 0; i < 10; i++) {
                RawHttp.Response r = RawHttp.read(s);
                assertThat(r).as("response %d", i).isNotNull();
                assertThat(r.body()).isEqualTo("/p" + i);
                assertThat(r.closes()).isFalse();
            }
            // still usable afterwards
            RawHttp.send(s, "/again");
            assertThat(RawHttp.read(s).body()).isEqualTo("/again");
        }
    }
}
