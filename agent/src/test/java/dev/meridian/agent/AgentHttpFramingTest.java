package dev.meridian.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import io.netty.channel.Channel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent forwards HTTP/1.1 as the bytes that arrived and reads only framing (RFC 9112 section 6.3):
 * over real sockets, a client through the agent to an upstream that writes exactly what each test
 * scripts. Each test checks what reached the other side byte for byte and that the connection is in
 * the state its framing says (still usable, or closed).
 */
class AgentHttpFramingTest {
    @TempDir
    Path dir;

    private ScriptedUpstream upstream;
    private Agent agent;
    private final EjectionEvents events = new EjectionEvents();

    @AfterEach
    void stop() throws IOException {
        if (agent != null) {
            agent.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private void start(ScriptedUpstream.Script script) throws IOException {
        start(script, "");
    }

    /** {@code extra}: agent.yaml lines before its listeners. */
    private void start(ScriptedUpstream.Script script, String extra) throws IOException {
        upstream = new ScriptedUpstream(script);
        agent = Agent.builder(AgentConfig.read(AgentFailoverTest.oneZone(dir, "HTTP", "http", upstream.port(), extra)))
                .clock(new ManualClock()).log(line -> { }).ejectionListener(events).start();
    }

    /** Answers each request on a connection with {@code 200} and its request line as the body, until the connection ends. */
    private static void echoRequestLines(ScriptedUpstream.Conn c) throws IOException {
        for (String r; (r = c.readRequest()) != null; ) {
            String line = r.substring(0, r.indexOf("\r\n"));
            c.write("HTTP/1.1 200 OK\r\ncontent-length: " + line.length() + "\r\n\r\n" + line);
        }
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** One response as it came, head and body ({@link WireMessage}); {@code head}: it answers HEAD. */
    static String response(Socket s, boolean head) throws IOException {
        return WireMessage.read(s.getInputStream(), false, head);
    }

    private static String line(InputStream in) throws IOException {
        return WireMessage.line(in, false);
    }

    /** Each head (with "abc" after it) on its own connection gets {@code status} and a close, and no upstream connection is made. */
    private void assertRefused(String statusLine, String... heads) throws Exception {
        for (String head : heads) {
            try (Socket s = AgentFailoverTest.open(agent)) {
                send(s, head + "abc");
                assertThat(response(s, false)).as(head).startsWith(statusLine + "\r\n").contains("connection: close");
                assertThat(RawHttp.ended(s)).as("closed after the refusal").isTrue();
            }
        }
        assertThat(upstream.accepted).hasValue(0);
    }

    private static String body(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    @Test
    @DisplayName("A chunked request reaches the upstream byte for byte, extensions and trailers included (RFC 9112 section 7.1)")
    void chunkedRequestArrivesAsSent() throws Exception {
        start(AgentHttpFramingTest::echoRequestLines);
        String request = "POST /upload HTTP/1.1\r\nHost: reviews\r\nTransfer-Encoding: chunked\r\nX-Order: kept\r\n\r\n"
                + "5;name=value\r\nhello\r\n"
                + "7\r\n, world\r\n"
                + "0\r\nX-Checksum: 12\r\n\r\n";
        try (Socket s = AgentFailoverTest.open(agent)) {
            send(s, request);
            assertThat(body(response(s, false))).isEqualTo("POST /upload HTTP/1.1");
        }
        assertThat(upstream.received.poll(30, TimeUnit.SECONDS)).isEqualTo(request);
    }

    @Test
    @DisplayName("A chunked response is streamed: its first chunk reaches the client before the upstream writes the rest, and the connection serves again")
    void chunkedResponseStreams() throws Exception {
        CountDownLatch firstSeen = new CountDownLatch(1);
        start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst,\r\n");
            firstSeen.await();
            c.write("5\r\nsecon\r\n1\r\nd\r\n0\r\n\r\n");
            echoRequestLines(c);
        });
        try (Socket s = AgentFailoverTest.open(agent)) {
            RawHttp.send(s, "/stream");
            InputStream in = s.getInputStream();
            StringBuilder seen = new StringBuilder();
            while (!seen.toString().endsWith("first,\r\n")) {
                int c = in.read();
                assertThat(c).as("bytes before the upstream's second write").isNotNegative();
                seen.append((char) c);
            }
            firstSeen.countDown();
            StringBuilder rest = new StringBuilder();
            while (!rest.toString().endsWith("0\r\n\r\n")) {
                rest.append((char) in.read());
            }
            assertThat(seen + rest.toString()).isEqualTo(
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst,\r\n5\r\nsecon\r\n1\r\nd\r\n0\r\n\r\n");
            RawHttp.send(s, "/again");
            assertThat(body(response(s, false))).isEqualTo("GET /again HTTP/1.1");
        }
        assertThat(upstream.accepted).as("one pooled upstream connection").hasValue(1);
    }

    @Test
    @DisplayName("A 4 MiB response passes whole: responses are streamed, not buffered under a size limit")
    void largeResponse() throws Exception {
        byte[] payload = new byte[4 << 20];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) ('a' + i * 7 % 26);
        }
        start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\ncontent-length: " + payload.length + "\r\n\r\n");
            c.out.write(payload);
            c.out.flush();
            echoRequestLines(c);
        });
        try (Socket s = AgentFailoverTest.open(agent)) {
            RawHttp.send(s, "/big");
            String r = response(s, false);
            byte[] got = body(r).getBytes(StandardCharsets.ISO_8859_1);
            CRC32 want = new CRC32();
            want.update(payload);
            CRC32 have = new CRC32();
            have.update(got);
            assertThat(got).hasSize(payload.length);
            assertThat(have.getValue()).isEqualTo(want.getValue());
        }
    }

    @Test
    @DisplayName("HEAD, 204 and 304 responses have no body whatever their Content-Length says, and the next response follows them (RFC 9112 section 6.3)")
    void responsesWithoutBodies() throws Exception {
        start(c -> {
            for (String r; (r = c.readRequest()) != null; ) {
                if (r.startsWith("HEAD")) {
                    c.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n");
                } else if (r.startsWith("GET /none")) {
                    c.write("HTTP/1.1 204 No Content\r\n\r\n");
                } else if (r.startsWith("GET /same")) {
                    c.write("HTTP/1.1 304 Not Modified\r\ncontent-length: 42\r\n\r\n");
                } else {
                    c.write("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nlast");
                }
            }
        });
        try (Socket s = AgentFailoverTest.open(agent)) {
            send(s, "HEAD /page HTTP/1.1\r\nHost: reviews\r\n\r\n");
            assertThat(response(s, true)).isEqualTo("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n");
            RawHttp.send(s, "/none");
            assertThat(response(s, false)).isEqualTo("HTTP/1.1 204 No Content\r\n\r\n");
            RawHttp.send(s, "/same");
            assertThat(response(s, false)).isEqualTo("HTTP/1.1 304 Not Modified\r\ncontent-length: 42\r\n\r\n");
            RawHttp.send(s, "/last");
            assertThat(body(response(s, false))).isEqualTo("last");
        }
        assertThat(upstream.accepted).hasValue(1);
    }

    @Test
    @DisplayName("Three requests in one write are forwarded one at a time and answered in order (RFC 9112 section 9.3.2)")
    void pipelined() throws Exception {
        start(AgentHttpFramingTest::echoRequestLines);
        try (Socket s = AgentFailoverTest.open(agent)) {
            send(s, "GET /1 HTTP/1.1\r\nHost: reviews\r\n\r\nGET /2 HTTP/1.1\r\nHost: reviews\r\n\r\n"
                    + "POST /3 HTTP/1.1\r\nHost: reviews\r\ncontent-length: 3\r\n\r\nabc");
            assertThat(body(response(s, false))).isEqualTo("GET /1 HTTP/1.1");
            assertThat(body(response(s, false))).isEqualTo("GET /2 HTTP/1.1");
            assertThat(body(response(s, false))).isEqualTo("POST /3 HTTP/1.1");
        }
        assertThat(upstream.received).hasSize(3);
    }

    @Test
    @DisplayName("Expect: 100-continue is answered by the agent once, and the upstream's own 100 is not passed on (Envoy's default, proxy_100_continue off)")
    void expectContinue() throws Exception {
        start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok");
        });
        try (Socket s = AgentFailoverTest.open(agent)) {
            send(s, "PUT /doc HTTP/1.1\r\nHost: reviews\r\nExpect: 100-continue\r\ncontent-length: 5\r\n\r\n");
            assertThat(response(s, false)).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
            send(s, "hello");
            assertThat(response(s, false)).isEqualTo("HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok");
        }
        assertThat(upstream.received.poll(30, TimeUnit.SECONDS)).endsWith("\r\n\r\nhello");
    }

    @Test
    @DisplayName("A request whose length is ambiguous gets 400 and a close, and nothing reaches the upstream (RFC 9112 section 6.3; Envoy refuses chunked with Content-Length)")
    void ambiguousLengthRefused() throws Exception {
        start(AgentHttpFramingTest::echoRequestLines);
        assertRefused("HTTP/1.1 400 Bad Request",
                "POST / HTTP/1.1\r\nHost: reviews\r\nTransfer-Encoding: chunked\r\ncontent-length: 3\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: reviews\r\nTransfer-Encoding: gzip\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: reviews\r\ncontent-length: 3x\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: reviews\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\n",
                "POST / HTTP/1.1\r\nHost : reviews\r\n\r\n");
    }

    @Test
    @DisplayName("A response without Content-Length or chunked ends with the upstream's close; the client is told connection: close and sees the end")
    void responseUntilClose() throws Exception {
        start(c -> {
            c.readRequest();
            c.write("HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nall of it");
        });
        try (Socket s = AgentFailoverTest.open(agent)) {
            RawHttp.send(s, "/old");
            String r = response(s, false);
            assertThat(r).isEqualTo("HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nall of it");
        }
    }

    @Test
    @DisplayName("An upstream that closes after its response does not close the client: Connection is hop-by-hop (RFC 9110 section 7.6.1)")
    void upstreamCloseStaysUpstream() throws Exception {
        start(c -> {
            String r = c.readRequest();
            String line = r.substring(0, r.indexOf("\r\n"));
            c.write("HTTP/1.1 200 OK\r\nConnection: close\r\nX-Kept: yes\r\ncontent-length: " + line.length() + "\r\n\r\n" + line);
        });
        try (Socket s = AgentFailoverTest.open(agent)) {
            RawHttp.send(s, "/first");
            assertThat(response(s, false)).isEqualTo(
                    "HTTP/1.1 200 OK\r\nX-Kept: yes\r\ncontent-length: 19\r\n\r\nGET /first HTTP/1.1");
            RawHttp.send(s, "/second");
            assertThat(body(response(s, false))).isEqualTo("GET /second HTTP/1.1");
        }
        assertThat(upstream.accepted).as("a new upstream connection for the second request").hasValue(2);
    }

    @Test
    @DisplayName("A client that asks to close gets connection: close on the response, then the close")
    void clientClose() throws Exception {
        start(AgentHttpFramingTest::echoRequestLines);
        try (Socket s = AgentFailoverTest.open(agent)) {
            send(s, "GET /bye HTTP/1.1\r\nHost: reviews\r\nConnection: close\r\n\r\n");
            assertThat(response(s, false)).isEqualTo("HTTP/1.1 200 OK\r\ncontent-length: 17\r\nconnection: close\r\n\r\nGET /bye HTTP/1.1");
            assertThat(RawHttp.ended(s)).isTrue();
        }
    }

    @Test
    @DisplayName("A 101 to an upgrade request turns both connections into a tunnel, as Istio's sidecars carry WebSocket")
    void upgradeTunnels() throws Exception {
        start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
            byte[] buf = new byte[256];
            for (int n; (n = c.in.read(buf)) > 0; ) {
                c.out.write(buf, 0, n);
                c.out.flush();
            }
        });
        try (Socket s = AgentFailoverTest.open(agent)) {
            send(s, "GET /ws HTTP/1.1\r\nHost: reviews\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
            assertThat(response(s, false)).isEqualTo("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
            send(s, "ping, not HTTP\n");
            assertThat(new String(s.getInputStream().readNBytes(15), StandardCharsets.ISO_8859_1)).isEqualTo("ping, not HTTP\n");
            s.shutdownOutput();
            assertThat(RawHttp.ended(s)).as("the tunnel closes when the upstream does").isTrue();
        }
    }

    @Test
    @DisplayName("An upstream that does not speak HTTP/1.x gets the client Envoy's 503 for a protocol error, and the connection serves again")
    void malformedResponse() throws Exception {
        start(c -> {
            String r = c.readRequest();
            if (r.startsWith("GET /bad")) {
                c.write("SSH-2.0-OpenSSH_9.6\r\n\r\n");
            } else {
                c.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
            }
        });
        try (Socket s = AgentFailoverTest.open(agent)) {
            RawHttp.send(s, "/bad");
            String bad = response(s, false);
            // Envoy's router answers a protocol error with 502 (Filter::onUpstreamReset, since Envoy 1.18)
            assertThat(bad).startsWith("HTTP/1.1 502 Bad Gateway\r\n");
            assertThat(body(bad))
                    .isEqualTo("upstream connect error or disconnect/reset before headers. reset reason: protocol error");
            RawHttp.send(s, "/good");
            assertThat(body(response(s, false))).isEqualTo("ok");
        }
    }

    @Test
    @DisplayName("A request body over 1 MiB gets 413 and a close, by its Content-Length or as its chunks arrive, and nothing reaches the upstream")
    void oversizedRequestBody() throws Exception {
        start(AgentHttpFramingTest::echoRequestLines);
        try (Socket s = AgentFailoverTest.open(agent)) {
            send(s, "POST / HTTP/1.1\r\nHost: reviews\r\ncontent-length: " + (2 << 20) + "\r\n\r\n");
            assertThat(response(s, false)).startsWith("HTTP/1.1 413 Payload Too Large\r\n");
            assertThat(RawHttp.ended(s)).isTrue();
        }
        try (Socket s = AgentFailoverTest.open(agent)) {
            send(s, "POST / HTTP/1.1\r\nHost: reviews\r\nTransfer-Encoding: chunked\r\n\r\n");
            String chunk = "10000\r\n" + "x".repeat(0x10000) + "\r\n";
            String answer = null;
            for (int i = 0; i < 24 && answer == null; i++) {
                try {
                    send(s, chunk);
                } catch (java.net.SocketException closed) {
                    answer = response(s, false);
                }
            }
            if (answer == null) {
                answer = response(s, false);
            }
            assertThat(answer).startsWith("HTTP/1.1 413 Payload Too Large\r\n");
        }
        assertThat(upstream.accepted).hasValue(0);
    }

    @Test
    @DisplayName("No response within responseTimeout: a 504 before the head (Envoy's text), a close after it, since the status has gone")
    void responseTimeout() throws Exception {
        start(c -> {
            String r = c.readRequest();
            if (r.startsWith("GET /stall")) {
                c.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\npart");
            }
            // silent from here; the agent's close ends the read
            c.in.read();
        }, "responseTimeout: 200ms\n");
        try (Socket s = AgentFailoverTest.open(agent)) {
            RawHttp.send(s, "/silent");
            String r = response(s, false);
            assertThat(r).startsWith("HTTP/1.1 504 Gateway Timeout\r\n");
            assertThat(body(r)).isEqualTo("upstream request timeout");
        }
        try (Socket s = AgentFailoverTest.open(agent)) {
            RawHttp.send(s, "/stall");
            byte[] all = s.getInputStream().readAllBytes();
            assertThat(new String(all, StandardCharsets.ISO_8859_1))
                    .isEqualTo("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\npart");
        }
    }

    @Test
    @DisplayName("A client that stops reading stops the upstream's reads: the agent holds about one write buffer of a 64 MiB response, then passes all of it")
    void responseBackpressure() throws Exception {
        int size = 64 << 20;
        start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\ncontent-length: " + size + "\r\n\r\n");
            byte[] block = new byte[1 << 16];
            java.util.Arrays.fill(block, (byte) 'z');
            for (int sent = 0; sent < size; sent += block.length) {
                c.out.write(block);
            }
            c.out.flush();
        });
        try (Socket s = AgentFailoverTest.open(agent)) {
            s.setReceiveBufferSize(64 << 10);
            RawHttp.send(s, "/huge");
            assertThat(upstream.received.poll(30, TimeUnit.SECONDS)).as("the request at the upstream").isNotNull();
            Channel down = agent.route(0).downstreams.iterator().next();
            // Wait, one event-loop task at a time, until the client's side is full; then for many more loop
            // turns the agent must hold no more than its high mark plus one read.
            long most = 0;
            int full = 0;
            for (int turn = 0; turn < 200_000 && full < 2_000; turn++) {
                // above the low mark by this much while not writable: what the agent holds, less the low mark
                long pending = down.eventLoop().submit(down::bytesBeforeWritable).get(30, TimeUnit.SECONDS);
                if (!down.isWritable()) {
                    full++;
                    most = Math.max(most, pending);
                }
            }
            assertThat(full).as("loop turns with the client's side full").isEqualTo(2_000);
            assertThat(most).as("bytes the agent held for a client that does not read").isLessThan(1 << 20);
            String head = line(s.getInputStream());
            assertThat(head).isEqualTo("HTTP/1.1 200 OK\r\n");
            while (!line(s.getInputStream()).equals("\r\n")) {
                // the rest of the head
            }
            long got = 0;
            byte[] buf = new byte[1 << 16];
            for (int n; got < size && (n = s.getInputStream().read(buf)) > 0; ) {
                got += n;
            }
            assertThat(got).isEqualTo(size);
        }
    }

    @Test
    @DisplayName("A response with Transfer-Encoding beside Content-Length, or a coding other than chunked, is Envoy's 502 protocol error, never passed on with both lengths (RFC 9112 section 6.3)")
    void ambiguousResponseFramingRefused() throws Exception {
        start(c -> {
            for (String r; (r = c.readRequest()) != null; ) {
                if (r.startsWith("GET /both")) {
                    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 30\r\n\r\n0\r\n\r\n");
                    return;
                } else if (r.startsWith("GET /gzip")) {
                    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nnot chunked");
                    return;
                }
                c.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
            }
        });
        try (Socket s = AgentFailoverTest.open(agent)) {
            for (String path : new String[] {"/both", "/gzip"}) {
                RawHttp.send(s, path);
                String r = response(s, false);
                assertThat(r).as(path).startsWith("HTTP/1.1 502 Bad Gateway\r\n");
                assertThat(body(r)).isEqualTo("upstream connect error or disconnect/reset before headers. reset reason: protocol error");
            }
            RawHttp.send(s, "/good");
            assertThat(body(response(s, false))).isEqualTo("ok");
        }
    }

    @Test
    @DisplayName("A head line holding a bare CR or a NUL, or a field name that is not a token, gets 400 and a close, and nothing reaches the upstream (RFC 9110 sections 5.1 and 5.5)")
    void controlCharactersRefused() throws Exception {
        start(AgentHttpFramingTest::echoRequestLines);
        assertRefused("HTTP/1.1 400 Bad Request",
                // an upstream that ends lines at a bare CR reads a Content-Length the agent does not
                "POST / HTTP/1.1\r\nHost: reviews\r\nX-A: 1\rContent-Length: 3\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: reviews\r\nContent-Length: 3\r\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: re\u0000views\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: reviews\r\nTransfer-Encoding\u000b: chunked\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: reviews\r\nContent[Length]: 3\r\n\r\n");
    }

    @Test
    @DisplayName("A response broken off after its head is a reset for outlier detection too, as Envoy's router records it: two 500s cut short are four 5xx")
    void resetAfterHeadRecorded() throws Exception {
        start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 500 Internal Server Error\r\ncontent-length: 10\r\n\r\npart");
            // the connection ends here, six bytes short
        });
        for (int i = 0; i < 2; i++) {
            try (Socket s = AgentFailoverTest.open(agent)) {
                RawHttp.send(s, "/broken");
                assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
                        .isEqualTo("HTTP/1.1 500 Internal Server Error\r\ncontent-length: 10\r\n\r\npart");
            }
        }
        // consecutive5xxErrors: 3 (AgentFailoverTest.OUTLIER): Envoy puts 500 at the head and
        // LocalOriginConnectFailed (a 503) at the reset (router.cc Filter::onUpstreamReset)
        assertThat(events.next()).isEqualTo("ejected r1/z1");
    }

    @Test
    @DisplayName("A tunnel's client is read again when a slow upstream catches up: 64 MiB written into a 101 tunnel all arrive")
    void tunnelBackpressureResumes() throws Exception {
        int size = 64 << 20;
        CountDownLatch readNow = new CountDownLatch(1);
        start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
            readNow.await();
            long got = 0;
            byte[] buf = new byte[1 << 16];
            for (int n; got < size && (n = c.in.read(buf)) > 0; ) {
                got += n;
            }
            c.write("got " + got + "\n");
            c.in.read();
        });
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (Socket s = AgentFailoverTest.open(agent)) {
            send(s, "GET /ws HTTP/1.1\r\nHost: reviews\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
            assertThat(response(s, false)).startsWith("HTTP/1.1 101 ");
            Channel down = agent.route(0).downstreams.iterator().next();
            Future<?> written = writer.submit(() -> {
                byte[] block = new byte[1 << 16];
                java.util.Arrays.fill(block, (byte) 'w');
                for (int sent = 0; sent < size; sent += block.length) {
                    s.getOutputStream().write(block);
                }
                s.getOutputStream().flush();
                return null;
            });
            // one event-loop task at a time, until the agent stops reading the client: the upstream is full
            boolean paused = false;
            for (int turn = 0; turn < 1_000_000 && !paused; turn++) {
                paused = !down.eventLoop().submit(() -> down.config().isAutoRead()).get(30, TimeUnit.SECONDS);
            }
            assertThat(paused).as("the client is not read while the upstream connection is full").isTrue();
            readNow.countDown();
            written.get(30, TimeUnit.SECONDS);
            assertThat(line(s.getInputStream())).isEqualTo("got " + size + "\n");
        } finally {
            writer.shutdownNow();
        }
    }

    @Test
    @DisplayName("CONNECT and upgrades other than WebSocket get 403 and a close, and nothing reaches the upstream (Istio's sidecars configure only the websocket upgrade)")
    void connectAndOtherUpgradesRefused() throws Exception {
        start(AgentHttpFramingTest::echoRequestLines);
        assertRefused("HTTP/1.1 403 Forbidden",
                "CONNECT reviews:443 HTTP/1.1\r\nHost: reviews:443\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: reviews\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n");
    }

    @Test
    @DisplayName("A request whose chunk lines end in a bare LF gets 400: passed on as it came, an upstream reading only CRLF would find another request inside it")
    void bareLineFeedChunksRefused() throws Exception {
        start(AgentHttpFramingTest::echoRequestLines);
        // read with bare LFs, this is one chunk of 2 bytes and the last chunk; read with CRLF only, "xx\r\n47"
        // would be an extension line and the GET a second request smuggled in its body
        String smuggling = "POST / HTTP/1.1\r\nHost: reviews\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2;\nxx\r\n47\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: reviews\r\n\r\n";
        assertRefused("HTTP/1.1 400 Bad Request", smuggling);
    }

    @Test
    @DisplayName("An HTTP/1.0 client that asks for keep-alive is told keep-alive, whatever the HTTP/1.1 upstream said, and its connection serves again (RFC 9112 section 9.3)")
    void http10ClientKeptAlive() throws Exception {
        start(AgentHttpFramingTest::echoRequestLines);
        try (Socket s = AgentFailoverTest.open(agent)) {
            for (String path : new String[] {"/one", "/two"}) {
                send(s, "GET " + path + " HTTP/1.0\r\nHost: reviews\r\nConnection: Keep-Alive\r\n\r\n");
                String line = "GET " + path + " HTTP/1.0";
                assertThat(response(s, false)).isEqualTo("HTTP/1.1 200 OK\r\ncontent-length: " + line.length()
                        + "\r\nconnection: keep-alive\r\n\r\n" + line);
            }
            send(s, "GET /last HTTP/1.0\r\nHost: reviews\r\n\r\n");
            assertThat(response(s, false)).isEqualTo("HTTP/1.1 200 OK\r\ncontent-length: 18\r\nconnection: close\r\n\r\nGET /last HTTP/1.0");
            assertThat(RawHttp.ended(s)).as("an HTTP/1.0 request without keep-alive closes").isTrue();
        }
    }
}
