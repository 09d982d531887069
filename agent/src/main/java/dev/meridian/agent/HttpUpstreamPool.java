package dev.meridian.agent;

import dev.meridian.cluster.Host;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive HTTP/1.1 connections to upstream hosts for one event loop: a request takes an idle
 * connection to its host or opens one, and gives it back when the response ends with keep-alive.
 * One request at a time per connection (no pipelining), as Envoy's HTTP/1 pool uses them. The
 * connections carry bytes, not decoded messages: the exchange that holds a connection reads the
 * response's framing itself ({@link MessageHead}, {@link BodyFraming}).
 *
 * <p>Not thread-safe: used only on its own event loop.
 */
final class HttpUpstreamPool {
    /** Largest request body the agent buffers; beyond it the request is refused (413). */
    static final int MAX_BODY = 1 << 20;
    /** Idle connections kept per host. */
    static final int MAX_IDLE_PER_HOST = 16;

    /** What an upstream connection reports about the exchange it carries. */
    interface Exchange {
        /** Bytes the upstream sent; the exchange owns (releases) them. */
        void onBytes(ByteBuf bytes);

        /** The connection ended (closed by the upstream, reset, or closed by the agent). */
        void onClosed();

        /** The connection's write buffer crossed a water mark: it can take more, or not. */
        void onWritabilityChanged(boolean writable);
    }

    private final EventLoop loop;
    private final AgentConfig config;
    private final Map<String, ArrayDeque<Channel>> idle = new HashMap<>();

    HttpUpstreamPool(EventLoop loop, AgentConfig config) {
        this.loop = loop;
        this.config = config;
    }

    /** An idle connection to the host kept from an earlier exchange, or null. */
    Channel pollIdle(Host host) {
        ArrayDeque<Channel> q = idle.get(host.address());
        while (q != null && !q.isEmpty()) {
            Channel c = q.pollFirst();
            if (c.isActive()) {
                return c;
            }
        }
        return null;
    }

    /**
     * Opens a new connection to the host, of the same transport as {@code downstream}, whose loop this
     * pool serves; the future completes on the loop.
     */
    ChannelFuture connect(Host host, Channel downstream) {
        return new Bootstrap().group(loop).channel(Transport.socketFor(downstream))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpForwarder.WATER_MARK)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new IdleStateHandler(0, 0, config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS),
                                new Connection());
                    }
                })
                .connect(host.endpoint().host(), host.endpoint().port());
    }

    /** Starts an exchange on a connection {@link #acquire} gave. */
    static void begin(Channel c, Exchange exchange) {
        c.pipeline().get(Connection.class).exchange = exchange;
    }

    /** Gives a connection back after its exchange; kept for reuse when it may carry another. */
    void release(Host host, Channel c, boolean reusable) {
        Connection conn = c.pipeline().get(Connection.class);
        if (conn != null) {
            conn.exchange = null;
        }
        // an exchange stops reading while its downstream cannot take more; an idle connection reads, to see its close
        c.config().setAutoRead(true);
        if (!reusable || !c.isActive()) {
            c.close();
            return;
        }
        ArrayDeque<Channel> q = idle.computeIfAbsent(host.address(), a -> new ArrayDeque<>());
        if (q.size() >= MAX_IDLE_PER_HOST) {
            c.close();
        } else {
            q.addLast(c);
        }
    }

    /** Closes every idle connection. */
    void closeIdle() {
        for (ArrayDeque<Channel> q : idle.values()) {
            for (Channel c : q) {
                c.close();
            }
            q.clear();
        }
    }

    /** The upstream end of one connection: its bytes go to the exchange holding it. */
    private static final class Connection extends ChannelInboundHandlerAdapter {
        Exchange exchange;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Exchange e = exchange;
            if (e != null) {
                e.onBytes((ByteBuf) msg);
            } else {
                // bytes nobody asked for: an idle connection that speaks out of turn cannot be reused
                ReferenceCountUtil.release(msg);
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Exchange e = exchange;
            exchange = null;
            if (e != null) {
                e.onClosed();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Exchange e = exchange;
            if (e != null) {
                e.onWritabilityChanged(ctx.channel().isWritable());
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent && exchange == null) {
                ctx.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
