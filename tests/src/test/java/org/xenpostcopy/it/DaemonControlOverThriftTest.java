package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.control.ControlException;
import org.xenpostcopy.migration.control.DomainSummary;
import org.xenpostcopy.migration.control.DsbAction;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.protocol.DaemonConnection;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/** The command line's client against a real agent over Thrift on loopback: answers and refusals arrive as sent. */
class DaemonControlOverThriftTest {
    @Test
    void answersAndRefusalsCrossTheWireAsDomainTypes() {
        try (EmulatedXenHost host = new EmulatedXenHost("ctl");
             HostAgent agent = new HostAgent(host, new InetSocketAddress("127.0.0.1", 0), BalloonPolicy.defaults(), "t0k",
                     ChannelSecurity.plain());
             DaemonConnection daemon = DaemonConnection.open(agent.address(), "t0k", ChannelSecurity.plain())) {
            assertEquals("emulated host 'ctl'", daemon.describe());
            DomainSummary vm = daemon.create("vm", 16, 2, "idle", 1);
            assertEquals(vm, daemon.listDomains().get(1));
            assertEquals("self-ballooning is not running for vm", daemon.dsb(DsbAction.STATUS, "vm"));

            ControlException missing = assertThrows(ControlException.class, () -> daemon.destroy("ghost"));
            assertEquals(RemoteError.NO_SUCH_DOMAIN, missing.error());
            assertEquals("no domain 'ghost' on emulated host 'ctl'", missing.getMessage());
            ControlException tooBig = assertThrows(ControlException.class, () -> daemon.memSet("vm", 32));
            assertEquals(RemoteError.BAD_REQUEST, tooBig.error());
            ControlException unknown = assertThrows(ControlException.class, () -> daemon.migrationStatus("nope", 0));
            assertEquals(RemoteError.UNKNOWN_SESSION, unknown.error());

            try (DaemonConnection stranger = DaemonConnection.open(agent.address(), "guess", ChannelSecurity.plain())) {
                ControlException refused = assertThrows(ControlException.class, stranger::listDomains);
                assertEquals(RemoteError.UNAUTHORIZED, refused.error());
            }
            daemon.destroy("vm");
            assertEquals(1, daemon.listDomains().size());
        }
    }

    @Test
    void noDaemonIsUnreachable() {
        ControlException e = assertThrows(ControlException.class,
                () -> DaemonConnection.open(new InetSocketAddress("127.0.0.1", 1), "", ChannelSecurity.plain()));
        assertEquals(RemoteError.CONNECTION, e.error());
        assertTrue(e.getMessage().startsWith("cannot reach the daemon at 127.0.0.1:1"), e.getMessage());
    }
}
