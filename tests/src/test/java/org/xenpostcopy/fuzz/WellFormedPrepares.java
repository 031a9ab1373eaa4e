package org.xenpostcopy.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.Set;
import org.apache.thrift.TConfiguration;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocolUtil;
import org.apache.thrift.protocol.TType;
import org.apache.thrift.transport.TMemoryInputTransport;
import org.xenpostcopy.migration.protocol.ServerLimits;
import org.xenpostcopy.migration.protocol.ThriftConnection;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.TPrepare;

/**
 * The fuzzer's own reading of what it sent: which {@code prepare} calls among a connection's bytes are well formed,
 * read in sequence as the daemon reads them. On a plain daemon anyone may prepare, so a fuzzed frame that is still a
 * whole, valid prepare may create a domain; these are the only ones that may. The reading errs towards finding more
 * (it skips what it does not decode where the daemon would drop the connection), which only widens what is allowed.
 */
final class WellFormedPrepares {
    private WellFormedPrepares() {
    }

    /** Adds the domain names and session ids of the well-formed prepares in {@code c}'s frames. */
    static void collect(FuzzPlan.Connection c, Set<String> domains, Set<String> sessions) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        c.frames().forEach(f -> all.writeBytes(f.bytes()));
        try {
            TMemoryInputTransport in = new TMemoryInputTransport(TConfiguration.DEFAULT, all.toByteArray());
            TBinaryProtocol p = new TBinaryProtocol(in, ServerLimits.MAX_REQUEST_STRING, ServerLimits.MAX_REQUEST_LIST,
                    false, true);
            while (in.getBytesRemainingInBuffer() > 0) {
                TMessage m = p.readMessageBegin();
                if ((m.type != TMessageType.CALL && m.type != TMessageType.ONEWAY) || !served(m.name)) {
                    return;   // the daemon drops the connection here
                }
                if (m.name.equals(ThriftConnection.RECEIVER + ":prepare")) {
                    MigrationReceiver.prepare_args args = new MigrationReceiver.prepare_args();
                    args.read(p);
                    TPrepare r = args.getRequest();
                    if (r != null && r.getDomain() != null) {
                        domains.add(r.getDomain().getName());
                        sessions.add(r.getSessionId());
                    }
                } else {
                    TProtocolUtil.skip(p, TType.STRUCT);
                }
                p.readMessageEnd();
            }
        } catch (TException | RuntimeException e) {
            // the rest is not a message: the daemon drops the connection here
        }
    }

    private static boolean served(String name) {
        return name.startsWith(ThriftConnection.RECEIVER + ":") || name.startsWith(ThriftConnection.PAGES + ":")
                || name.startsWith(ThriftConnection.CONTROL + ":");
    }
}
