package dev.meridian.agent;

import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The socket implementation the agent's event loops run on: Linux's epoll through Netty's native
 * transport when its library loads (x86-64 and aarch64 are bundled), the JDK's NIO otherwise. Epoll
 * costs less CPU per forwarded request (no selected-key sets, no JDK-side locking around each read and
 * write), which matters because a VM's agent takes its CPU from the VM's own workload. Netty's
 * {@code -Dio.netty.transport.noNative=true} forces NIO.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name {@code epoll} or {@code nio}, as the agent reports it at start
 * @param ioHandlers the event loops' I/O handler
 * @param serverChannel the listeners' channel type
 * @param channel the upstream connections' channel type
 */
record Transport(String name, IoHandlerFactory ioHandlers, Class<? extends ServerChannel> serverChannel,
                 Class<? extends Channel> channel) {

    /** Epoll when available, NIO otherwise. */
    static Transport best() {
        return Epoll.isAvailable()
                ? new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class)
                : nio();
    }

    /** The channel type for an upstream connection opened on {@code loopsChannel}'s event loop. */
    static Class<? extends Channel> socketFor(Channel loopsChannel) {
        return loopsChannel instanceof EpollSocketChannel ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** The JDK's NIO, available everywhere. */
    static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }
}
