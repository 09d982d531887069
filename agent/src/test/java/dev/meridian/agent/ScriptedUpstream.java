package dev.meridian.agent;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream on loopback that answers with exactly the bytes a test writes: for HTTP/1.1, what a server
 * library would not send: chunks flushed one by one, a body that ends with the connection, an interim
 * response, a 101, a head that is not HTTP. Each accepted connection runs the script on its own thread;
 * what each request looked like on the wire (head and body as received) is queued for the test.
 */
final class ScriptedUpstream implements Closeable {
    /** What the upstream does on one connection. */
    interface Script {
        void serve(Conn c) throws IOException, InterruptedException;
    }

    /** One accepted connection. */
    static final class Conn {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        private final BlockingQueue<String> received;

        Conn(Socket socket, BlockingQueue<String> received) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
            this.received = received;
        }

        /**
         * Reads one request, head and body, exactly as sent (a chunked body with its chunk lines and
         * trailers); null when the connection ends before a request.
         */
        String readRequest() throws IOException {
            String r = WireMessage.read(in, true, false);
            if (r != null) {
                received.add(r);
            }
            return r;
        }

        void write(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
    }

    /** Connections accepted so far. */
    final AtomicInteger accepted = new AtomicInteger();
    /** Every request read by {@link Conn#readRequest}, as received. */
    final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    ScriptedUpstream(Script script) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException closed) {
                    return;
                }
                accepted.incrementAndGet();
                threads.execute(() -> {
                    try (s) {
                        script.serve(new Conn(s, received));
                    } catch (IOException | InterruptedException gone) {
                        // the agent closed the connection, or the test ended
                    }
                });
            }
        });
    }

    int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
