package dev.meridian.agent;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

/**
 * The agent's HTTP/1.x framing readers, fuzzed with the bytes a client or an upstream could send. The
 * input's first byte chooses a request or a response head, its second where the bytes are cut in two
 * reads; the rest is the message. {@link MessageHead} gives a head length or refuses with
 * {@link MessageHead.Malformed}; {@link BodyFraming} then follows the body the head announces, over the
 * two reads, and ends inside what it was given or refuses with {@code Malformed}. Anything else is a
 * crash: another exception, an end outside the bytes read, an end reported twice. A response head
 * rewritten by {@link MessageHead#withConnection} must read again with the same framing and the
 * persistence asked for. docs/fuzzing.md.
 */
class HttpFramingFuzzTest {
    private static final int LIMIT = 4096;

    @FuzzTest(maxDuration = "5m", maxExecutions = 500_000)
    void messages(byte[] data) {
        if (data.length < 2) {
            return;
        }
        boolean request = (data[0] & 1) == 1;
        ByteBuf buf = Unpooled.wrappedBuffer(data, 2, data.length - 2);
        MessageHead head = new MessageHead();
        int n;
        try {
            n = request ? head.parseRequest(buf, LIMIT) : head.parseResponse(buf, LIMIT);
        } catch (MessageHead.Malformed refused) {
            return;
        }
        if (n < 0) {
            return;
        }
        if (n > buf.readableBytes()) {
            throw new AssertionError("a head of " + n + " bytes in " + buf.readableBytes());
        }
        BodyFraming body = new BodyFraming();
        if (head.chunked) {
            body.chunked(request);
        } else if (head.contentLength != MessageHead.NONE) {
            body.length(head.contentLength);
        } else {
            body.length(0);
        }
        int from = buf.readerIndex() + n;
        int to = buf.writerIndex();
        int cut = from + (to - from) * (data[1] & 0xff) / 255;
        try {
            int end = body.consume(buf, from, cut);
            if (end < from || end > cut || !body.done() && end != cut) {
                throw new AssertionError("first read ended at " + end + " of [" + from + ", " + cut + ")");
            }
            if (!body.done()) {
                end = body.consume(buf, cut, to);
                if (end < cut || end > to || !body.done() && end != to) {
                    throw new AssertionError("second read ended at " + end + " of [" + cut + ", " + to + ")");
                }
            } else if (body.consume(buf, end, to) != end) {
                throw new AssertionError("a body that ended went on");
            }
        } catch (MessageHead.Malformed refused) {
            // chunked framing that RFC 9112 does not allow
        }
        if (!request) {
            rewritten(buf.slice(buf.readerIndex(), n), head);
        }
    }

    private static void rewritten(ByteBuf original, MessageHead was) {
        for (boolean close : new boolean[] {true, false}) {
            ByteBuf out = MessageHead.withConnection(original, close, false, ByteBufAllocator.DEFAULT);
            try {
                MessageHead again = new MessageHead();
                int n;
                try {
                    n = again.parseResponse(out, LIMIT + 64);
                } catch (MessageHead.Malformed e) {
                    throw new AssertionError("a rewritten head that does not read: " + e.getMessage(), e);
                }
                if (n != out.readableBytes() || again.status != was.status || again.contentLength != was.contentLength
                        || again.chunked != was.chunked || again.transferEncoding != was.transferEncoding
                        || again.close != close || again.persistent() == close) {
                    throw new AssertionError("a rewritten head that reads differently");
                }
            } finally {
                out.release();
            }
        }
    }
}
