package dev.meridian.agent;

import dev.meridian.cluster.Host;
import dev.meridian.outlier.LocalOriginResult;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * One downstream TCP connection: one pick, one upstream connection, bytes copied both ways, as Envoy's
 * TCP proxy does ({@code source/common/tcp_proxy/tcp_proxy.cc}). The connect outcome is the only one
 * recorded: {@code Filter::onUpstreamConnection} reports {@code LocalOriginConnectSuccessFinal}
 * ({@link LocalOriginResult#SUCCESS_FINAL}), a refused or reset connect {@code LocalOriginConnectFailed}
 * and a connect timeout {@code LocalOriginTimeout}; after a failure the filter connects again on a new
 * pick until {@code max_connect_attempts} (default 1) is used up, then closes the downstream.
 *
 * <p>Half-close is kept, as the TCP proxy does (it enables half-close on both connections and passes
 * {@code end_stream} through in {@code Filter::onData} and {@code Filter::onUpstreamData}): when one
 * side ends its output (a FIN), the agent flushes what it read from that side and shuts down its output
 * to the other side, which can go on answering; the connection closes when both directions have ended,
 * or when either side resets or closes.
 *
 * <p>Backpressure both ways: a side stops reading while the other side's outbound buffer is above its
 * high-water mark ({@link #WATER_MARK}), as Envoy's {@code readDisable} on watermarks does.
 *
 * <p>Not thread-safe: one instance per downstream channel, used only on its event loop.
 */
final class TcpForwarder extends ChannelInboundHandlerAdapter {
    /** Buffered bytes per side before the other side stops reading. */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    private final Route route;
    private final AgentConfig config;
    private Channel downstream;
    private Channel upstream;
    private Host host;
    private Route.Counters counters;
    private int attempts;
    private boolean admitted;
    /**
     * What the downstream sent before an upstream was connected: the downstream does not read until
     * then, but a transport may still deliver what came with an early FIN (epoll's {@code EPOLLRDHUP}).
     * Kept across connect attempts, written first when one succeeds, as Envoy's read-disabled downstream
     * keeps it in its buffer.
     */
    private java.util.ArrayDeque<Object> early;
    /** The downstream, then the upstream, has sent its FIN. */
    private boolean downstreamEnded;
    private boolean upstreamEnded;

    TcpForwarder(Route route, AgentConfig config) {
        this.route = route;
        this.config = config;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        downstream = ctx.channel();
        if (!route.admit(downstream)) {
            downstream.close();
            return;
        }
        admitted = true;
        connect();
    }

    private void connect() {
        attempts++;
        Host picked = route.cluster.pick();
        if (picked == null) {
            // No healthy upstream: Envoy's TCP proxy closes the downstream (UpstreamFailureReason NoHealthyUpstream).
            downstream.close();
            return;
        }
        Bootstrap b = new Bootstrap().group(downstream.eventLoop()).channel(Transport.socketFor(downstream))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .handler(new Upstream());
        ChannelFuture f = b.connect(picked.endpoint().host(), picked.endpoint().port());
        f.addListener((ChannelFutureListener) done -> connected(picked, done));
    }

    private void connected(Host picked, ChannelFuture done) {
        Route.Counters attempt = route.started(picked);
        if (done.isSuccess()) {
            route.recordLocalOrigin(picked, LocalOriginResult.SUCCESS_FINAL);
            if (!downstream.isActive()) {
                attempt.finished(false);
                done.channel().close();
                return;
            }
            counters = attempt;
            host = picked;
            upstream = done.channel();
            route.cluster.requestStarted(host);
            if (early != null) {
                for (Object m; (m = early.pollFirst()) != null; ) {
                    upstream.write(m);
                }
                upstream.flush();
            }
            upstream.config().setAutoRead(true);
            if (downstreamEnded) {
                ended(downstream, upstream, upstreamEnded);
            } else {
                downstream.config().setAutoRead(true);
            }
            return;
        }
        Throwable cause = done.cause();
        route.recordLocalOrigin(picked, cause instanceof ConnectTimeoutException ? LocalOriginResult.TIMEOUT
                : LocalOriginResult.CONNECT_FAILED);
        attempt.finished(true);
        if (attempts < route.listener.connectAttempts() && downstream.isActive()) {
            connect();
        } else {
            downstream.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (upstream == null && admitted) {
            if (early == null) {
                early = new java.util.ArrayDeque<>(2);
            }
            early.addLast(msg);
            return;
        }
        if (upstream == null || !upstream.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        upstream.writeAndFlush(msg);
        if (!upstream.isWritable()) {
            downstream.config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (upstream != null) {
            upstream.config().setAutoRead(downstream.isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else if (evt instanceof ChannelInputShutdownEvent) {
            downstreamEnded = true;
            // before an upstream is connected, connected() passes it on after the early bytes
            if (upstream != null) {
                ended(downstream, upstream, upstreamEnded);
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /**
     * One side ({@code from}) sent its FIN: pass it on to {@code to} after what {@code from} sent, or
     * close both when {@code to} had already ended too (or is gone).
     */
    private static void ended(Channel from, Channel to, boolean toEnded) {
        if (toEnded || to == null || !to.isActive()) {
            closeAfterFlush(to);
            closeAfterFlush(from);
            return;
        }
        to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess() && to instanceof DuplexChannel d) {
                d.shutdownOutput();
            } else {
                f.channel().close();
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (admitted) {
            admitted = false;
            route.release();
        }
        if (early != null) {
            for (Object m; (m = early.pollFirst()) != null; ) {
                ReferenceCountUtil.release(m);
            }
        }
        closeAfterFlush(upstream);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void upstreamClosed() {
        if (host != null) {
            route.cluster.requestFinished(host);
            counters.finished(false);
            host = null;
        }
        closeAfterFlush(downstream);
    }

    private static void closeAfterFlush(Channel c) {
        if (c != null && c.isActive()) {
            c.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The upstream side of the connection. */
    private final class Upstream extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!downstream.isActive()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            downstream.writeAndFlush(msg);
            if (!downstream.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            downstream.config().setAutoRead(ctx.channel().isWritable());
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ctx.channel() == upstream) {
                upstreamClosed();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent && ctx.channel() == upstream) {
                upstreamEnded = true;
                ended(upstream, downstream, downstreamEnded);
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
