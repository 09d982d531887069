package dev.meridian.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP/1.1 over a plain socket, for tests that must see connections themselves: which one a request
 * went over, whether the agent closed it, what it answered to bytes no client library would send.
 */
final class RawHttp {
    private RawHttp() {
    }

    /** A response as read off the wire: status, the headers' text (lower-cased names) and the body. */
    record Response(int status, String headers, String body) {
        boolean closes() {
            return headers.contains("connection: close");
        }
    }

    static void send(Socket s, String path) throws IOException {
        s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: reviews\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    /** Reads one response with a Content-Length body; null when the connection ends first. */
    static Response read(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        int c;
        while (!head.toString().endsWith("\r\n\r\n")) {
            c = in.read();
            if (c < 0) {
                return null;
            }
            head.append((char) c);
        }
        String[] lines = head.toString().split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        StringBuilder headers = new StringBuilder();
        int length = 0;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].toLowerCase(Locale.ROOT);
            int colon = line.indexOf(':');
            String name = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            headers.append(name).append(": ").append(value).append('\n');
            if (name.equals("content-length")) {
                length = Integer.parseInt(value);
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (body.size() < length && (c = in.read()) >= 0) {
            body.write(c);
        }
        return new Response(status, headers.toString(), body.toString(StandardCharsets.UTF_8));
    }

    /** True when the peer has closed the connection (end of stream or a reset), false if data came. */
    static boolean ended(Socket s) throws IOException {
        try {
            return s.getInputStream().read() < 0;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }
}
