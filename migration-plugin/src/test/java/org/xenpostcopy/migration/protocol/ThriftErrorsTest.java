package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import org.apache.thrift.transport.TTransportException;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;

/** The peer's considered answers keep their kind; a broken connection is CONNECTION, the one a recovery retries. */
class ThriftErrorsTest {
    private static final InetSocketAddress PEER = InetSocketAddress.createUnresolved("hostb", 7410);

    @Test
    void everyWireCodeMapsToItsEngineErrorAndBack() {
        for (TErrorCode code : TErrorCode.values()) {
            PeerException e = ThriftErrors.fromWire("resume", "the destination", PEER, new TMigrationError(code, "why"));
            assertEquals(code.name(), e.error().name());
            assertEquals("resume failed at the destination hostb:7410: why", e.getMessage());
            assertEquals(code, ThriftErrors.toWire(e).getCode());
        }
    }

    @Test
    void aTransportFailureIsAConnectionError() {
        PeerException e = ThriftErrors.fromWire("push", "the destination", PEER, new TTransportException("Broken pipe"));
        assertEquals(RemoteError.CONNECTION, e.error());
        assertEquals("push failed at the destination hostb:7410: Broken pipe", e.getMessage());
    }
}
