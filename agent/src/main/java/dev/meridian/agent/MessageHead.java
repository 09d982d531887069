package dev.meridian.agent;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ByteProcessor;

/**
 * What the agent reads of an HTTP/1.x message head (RFC 9112 sections 2 to 6): the start line and the
 * headers that decide how the body is framed and whether the connection stays open. Every other
 * header is forwarded as received, unread; that is what lets the agent pass the bytes on instead of
 * decoding and re-encoding each message.
 *
 * <p>A head is refused ({@link Malformed}) where RFC 9112 says a recipient must not guess: a start
 * line that is not {@code METHOD SP target SP HTTP/1.x} (or {@code HTTP/1.x SP 3DIGIT ...}),
 * whitespace before a header's colon (section 5.1), a folded line (section 5.2), a Content-Length
 * that is not digits or two that differ (section 6.3), a field name that is not a token or a line
 * holding a control character other than HTAB, a bare CR among them (RFC 9110 sections 5.1 and 5.5).
 * Lines may end in CRLF or a bare LF (section 2.2).
 *
 * <p>Not thread-safe: one per connection and direction, filled again for each message.
 */
final class MessageHead {
    /** No body length was given. */
    static final long NONE = -1;

    /** The head is not HTTP/1.x; {@link #status} is what to answer a client that sent it. */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Malformed(int status, String reason) {
            super(reason, null, false, false);
            this.status = status;
        }
    }

    /** HTTP/1.0 (not 1.1). */
    boolean http10;
    /** A request's method is HEAD: its response has no body whatever its headers say. */
    boolean headMethod;
    /** A response's status code. */
    int status;
    /** Content-Length, or {@link #NONE}. */
    long contentLength;
    /** A Transfer-Encoding header was present. */
    boolean transferEncoding;
    /** Transfer-Encoding's last coding is chunked. */
    boolean chunked;
    /** Connection: close. */
    boolean close;
    /** Connection: keep-alive (what an HTTP/1.0 peer must say to keep the connection). */
    boolean keepAlive;
    /** Connection: upgrade with an Upgrade header. */
    boolean upgrade;
    /** The Upgrade header names websocket. */
    boolean websocket;
    /** A request's method is CONNECT. */
    boolean connectMethod;
    private boolean upgradeHeader;
    /** Expect: 100-continue. */
    boolean expectContinue;

    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] PROXY_CONNECTION = ascii("proxy-connection");
    private static final byte[] KEEP_ALIVE = ascii("keep-alive");
    private static final byte[] EXPECT = ascii("expect");
    private static final byte[] UPGRADE = ascii("upgrade");
    private static final byte[] WEBSOCKET = ascii("websocket");
    private static final byte[] CONNECT_LOWER = ascii("connect");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] CHUNKED = ascii("chunked");
    private static final byte[] CONTINUE = ascii("100-continue");
    private static final byte[] HTTP_1_ = ascii("HTTP/1.");
    private static final byte[] CLOSE_LINE = ascii("connection: close\r\n");
    private static final byte[] KEEP_ALIVE_LINE = ascii("connection: keep-alive\r\n");

    /** Continues over bytes allowed inside a head line: all but the controls other than HTAB, and DEL. */
    private static final ByteProcessor NOT_CONTROL = b -> {
        int c = b & 0xff;
        return c >= 0x20 && c != 0x7f || c == '\t';
    };

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Whether the connection may carry another message after this one, by the head alone (RFC 9112 section 9.3). */
    boolean persistent() {
        return http10 ? keepAlive && !close : !close;
    }

    /**
     * Reads a request head starting at {@code buf}'s reader index, which stays where it is.
     *
     * @return the head's length in bytes, through its empty line, or -1 when the head has not all
     *         arrived (the caller refuses it once more than {@code limit} bytes are waiting)
     * @throws Malformed with 400 for a head that is not HTTP/1.x, 431 for one longer than {@code limit}
     */
    int parseRequest(ByteBuf buf, int limit) throws Malformed {
        return parse(buf, limit, true);
    }

    /** As {@link #parseRequest}, for a response; {@link Malformed#status} is then meaningless. */
    int parseResponse(ByteBuf buf, int limit) throws Malformed {
        return parse(buf, limit, false);
    }

    private int parse(ByteBuf buf, int limit, boolean request) throws Malformed {
        http10 = false;
        headMethod = false;
        status = 0;
        contentLength = NONE;
        transferEncoding = false;
        chunked = false;
        close = false;
        keepAlive = false;
        upgrade = false;
        upgradeHeader = false;
        websocket = false;
        connectMethod = false;
        expectContinue = false;
        boolean connectionUpgrade = false;
        int start = buf.readerIndex();
        int end = Math.min(buf.writerIndex(), start + limit);
        int pos = start;
        // RFC 9112 section 2.2: a server should ignore at least one empty line before a request line.
        while (request && pos + 1 < end && buf.getByte(pos) == '\r' && buf.getByte(pos + 1) == '\n') {
            pos += 2;
        }
        boolean first = true;
        while (true) {
            int lf = pos < end ? buf.forEachByte(pos, end - pos, ByteProcessor.FIND_LF) : -1;
            if (lf < 0) {
                if (buf.writerIndex() - start >= limit) {
                    throw new Malformed(431, "head longer than " + limit + " bytes");
                }
                return -1;
            }
            int lineEnd = lf > pos && buf.getByte(lf - 1) == '\r' ? lf - 1 : lf;
            if (request && lineEnd == lf) {
                // RFC 9112 section 2.2 lets a recipient take a bare LF for a line end, and so does the agent
                // in responses; a request is passed on as it came, and an upstream that reads a bare LF as
                // part of a field value would frame it differently (a Content-Length the agent saw and it
                // did not), so requests end their lines in CRLF or are refused.
                throw new Malformed(400, "a request line ending in a bare LF");
            }
            if (lineEnd > pos && buf.forEachByte(pos, lineEnd - pos, NOT_CONTROL) >= 0) {
                // RFC 9110 section 5.5 and RFC 9112 section 2.2: a CR, LF or NUL inside a line must be
                // refused or replaced before the message is passed on, and the agent passes the bytes on
                // as they are; a bare CR that another parser takes for a line end would frame the
                // message differently there.
                throw new Malformed(400, "control character in a head line");
            }
            if (first) {
                if (request) {
                    requestLine(buf, pos, lineEnd);
                } else {
                    statusLine(buf, pos, lineEnd);
                }
                first = false;
            } else if (lineEnd == pos) {
                upgrade = connectionUpgrade && upgradeHeader;
                return lf + 1 - start;
            } else {
                byte c = buf.getByte(pos);
                if (c == ' ' || c == '\t') {
                    throw new Malformed(400, "folded header line");
                }
                int colon = buf.indexOf(pos, lineEnd, (byte) ':');
                if (colon <= pos) {
                    throw new Malformed(400, "header line without a name and colon");
                }
                byte last = buf.getByte(colon - 1);
                if (last == ' ' || last == '\t') {
                    throw new Malformed(400, "whitespace before a header's colon");
                }
                for (int i = pos; i < colon; i++) {
                    // RFC 9110 section 5.1: a field name is a token; a parser that tidies a name up
                    // before matching it would read framing headers the agent did not see
                    if (!isTokenChar(buf.getByte(i))) {
                        throw new Malformed(400, "invalid header name");
                    }
                }
                int v = colon + 1;
                int ve = lineEnd;
                while (v < ve && isSpace(buf.getByte(v))) {
                    v++;
                }
                while (ve > v && isSpace(buf.getByte(ve - 1))) {
                    ve--;
                }
                if (named(buf, pos, colon, CONTENT_LENGTH)) {
                    long n = digits(buf, v, ve);
                    if (n < 0 || contentLength != NONE && contentLength != n) {
                        throw new Malformed(400, "invalid Content-Length");
                    }
                    contentLength = n;
                } else if (named(buf, pos, colon, TRANSFER_ENCODING)) {
                    transferEncoding = true;
                    // The last coding decides (RFC 9112 section 6.3); a later header line is a later coding.
                    chunked = endsWithToken(buf, v, ve, CHUNKED);
                } else if (named(buf, pos, colon, CONNECTION)) {
                    close |= hasToken(buf, v, ve, CLOSE);
                    keepAlive |= hasToken(buf, v, ve, KEEP_ALIVE);
                    connectionUpgrade |= hasToken(buf, v, ve, UPGRADE);
                } else if (named(buf, pos, colon, EXPECT)) {
                    expectContinue |= equalsIgnoreCase(buf, v, ve, CONTINUE);
                } else if (named(buf, pos, colon, UPGRADE)) {
                    upgradeHeader = true;
                    websocket |= hasToken(buf, v, ve, WEBSOCKET);
                }
            }
            pos = lf + 1;
        }
    }

    private void requestLine(ByteBuf buf, int from, int to) throws Malformed {
        int sp1 = buf.indexOf(from, to, (byte) ' ');
        int sp2 = sp1 < 0 ? -1 : buf.indexOf(sp1 + 1, to, (byte) ' ');
        if (sp1 <= from || sp2 <= sp1 + 1 || to - sp2 - 1 != 8 || !version(buf, sp2 + 1)) {
            throw new Malformed(400, "not an HTTP/1.x request line");
        }
        for (int i = from; i < sp1; i++) {
            if (!isTokenChar(buf.getByte(i))) {
                throw new Malformed(400, "invalid method");
            }
        }
        headMethod = sp1 - from == 4 && buf.getByte(from) == 'H' && buf.getByte(from + 1) == 'E'
                && buf.getByte(from + 2) == 'A' && buf.getByte(from + 3) == 'D';
        connectMethod = sp1 - from == 7 && equalsIgnoreCase(buf, from, sp1, CONNECT_LOWER) && buf.getByte(from) == 'C';
    }

    private void statusLine(ByteBuf buf, int from, int to) throws Malformed {
        if (to - from < 12 || !version(buf, from) || buf.getByte(from + 8) != ' '
                || to - from > 12 && buf.getByte(from + 12) != ' ') {
            throw new Malformed(502, "not an HTTP/1.x status line");
        }
        int code = 0;
        for (int i = from + 9; i < from + 12; i++) {
            byte d = buf.getByte(i);
            if (d < '0' || d > '9') {
                throw new Malformed(502, "invalid status code");
            }
            code = code * 10 + d - '0';
        }
        if (code < 100) {
            throw new Malformed(502, "invalid status code");
        }
        status = code;
    }

    /** {@code HTTP/1.0} or {@code HTTP/1.1} at {@code at}; sets {@link #http10}. */
    private boolean version(ByteBuf buf, int at) {
        if (at + 8 > buf.writerIndex()) {
            return false;
        }
        for (int i = 0; i < HTTP_1_.length; i++) {
            if (buf.getByte(at + i) != HTTP_1_[i]) {
                return false;
            }
        }
        byte minor = buf.getByte(at + 7);
        http10 = minor == '0';
        return minor == '0' || minor == '1';
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t';
    }

    /** RFC 9110 section 5.6.2's tchar. */
    private static boolean isTokenChar(byte b) {
        return b > 32 && b < 127 && TOKEN[b];
    }

    private static final boolean[] TOKEN = new boolean[127];

    static {
        for (int c = 33; c < 127; c++) {
            TOKEN[c] = "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
        }
    }

    private static boolean named(ByteBuf buf, int from, int to, byte[] lowerName) {
        return to - from == lowerName.length && equalsIgnoreCase(buf, from, to, lowerName);
    }

    private static boolean equalsIgnoreCase(ByteBuf buf, int from, int to, byte[] lower) {
        if (to - from != lower.length) {
            return false;
        }
        for (int i = 0; i < lower.length; i++) {
            byte b = buf.getByte(from + i);
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != lower[i]) {
                return false;
            }
        }
        return true;
    }

    /** Whether the comma-separated list in [from, to) holds {@code token}, ignoring case and spaces. */
    private static boolean hasToken(ByteBuf buf, int from, int to, byte[] token) {
        int i = from;
        while (i < to) {
            int comma = buf.indexOf(i, to, (byte) ',');
            int e = comma < 0 ? to : comma;
            int s = i;
            while (s < e && isSpace(buf.getByte(s))) {
                s++;
            }
            int t = e;
            while (t > s && isSpace(buf.getByte(t - 1))) {
                t--;
            }
            if (equalsIgnoreCase(buf, s, t, token)) {
                return true;
            }
            i = e + 1;
        }
        return false;
    }

    /** Whether the list's last element is {@code token}. */
    private static boolean endsWithToken(ByteBuf buf, int from, int to, byte[] token) {
        int comma = -1;
        for (int i = to - 1; i >= from; i--) {
            if (buf.getByte(i) == ',') {
                comma = i;
                break;
            }
        }
        int s = comma < 0 ? from : comma + 1;
        while (s < to && isSpace(buf.getByte(s))) {
            s++;
        }
        return equalsIgnoreCase(buf, s, to, token);
    }

    /** A non-negative decimal of at most 18 digits, or -1. */
    private static long digits(ByteBuf buf, int from, int to) {
        if (to <= from || to - from > 18) {
            return -1;
        }
        long n = 0;
        for (int i = from; i < to; i++) {
            byte d = buf.getByte(i);
            if (d < '0' || d > '9') {
                return -1;
            }
            n = n * 10 + d - '0';
        }
        return n;
    }

    /**
     * A copy of the head in {@code head} (a whole head, as {@link #parseResponse} measured it) with its
     * Connection, Keep-Alive and Proxy-Connection headers replaced by {@code Connection: close} when
     * {@code close}, by {@code Connection: keep-alive} when not and the response is HTTP/1.0 or goes to
     * an HTTP/1.0 client ({@code http10Client}), or dropped: for a response whose connection the agent
     * ends, or keeps, against what the upstream said (Connection is hop-by-hop, RFC 9110 section 7.6.1).
     */
    static ByteBuf withConnection(ByteBuf head, boolean close, boolean http10Client, ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(head.readableBytes() + KEEP_ALIVE_LINE.length);
        // RFC 9112 section 9.3: an HTTP/1.0 response persists only when it says keep-alive, so dropping the
        // upstream's Connection would have the client close a connection the agent keeps; an HTTP/1.0
        // client reads any response that way.
        boolean http10 = http10Client || head.readableBytes() > 8 && head.getByte(head.readerIndex() + 7) == '0';
        int pos = head.readerIndex();
        int end = head.writerIndex();
        boolean first = true;
        while (pos < end) {
            int lf = head.forEachByte(pos, end - pos, ByteProcessor.FIND_LF);
            int next = lf < 0 ? end : lf + 1;
            int lineEnd = lf < 0 ? end : lf > pos && head.getByte(lf - 1) == '\r' ? lf - 1 : lf;
            if (lineEnd == pos && !first) {
                break;
            }
            int colon = first ? -1 : head.indexOf(pos, lineEnd, (byte) ':');
            boolean hopByHop = colon > pos && (named(head, pos, colon, CONNECTION) || named(head, pos, colon, KEEP_ALIVE)
                    || named(head, pos, colon, PROXY_CONNECTION));
            if (!hopByHop) {
                out.writeBytes(head, pos, lineEnd - pos).writeByte('\r').writeByte('\n');
            }
            first = false;
            pos = next;
        }
        if (close) {
            out.writeBytes(CLOSE_LINE);
        } else if (http10) {
            out.writeBytes(KEEP_ALIVE_LINE);
        }
        return out.writeByte('\r').writeByte('\n');
    }
}
