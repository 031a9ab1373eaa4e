package org.xenpostcopy.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP relay to one target that spoils one page on its way: the first time the bytes a page starts with
 * (its {@code needle}) cross towards the target, one bit {@link #SPOIL_AT} bytes further on is flipped. Frames and
 * lengths stay intact, so the receiver's books add up; only a check of the page's contents can tell.
 */
final class PageSpoilingRelay implements AutoCloseable {
    /** Inside the page, past the needle, so the needle itself arrives as sent. */
    static final int SPOIL_AT = 1000;

    private final LoopbackRelay relay;
    private final byte[] needle;
    private final AtomicLong spoiled;
    private final AtomicBoolean done = new AtomicBoolean();

    /** @param spoiled counts the pages spoiled (never more than one) */
    PageSpoilingRelay(InetSocketAddress target, byte[] needle, AtomicLong spoiled) throws IOException {
        this.needle = needle.clone();
        this.spoiled = spoiled;
        relay = new LoopbackRelay("spoiling-relay", target,
                towardsTarget -> towardsTarget ? new Spoiler() : (bytes, n, streamPos) -> { });
    }

    InetSocketAddress address() {
        return relay.address();
    }

    /** One connection's bytes towards the target: the needle looked for until one page of all is spoiled. */
    private final class Spoiler implements LoopbackRelay.Tap {
        private final StreamSearch search = new StreamSearch(needle);
        private long flipAt = -1;   // stream offset of the byte to spoil, once the needle was seen

        @Override
        public void cross(byte[] bytes, int n, long streamPos) {
            if (flipAt < 0 && !done.get()) {
                long at = search.next(bytes, n, streamPos);
                if (at >= 0) {
                    flipAt = at + SPOIL_AT;
                }
            }
            if (flipAt >= streamPos && flipAt < streamPos + n && done.compareAndSet(false, true)) {
                bytes[(int) (flipAt - streamPos)] ^= 0x01;
                spoiled.incrementAndGet();
            }
        }
    }

    @Override
    public void close() throws IOException {
        relay.close();
    }
}
