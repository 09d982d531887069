package dev.meridian.agent;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 upstream on loopback that answers with exactly the bytes a test writes, for what a server
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
            String head = line();
            if (head == null) {
                return null;
            }
            StringBuilder all = new StringBuilder(head);
            long length = 0;
            boolean chunked = false;
            for (String l; !(l = line()).equals("\r\n"); ) {
                all.append(l);
                String lower = l.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).strip());
                } else if (lower.startsWith("transfer-encoding:") && lower.strip().endsWith("chunked")) {
                    chunked = true;
                }
            }
            all.append("\r\n");
            if (chunked) {
                while (true) {
                    String size = line();
                    all.append(size);
                    int n = Integer.parseInt(size.strip().split(";")[0], 16);
                    if (n == 0) {
                        for (String t; !(t = line()).equals("\r\n"); ) {
                            all.append(t);
                        }
                        all.append("\r\n");
                        break;
                    }
                    all.append(new String(in.readNBytes(n + 2), StandardCharsets.ISO_8859_1));
                }
            } else {
                all.append(new String(in.readNBytes((int) length), StandardCharsets.ISO_8859_1));
            }
            received.add(all.toString());
            return all.toString();
        }

        /** One line with its CRLF; null at the end of the stream before any byte. */
        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c; (c = in.read()) >= 0; ) {
                b.write(c);
                if (c == '\n') {
                    return b.toString(StandardCharsets.ISO_8859_1);
                }
            }
            if (b.size() == 0) {
                return null;
            }
            throw new IOException("connection ended in a line: " + b.toString(StandardCharsets.ISO_8859_1));
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
