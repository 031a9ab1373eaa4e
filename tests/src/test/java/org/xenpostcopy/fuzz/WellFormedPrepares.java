package org.xenpostcopy.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
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
    private static final String PREPARE = ThriftConnection.RECEIVER + ":prepare";

    private WellFormedPrepares() {
    }

    /** Adds the domain names and session ids of the well-formed prepares in {@code c}'s frames. */
    static void collect(FuzzPlan.Connection c, Set<String> domains, Set<String> sessions) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        c.frames().forEach(f -> all.writeBytes(f.bytes()));
        read(all.toByteArray(), r -> {
            domains.add(r.getDomain().getName());
            sessions.add(r.getSessionId());
        });
    }

    /**
     * The domain of the prepare that opens {@code c}, if it goes as built (unmutated) and names a session other than
     * {@code taken} (the running migration's, or null): sent intact by a peer the daemon lets in, nothing but a fault
     * in the prepare path can keep it from making its domain, as nothing was sent before it.
     */
    static Optional<String> intactOpening(FuzzPlan.Connection c, String taken) {
        FuzzPlan.Frame first = c.frames().get(0);
        if (first.mutation() != Mutation.NONE || !first.call().equals(PREPARE)) {
            return Optional.empty();
        }
        List<TPrepare> read = new ArrayList<>();
        read(first.bytes(), read::add);
        return read.stream().filter(r -> !r.getSessionId().equals(taken)).map(r -> r.getDomain().getName())
                .findFirst();
    }

    /**
     * The domains of the intact opening prepares ({@link #intactOpening}) among the planned connections
     * {@code [from, to)} that {@code delivered} says reach the daemon as sent.
     */
    static Set<String> intactOpenings(FuzzPlan plan, int from, int to, String taken, IntPredicate delivered) {
        Set<String> domains = new TreeSet<>();
        for (int i = from; i < to; i++) {
            if (delivered.test(i)) {
                intactOpening(plan.connection(i), taken).ifPresent(domains::add);
            }
        }
        return domains;
    }

    /** Hands each well-formed prepare among {@code bytes} to {@code prepares}, reading as the daemon reads. */
    private static void read(byte[] bytes, Consumer<TPrepare> prepares) {
        try {
            TMemoryInputTransport in = new TMemoryInputTransport(TConfiguration.DEFAULT, bytes);
            TBinaryProtocol p = new TBinaryProtocol(in, ServerLimits.MAX_REQUEST_STRING, ServerLimits.MAX_REQUEST_LIST,
                    false, true);
            while (in.getBytesRemainingInBuffer() > 0) {
                TMessage m = p.readMessageBegin();
                if ((m.type != TMessageType.CALL && m.type != TMessageType.ONEWAY) || !served(m.name)) {
                    return;   // the daemon drops the connection here
                }
                if (m.name.equals(PREPARE)) {
                    MigrationReceiver.prepare_args args = new MigrationReceiver.prepare_args();
                    args.read(p);
                    TPrepare r = args.getRequest();
                    if (r != null && r.getDomain() != null) {
                        prepares.accept(r);
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
