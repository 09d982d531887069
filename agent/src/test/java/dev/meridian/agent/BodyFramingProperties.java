package dev.meridian.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of {@link BodyFraming} over random bodies: wherever the bytes are cut into reads, the
 * body ends exactly where RFC 9112 says (section 6.3 for Content-Length, section 7.1 for the chunked
 * coding, with section 7.1.1's extensions and section 7.1.2's trailer section), on the read holding
 * its last byte, and what follows (the next message on the connection) is left alone. Malformed
 * chunked framing is refused on the read holding the byte that makes it malformed, never taken for the
 * end of the body. Bare-LF line ends are accepted as the agent's heads accept them (section 2.2).
 */
class BodyFramingProperties {

    private static final String TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    /** Bytes that end a chunk size when they follow its digits, so cannot stand for a non-hex digit. */
    private static final String NOT_HEX = "gGhHxXzZ-+_.,:/\"()@=";

    /** One data chunk as it is sent: its data, and the choices RFC 9112 section 7.1 leaves to the sender. */
    record Chunk(byte[] data, int leadingZeros, boolean upperCase, String extensions, boolean crlfAfterSize,
                 boolean crlfAfterData) {}

    /** A trailer field line (RFC 9112 section 7.1.2). */
    record Field(String name, String value, boolean crlf) {}

    /** The last chunk, trailer section and closing empty line. */
    record End(int zeros, String extensions, boolean crlfAfterSize, List<Field> trailers, boolean crlfLast) {}

    // ------------------------------------------------------------------------------------------ valid bodies

    @Property
    void chunkedBodyEndsAfterItsEmptyLine(@ForAll("chunks") List<Chunk> chunks, @ForAll("ends") End end,
                                          @ForAll("next") byte[] next, @ForAll("cuts") List<Integer> cuts,
                                          @ForAll boolean oneBuffer) throws MessageHead.Malformed {
        byte[] body = chunked(chunks, end);
        byte[] stream = concat(body, next);
        BodyFraming framing = new BodyFraming();
        framing.chunked();
        feedExpectingEnd(framing, stream, body.length, pieces(cuts, stream.length), oneBuffer);
    }

    /**
     * A request's chunks, read strictly: a body whose every line ends in CRLF ends where the lenient
     * reading ends it, over the same cuts; one with a bare LF anywhere in its framing is refused, never
     * taken for an end (RFC 9112 sections 2.2 and 7.1; the agent passes requests on as they came).
     */
    @Property
    void strictChunkedTakesOnlyCrlf(@ForAll("chunks") List<Chunk> chunks, @ForAll("ends") End end,
                                    @ForAll("next") byte[] next, @ForAll("cuts") List<Integer> cuts,
                                    @ForAll boolean oneBuffer) throws MessageHead.Malformed {
        byte[] body = chunked(chunks, end);
        byte[] stream = concat(body, next);
        BodyFraming framing = new BodyFraming();
        framing.chunked(true);
        boolean crlf = chunks.stream().allMatch(c -> c.crlfAfterSize() && c.crlfAfterData())
                && end.crlfAfterSize() && end.crlfLast() && end.trailers().stream().allMatch(Field::crlf);
        if (crlf) {
            feedExpectingEnd(framing, stream, body.length, pieces(cuts, stream.length), oneBuffer);
            return;
        }
        ByteBuf buf = Unpooled.wrappedBuffer(stream);
        try {
            org.junit.jupiter.api.Assertions.assertThrows(MessageHead.Malformed.class, () -> {
                int end0 = framing.consume(buf, 0, stream.length);
                throw new AssertionError("a bare-LF body taken, ending at " + end0 + " (done " + framing.done() + ")");
            });
        } finally {
            buf.release();
        }
    }

    @Property
    void contentLengthEndsAfterExactlyItsBytes(@ForAll @Size(max = 2000) byte[] body, @ForAll("next") byte[] next,
                                               @ForAll("cuts") List<Integer> cuts, @ForAll boolean oneBuffer)
            throws MessageHead.Malformed {
        byte[] stream = concat(body, next);
        BodyFraming framing = new BodyFraming();
        framing.length(body.length);
        feedExpectingEnd(framing, stream, body.length, pieces(cuts, stream.length), oneBuffer);
    }

    /** Several messages on one connection, each framed by the same instance started again. */
    @Property
    void oneFramingFollowsMessagesInTurn(@ForAll @Size(min = 1, max = 4) List<@IntRange(min = 0, max = 2) Integer> kinds,
                                         @ForAll("someChunks") List<Chunk> chunks, @ForAll("ends") End end,
                                         @ForAll("cuts") List<Integer> cuts) throws MessageHead.Malformed {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        List<Integer> ends = new ArrayList<>();
        for (int kind : kinds) {
            all.writeBytes(message(kind, chunks, end));
            ends.add(all.size());
        }
        byte[] stream = all.toByteArray();
        BodyFraming framing = new BodyFraming();
        ByteBuf buf = Unpooled.wrappedBuffer(stream);
        try {
            int message = 0;
            start(framing, kinds.get(0), chunks);
            for (int[] piece : pieces(cuts, stream.length)) {
                int at = piece[0];
                while (message < kinds.size()) {
                    int r = framing.consume(buf, at, piece[1]);
                    if (!framing.done()) {
                        assertThat(r).isEqualTo(piece[1]);
                        break;
                    }
                    assertThat(r).as("end of message %d", message).isEqualTo(ends.get(message));
                    at = r;
                    if (++message < kinds.size()) {
                        start(framing, kinds.get(message), chunks);
                    }
                }
            }
            assertThat(message).isEqualTo(kinds.size());
        } finally {
            buf.release();
        }
    }

    /**
     * Kind 0: a chunked body; 1: the first chunk's data under a Content-Length; 2: a chunked body whose
     * trailer section is just under the limit, which a count kept from the message before would refuse.
     */
    private static byte[] message(int kind, List<Chunk> chunks, End end) {
        return switch (kind) {
            case 0 -> chunked(chunks, end);
            case 1 -> chunks.get(0).data();
            default -> chunked(chunks, new End(0, "", true,
                    List.of(new Field("X-Big", "v".repeat(BodyFraming.MAX_LINE - 100), true)), true));
        };
    }

    private static void start(BodyFraming framing, int kind, List<Chunk> chunks) {
        if (kind == 1) {
            framing.length(chunks.get(0).data().length);
        } else {
            framing.chunked();
        }
    }

    // -------------------------------------------------------------------------------------- malformed bodies

    /** A chunked body spoiled one way, and the range of bytes on which the framing must refuse it. */
    private record Spoiled(byte[] body, int earliest, int latest) {}

    /**
     * A body made malformed at one chunk (or in its trailer section) is refused on a read holding a byte
     * from {@code earliest} to {@code latest}: the first byte that cannot be chunked framing, or for an
     * over-long line, somewhere past the longest line accepted and before the line ends. No read before
     * reports an end, though what follows the spoiled place (the rest of a valid body, its last chunk
     * and empty line, the next request) would end it if the framing resynchronised there.
     */
    @Property
    void malformedChunkedIsRefusedWhereItGoesWrong(@ForAll("someChunks") List<Chunk> chunks, @ForAll("ends") End end,
                                                   @ForAll @IntRange(min = 0, max = 5) int kind,
                                                   @ForAll @IntRange(min = 0, max = 100) int which,
                                                   @ForAll @IntRange(min = 0, max = 3) int detail,
                                                   @ForAll("cuts") List<Integer> cuts, @ForAll boolean oneBuffer) {
        Spoiled spoiled = spoil(chunks, end, kind, which % chunks.size(), detail);
        byte[] stream = concat(spoiled.body(), ascii("GET / HTTP/1.1\r\n\r\n"));
        BodyFraming framing = new BodyFraming();
        framing.chunked();
        ByteBuf one = oneBuffer ? Unpooled.wrappedBuffer(stream) : null;
        try {
            for (int[] piece : pieces(cuts, stream.length)) {
                Read read = read(framing, stream, piece, one);
                if (read.refused() != null) {
                    assertThat(read.refused().status).isEqualTo(400);
                    assertThat(piece[1]).as("refused on a read ending at %d, before byte %d arrived", piece[1],
                            spoiled.earliest()).isGreaterThan(spoiled.earliest());
                    return;
                }
                assertThat(framing.done()).as("reported an end at %d", read.end()).isFalse();
                assertThat(read.end()).isEqualTo(piece[1]);
                assertThat(piece[1]).as("read through byte %d without refusing", spoiled.latest())
                        .isLessThanOrEqualTo(spoiled.latest());
            }
            fail("never refused");
        } finally {
            if (one != null) {
                one.release();
            }
        }
    }

    /**
     * Kind 0: a size with a non-hexadecimal byte (RFC 9112 section 7.1: chunk-size = 1*HEXDIG); 1: no
     * size at all; 2: more data than the size says; 3: 16 or more digits, a size no body has and one
     * that would overflow a long; 4: extensions past the longest line accepted; 5: a trailer section
     * past it.
     */
    private static Spoiled spoil(List<Chunk> chunks, End end, int kind, int which, int detail) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int earliest = -1;
        int latest = -1;
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            if (i != which || kind == 5) {
                writeChunk(out, c);
                continue;
            }
            int line = out.size();
            int length = c.data().length;
            String size = hex(length, 0, c.upperCase());
            switch (kind) {
                case 0 -> {
                    // digits, if any, then a byte that neither is one nor may follow them
                    String digits = size.substring(0, Math.min(detail, size.length()));
                    earliest = latest = line + digits.length();
                    ascii(out, digits + NOT_HEX.charAt((length + detail) % NOT_HEX.length()) + size
                            + lineEnd(c.crlfAfterSize()));
                    out.writeBytes(c.data());
                }
                case 1 -> {
                    // an extension, an empty line, or whitespace where the digits go
                    earliest = latest = line;
                    ascii(out, new String[] {";a=b", "", " 1", "\t1"}[detail] + lineEnd(c.crlfAfterSize()));
                    out.writeBytes(c.data());
                }
                case 2 -> {
                    // the byte after the declared data is neither CR nor LF, so cannot end the chunk
                    int declared = Math.max(1, length - 1);
                    ascii(out, hex(declared, 0, c.upperCase()) + lineEnd(c.crlfAfterSize()));
                    out.write(c.data(), 0, declared);
                    earliest = latest = out.size();
                    ascii(out, "x" + "y".repeat(detail));
                }
                case 3 -> {
                    earliest = latest = line + 15;
                    ascii(out, "0".repeat(16 + detail - size.length()) + size + lineEnd(c.crlfAfterSize()));
                    out.writeBytes(c.data());
                }
                case 4 -> {
                    // a line is not refused before the longest accepted has arrived, and is refused before it ends
                    earliest = line + BodyFraming.MAX_LINE - 1;
                    ascii(out, size + ";n=\"" + "e".repeat(BodyFraming.MAX_LINE + detail * 1000) + "\""
                            + lineEnd(c.crlfAfterSize()));
                    latest = out.size() - 1;
                    out.writeBytes(c.data());
                }
                default -> throw new IllegalArgumentException("kind " + kind);
            }
            ascii(out, lineEnd(c.crlfAfterData()));
        }
        if (kind != 5) {
            writeEnd(out, end);
            return new Spoiled(out.toByteArray(), earliest, latest);
        }
        ascii(out, "0".repeat(end.zeros() + 1) + end.extensions() + lineEnd(end.crlfAfterSize()));
        earliest = out.size() + BodyFraming.MAX_LINE - 1;
        List<Field> fields = new ArrayList<>(end.trailers());
        int each = BodyFraming.MAX_LINE / (detail + 1) + 1;
        for (int i = 0; i <= detail; i++) {
            fields.add(new Field("X-Long-" + i, "t".repeat(each), (i & 1) == 0));
        }
        for (Field f : fields) {
            ascii(out, f.name() + ": " + f.value() + lineEnd(f.crlf()));
        }
        ascii(out, lineEnd(end.crlfLast()));
        return new Spoiled(out.toByteArray(), earliest, out.size() - 1);
    }

    // ------------------------------------------------------------------------------------------- feeding

    /** The outcome of one read: where consume said the body ends in the stream, or the refusal. */
    private record Read(int end, MessageHead.Malformed refused) {}

    /**
     * Gives {@code framing} the stream's bytes {@code piece}, either as a range of {@code one} (all the
     * bytes in one buffer) or copied into a buffer of their own behind bytes already read.
     */
    private static Read read(BodyFraming framing, byte[] stream, int[] piece, ByteBuf one) {
        int from = piece[0];
        int to = piece[1];
        if (one != null) {
            try {
                return new Read(framing.consume(one, from, to), null);
            } catch (MessageHead.Malformed e) {
                return new Read(-1, e);
            }
        }
        int pad = from % 7;
        ByteBuf buf = Unpooled.buffer(pad + to - from);
        try {
            buf.writeBytes(ascii("\r\n0\r\n\r\n"), 0, pad).writeBytes(stream, from, to - from).skipBytes(pad);
            return new Read(framing.consume(buf, pad, pad + to - from) - pad + from, null);
        } catch (MessageHead.Malformed e) {
            return new Read(-1, e);
        } finally {
            buf.release();
        }
    }

    private static void feedExpectingEnd(BodyFraming framing, byte[] stream, int end, List<int[]> pieces, boolean oneBuffer)
            throws MessageHead.Malformed {
        ByteBuf one = oneBuffer ? Unpooled.wrappedBuffer(stream) : null;
        try {
            if (end == 0) {
                // nothing to read: the framing is done before any byte, and takes none of the next message
                assertThat(framing.done()).isTrue();
                assertThat(read(framing, stream, new int[] {0, stream.length}, one).end()).isZero();
                return;
            }
            for (int[] piece : pieces) {
                Read read = read(framing, stream, piece, one);
                if (read.refused() != null) {
                    throw read.refused();
                }
                if (piece[0] < end && end <= piece[1]) {
                    assertThat(framing.done()).as("done after the read holding byte %d", end - 1).isTrue();
                    assertThat(read.end()).isEqualTo(end);
                    // what follows belongs to the next message: a further read takes none of it
                    if (end < stream.length) {
                        assertThat(read(framing, stream, new int[] {end, stream.length}, one).end()).isEqualTo(end);
                    }
                    return;
                }
                assertThat(framing.done()).as("done before byte %d arrived (read up to %d)", end - 1, piece[1]).isFalse();
                assertThat(read.end()).isEqualTo(piece[1]);
            }
            fail("never ended");
        } finally {
            if (one != null) {
                one.release();
            }
        }
    }

    /**
     * The stream cut at the given points (each taken modulo the length + 1) into consecutive ranges,
     * some of them empty; {@code [-1]} cuts before every byte.
     */
    private static List<int[]> pieces(List<Integer> cuts, int length) {
        List<int[]> pieces = new ArrayList<>();
        if (cuts.equals(List.of(-1))) {
            for (int i = 0; i < length; i++) {
                pieces.add(new int[] {i, i + 1});
            }
            return pieces;
        }
        int[] at = new int[cuts.size() + 2];
        for (int i = 0; i < cuts.size(); i++) {
            at[i + 1] = cuts.get(i) % (length + 1);
        }
        at[at.length - 1] = length;
        Arrays.sort(at, 1, at.length - 1);
        for (int i = 0; i + 1 < at.length; i++) {
            pieces.add(new int[] {at[i], at[i + 1]});
        }
        return pieces;
    }

    // ------------------------------------------------------------------------------------------ encoding

    static byte[] chunked(List<Chunk> chunks, End end) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Chunk c : chunks) {
            writeChunk(out, c);
        }
        writeEnd(out, end);
        return out.toByteArray();
    }

    private static void writeChunk(ByteArrayOutputStream out, Chunk c) {
        ascii(out, hex(c.data().length, c.leadingZeros(), c.upperCase()) + c.extensions() + lineEnd(c.crlfAfterSize()));
        out.writeBytes(c.data());
        ascii(out, lineEnd(c.crlfAfterData()));
    }

    private static void writeEnd(ByteArrayOutputStream out, End end) {
        ascii(out, "0".repeat(end.zeros() + 1) + end.extensions() + lineEnd(end.crlfAfterSize()));
        for (Field f : end.trailers()) {
            ascii(out, f.name() + ": " + f.value() + lineEnd(f.crlf()));
        }
        ascii(out, lineEnd(end.crlfLast()));
    }

    private static String hex(int n, int leadingZeros, boolean upperCase) {
        String h = "0".repeat(leadingZeros) + Integer.toHexString(n);
        return upperCase ? h.toUpperCase(java.util.Locale.ROOT) : h;
    }

    private static String lineEnd(boolean crlf) {
        return crlf ? "\r\n" : "\n";
    }

    // ---------------------------------------------------------------------------------------- generators

    @Provide
    Arbitrary<List<Chunk>> chunks() {
        return chunk().list().ofMaxSize(6);
    }

    @Provide
    Arbitrary<List<Chunk>> someChunks() {
        return chunk().list().ofMinSize(1).ofMaxSize(6);
    }

    private static Arbitrary<Chunk> chunk() {
        Arbitrary<byte[]> data = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(16),
                Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(300),
                Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(4095),
                // data that reads as framing: counted, never parsed
                Arbitraries.of((byte) '0', (byte) '\r', (byte) '\n', (byte) ';', (byte) 'a').array(byte[].class)
                        .ofMinSize(1).ofMaxSize(40));
        // at most 15 digits in all: a size below 4096 needs at most 3, so up to 12 leading zeros
        return Combinators.combine(data, Arbitraries.integers().between(0, 12), Arbitraries.of(false, true),
                extensions(), Arbitraries.of(true, false), Arbitraries.of(true, false)).as(Chunk::new);
    }

    @Provide
    Arbitrary<End> ends() {
        Arbitrary<Field> field = Combinators.combine(token(),
                Arbitraries.strings().withChars(" !#$%&'()*+,-./:;<=>?@[]^_`{|}~abcXYZ019\t").ofMaxLength(30)
                        .map(String::strip),
                Arbitraries.of(true, false)).as(Field::new);
        return Combinators.combine(Arbitraries.integers().between(0, 14), extensions(), Arbitraries.of(true, false),
                field.list().ofMaxSize(3), Arbitraries.of(true, false)).as(End::new);
    }

    /** RFC 9112 section 7.1.1's chunk-ext: {@code *( BWS ";" BWS name [ BWS "=" BWS value ] )}. */
    private static Arbitrary<String> extensions() {
        Arbitrary<String> quoted = Arbitraries.strings().withChars(" !#$%&'()*+,-./:;<=>?@[]^_`{|}~aZ9\t|")
                .ofMaxLength(12).map(s -> "\"" + s.replace("|", "\\\"") + "\"");
        Arbitrary<String> value = Arbitraries.oneOf(Arbitraries.just(""), token().map(t -> "=" + t),
                quoted.map(q -> "=" + q), token().map(t -> " = " + t));
        Arbitrary<String> extension = Combinators.combine(Arbitraries.of("", " ", "\t"), Arbitraries.of("", " "),
                token(), value).as((bws, bws2, name, v) -> bws + ";" + bws2 + name + v);
        return extension.list().ofMaxSize(3).map(l -> String.join("", l));
    }

    private static Arbitrary<String> token() {
        return Arbitraries.strings().withChars(TCHAR).ofMinLength(1).ofMaxLength(8);
    }

    @Provide
    Arbitrary<byte[]> next() {
        return Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofMaxSize(40),
                Arbitraries.just(ascii("GET / HTTP/1.1\r\n\r\n")), Arbitraries.just(ascii("0\r\n\r\n")));
    }

    /** Where to cut the stream: random points, or (as a list holding only -1) before every byte. */
    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 1_000_000).list().ofMaxSize(12),
                Arbitraries.just(List.of(-1)));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void ascii(ByteArrayOutputStream out, String s) {
        out.writeBytes(ascii(s));
    }
}
