package org.xenpostcopy.migration.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The byte stream under a {@link ChannelTransport}: the socket as it is ({@link SocketStream}) or TLS records over
 * it ({@link TlsStream}). Both block, within the transport's timeout ({@link java.net.SocketTimeoutException}).
 */
interface ChannelStream {
    /** Reads at least one byte into {@code dst} (which has room), or returns -1 at the end of the stream. */
    int readSome(ByteBuffer dst) throws IOException;

    /** Writes all of {@code src}. */
    void writeFully(ByteBuffer src) throws IOException;
}
