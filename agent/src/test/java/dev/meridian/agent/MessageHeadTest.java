package dev.meridian.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What {@link MessageHead} reads of request and response heads, case by case from RFC 9112 (HTTP/1.1)
 * and RFC 9110 (HTTP semantics); each case's display name cites the section it encodes. Heads are
 * parsed from a buffer whose reader index is past bytes already consumed and which holds the next
 * bytes after the head, as on a connection.
 */
class MessageHeadTest {
    private static final int LIMIT = 8 * 1024;
    /** Bytes the connection consumed before this head, left in the buffer behind its reader index. */
    private static final String READ_BEFORE = "HTTP/1.1 200 OK\r\n\r\n";

    private final MessageHead head = new MessageHead();

    // ------------------------------------------------------------------------------------- request line

    @ParameterizedTest
    @ValueSource(strings = {"GET /index.html?q=1 HTTP/1.1", "GET http://reviews.default:9080/x HTTP/1.1",
            "CONNECT reviews.default:443 HTTP/1.1", "OPTIONS * HTTP/1.1", "M-SEARCH * HTTP/1.1",
            "PURGE /a%20b HTTP/1.0"})
    @DisplayName("RFC 9112 section 3: method SP request-target SP HTTP-version, any target form and any token method")
    void requestLinesAccepted(String line) throws Exception {
        String text = line + "\r\nHost: a\r\n\r\n";
        assertThat(request(text + "BODY")).isEqualTo(text.length());
        assertThat(head.http10).isEqualTo(line.endsWith("1.0"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET / HTTP/1.2", "GET / HTTP/2.0", "GET / HTTP/1", "GET / HTTPS/1.1",
            "GET / http/1.1", "GET / Http/1.1",
            "GET HTTP/1.1", "GET  HTTP/1.1", "/ HTTP/1.1", " GET / HTTP/1.1", "GET / HTTP/1.1 ", "GET /a b HTTP/1.1",
            "GET\t/\tHTTP/1.1", "GE(T / HTTP/1.1", "GET, / HTTP/1.1", "GE/T / HTTP/1.1", "G\"ET / HTTP/1.1",
            "GET: / HTTP/1.1"})
    @DisplayName("RFC 9112 sections 2.3 and 3 (and RFC 9110 section 5.6.2's tchar for the method): other request lines are 400")
    void requestLinesRefused(String line) {
        assertThat(requestRefusal(line + "\r\nHost: a\r\n\r\n")).isEqualTo(400);
    }

    @Test
    @DisplayName("RFC 9110 section 9.1: the method is case-sensitive, so only HEAD, not head or HEADER, is a HEAD request")
    void headMethodDetected() throws Exception {
        request("HEAD / HTTP/1.1\r\n\r\n");
        assertThat(head.headMethod).isTrue();
        for (String method : List.of("GET", "head", "HEADER", "HEA", "POST")) {
            request(method + " / HTTP/1.1\r\n\r\n");
            assertThat(head.headMethod).as(method).isFalse();
        }
    }

    @Test
    @DisplayName("RFC 9112 section 2.2: empty lines (CRLF) before a request line are skipped and counted in the head; a bare LF there is refused")
    void emptyLinesBeforeRequestLine() throws Exception {
        String text = "\r\n\r\nGET / HTTP/1.1\r\nContent-Length: 2\r\n\r\n";
        assertThat(request(text + "ok")).isEqualTo(text.length());
        assertThat(head.contentLength).isEqualTo(2);
        // only empty lines so far: the request line has not arrived
        assertThat(request("\r\n\r\n")).isEqualTo(-1);
        assertThat(requestRefusal("\r\n\nGET / HTTP/1.1\r\n\r\n")).isEqualTo(400);
    }

    @Test
    @DisplayName("RFC 9112 section 2.2: the allowance for empty lines is the request line's; before a status line one is refused")
    void emptyLineBeforeStatusLineRefused() {
        assertThrows(MessageHead.Malformed.class, () -> response("\r\nHTTP/1.1 200 OK\r\n\r\n"));
    }

    // ------------------------------------------------------------------------------------- line ends

    @Test
    @DisplayName("RFC 9112 section 2.2: a bare LF ends a response's start line and field lines, alone or mixed with CRLF; in a request, passed on as it came, it is refused")
    void bareLineFeeds() throws Exception {
        String status = "HTTP/1.1 404 Not Found\ncontent-length: 0\r\nConnection: close\n\n";
        assertThat(response(status + "HTTP/1.1")).isEqualTo(status.length());
        assertThat(head.status).isEqualTo(404);
        assertThat(head.close).isTrue();
        // an upstream that reads the LF as part of X-A's value would not see this Content-Length
        assertThat(requestRefusal("POST /p HTTP/1.1\r\nX-A: 1\nContent-Length: 3\r\n\r\nabc")).isEqualTo(400);
        assertThat(requestRefusal("POST /p HTTP/1.1\nHost: a\r\n\r\n")).isEqualTo(400);
        assertThat(requestRefusal("GET / HTTP/1.1\r\nHost: a\r\n\n")).isEqualTo(400);
    }

    @Test
    @DisplayName("CONNECT and the Upgrade protocol are read: the agent refuses CONNECT and upgrades other than WebSocket, as Istio's sidecars do")
    void connectAndWebSocket() throws Exception {
        request("CONNECT reviews:443 HTTP/1.1\r\nHost: reviews:443\r\n\r\n");
        assertThat(head.connectMethod).isTrue();
        request("GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n\r\n");
        assertThat(head.connectMethod).isFalse();
        assertThat(head.upgrade).isTrue();
        assertThat(head.websocket).isTrue();
        request("GET / HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\r\n");
        assertThat(head.upgrade).isTrue();
        assertThat(head.websocket).isFalse();
    }

    @Test
    @DisplayName("RFC 9112 section 2.2: a head arriving in two reads is incomplete (-1) at every cut, then its full length")
    void headSplitOverTwoReads() throws Exception {
        String text = "PUT /a HTTP/1.1\r\nHost: reviews\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n";
        for (int cut = 0; cut < text.length(); cut++) {
            ByteBuf buf = buffer(text.substring(0, cut));
            try {
                assertThat(head.parseRequest(buf, LIMIT)).as("first %d bytes", cut).isEqualTo(-1);
                int reader = buf.readerIndex();
                buf.writeBytes(ascii(text.substring(cut) + "data"));
                assertThat(head.parseRequest(buf, LIMIT)).as("cut at %d", cut).isEqualTo(text.length());
                assertThat(buf.readerIndex()).isEqualTo(reader);
                assertThat(head.contentLength).isEqualTo(4);
                assertThat(head.expectContinue).isTrue();
            } finally {
                buf.release();
            }
        }
    }

    @Test
    @DisplayName("RFC 6585 section 5: a head longer than the limit is 431, complete or not; one of exactly the limit is read")
    void headOverLimitIs431() throws Exception {
        String start = "GET / HTTP/1.1\r\nX-Fill: ";
        String exact = start + "f".repeat(64 - start.length() - 4) + "\r\n\r\n";
        assertThat(exact).hasSize(64);
        ByteBuf buf = buffer(exact + "next");
        try {
            assertThat(head.parseRequest(buf, 64)).isEqualTo(64);
            MessageHead.Malformed e = assertThrows(MessageHead.Malformed.class, () -> head.parseRequest(buf, 63));
            assertThat(e.status).isEqualTo(431);
        } finally {
            buf.release();
        }
        // not all arrived, but already over the limit: refused without waiting for the rest
        ByteBuf partial = buffer(start + "f".repeat(100));
        try {
            assertThat(head.parseRequest(partial, 200)).isEqualTo(-1);
            assertThat(assertThrows(MessageHead.Malformed.class, () -> head.parseRequest(partial, 64)).status).isEqualTo(431);
        } finally {
            partial.release();
        }
    }

    // ------------------------------------------------------------------------------------- field lines

    @Test
    @DisplayName("RFC 9110 section 5.1: field names are case-insensitive")
    void fieldNamesCaseInsensitive() throws Exception {
        request("POST / HTTP/1.1\r\nCONTENT-LENGTH: 7\r\ncOnNeCtIoN: CLOSE\r\nEXPECT: 100-continue\r\n\r\n");
        assertThat(head.contentLength).isEqualTo(7);
        assertThat(head.close).isTrue();
        assertThat(head.expectContinue).isTrue();
        request("POST / HTTP/1.1\r\ntransfer-ENCODING: Chunked\r\n\r\n");
        assertThat(head.chunked).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Length : 5", "Content-Length\t: 5", "Host : a", "Transfer-Encoding : chunked"})
    @DisplayName("RFC 9112 section 5.1: whitespace between a field name and its colon is 400")
    void whitespaceBeforeColonRefused(String field) {
        assertThat(requestRefusal("GET / HTTP/1.1\r\n" + field + "\r\n\r\n")).isEqualTo(400);
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-A: 1\r\n  continued\r\n", "X-A: 1\r\n\tcontinued\r\n", "Content-Length: 5\r\n 6\r\n",
            " Host: a\r\n"})
    @DisplayName("RFC 9112 sections 5.2 and 2.2: a folded line (or whitespace before the first field) is 400")
    void foldedLineRefused(String fields) {
        assertThat(requestRefusal("GET / HTTP/1.1\r\n" + fields + "\r\n")).isEqualTo(400);
    }

    @ParameterizedTest
    @ValueSource(strings = {"NoColon", ": no name"})
    @DisplayName("RFC 9112 section 5: a field line is name \":\" value; one without a name or a colon is 400")
    void fieldLineWithoutNameOrColonRefused(String field) {
        assertThat(requestRefusal("GET / HTTP/1.1\r\n" + field + "\r\n\r\n")).isEqualTo(400);
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-A: 1\rContent-Length: 5", "Content-Length: 5\r", "X-A: a\u0000b", "X-A: \u007f",
            "X-A: \u001b[0m", "Transfer-Encoding\u000b: chunked", "Content[Length]: 5", "X\"A: 1", "X-A@: 1"})
    @DisplayName("RFC 9110 sections 5.1 and 5.5: a control character other than HTAB in a field line (a bare CR, a NUL) or a field name that is not a token is 400")
    void controlCharactersAndBadNamesRefused(String field) {
        assertThat(requestRefusal("GET / HTTP/1.1\r\n" + field + "\r\n\r\n")).isEqualTo(400);
        assertThrows(MessageHead.Malformed.class, () -> response("HTTP/1.1 200 OK\r\n" + field + "\r\n\r\n"));
    }

    @Test
    @DisplayName("RFC 9110 section 5.5: HTAB and obs-text inside a field value are accepted")
    void tabsAndObsTextAccepted() throws Exception {
        String text = "GET / HTTP/1.1\r\nX-A: a\tb\u00e9\u00ff\r\nContent-Length: 0\r\n\r\n";
        assertThat(request(text)).isEqualTo(text.length());
    }

    // ------------------------------------------------------------------------------------- persistence

    @ParameterizedTest(name = "{0} with {1}: persistent {2}")
    @CsvSource(delimiter = '|', value = {
            "HTTP/1.1 |                        | true",
            "HTTP/1.1 | Connection: close      | false",
            "HTTP/1.1 | Connection: Close      | false",
            "HTTP/1.1 | Connection: keep-alive | true",
            "HTTP/1.1 | Connection: x-close    | true",
            "HTTP/1.0 |                        | false",
            "HTTP/1.0 | Connection: keep-alive | true",
            "HTTP/1.0 | Connection: Keep-Alive | true",
            "HTTP/1.0 | Connection: keep-alive, close | false",
            "HTTP/1.0 | Connection: close      | false"})
    @DisplayName("RFC 9112 section 9.3: HTTP/1.1 persists unless close; HTTP/1.0 only with keep-alive and without close")
    void persistence(String version, String connection, boolean persistent) throws Exception {
        String fields = connection == null ? "" : connection + "\r\n";
        request("GET / " + version + "\r\n" + fields + "\r\n");
        assertThat(head.persistent()).as("request").isEqualTo(persistent);
        response(version + " 200 OK\r\n" + fields + "Content-Length: 0\r\n\r\n");
        assertThat(head.persistent()).as("response").isEqualTo(persistent);
    }

    @Test
    @DisplayName("RFC 9110 section 7.6.1: Connection is a list of tokens, over one or several field lines")
    void connectionTokenLists() throws Exception {
        request("GET / HTTP/1.0\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n");
        assertThat(head.keepAlive).isTrue();
        assertThat(head.upgrade).isTrue();
        assertThat(head.close).isFalse();
        request("GET / HTTP/1.1\r\nConnection: TE\r\nConnection:  te ,close\t\r\n\r\n");
        assertThat(head.close).isTrue();
        // a token is whole: these name other options
        request("GET / HTTP/1.1\r\nConnection: closed, keep-alive-x, xupgrade\r\nUpgrade: h2c\r\n\r\n");
        assertThat(head.close).isFalse();
        assertThat(head.keepAlive).isFalse();
        assertThat(head.upgrade).isFalse();
    }

    @Test
    @DisplayName("RFC 9110 section 7.8: an upgrade needs both the Upgrade field and the upgrade connection option, in any order")
    void upgradeNeedsBoth() throws Exception {
        request("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
        assertThat(head.upgrade).isFalse();
        request("GET /ws HTTP/1.1\r\nConnection: Upgrade\r\n\r\n");
        assertThat(head.upgrade).isFalse();
        request("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        assertThat(head.upgrade).isTrue();
        response("HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n");
        assertThat(head.upgrade).isTrue();
        assertThat(head.status).isEqualTo(101);
    }

    // ------------------------------------------------------------------------------------- framing fields

    @Test
    @DisplayName("RFC 9112 section 6.3: no Content-Length is NONE; repeated equal values are one length")
    void contentLengthRead() throws Exception {
        request("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(head.contentLength).isEqualTo(MessageHead.NONE);
        request("POST / HTTP/1.1\r\nContent-Length:  42 \r\n\r\n");
        assertThat(head.contentLength).isEqualTo(42);
        request("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assertThat(head.contentLength).isZero();
        request("POST / HTTP/1.1\r\nContent-Length: 5\r\nHost: a\r\ncontent-length: 5\r\n\r\n");
        assertThat(head.contentLength).isEqualTo(5);
        request("POST / HTTP/1.1\r\nContent-Length: 999999999999999999\r\n\r\n");
        assertThat(head.contentLength).isEqualTo(999_999_999_999_999_999L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Length: 5\r\nContent-Length: 6", "Content-Length: 5\r\nContent-Length: 05x",
            "Content-Length: +5", "Content-Length: -5", "Content-Length: 5a", "Content-Length: 0x10",
            "Content-Length: five", "Content-Length:", "Content-Length: 1 2", "Content-Length: 9999999999999999999"})
    @DisplayName("RFC 9112 section 6.3 and RFC 9110 section 8.6: a Content-Length that is not 1*DIGIT, or two that differ, is 400")
    void contentLengthRefused(String fields) {
        assertThat(requestRefusal("POST / HTTP/1.1\r\n" + fields + "\r\n\r\n")).isEqualTo(400);
    }

    @ParameterizedTest(name = "{0}: chunked {1}")
    @CsvSource(delimiter = '|', value = {
            "Transfer-Encoding: chunked                              | true",
            "Transfer-Encoding: CHUNKED                              | true",
            "Transfer-Encoding: gzip, chunked                        | true",
            "Transfer-Encoding: gzip,chunked                         | true",
            "Transfer-Encoding: chunked, gzip                        | false",
            "Transfer-Encoding: gzip                                 | false",
            "Transfer-Encoding: xchunked                             | false",
            "Transfer-Encoding: gzip\\r\\nTransfer-Encoding: chunked | true",
            "Transfer-Encoding: chunked\\r\\nTransfer-Encoding: gzip | false"})
    @DisplayName("RFC 9112 sections 6.1 and 6.3: the body is chunked only when chunked is the last coding, over all field lines")
    void transferEncodingLastCodingDecides(String fields, boolean chunked) throws Exception {
        request("POST / HTTP/1.1\r\n" + fields.replace("\\r\\n", "\r\n") + "\r\n\r\n");
        assertThat(head.transferEncoding).isTrue();
        assertThat(head.chunked).isEqualTo(chunked);
    }

    @Test
    @DisplayName("RFC 9112 section 6.3: with both Transfer-Encoding and Content-Length, both are reported for the caller to refuse")
    void transferEncodingWithContentLengthReported() throws Exception {
        request("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
        assertThat(head.transferEncoding).isTrue();
        assertThat(head.chunked).isTrue();
        assertThat(head.contentLength).isEqualTo(5);
    }

    @Test
    @DisplayName("RFC 9110 section 10.1.1: Expect: 100-continue, case-insensitive, and nothing else")
    void expectContinue() throws Exception {
        request("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
        assertThat(head.expectContinue).isTrue();
        request("POST / HTTP/1.1\r\nexpect: 100-Continue \r\n\r\n");
        assertThat(head.expectContinue).isTrue();
        request("POST / HTTP/1.1\r\nExpect: 100-continued\r\n\r\n");
        assertThat(head.expectContinue).isFalse();
        request("POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\n");
        assertThat(head.expectContinue).isFalse();
    }

    @Test
    @DisplayName("RFC 9112 section 9.3: one MessageHead per connection; nothing read from one message survives into the next")
    void fieldsStartAgainEachMessage() throws Exception {
        request("HEAD / HTTP/1.0\r\nConnection: keep-alive, upgrade, close\r\nUpgrade: x\r\nTransfer-Encoding: chunked\r\n"
                + "Content-Length: 3\r\nExpect: 100-continue\r\n\r\n");
        request("GET / HTTP/1.1\r\n\r\n");
        assertThat(head.http10).isFalse();
        assertThat(head.headMethod).isFalse();
        assertThat(head.close).isFalse();
        assertThat(head.keepAlive).isFalse();
        assertThat(head.upgrade).isFalse();
        assertThat(head.transferEncoding).isFalse();
        assertThat(head.chunked).isFalse();
        assertThat(head.contentLength).isEqualTo(MessageHead.NONE);
        assertThat(head.expectContinue).isFalse();
        request("GET / HTTP/1.1\r\nUpgrade: x\r\n\r\n");
        assertThat(head.upgrade).as("Connection: upgrade of the message before").isFalse();
    }

    // ------------------------------------------------------------------------------------- status line

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "HTTP/1.1 200 OK               | 200 | false",
            "HTTP/1.1 204                  | 204 | false",
            "'HTTP/1.1 204 '               | 204 | false",
            "HTTP/1.0 404 Not Found        | 404 | true",
            "HTTP/1.1 100 Continue         | 100 | false",
            "HTTP/1.1 599 anything at all  | 599 | false",
            "HTTP/1.1 999 x                | 999 | false"})
    @DisplayName("RFC 9112 section 4: HTTP-version SP 3DIGIT [SP reason]; the reason may be empty or absent")
    void statusLinesAccepted(String line, int status, boolean http10) throws Exception {
        String text = line + "\r\nContent-Length: 0\r\n\r\n";
        assertThat(response(text)).isEqualTo(text.length());
        assertThat(head.status).isEqualTo(status);
        assertThat(head.http10).isEqualTo(http10);
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/1.1 2000 x", "HTTP/1.1 099 x", "HTTP/1.1 000 x", "HTTP/1.1 20 OK", "HTTP/1.1 20",
            "HTTP/1.1 2x0 OK", "HTTP/1.1  200 OK", "HTTP/1.1 200OK", "HTTP/2 200 OK", "HTTP/2.0 200 OK",
            "http/1.1 200 OK", "HTTP/1.2 200 OK", "ICY 200 OK", ""})
    @DisplayName("RFC 9112 section 4 and RFC 9110 section 15: a status line without three digits from 100 is refused")
    void statusLinesRefused(String line) {
        assertThrows(MessageHead.Malformed.class, () -> response(line + "\r\nContent-Length: 0\r\n\r\n"));
    }

    @Test
    @DisplayName("RFC 9112 section 4: a response head split anywhere is incomplete until its empty line")
    void responseSplit() throws Exception {
        String text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (int cut = 0; cut < text.length(); cut++) {
            assertThat(response(text.substring(0, cut))).as("first %d bytes", cut).isEqualTo(-1);
        }
        assertThat(response(text + "0\r\n\r\n")).isEqualTo(text.length());
        assertThat(head.chunked).isTrue();
    }

    // ------------------------------------------------------------------------------------- withConnection

    @Test
    @DisplayName("RFC 9110 section 7.6.1: withConnection keeps the start line and other fields in order and replaces the hop-by-hop ones")
    void withConnectionReplacesHopByHopFields() {
        String in = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nX-A: 1\r\n"
                + "keep-alive: timeout=5\r\nX-Connection: kept\r\nVia: 1.1 connection\r\nPROXY-CONNECTION: close\r\n"
                + "Content-Length: 5\r\nconnection: Upgrade\r\n\r\n";
        String kept = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: 1\r\nX-Connection: kept\r\n"
                + "Via: 1.1 connection\r\nContent-Length: 5\r\n";
        assertThat(withConnection(in, true)).isEqualTo(kept + "connection: close\r\n\r\n");
        assertThat(withConnection(in, false)).isEqualTo(kept + "\r\n");
    }

    @Test
    @DisplayName("RFC 9112 section 2.2: withConnection writes a bare-LF head with CRLF line ends")
    void withConnectionWritesCrlf() {
        assertThat(withConnection("HTTP/1.1 204 No Content\nConnection: close\nX-B: 2\n\n", false))
                .isEqualTo("HTTP/1.1 204 No Content\r\nX-B: 2\r\n\r\n");
    }

    @ParameterizedTest(name = "{0} + {1} + {2}, close {3}")
    @MethodSource("responseHeads")
    @DisplayName("RFC 9112 sections 6.3 and 9.3: withConnection's output parses again with the same framing and the persistence asked for")
    void withConnectionRoundTrips(String statusLine, String framing, String connection, boolean close) throws Exception {
        String in = statusLine + "\r\nServer: upstream\r\n" + connection + framing + "X-Last: z\r\n\r\n";
        response(in);
        int status = head.status;
        boolean http10 = head.http10;
        long contentLength = head.contentLength;
        boolean transferEncoding = head.transferEncoding;
        boolean chunked = head.chunked;
        String out = withConnection(in, close);
        assertThat(response(out + "next")).isEqualTo(out.length());
        assertThat(head.status).isEqualTo(status);
        assertThat(head.http10).isEqualTo(http10);
        assertThat(head.contentLength).isEqualTo(contentLength);
        assertThat(head.transferEncoding).isEqualTo(transferEncoding);
        assertThat(head.chunked).isEqualTo(chunked);
        assertThat(head.persistent()).isEqualTo(!close);
        // every other field stays, in order; the hop-by-hop ones go, and the one asked for is added last
        String kept = statusLine + "\r\nServer: upstream\r\n" + framing + "X-Last: z\r\n";
        assertThat(out).startsWith(kept);
        assertThat(out.substring(kept.length())).isEqualTo(close ? "connection: close\r\n\r\n"
                : http10 ? "connection: keep-alive\r\n\r\n" : "\r\n");
    }

    static Stream<Arguments> responseHeads() {
        List<Arguments> all = new ArrayList<>();
        for (String statusLine : List.of("HTTP/1.1 200 OK", "HTTP/1.0 200 OK", "HTTP/1.1 404")) {
            for (String framing : List.of("Content-Length: 12\r\n", "Transfer-Encoding: gzip, chunked\r\n",
                    "Transfer-Encoding: gzip\r\n", "")) {
                for (String connection : List.of("", "Connection: close\r\n", "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n",
                        "Proxy-Connection: keep-alive\r\n")) {
                    all.add(Arguments.of(statusLine, framing, connection, true));
                    all.add(Arguments.of(statusLine, framing, connection, false));
                }
            }
        }
        return all.stream();
    }

    // ------------------------------------------------------------------------------------- helpers

    /** Parses {@code text} as a request; -1 when incomplete. */
    private int request(String text) throws MessageHead.Malformed {
        ByteBuf buf = buffer(text);
        try {
            int n = head.parseRequest(buf, LIMIT);
            assertThat(buf.readerIndex()).isEqualTo(READ_BEFORE.length());
            return n;
        } finally {
            buf.release();
        }
    }

    private int response(String text) throws MessageHead.Malformed {
        ByteBuf buf = buffer(text);
        try {
            int n = head.parseResponse(buf, LIMIT);
            assertThat(buf.readerIndex()).isEqualTo(READ_BEFORE.length());
            return n;
        } finally {
            buf.release();
        }
    }

    /** The status a request head is refused with. */
    private int requestRefusal(String text) {
        return assertThrows(MessageHead.Malformed.class, () -> request(text)).status;
    }

    /** withConnection applied to {@code text}, a whole head, as a slice of a buffer holding more. */
    private static String withConnection(String text, boolean close) {
        ByteBuf buf = buffer(text + "body");
        ByteBuf out = MessageHead.withConnection(buf.slice(buf.readerIndex(), text.length()), close, false, ByteBufAllocator.DEFAULT);
        try {
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
            buf.release();
        }
    }

    /** {@code text} in a buffer behind bytes already read. */
    private static ByteBuf buffer(String text) {
        ByteBuf buf = Unpooled.buffer();
        buf.writeBytes(ascii(READ_BEFORE + text));
        buf.readerIndex(READ_BEFORE.length());
        return buf;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
