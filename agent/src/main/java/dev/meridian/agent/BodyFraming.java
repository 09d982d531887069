package dev.meridian.agent;

import io.netty.buffer.ByteBuf;

/**
 * Where an HTTP/1.x message body ends (RFC 9112 section 6.3), found by reading the bytes as they pass
 * without changing them: a Content-Length counts down, a chunked body is followed through its chunk
 * sizes, chunk ends and trailer section (section 7.1), and a response without either ends when the
 * connection does.
 *
 * <p>Not thread-safe: one per connection and direction, started again for each message.
 */
final class BodyFraming {
    /** Longest chunk-size line (with extensions) or trailer line accepted. */
    static final int MAX_LINE = 8 * 1024;

    private static final int DONE = 0;
    private static final int LENGTH = 1;
    private static final int UNTIL_CLOSE = 2;
    private static final int CHUNK_SIZE = 3;
    private static final int CHUNK_EXTENSION = 4;
    private static final int CHUNK_DATA = 5;
    private static final int CHUNK_DATA_CR = 6;
    private static final int CHUNK_DATA_LF = 7;
    private static final int TRAILER = 8;
    /** Strict only: a CR was read at the end of a chunk-size line or trailer line; the LF must follow. */
    private static final int LINE_LF = 9;

    private int state = DONE;
    private long remaining;
    private int digits;
    private int line;
    private int trailerBytes;
    /** Lines end in CRLF and extensions hold no control characters (a request's chunks). */
    private boolean strict;
    /** Strict only: the state {@link #LINE_LF} continues in once its LF arrives. */
    private int afterLf;

    /** A body of {@code length} bytes (0 for none). */
    void length(long length) {
        remaining = length;
        state = length == 0 ? DONE : LENGTH;
    }

    /** A chunked body, read leniently: bare LF line ends are taken (a response's chunks). */
    void chunked() {
        chunked(false);
    }

    /**
     * A chunked body; {@code strict} for a request, which the agent passes on as it came: chunk-size,
     * chunk-data and trailer lines must end in CRLF and an extension may hold no control character
     * but HTAB, so that no upstream can find a chunk boundary where the agent did not (RFC 9112
     * sections 2.2 and 7.1; a bare LF or CR taken differently by two parsers is a known way to
     * smuggle a request past a proxy).
     */
    void chunked(boolean strict) {
        this.strict = strict;
        state = CHUNK_SIZE;
        remaining = 0;
        digits = 0;
        line = 0;
        trailerBytes = 0;
    }

    /** A response body that ends with the connection. */
    void untilClose() {
        state = UNTIL_CLOSE;
    }

    boolean done() {
        return state == DONE;
    }

    boolean untilCloseMode() {
        return state == UNTIL_CLOSE;
    }

    /**
     * Reads the body bytes in [{@code from}, {@code to}) of {@code buf}.
     *
     * @return the index after the body's last byte when it ends in the range ({@link #done()} is then
     *         true), else {@code to}
     * @throws MessageHead.Malformed (400) for chunked framing that is not RFC 9112's
     */
    int consume(ByteBuf buf, int from, int to) throws MessageHead.Malformed {
        int i = from;
        while (i < to) {
            switch (state) {
                case DONE:
                    return i;
                case UNTIL_CLOSE:
                    return to;
                case LENGTH: {
                    long n = Math.min(remaining, to - i);
                    i += (int) n;
                    remaining -= n;
                    if (remaining == 0) {
                        state = DONE;
                    }
                    break;
                }
                case CHUNK_DATA: {
                    long n = Math.min(remaining, to - i);
                    i += (int) n;
                    remaining -= n;
                    if (remaining == 0) {
                        state = CHUNK_DATA_CR;
                    }
                    break;
                }
                case CHUNK_SIZE: {
                    byte b = buf.getByte(i++);
                    int d = hex(b);
                    if (d >= 0) {
                        if (++digits > 15) {
                            throw bad("chunk size too large");
                        }
                        remaining = remaining << 4 | d;
                    } else if (digits == 0) {
                        throw bad("chunk size missing");
                    } else if (b == ';' || b == ' ' || b == '\t') {
                        state = CHUNK_EXTENSION;
                        line = digits + 1;
                    } else if (b == '\r') {
                        if (strict) {
                            awaitLf(CHUNK_SIZE);
                        } else {
                            state = CHUNK_EXTENSION;
                            line = digits + 1;
                        }
                    } else if (b == '\n' && !strict) {
                        sizeRead();
                    } else {
                        throw bad("invalid chunk size");
                    }
                    break;
                }
                case CHUNK_EXTENSION: {
                    byte b = buf.getByte(i++);
                    if (b == '\n' && !strict) {
                        sizeRead();
                    } else if (strict && b == '\r') {
                        awaitLf(CHUNK_SIZE);
                    } else if (strict && (b < 32 && b != '\t' || b == 127)) {
                        throw bad("control character in a chunk extension");
                    } else if (++line > MAX_LINE) {
                        throw bad("chunk extension too long");
                    }
                    break;
                }
                case LINE_LF: {
                    if (buf.getByte(i++) != '\n') {
                        throw bad("a CR not followed by LF in chunked framing");
                    }
                    if (afterLf == CHUNK_SIZE) {
                        sizeRead();
                    } else if (line == 0) {
                        state = DONE;
                        return i;
                    } else {
                        line = 0;
                        state = TRAILER;
                    }
                    break;
                }
                case CHUNK_DATA_CR: {
                    byte b = buf.getByte(i++);
                    if (b == '\r') {
                        state = CHUNK_DATA_LF;
                    } else if (b == '\n' && !strict) {
                        nextChunk();
                    } else {
                        throw bad("chunk data longer than its size");
                    }
                    break;
                }
                case CHUNK_DATA_LF: {
                    if (buf.getByte(i++) != '\n') {
                        throw bad("chunk data longer than its size");
                    }
                    nextChunk();
                    break;
                }
                case TRAILER: {
                    byte b = buf.getByte(i++);
                    if (strict && b == '\r') {
                        awaitLf(TRAILER);
                        break;
                    }
                    if (strict && (b == '\n' || b < 32 && b != '\t' || b == 127)) {
                        throw bad("a trailer line with a bare LF or a control character");
                    }
                    if (b == '\n') {
                        if (line == 0) {
                            state = DONE;
                            return i;
                        }
                        line = 0;
                    } else if (b != '\r' || line > 0) {
                        line++;
                        if (++trailerBytes > MAX_LINE) {
                            throw bad("trailer section too long");
                        }
                    }
                    break;
                }
                default:
                    throw new IllegalStateException("state " + state);
            }
        }
        return i;
    }

    private void awaitLf(int then) {
        afterLf = then;
        state = LINE_LF;
    }

    private void sizeRead() {
        if (remaining == 0) {
            state = TRAILER;
            line = 0;
        } else {
            state = CHUNK_DATA;
        }
    }

    private void nextChunk() {
        state = CHUNK_SIZE;
        remaining = 0;
        digits = 0;
    }

    private static int hex(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }

    private static MessageHead.Malformed bad(String reason) {
        return new MessageHead.Malformed(400, reason);
    }
}
