package dev.meridian.agent;

import dev.meridian.cluster.Host;
import dev.meridian.outlier.LocalOriginResult;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One downstream HTTP/1.1 connection: each request gets its own pick and a pooled upstream
 * connection, and its outcome is recorded as Envoy's router reports it
 * ({@code source/common/router/router.cc}, {@code upstream_request.cc}): a connection handed to the
 * request is {@code LocalOriginConnectSuccess}, a failed connect {@code LocalOriginConnectFailed} (or
 * {@code LocalOriginTimeout}), a response its status, a reset before the response
 * {@code LocalOriginConnectFailed} (Meridian's {@link LocalOriginResult#RESET}) and no response in
 * time {@code LocalOriginTimeout}. The local replies use Envoy's texts.
 *
 * <p>Requests are forwarded one at a time, in order, so responses go back in the order of the requests
 * (HTTP/1.1 pipelining, RFC 9112 section 9.3.2). The connection keeps reading while a request is in
 * flight, because a keep-alive client sends nothing until its answer and turning reading off and on
 * for every request would cost two {@code epoll_ctl} calls each; a request that arrives while another
 * is in flight (a pipelining client) is held and reading stops until the held requests are answered.
 * What one client can make the agent buffer is therefore the requests decoded from one socket read
 * plus one response, each of at most {@link HttpUpstreamPool#MAX_BODY}.
 *
 * <p>Not thread-safe: one instance per downstream channel, used only on its event loop.
 */
final class HttpForwarder extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Route route;
    private final AgentConfig config;
    private boolean admitted;
    /** A request is being forwarded; a request read meanwhile waits in {@link #held}. */
    private boolean busy;
    /** The client sent its FIN: answer what was read, then close. */
    private boolean inputEnded;
    /** Pipelined requests read while one was in flight, oldest first; created on first use. */
    private ArrayDeque<FullHttpRequest> held;

    HttpForwarder(Route route, AgentConfig config) {
        super(false);
        this.route = route;
        this.config = config;
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
        if (admitted) {
            admitted = false;
            route.release();
        }
        if (held != null) {
            for (FullHttpRequest r; (r = held.pollFirst()) != null; ) {
                r.release();
            }
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (busy) {
            if (held == null) {
                held = new ArrayDeque<>();
            }
            held.addLast(request);
            ctx.channel().config().setAutoRead(false);
            return;
        }
        handle(ctx, request);
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        busy = true;
        ctx.channel().attr(Route.IN_FLIGHT).set(Boolean.TRUE);
        if (!request.decoderResult().isSuccess()) {
            Throwable cause = request.decoderResult().cause();
            request.release();
            // Envoy's HTTP/1 codec answers headers over max_request_headers_kb with 431
            // (source/common/http/http1/codec_impl.cc, HeadersTooLarge) and other parse errors with 400.
            if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongHttpLineException) {
                reply(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Request Header Fields Too Large", false);
            } else {
                reply(ctx, HttpResponseStatus.BAD_REQUEST, "Bad Request", false);
            }
            return;
        }
        forward(ctx, request, HttpUtil.isKeepAlive(request), 1);
    }

    private void forward(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive, int attempt) {
        Host host = route.cluster.pick();
        if (host == null) {
            request.release();
            reply(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "no healthy upstream", keepAlive);
            return;
        }
        route.cluster.requestStarted(host);
        Route.Counters counters = route.started(host);
        HttpUpstreamPool pool = route.pool(ctx.channel().eventLoop(), config);
        pool.acquire(host, ctx.channel(), (upstream, failure) -> {
            if (upstream == null) {
                route.recordLocalOrigin(host, failure instanceof ConnectTimeoutException ? LocalOriginResult.TIMEOUT
                        : LocalOriginResult.CONNECT_FAILED);
                route.cluster.requestFinished(host);
                counters.finished(true);
                if (attempt < route.listener.connectAttempts() && ctx.channel().isActive()) {
                    forward(ctx, request, keepAlive, attempt + 1);
                } else {
                    request.release();
                    reply(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE,
                            "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
                            keepAlive);
                }
                return;
            }
            route.recordLocalOrigin(host, LocalOriginResult.CONNECT_SUCCESS);
            exchange(ctx, request, keepAlive, host, counters, pool, upstream);
        });
    }

    private void exchange(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive, Host host,
                          Route.Counters counters, HttpUpstreamPool pool, Channel upstream) {
        FullHttpRequest sent = request.retainedDuplicate();
        request.release();
        HttpUtil.setKeepAlive(sent, true);
        final ScheduledFuture<?>[] timer = new ScheduledFuture<?>[1];
        final boolean[] done = new boolean[1];
        HttpUpstreamPool.begin(upstream, new HttpUpstreamPool.Exchange() {
            @Override
            public void onResponse(FullHttpResponse response) {
                if (done[0]) {
                    response.release();
                    return;
                }
                done[0] = true;
                timer[0].cancel(false);
                route.record(host, response.status().code());
                route.cluster.requestFinished(host);
                counters.finished(response.status().code() >= 500);
                pool.release(host, upstream, HttpUtil.isKeepAlive(response));
                HttpUtil.setKeepAlive(response, keepAlive);
                finish(ctx, response, keepAlive);
            }

            @Override
            public void onReset() {
                if (done[0]) {
                    return;
                }
                done[0] = true;
                timer[0].cancel(false);
                route.recordLocalOrigin(host, LocalOriginResult.RESET);
                route.cluster.requestFinished(host);
                counters.finished(true);
                reply(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "upstream connect error or disconnect/reset before headers. reset reason: connection termination",
                        keepAlive);
            }
        });
        timer[0] = upstream.eventLoop().schedule(() -> {
            if (done[0]) {
                return;
            }
            done[0] = true;
            HttpUpstreamPool.begin(upstream, null);
            route.recordLocalOrigin(host, LocalOriginResult.TIMEOUT);
            route.cluster.requestFinished(host);
            counters.finished(true);
            upstream.close();
            reply(ctx, HttpResponseStatus.GATEWAY_TIMEOUT, "upstream request timeout", keepAlive);
        }, config.responseTimeout().toNanos(), TimeUnit.NANOSECONDS);
        upstream.writeAndFlush(sent).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                f.channel().close();
            }
        });
    }

    private void reply(ChannelHandlerContext ctx, HttpResponseStatus status, String body, boolean keepAlive) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        HttpUtil.setContentLength(r, r.content().readableBytes());
        HttpUtil.setKeepAlive(r, keepAlive);
        finish(ctx, r, keepAlive);
    }

    private void finish(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        ctx.channel().attr(Route.IN_FLIGHT).set(Boolean.FALSE);
        if (route.draining) {
            // Envoy's connection manager closes an HTTP/1.1 connection after the response in flight
            // when draining (ConnectionManagerImpl::ActiveStream::encodeHeaders, drain_state_ Closing).
            keepAlive = false;
            HttpUtil.setKeepAlive(response, false);
        }
        if (!ctx.channel().isActive()) {
            response.release();
            return;
        }
        boolean keep = keepAlive;
        ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
            if (!keep || !f.isSuccess()) {
                f.channel().close();
            } else {
                next(ctx);
            }
        });
    }

    /** After a response is written: the next held request, or reading again if it was stopped. */
    private void next(ChannelHandlerContext ctx) {
        busy = false;
        FullHttpRequest request = held == null ? null : held.pollFirst();
        if (request != null) {
            handle(ctx, request);
        } else if (inputEnded) {
            ctx.close();
        } else if (!ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else if (evt instanceof ChannelInputShutdownEvent) {
            // A client that half-closes after its request still gets the answer (RFC 9112 section 9.6
            // lets a client close its side; the server finishes the response first). Nothing in flight:
            // nothing to answer.
            inputEnded = true;
            if (!busy) {
                ctx.close();
            }
        } else if (evt == Route.DRAIN) {
            // An idle keep-alive connection has nothing to finish: close it now.
            if (!Boolean.TRUE.equals(ctx.channel().attr(Route.IN_FLIGHT).get())) {
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
}
