package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.TTransportException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xenpostcopy.migration.tls.ChannelSecurity;

/** The accept loop outlives a connection it cannot set up. */
@Timeout(60)
class ChannelServerTransportTest {
    @Test
    void aConnectionWithoutDirectMemoryForItsBuffersIsRefusedAndTheNextIsAccepted() throws Exception {
        ChannelSecurity security = mock(ChannelSecurity.class);
        when(security.isTls()).thenReturn(true, false);
        when(security.serverEngine())
                .thenThrow(new OutOfMemoryError("Cannot reserve 133632 bytes of direct buffer memory"));
        ChannelServerTransport server = new ChannelServerTransport(new InetSocketAddress("127.0.0.1", 0),
                ThriftConnection.config(), security, ServerLimits.defaults());
        int port = server.localAddress().getPort();
        try (Socket first = new Socket("127.0.0.1", port)) {
            TTransportException e = assertThrows(TTransportException.class, server::accept,
                    "an Error out of accept ends libthrift's accept loop for good");
            assertTrue(e.getMessage().contains("direct buffer memory"), e.getMessage());
            first.setSoTimeout(30_000);
            try (InputStream in = first.getInputStream()) {
                assertEquals(-1, in.read(), "the refused connection is closed");
            }
            assertEquals(0, server.open(), "the refused connection does not count against the caps");

            try (Socket second = new Socket("127.0.0.1", port); TTransport t = server.accept()) {
                assertTrue(t.isOpen());
                assertEquals(1, server.open());
            }
        } finally {
            server.close();
        }
    }
}
