package org.xenpostcopy.migration.protocol;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedChannelException;
import java.util.Optional;
import javax.net.ssl.SSLException;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.LogText;
import org.apache.thrift.TProcessor;
import org.apache.thrift.TProcessorFactory;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.TTransportException;
import org.xenpostcopy.migration.tls.PeerIdentity;

/**
 * One accepted connection's processor: completes the TLS handshake before the first request is read — a peer the
 * CA or the allow-list refuses is dropped with one log line and nothing of it is dispatched — then serves every
 * request with the peer's identity in {@link CallingPeer}.
 */
final class IdentifiedConnection implements TProcessor {
    private static final Logger LOG = System.getLogger(IdentifiedConnection.class.getName());

    private final ChannelTransport transport;
    private final TProcessor delegate;
    private Optional<PeerIdentity> peer;

    private IdentifiedConnection(ChannelTransport transport, TProcessor delegate) {
        this.transport = transport;
        this.delegate = delegate;
    }

    /** Makes one per accepted connection (the server asks once per connection, on its thread). */
    static TProcessorFactory factory(TProcessor delegate) {
        return new TProcessorFactory(delegate) {
            @Override
            public TProcessor getProcessor(TTransport transport) {
                return new IdentifiedConnection((ChannelTransport) transport, delegate);
            }

            @Override
            public boolean isAsyncProcessor() {
                return false;
            }
        };
    }

    @Override
    public void process(TProtocol in, TProtocol out) throws TException {
        if (peer == null) {
            try {
                peer = transport.handshake();
            } catch (TTransportException e) {
                // A channel this side closed (the server stopping with a handshake under way) is not a refusal, nor
                // is a peer that hung up without a byte (a port probe: the lab's readiness check, a load balancer's).
                Throwable root = rootCause(e);
                boolean notARefusal = root instanceof ClosedChannelException
                        || root instanceof TlsStream.SilentPeerException;
                LOG.log(notARefusal ? Level.DEBUG : Level.WARNING, notARefusal
                        ? "closed a connection from {0} during its TLS handshake: {1}"
                        : "refused a connection from {0}: {1}", transport.remote(),
                        LogText.escape(ThriftConnection.rootMessage(e)));
                throw new TTransportException(TTransportException.END_OF_FILE, "TLS handshake failed", e);
            }
            peer.ifPresent(p -> LOG.log(Level.DEBUG, "TLS peer {0} from {1}", p.describe(), transport.remote()));
        }
        CallingPeer.set(peer);
        try {
            delegate.process(in, out);
        } catch (TTransportException e) {
            if (e.getType() == TTransportException.TIMED_OUT || e.getType() == TTransportException.CORRUPTED_DATA) {
                // A limit of ServerLimits: one line, and the connection closes quietly.
                LOG.log(Level.WARNING, "closed the connection from {0}{1}: {2}", transport.remote(),
                        peer.map(p -> " (" + LogText.escape(p.describe()) + ")").orElse(""),
                        ThriftConnection.rootMessage(e));
                throw new TTransportException(TTransportException.END_OF_FILE, "closed at a limit", e);
            }
            if (brokenTls(e)) {
                // A record after the handshake that does not decrypt or does not belong (forged, replayed, cut, of
                // another content type), or an alert: the engine is done with the connection. One line, as for a
                // refused handshake; left to libthrift it was an error with a stack trace per broken record (and no
                // line at all under xlpc, which silences the library).
                LOG.log(Level.WARNING, "closed the connection from {0}{1}: a broken TLS record: {2}",
                        transport.remote(), peer.map(p -> " (" + LogText.escape(p.describe()) + ")").orElse(""),
                        LogText.escape(ThriftConnection.rootMessage(e)));
                throw new TTransportException(TTransportException.END_OF_FILE, "broken TLS record", e);
            }
            throw e;
        } finally {
            CallingPeer.clear();
        }
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    /** Whether a TLS engine's failure is what ended the read or write (not the socket, nor a limit). */
    private static boolean brokenTls(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return true;
            }
        }
        return false;
    }
}
