package org.xenpostcopy.migration.protocol;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.thrift.TMultiplexedProcessor;
import org.apache.thrift.server.TServer;
import org.apache.thrift.server.TThreadPoolServer;
import org.apache.thrift.transport.TServerSocket;
import org.apache.thrift.transport.TTransportException;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.PageServer;

/**
 * A daemon's Thrift endpoint: both services multiplexed on one port, one thread per connection — so a
 * migration's control, push and demand connections are each served by their own thread and urgent demand
 * requests never wait behind bulk pushes.
 */
public final class MigrationServer implements AutoCloseable {
    private final TServer server;
    private final ServerSocket socket;
    private final Thread thread;
    private final ExecutorService workers;

    public MigrationServer(InetSocketAddress bind, MigrationReceiver.Iface receiver, PageServer.Iface pages) {
        try {
            socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(bind, 64);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + bind.getHostString() + ":" + bind.getPort() + ": "
                    + e.getMessage(), e);
        }
        TMultiplexedProcessor processor = new TMultiplexedProcessor();
        processor.registerProcessor(ThriftConnection.RECEIVER, new MigrationReceiver.Processor<>(receiver));
        processor.registerProcessor(ThriftConnection.PAGES, new PageServer.Processor<>(pages));
        AtomicInteger n = new AtomicInteger();
        workers = new ThreadPoolExecutor(1, 256, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "thrift-conn-" + socket.getLocalPort() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            TServerSocket transport = new TServerSocket(socket);
            server = new TThreadPoolServer(new TThreadPoolServer.Args(transport)
                    .processor(processor)
                    .protocolFactory(new PooledBinaryProtocol.Factory(ThriftConnection.MAX_MESSAGE))
                    .executorService(workers));
        } catch (TTransportException e) {
            throw new IllegalStateException(e);
        }
        thread = new Thread(server::serve, "thrift-accept-" + socket.getLocalPort());
        thread.setDaemon(true);
    }

    public MigrationServer start() {
        thread.start();
        return this;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(socket.getInetAddress().getHostAddress(), socket.getLocalPort());
    }

    @Override
    public void close() {
        server.stop();
        workers.shutdownNow();
        try {
            socket.close();
            thread.join(5000);
        } catch (IOException | InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
