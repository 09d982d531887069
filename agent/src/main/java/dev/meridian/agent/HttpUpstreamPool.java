package dev.meridian.agent;

import dev.meridian.cluster.Host;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Keep-alive HTTP/1.1 connections to upstream hosts for one event loop: a request takes an idle
 * connection to its host or opens one, and gives it back when the response ends with keep-alive.
 * One request at a time per connection (no pipelining), as Envoy's HTTP/1 pool uses them.
 *
 * <p>Not thread-safe: used only on its own event loop.
 */
final class HttpUpstreamPool {
    /** Largest request or response body the agent buffers; beyond it the exchange is refused. */
    static final int MAX_BODY = 1 << 20;
    /** Idle connections kept per host. */
    static final int MAX_IDLE_PER_HOST = 16;

    /** What an upstream connection reports about the exchange it carries. */
    interface Exchange {
        void onResponse(FullHttpResponse response);

        /** The connection ended before a whole response. */
        void onReset();
    }

    private final EventLoop loop;
    private final AgentConfig config;
    private final Map<String, ArrayDeque<Channel>> idle = new HashMap<>();

    HttpUpstreamPool(EventLoop loop, AgentConfig config) {
        this.loop = loop;
        this.config = config;
    }

    /**
     * Hands {@code then} a connection to the host, or the reason there is none; on the loop. A new
     * connection is of the same transport as {@code downstream}, whose loop this pool serves.
     */
    void acquire(Host host, Channel downstream, BiConsumer<Channel, Throwable> then) {
        ArrayDeque<Channel> q = idle.get(host.address());
        while (q != null && !q.isEmpty()) {
            Channel c = q.pollFirst();
            if (c.isActive()) {
                then.accept(c, null);
                return;
            }
        }
        new Bootstrap().group(loop).channel(Transport.socketFor(downstream))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpForwarder.WATER_MARK)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new IdleStateHandler(0, 0, config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS),
                                new HttpClientCodec(), new HttpObjectAggregator(MAX_BODY), new Connection());
                    }
                })
                .connect(host.endpoint().host(), host.endpoint().port())
                .addListener((ChannelFutureListener) f -> then.accept(f.isSuccess() ? f.channel() : null, f.cause()));
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

    /** The upstream end of one connection. */
    private static final class Connection extends SimpleChannelInboundHandler<FullHttpResponse> {
        Exchange exchange;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            Exchange e = exchange;
            exchange = null;
            if (e != null) {
                e.onResponse(response.retain());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Exchange e = exchange;
            exchange = null;
            if (e != null) {
                e.onReset();
            }
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
