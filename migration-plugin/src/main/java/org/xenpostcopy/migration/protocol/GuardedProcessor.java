package org.xenpostcopy.migration.protocol;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.LogText;
import org.apache.thrift.TProcessor;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TProtocolException;
import org.apache.thrift.transport.TTransportException;

/**
 * Turns a message that is not valid Thrift into one log line and a closed connection. Without it the server
 * logs a stack trace per malformed frame; the connection is dropped either way, and nothing reaches a handler.
 */
final class GuardedProcessor implements TProcessor {
    private static final Logger LOG = System.getLogger(GuardedProcessor.class.getName());
    private final TProcessor delegate;

    GuardedProcessor(TProcessor delegate) {
        this.delegate = delegate;
    }

    @Override
    public void process(TProtocol in, TProtocol out) throws TException {
        try {
            delegate.process(in, out);
        } catch (TTransportException e) {
            if (e.getType() == TTransportException.UNKNOWN && e.getCause() == null) {
                // libthrift's decoder reports some malformed input as a transport error with no cause: "unrecognized
                // type code" of a map, set or list it skips. The socket is fine; the message is not.
                throw malformed(e);
            }
            throw e;
        } catch (TProtocolException e) {
            throw malformed(e);
        } catch (TException e) {
            // The multiplexer's refusals (a service name it does not serve, a message that is no call) quote
            // what the peer sent: one escaped line, not the library's stack trace.
            LOG.log(Level.WARNING, "dropped a connection that sent a request no service here takes: {0}",
                    LogText.escape(e.getMessage()));
            throw new TTransportException(TTransportException.END_OF_FILE, "unserviceable request", e);
        }
    }

    private static TTransportException malformed(TException e) {
        LOG.log(Level.WARNING, "dropped a connection that sent a malformed message: {0}",
                LogText.escape(e.getMessage()));
        return new TTransportException(TTransportException.END_OF_FILE, "malformed message", e);
    }
}
