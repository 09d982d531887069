package dev.meridian.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.ManualClock;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that misbehave leave nothing open: abrupt resets (SO_LINGER 0, so the close is an RST),
 * resets while the request is at the upstream, half-closed connections and oversized headers. Each
 * round of abuse is run twice; after each the test waits for every downstream channel the agent
 * accepted to close, then counts the agent's channels (its own channel group) and the process's open
 * file descriptors ({@code /proc/self/fd}, which also holds the test's upstreams and clients). The
 * first round warms the upstream connection pools; the second must not add descriptors beyond a few
 * that the in-process upstreams close on their own threads, where a leak would add one per connection.
 */
class AgentChannelLeakTest {
    /** Connections of each kind per round. */
    private static final int EACH = 20;
    /** Requests held at the upstream at once: fewer than its four threads. */
    private static final int HELD = 3;
    /** Descriptors the in-process upstreams may not have closed yet; a leak would show 20 or more. */
    private static final int SLACK = 8;

    @TempDir
    Path dir;

    private final List<Upstream> upstreams = new ArrayList<>();
    private Agent agent;

    @AfterEach
    void stop() throws IOException {
        if (agent != null) {
            agent.close();
        }
        for (Upstream u : upstreams) {
            u.holds.values().forEach(CountDownLatch::countDown);
            u.stop();
        }
    }

    private Upstream start(String protocol, String mode, Upstream u) throws IOException {
        upstreams.add(u);
        agent = Agent.builder(AgentConfig.read(AgentFailoverTest.oneZone(dir, protocol, mode, u.port(), "")))
                .clock(new ManualClock()).log(line -> { }).start();
        return u;
    }

    private Socket open() throws IOException {
        return AgentFailoverTest.open(agent);
    }

    /** Closes with an RST instead of a FIN. */
    private static void reset(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    /** Reads to the end of the stream (or a reset); what came. */
    private static String drainInput(Socket s) throws IOException {
        StringBuilder b = new StringBuilder();
        try {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                b.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (SocketException reset) {
            // the agent closed first with data unread: also an end
        }
        return b.toString();
    }

    /** Waits for every downstream channel the agent holds to close; the accepted count is at least what we opened. */
    private void awaitAllClosed() throws InterruptedException {
        // A channel accepted just before the copy below may join the group after it, and channelInactive
        // (which gives the listener's slot back) runs as a later task on its loop: so look again, after
        // a task has run on every loop, until both counts settle (a bounded number of rounds).
        for (int round = 0; round < 100 && (agent.openChannels(0) != 0 || agent.connections(0) != 0); round++) {
            for (Channel ch : new ArrayList<>(agent.route(0).downstreams)) {
                assertThat(ch.closeFuture().await(30, TimeUnit.SECONDS)).as(ch + " closed within 30 s").isTrue();
            }
            for (io.netty.util.concurrent.EventExecutor loop : agent.loops()) {
                assertThat(loop.submit(() -> { }).await(30, TimeUnit.SECONDS)).isTrue();
            }
        }
        assertThat(agent.openChannels(0)).isZero();
        assertThat(agent.connections(0)).isZero();
    }

    private static long fds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private void httpRound(Upstream u) throws Exception {
        List<Socket> clients = new ArrayList<>();
        for (int i = 0; i < EACH; i++) {
            Socket s = open();
            s.getOutputStream().write("GET /partial HTTP/1.1\r\nHost: reviews\r\n".getBytes(StandardCharsets.US_ASCII));
            reset(s);
        }
        CountDownLatch held = new CountDownLatch(1);
        u.holds.put("/held", held);
        for (int i = 0; i < HELD; i++) {
            Socket s = open();
            RawHttp.send(s, "/held");
            assertThat(u.arrived.poll(30, TimeUnit.SECONDS)).isEqualTo("/held");
            reset(s);
        }
        held.countDown();
        for (int i = 0; i < EACH; i++) {
            Socket s = open();
            RawHttp.send(s, "/half");
            s.shutdownOutput();
            drainInput(s);
            s.close();
        }
        String big = "x".repeat(Agent.MAX_HEADERS + 1024);
        for (int i = 0; i < EACH; i++) {
            Socket s = open();
            clients.add(s);
            s.getOutputStream().write(("GET /big HTTP/1.1\r\nHost: reviews\r\nX-Big: " + big + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = drainInput(s);
            // Envoy answers headers over max_request_headers_kb with 431 (codec_impl.cc, HeadersTooLarge).
            assertThat(answer).startsWith("HTTP/1.1 431 Request Header Fields Too Large");
            s.close();
        }
        awaitAllClosed();
        for (Route.Counters c : agent.route(0).counters.values()) {
            assertThat(c.active).as("requests in flight after the round").hasValue(0);
        }
        u.arrived.clear();
    }

    @Test
    @DisplayName("HTTP: resets, resets with the request at the upstream, half-closes and 431s leave no channel and no descriptor open")
    void httpLeavesNothingOpen() throws Exception {
        Upstream u = start("HTTP", "http", Upstream.http("r1/z1"));
        httpRound(u);
        long warm = fds();
        httpRound(u);
        assertThat(fds()).as("open descriptors after a second round of %d connections", 3 * EACH + HELD).isLessThanOrEqualTo(warm + SLACK);
    }

    private void tcpRound() throws Exception {
        for (int i = 0; i < EACH; i++) {
            reset(open());
        }
        for (int i = 0; i < EACH; i++) {
            Socket s = open();
            assertThat(s.getInputStream().read()).isEqualTo('r');
            reset(s);
        }
        for (int i = 0; i < EACH; i++) {
            Socket s = open();
            assertThat(s.getInputStream().readNBytes(6)).isEqualTo("r1/z1\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write("bye\n".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            // The FIN is passed on; the echo upstream then closes, so the input ends.
            drainInput(s);
            s.close();
        }
        awaitAllClosed();
    }

    @Test
    @DisplayName("TCP: resets before and after the upstream connects and half-closes leave no channel and no descriptor open")
    void tcpLeavesNothingOpen() throws Exception {
        start("TCP", "tcp", Upstream.tcp("r1/z1"));
        tcpRound();
        long warm = fds();
        tcpRound();
        assertThat(fds()).as("open descriptors after a second round of %d connections", 3 * EACH).isLessThanOrEqualTo(warm + SLACK);
    }
}
