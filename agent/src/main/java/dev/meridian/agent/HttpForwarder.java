package dev.meridian.agent;

import dev.meridian.cluster.Host;
import dev.meridian.outlier.LocalOriginResult;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One downstream HTTP/1.1 connection: each request gets its own pick and a pooled upstream
 * connection, and its outcome is recorded as Envoy's router reports it
 * ({@code source/common/router/router.cc}, {@code upstream_request.cc}): a connection handed to the
 * request is {@code LocalOriginConnectSuccess}, a failed connect {@code LocalOriginConnectFailed} (or
 * {@code LocalOriginTimeout}), a response its status (when its head arrives), a reset, before the
 * response's head or after it, {@code LocalOriginConnectFailed} (Meridian's
 * {@link LocalOriginResult#RESET}) and no response head in time {@code LocalOriginTimeout}. The local
 * replies use Envoy's texts.
 *
 * <p>Messages are forwarded as the bytes that arrived, not decoded and encoded again: the agent reads
 * only each head's start line and framing headers ({@link MessageHead}) and follows the body's framing
 * ({@link BodyFraming}) to find where the message ends. A request is buffered whole (at most
 * {@link HttpUpstreamPool#MAX_BODY} of body) before its pick, so that a failed connect can be tried on
 * another host; a response is streamed back as it arrives, with backpressure: the upstream connection
 * stops reading while the downstream cannot take more. A response head is rewritten only when the
 * agent ends or keeps the connection against what it says (a drain, a client that asked to close, an
 * upstream that closes), since Connection is hop-by-hop. A {@code 101 Switching Protocols} answer to
 * an upgrade request turns both connections into a byte tunnel, as Istio's sidecars allow WebSocket.
 *
 * <p>Requests are forwarded one at a time, in order, so responses go back in the order of the requests
 * (HTTP/1.1 pipelining, RFC 9112 section 9.3.2). The connection keeps reading while a request is in
 * flight, because a keep-alive client sends nothing until its answer and turning reading off and on
 * for every request would cost two {@code epoll_ctl} calls each; bytes that arrive while a request is
 * in flight (a pipelining client) are held and reading stops until the requests before them are
 * answered.
 *
 * <p>Not thread-safe: one instance per downstream channel, used only on its event loop (which is also
 * the loop of every upstream connection it uses).
 */
final class HttpForwarder extends ChannelInboundHandlerAdapter implements HttpUpstreamPool.Exchange {
    /** Longest response head accepted from an upstream; a longer one is a protocol error. */
    static final int MAX_RESPONSE_HEAD = Agent.MAX_HEADERS;

    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Route route;
    private final AgentConfig config;
    private final Runnable timeout = this::timedOut;
    private ChannelHandlerContext ctx;
    private boolean admitted;
    /** The downstream connection has closed. */
    private boolean closed;
    /** The client sent its FIN: answer what was read, then close. */
    private boolean inputEnded;
    /** {@link #readRequests} is on the stack. */
    private boolean reading;

    // The request being read.
    /** Downstream bytes not yet forwarded; null when none. */
    private ByteBuf in;
    /**
     * The head of the request being read and then of the one in flight: the next head is read only
     * once the response has ended, so the exchange reads its request's framing and persistence here.
     */
    private final MessageHead requestHead = new MessageHead();
    private final BodyFraming requestBody = new BodyFraming();
    /** The head of the request at {@link #in}'s reader index has been read. */
    private boolean headRead;
    /**
     * How far past {@link #in}'s reader index (the request's first byte) its body has been followed. An
     * offset, not an index: cumulating more bytes may copy {@link #in} to a new buffer starting at 0.
     */
    private int scanned;
    private boolean continueSent;

    // The exchange in flight.
    /** A request is being forwarded; bytes read meanwhile stay in {@link #in}. */
    private boolean busy;
    /** The whole request, until it is written to an upstream connection. */
    private ByteBuf request;
    private int attempt;
    private Host host;
    private Route.Counters counters;
    private HttpUpstreamPool pool;
    /** The upstream connection carrying the exchange, from its connect to the response's end. */
    private Channel upstream;
    private ScheduledFuture<?> timer;
    /** Response bytes before its head is complete. */
    private ByteBuf responseIn;
    private final MessageHead responseHead = new MessageHead();
    private final BodyFraming responseBody = new BodyFraming();
    /** The response's head has gone downstream: a failure now can only cut the connection. */
    private boolean responseStarted;
    private int responseStatus;
    private boolean responseKeepAlive;
    private boolean upstreamReusable;
    /** The request has been written to the upstream connection whole. */
    private boolean requestWritten;
    /**
     * Marks the request written, or closes its connection (which ends the exchange as a reset). A
     * response that ends before its request is written (an early answer) leaves the connection with
     * request bytes still queued, so it is not used again.
     */
    private final ChannelFutureListener written = f -> {
        if (!f.isSuccess()) {
            f.channel().close();
        } else if (f.channel() == upstream) {
            requestWritten = true;
        }
    };
    /** After a 101: the upstream connection both directions' bytes go to, unread. */
    private Channel tunnel;

    HttpForwarder(Route route, AgentConfig config) {
        this.route = route;
        this.config = config;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (!route.admit(ctx.channel())) {
            ctx.close();
            return;
        }
        admitted = true;
        ctx.channel().config().setAutoRead(true);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        if (admitted) {
            admitted = false;
            route.release();
        }
        in = release(in);
        if (tunnel != null) {
            tunnel.close();
        } else if (upstream != null) {
            // The client is gone: the upstream connection's response has nowhere to go, so it ends too,
            // as Envoy resets the upstream stream (and an HTTP/1 connection with it) on a downstream reset.
            Channel u = upstream;
            endExchange(false, true);
            u.close();
        }
        // A connect in progress finds the connection closed and gives its upstream connection back.
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf bytes = (ByteBuf) msg;
        if (closed) {
            bytes.release();
            return;
        }
        if (tunnel != null) {
            tunnel.writeAndFlush(bytes, tunnel.voidPromise());
            if (!tunnel.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
            return;
        }
        if (in != null && in.refCnt() == 1) {
            // the bytes already forwarded go, or a client whose reads always end mid-request would grow
            // the buffer by everything it ever sent; a slice still being written holds a reference, and
            // then the bytes stay (the cumulator copies instead)
            in.discardSomeReadBytes();
        }
        in = in == null ? bytes : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), in, bytes);
        if (busy) {
            // a pipelined request: it waits, and so does the socket, until the ones before it are answered
            ctx.channel().config().setAutoRead(false);
            return;
        }
        readRequests();
    }

    /**
     * Forwards the whole requests in {@link #in} one after another while each is answered at once (a
     * local reply), then reads on. A loop, not a recursion: a read can hold thousands of pipelined
     * requests.
     */
    private void readRequests() {
        if (reading) {
            return;
        }
        reading = true;
        try {
            while (!busy && !closed && in != null && in.isReadable() && readRequest()) {
                // the request was forwarded or answered
            }
        } finally {
            reading = false;
        }
        if (!busy && !closed) {
            if (inputEnded) {
                ctx.close();
            } else if (!ctx.channel().config().isAutoRead()) {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }

    /** Forwards the request at {@link #in}'s reader index; false while it has not all arrived or when refused. */
    private boolean readRequest() {
        try {
            if (!headRead) {
                int n = requestHead.parseRequest(in, Agent.MAX_HEADERS);
                if (n < 0) {
                    return false;
                }
                if (requestHead.transferEncoding && (!requestHead.chunked || requestHead.contentLength != MessageHead.NONE)) {
                    // RFC 9112 section 6.3: a request whose Transfer-Encoding does not end in chunked has no
                    // knowable length (400, then close); one with Content-Length too is refused as Envoy's
                    // codec refuses it unless allow_chunked_length is set (http1 codec_impl.cc).
                    refuse(400, "Bad Request");
                    return false;
                }
                if (requestHead.connectMethod || requestHead.upgrade && !requestHead.websocket) {
                    // Istio's sidecars take WebSocket upgrades only (upgrade_configs websocket); Envoy's
                    // connection manager answers any other upgrade, and CONNECT, with 403 and closes
                    refuse(403, "Forbidden");
                    return false;
                }
                if (requestHead.contentLength > HttpUpstreamPool.MAX_BODY) {
                    refuse(413, "Payload Too Large");
                    return false;
                }
                headRead = true;
                continueSent = false;
                scanned = n;
                if (requestHead.chunked) {
                    requestBody.chunked(true);
                } else {
                    requestBody.length(Math.max(0, requestHead.contentLength));
                }
            }
            scanned = requestBody.consume(in, in.readerIndex() + scanned, in.writerIndex()) - in.readerIndex();
        } catch (MessageHead.Malformed e) {
            refuse(e.status, e.status == 431 ? "Request Header Fields Too Large" : "Bad Request");
            return false;
        }
        if (!requestBody.done()) {
            if (scanned > Agent.MAX_HEADERS + HttpUpstreamPool.MAX_BODY) {
                refuse(413, "Payload Too Large");
            } else if (requestHead.expectContinue && !continueSent && !requestHead.http10) {
                // RFC 9110 section 10.1.1 (never to an HTTP/1.0 client, section 15.2); Envoy answers
                // 100-continue itself too (proxy_100_continue off)
                continueSent = true;
                ctx.writeAndFlush(Unpooled.wrappedBuffer(CONTINUE));
            }
            return false;
        }
        headRead = false;
        ByteBuf whole = in.readRetainedSlice(scanned);
        if (!in.isReadable()) {
            in = release(in);
        }
        busy = true;
        ctx.channel().attr(Route.IN_FLIGHT).set(Boolean.TRUE);
        request = whole;
        attempt = 1;
        forward();
        return true;
    }

    private void forward() {
        Host h = route.cluster.pick();
        if (h == null) {
            request = release(request);
            reply(503, "Service Unavailable", "no healthy upstream", requestHead.persistent());
            return;
        }
        route.cluster.requestStarted(h);
        host = h;
        counters = route.started(h);
        pool = route.pool(ctx.channel().eventLoop(), config);
        Channel idle = pool.pollIdle(h);
        if (idle != null) {
            connected(idle);
            return;
        }
        pool.connect(h, ctx.channel()).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                connected(f.channel());
            } else {
                connectFailed(f.cause());
            }
        });
    }

    private void connectFailed(Throwable cause) {
        route.recordLocalOrigin(host, cause instanceof ConnectTimeoutException ? LocalOriginResult.TIMEOUT
                : LocalOriginResult.CONNECT_FAILED);
        route.cluster.requestFinished(host);
        counters.finished(true);
        if (closed) {
            request = release(request);
        } else if (attempt < route.listener.connectAttempts()) {
            attempt++;
            forward();
        } else {
            request = release(request);
            resetReply(503, "Service Unavailable", "connection failure");
        }
    }

    private void connected(Channel c) {
        route.recordLocalOrigin(host, LocalOriginResult.CONNECT_SUCCESS);
        if (closed) {
            // The client left while the connection was made: nothing was sent, so it can serve another.
            route.cluster.requestFinished(host);
            counters.finished(false);
            pool.release(host, c, true);
            request = release(request);
            return;
        }
        upstream = c;
        responseStarted = false;
        responseIn = null;
        HttpUpstreamPool.begin(c, this);
        timer = c.eventLoop().schedule(timeout, config.responseTimeout().toNanos(), TimeUnit.NANOSECONDS);
        ByteBuf r = request;
        request = null;
        // a failed write closes the connection (the listener), which ends the exchange as a reset
        requestWritten = false;
        c.writeAndFlush(r).addListener(written);
    }

    @Override
    public void onBytes(ByteBuf bytes) {
        if (upstream == null) {
            bytes.release();
            return;
        }
        if (tunnel != null) {
            toDownstream(bytes);
            return;
        }
        int from;
        int writeFrom;
        ByteBuf buf;
        if (responseStarted) {
            buf = bytes;
            from = bytes.readerIndex();
            writeFrom = from;
        } else {
            responseIn = responseIn == null ? bytes : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), responseIn, bytes);
            writeFrom = readResponseHead();
            if (writeFrom < 0 || tunnel != null) {
                return;
            }
            buf = responseIn;
            responseIn = null;
            from = buf.readerIndex();
        }
        int end;
        try {
            end = responseBody.consume(buf, from, buf.writerIndex());
        } catch (MessageHead.Malformed e) {
            buf.release();
            cut();
            return;
        }
        boolean done = responseBody.done();
        if (done && end < buf.writerIndex()) {
            // more than the response: the connection's framing is lost, so it is not used again
            upstreamReusable = false;
        }
        if (end > writeFrom) {
            // the head (unless rewritten) and the body bytes in one buffer: one write, one system call
            toDownstream(buf.retainedSlice(writeFrom, end - writeFrom));
        } else {
            ctx.flush();
        }
        buf.release();
        if (done) {
            responseEnded();
        }
    }

    /**
     * Reads the response head from {@link #responseIn}, skipping interim (1xx) responses, and moves
     * {@link #responseIn}'s reader index past it.
     *
     * @return where in {@link #responseIn} the bytes to send downstream start: the head's first byte,
     *         or its end when the head was rewritten and written already; -1 while the head has not all
     *         arrived or when the exchange ended on it
     */
    private int readResponseHead() {
        while (true) {
            int n;
            try {
                n = responseHead.parseResponse(responseIn, MAX_RESPONSE_HEAD);
            } catch (MessageHead.Malformed e) {
                responseIn = release(responseIn);
                protocolError();
                return -1;
            }
            if (n < 0) {
                return -1;
            }
            int status = responseHead.status;
            if (status < 200 && !(status == 101 && requestHead.upgrade)) {
                // Interim responses are not passed on: the agent answered 100-continue itself, as Envoy does.
                responseIn.skipBytes(n);
                if (!responseIn.isReadable()) {
                    responseIn = release(responseIn);
                    return -1;
                }
                continue;
            }
            if (responseHead.transferEncoding && (!responseHead.chunked || responseHead.contentLength != MessageHead.NONE)) {
                // Envoy's codec refuses these in a response as in a request (http1 codec_impl.cc: both
                // 'Content-Length' and 'Transfer-Encoding', unsupported transfer encoding), before the router
                // sees a status; passed on, Content-Length beside chunked is what RFC 9112 section 6.3 has an
                // intermediary remove, since a client that reads it would frame the body differently.
                responseIn = release(responseIn);
                protocolError();
                return -1;
            }
            responseStarted = true;
            responseStatus = status;
            route.record(host, status);
            boolean untilClose = false;
            if (status == 101) {
                ByteBuf head = responseIn.readRetainedSlice(n);
                ByteBuf rest = responseIn;
                responseIn = null;
                upgraded(head, rest);
                return 0;
            } else if (requestHead.headMethod || status == 204 || status == 304) {
                responseBody.length(0);
            } else if (responseHead.transferEncoding) {
                responseBody.chunked();
            } else if (responseHead.contentLength != MessageHead.NONE) {
                responseBody.length(responseHead.contentLength);
            } else {
                responseBody.untilClose();
                untilClose = true;
            }
            boolean upstreamPersistent = responseHead.persistent() && !untilClose;
            upstreamReusable = upstreamPersistent && requestHead.persistent();
            // Envoy's connection manager closes an HTTP/1.1 connection after the response in flight when
            // draining (ConnectionManagerImpl::ActiveStream::encodeHeaders, drain_state_ Closing).
            responseKeepAlive = requestHead.persistent() && !untilClose && !route.draining;
            int start = responseIn.readerIndex();
            responseIn.skipBytes(n);
            // an HTTP/1.0 client keeps its connection only when the response says keep-alive (RFC 9112
            // section 9.3), which an HTTP/1.1 upstream has no reason to say
            boolean tellKeepAlive = responseKeepAlive && requestHead.http10 && !responseHead.keepAlive;
            if (!responseKeepAlive && !responseHead.close || responseKeepAlive && !upstreamPersistent || tellKeepAlive) {
                ctx.write(MessageHead.withConnection(responseIn.slice(start, n), !responseKeepAlive, requestHead.http10,
                        ctx.alloc()), ctx.voidPromise());
                return responseIn.readerIndex();
            }
            return start;
        }
    }

    /**
     * Writes response bytes downstream (a failed write closes the connection, through
     * {@link #exceptionCaught}); stops the upstream's reading while the downstream is full.
     */
    private void toDownstream(ByteBuf bytes) {
        ctx.writeAndFlush(bytes, ctx.voidPromise());
        Channel u = tunnel != null ? tunnel : upstream;
        if (u != null && !ctx.channel().isWritable()) {
            u.config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Channel u = tunnel != null ? tunnel : upstream;
        if (u != null) {
            u.config().setAutoRead(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        // Only a tunnel writes the client's bytes upstream as they arrive (a request is written whole):
        // its client stops being read while the upstream connection is full, and is read again here.
        if (tunnel != null && !closed) {
            ctx.channel().config().setAutoRead(writable);
        }
    }

    /** The response has gone downstream whole. */
    private void responseEnded() {
        boolean keep = responseKeepAlive;
        endExchange(responseStatus >= 500, false);
        afterResponse(keep);
    }

    /**
     * Ends the exchange's accounting and gives its upstream connection back (kept when
     * {@code dropUpstream} is false and the response allowed it).
     */
    private void endExchange(boolean error, boolean dropUpstream) {
        Channel u = upstream;
        upstream = null;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        responseIn = release(responseIn);
        route.cluster.requestFinished(host);
        counters.finished(error);
        if (u != null) {
            if (dropUpstream) {
                HttpUpstreamPool.begin(u, null);
            } else {
                pool.release(host, u, upstreamReusable && requestWritten);
            }
        }
    }

    @Override
    public void onClosed() {
        if (upstream == null || tunnel != null) {
            if (tunnel != null) {
                ctx.close();
            }
            return;
        }
        if (responseStarted && responseBody.untilCloseMode()) {
            ctx.flush();
            responseEnded();
        } else if (responseStarted) {
            cut();
        } else {
            route.recordLocalOrigin(host, LocalOriginResult.RESET);
            endExchange(true, true);
            resetReply(503, "Service Unavailable", "connection termination");
        }
    }

    /**
     * The upstream broke a response whose head has gone downstream: the client can only be told by a
     * close. Envoy's router records the reset after the status it recorded at the head
     * ({@code Filter::onUpstreamReset} puts {@code LocalOriginConnectFailed} whether or not the response
     * has started).
     */
    private void cut() {
        Channel u = upstream;
        route.recordLocalOrigin(host, LocalOriginResult.RESET);
        endExchange(true, true);
        u.close();
        ctx.close();
    }

    /**
     * The upstream's response head is not HTTP/1.x or frames its body as Envoy's codec refuses: a 502,
     * as Envoy's router answers a reset for a protocol error ({@code Filter::onUpstreamReset}).
     */
    private void protocolError() {
        Channel u = upstream;
        route.recordLocalOrigin(host, LocalOriginResult.RESET);
        endExchange(true, true);
        u.close();
        resetReply(502, "Bad Gateway", "protocol error");
    }

    private void timedOut() {
        timer = null;
        if (upstream == null || tunnel != null) {
            return;
        }
        Channel u = upstream;
        if (!responseStarted) {
            route.recordLocalOrigin(host, LocalOriginResult.TIMEOUT);
        }
        boolean started = responseStarted;
        endExchange(true, true);
        u.close();
        if (started) {
            ctx.close();
        } else {
            reply(504, "Gateway Timeout", "upstream request timeout", requestHead.persistent());
        }
    }

    /** A 101 answered an upgrade request: from here on both connections carry bytes both ways, unread. */
    private void upgraded(ByteBuf head, ByteBuf rest) {
        Channel u = upstream;
        endExchange(false, true);
        tunnel = u;
        upstream = u;
        HttpUpstreamPool.begin(u, this);
        ctx.channel().attr(Route.IN_FLIGHT).set(Boolean.FALSE);
        ctx.write(head, ctx.voidPromise());
        toDownstream(rest);
        if (in != null) {
            ByteBuf early = in;
            in = null;
            u.writeAndFlush(early, u.voidPromise());
        }
        ctx.channel().config().setAutoRead(true);
    }

    /** Refuses what the client sent with a local reply, then closes: its framing cannot be trusted. */
    private void refuse(int status, String reason) {
        in = release(in);
        headRead = false;
        busy = true;
        ctx.channel().config().setAutoRead(false);
        reply(status, reason, reason, false);
    }

    /** Envoy's local reply when the upstream failed before a response head reached the client. */
    private void resetReply(int status, String reason, String resetReason) {
        reply(status, reason, "upstream connect error or disconnect/reset before headers. reset reason: " + resetReason,
                requestHead.persistent());
    }

    private void reply(int status, String reason, String body, boolean keepAlive) {
        boolean keep = keepAlive && !route.draining;
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\ncontent-type: text/plain\r\ncontent-length: " + b.length
                + (keep ? "" : "\r\nconnection: close") + "\r\n\r\n";
        ByteBuf r = ctx.alloc().buffer(head.length() + b.length);
        r.writeCharSequence(head, StandardCharsets.US_ASCII);
        r.writeBytes(b);
        if (closed) {
            r.release();
            return;
        }
        ChannelFuture f = ctx.writeAndFlush(r);
        afterResponse(keep, f);
    }

    private void afterResponse(boolean keep) {
        afterResponse(keep, null);
    }

    private void afterResponse(boolean keep, ChannelFuture written) {
        ctx.channel().attr(Route.IN_FLIGHT).set(Boolean.FALSE);
        if (closed) {
            return;
        }
        if (!keep) {
            if (written != null) {
                written.addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        busy = false;
        readRequests();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else if (evt instanceof ChannelInputShutdownEvent) {
            if (tunnel != null) {
                ctx.close();
                return;
            }
            // A client that half-closes after its request still gets the answer (RFC 9112 section 9.6
            // lets a client close its side; the server finishes the response first). Nothing in flight:
            // nothing to answer.
            inputEnded = true;
            if (!busy) {
                ctx.close();
            }
        } else if (evt == Route.DRAIN) {
            // An idle keep-alive connection has nothing to finish: close it now.
            if (!busy || tunnel != null) {
                ctx.close();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private static ByteBuf release(ByteBuf b) {
        if (b != null) {
            ReferenceCountUtil.safeRelease(b);
        }
        return null;
    }
}
