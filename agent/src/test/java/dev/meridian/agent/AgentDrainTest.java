package dev.meridian.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.ManualClock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graceful drain over real sockets. The deadline runs on a {@link ManualClock}, requests are held in
 * the upstream by latches, so nothing sleeps.
 *
 * <p>What is expected is Envoy's drain: listeners stop accepting (Envoy's {@code /drain_listeners}
 * closes their sockets, {@code source/server/listener_manager_impl.cc}
 * {@code ListenerManagerImpl::stopListeners}), an HTTP/1.1 response sent while draining carries
 * {@code Connection: close} ({@code source/common/http/conn_manager_impl.cc}, drain close), TCP proxy
 * connections run on, and what is open at the end of the drain time is closed. The drain time is
 * {@code drainTimeout}, Istio's {@code terminationDrainDuration} (5 s by default).
 */
class AgentDrainTest {
    @TempDir
    Path dir;

    private final List<Upstream> upstreams = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final BlockingQueue<String> logged = new LinkedBlockingQueue<>();
    private final ManualClock clock = new ManualClock();
    private Agent agent;

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (agent != null) {
            agent.close();
        }
        for (Upstream u : upstreams) {
            u.holds.values().forEach(CountDownLatch::countDown);
            u.stop();
        }
    }

    private Agent start(String protocol, String mode, Upstream u) throws IOException {
        upstreams.add(u);
        Path file = AgentFailoverTest.oneZone(dir, protocol, mode, u.port(), "drainTimeout: 30s\n");
        agent = Agent.builder(AgentConfig.read(file)).clock(clock).log(logged::add).controlPeriod(Duration.ofMillis(20))
                .start();
        return agent;
    }

    private Socket open() throws IOException {
        Socket s = AgentFailoverTest.open(agent);
        sockets.add(s);
        return s;
    }

    /** Waits until the agent has closed its side of a client's connection (and so counts it no more). */
    private void awaitClosed(Socket client) throws InterruptedException {
        for (io.netty.channel.Channel ch : agent.route(0).downstreams) {
            if (((java.net.InetSocketAddress) ch.remoteAddress()).getPort() == client.getLocalPort()) {
                assertThat(ch.closeFuture().await(30, TimeUnit.SECONDS)).as("closed within 30 s").isTrue();
            }
        }
    }

    /**
     * The listener's socket is closed, so a connect to its port is refused. A connect racing with the
     * close may complete its handshake in the kernel and is then reset as the socket goes (seen on
     * Linux within a millisecond): that connection is never served either, so it counts as refused.
     */
    private void assertRefused(java.net.InetSocketAddress listener) throws IOException {
        assertThat(agent.route(0).serverChannel.isOpen()).isFalse();
        try (Socket s = new Socket()) {
            s.connect(listener, 5000);
            s.setSoTimeout(30_000);
            assertThat(RawHttp.ended(s)).as("a connection after the drain started is never served").isTrue();
        } catch (ConnectException refused) {
            // what Envoy's closed listener gives too
        }
    }

    private String await(BlockingQueue<String> q) throws InterruptedException {
        String v = q.poll(30, TimeUnit.SECONDS);
        assertThat(v).as("within 30 s").isNotNull();
        return v;
    }

    @Test
    @DisplayName("HTTP: a request finishing within drainTimeout gets its answer with Connection: close, new connections are refused, "
            + "an idle keep-alive connection closes at once, and a request past drainTimeout is cut and counted")
    void httpDrain() throws Exception {
        Upstream u = Upstream.http("r1/z1");
        CountDownLatch slow = new CountDownLatch(1);
        CountDownLatch slower = new CountDownLatch(1);
        u.holds.put("/slow", slow);
        u.holds.put("/slower", slower);
        start("HTTP", "http", u);
        java.net.InetSocketAddress listener = agent.address(0);

        Socket idle = open();
        RawHttp.send(idle, "/first");
        assertThat(RawHttp.read(idle).status()).isEqualTo(200);
        assertThat(await(u.arrived)).isEqualTo("/first");
        Socket a = open();
        RawHttp.send(a, "/slow");
        Socket b = open();
        RawHttp.send(b, "/slower");
        assertThat(List.of(await(u.arrived), await(u.arrived))).containsExactlyInAnyOrder("/slow", "/slower");

        var drained = agent.drain();
        assertThat(await(logged)).isEqualTo("meridian agent: draining for up to 30000 ms: 0 TCP connections and 2 HTTP "
                + "requests in flight; listeners closed");
        assertThat(agent.ready()).isFalse();
        assertRefused(listener);
        assertThat(RawHttp.ended(idle)).as("the idle keep-alive connection is closed").isTrue();

        slow.countDown();
        RawHttp.Response answered = RawHttp.read(a);
        assertThat(answered.status()).isEqualTo(200);
        assertThat(answered.closes()).as("Connection: close while draining").isTrue();
        assertThat(RawHttp.ended(a)).isTrue();
        awaitClosed(a);
        assertThat(drained).isNotDone();

        clock.advance(Duration.ofSeconds(30));
        DrainReport report = drained.get(30, TimeUnit.SECONDS);
        assertThat(report).isEqualTo(new DrainReport(0, 2, 0, 1, Duration.ofSeconds(30)));
        assertThat(RawHttp.ended(b)).as("the request past drainTimeout is cut").isTrue();
        assertThat(await(logged)).isEqualTo("meridian agent: drained in 30000 ms: 0 of 0 TCP connections and 1 of 2 "
                + "HTTP requests finished; cut 0 TCP connections and 1 HTTP requests");
        assertThat(agent.openChannels(0)).isZero();
        assertThat(agent.drain()).as("a second drain is the same drain").isSameAs(drained);
    }

    @Test
    @DisplayName("HTTP: when every request finishes before drainTimeout the drain ends then, with nothing cut")
    void httpDrainEndsEarly() throws Exception {
        Upstream u = Upstream.http("r1/z1");
        CountDownLatch slow = new CountDownLatch(1);
        u.holds.put("/slow", slow);
        start("HTTP", "http", u);
        Socket a = open();
        RawHttp.send(a, "/slow");
        assertThat(await(u.arrived)).isEqualTo("/slow");
        var drained = agent.drain();
        slow.countDown();
        assertThat(RawHttp.read(a).status()).isEqualTo(200);
        assertThat(drained.get(30, TimeUnit.SECONDS)).isEqualTo(new DrainReport(0, 1, 0, 0, Duration.ZERO));
    }

    @Test
    @DisplayName("TCP: open connections keep forwarding during the drain; one that ends on its own is not cut, one open at drainTimeout is")
    void tcpDrain() throws Exception {
        start("TCP", "tcp", Upstream.tcp("r1/z1"));
        java.net.InetSocketAddress listener = agent.address(0);
        Socket ends = open();
        Socket stays = open();
        BufferedReader endsIn = new BufferedReader(new InputStreamReader(ends.getInputStream(), StandardCharsets.UTF_8));
        BufferedReader staysIn = new BufferedReader(new InputStreamReader(stays.getInputStream(), StandardCharsets.UTF_8));
        assertThat(endsIn.readLine()).isEqualTo("r1/z1");
        assertThat(staysIn.readLine()).isEqualTo("r1/z1");

        var drained = agent.drain();
        assertThat(await(logged)).startsWith("meridian agent: draining for up to 30000 ms: 2 TCP connections");
        assertRefused(listener);
        stays.getOutputStream().write("still here\n".getBytes(StandardCharsets.UTF_8));
        assertThat(staysIn.readLine()).as("forwarding goes on while draining").isEqualTo("still here");
        ends.close();
        awaitClosed(ends);
        assertThat(drained).isNotDone();

        clock.advance(Duration.ofSeconds(31));
        assertThat(drained.get(30, TimeUnit.SECONDS)).isEqualTo(new DrainReport(2, 0, 1, 0, Duration.ofSeconds(31)));
        assertThat(staysIn.readLine()).as("closed at drainTimeout").isNull();
    }
}
