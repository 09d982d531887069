package dev.meridian.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One HTTP/1.1 message read off a socket exactly as it was sent, head and body, framed by its own
 * headers (RFC 9112 section 6.3): a Content-Length, chunked (through its last chunk and trailers) or,
 * for a response with neither, to the end of the stream. For tests that check bytes, not meanings.
 */
final class WireMessage {
    private WireMessage() {
    }

    /**
     * Reads a request, or a response ({@code headRequest}: it answers HEAD, so it has no body); null
     * when the stream ends before the message's first byte.
     */
    static String read(InputStream in, boolean request, boolean headRequest) throws IOException {
        String start = line(in, true);
        if (start == null) {
            return null;
        }
        StringBuilder all = new StringBuilder(start);
        long length = -1;
        boolean chunked = false;
        for (String l; !(l = line(in, false)).equals("\r\n"); ) {
            all.append(l);
            String lower = l.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).strip());
            } else if (lower.startsWith("transfer-encoding:") && lower.strip().endsWith("chunked")) {
                chunked = true;
            }
        }
        all.append("\r\n");
        if (!request) {
            int status = Integer.parseInt(start.split(" ")[1]);
            if (headRequest || status < 200 || status == 204 || status == 304) {
                return all.toString();
            }
        }
        if (chunked) {
            while (true) {
                String size = line(in, false);
                all.append(size);
                int n = Integer.parseInt(size.strip().split(";")[0], 16);
                if (n == 0) {
                    for (String t; !(t = line(in, false)).equals("\r\n"); ) {
                        all.append(t);
                    }
                    return all.append("\r\n").toString();
                }
                all.append(new String(in.readNBytes(n + 2), StandardCharsets.ISO_8859_1));
            }
        }
        byte[] body = length >= 0 ? in.readNBytes((int) length) : request ? new byte[0] : in.readAllBytes();
        return all.append(new String(body, StandardCharsets.ISO_8859_1)).toString();
    }

    /** One line with its line end; null at the end of the stream before any byte when {@code orNull}. */
    static String line(InputStream in, boolean orNull) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) >= 0; ) {
            b.write(c);
            if (c == '\n') {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
        }
        if (orNull && b.size() == 0) {
            return null;
        }
        throw new IOException("the connection ended in a line: " + b.toString(StandardCharsets.ISO_8859_1));
    }
}
