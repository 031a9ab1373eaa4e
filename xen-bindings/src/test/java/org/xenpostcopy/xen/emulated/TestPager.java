package org.xenpostcopy.xen.emulated;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.pager.PagerLoop;

/**
 * A minimal xenpaging for tests: pages a domain out into a saved copy (memory or a paging file) and serves the
 * ring's requests from it on its own thread.
 */
public final class TestPager implements AutoCloseable {
    /** Where evicted pages go. */
    public interface PageStore extends AutoCloseable {
        void save(long gfn, ByteBuffer page);

        void restore(long gfn, ByteBuffer into);

        @Override
        default void close() {
        }
    }

    public static PageStore inMemory() {
        Map<Long, byte[]> pages = new HashMap<>();
        return new PageStore() {
            @Override
            public synchronized void save(long gfn, ByteBuffer page) {
                byte[] b = new byte[Gfn.PAGE_SIZE];
                page.get(b);
                pages.put(gfn, b);
            }

            @Override
            public synchronized void restore(long gfn, ByteBuffer into) {
                into.put(pages.get(gfn));
            }
        };
    }

    /** A paging file, as xenpaging keeps: page {@code gfn} at offset {@code gfn * 4096}. */
    public static PageStore file(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
        return new PageStore() {
            @Override
            public void save(long gfn, ByteBuffer page) {
                try {
                    long pos = gfn * Gfn.PAGE_SIZE;
                    while (page.hasRemaining()) {
                        pos += ch.write(page, pos);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public void restore(long gfn, ByteBuffer into) {
                try {
                    long pos = gfn * Gfn.PAGE_SIZE;
                    while (into.hasRemaining()) {
                        int n = ch.read(into, pos);
                        if (n < 0) {
                            throw new IOException("paging file ends before gfn " + gfn);
                        }
                        pos += n;
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public void close() {
                try {
                    ch.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    private final XenHost host;
    private final DomainId domain;
    private final PageStore store;
    private final PagingSession session;
    private final Object loadLock = new Object();
    private final ByteBuffer faultBuffer = ByteBuffer.allocateDirect(Gfn.PAGE_SIZE);
    private final PagerLoop loop;
    private final AtomicLong requestsServed = new AtomicLong();
    private final AtomicLong pagesLoaded = new AtomicLong();

    public TestPager(XenHost host, DomainId domain, PageStore store) {
        this.host = host;
        this.domain = domain;
        this.store = store;
        this.session = host.paging().enable(domain);
        this.loop = new PagerLoop(session, (request, takenAt) -> {
            synchronized (loadLock) {
                pageIn(request.gfn().value(), faultBuffer);
            }
            requestsServed.incrementAndGet();
            return true;   // every page is in the store: each request is answered at once
        });
    }

    public PagingSession session() {
        return session;
    }

    /** Saves and evicts every populated gfn (the domain should be paused). Returns the number evicted. */
    public long pageOutAll() {
        GfnBitmap populated = host.domains().populated(domain);
        ByteBuffer buf = ByteBuffer.allocateDirect(Gfn.PAGE_SIZE);
        long n = 0;
        for (long gfn = populated.nextSet(0); gfn >= 0; gfn = populated.nextSet(gfn + 1)) {
            buf.clear();
            host.memory().read(domain, Gfn.of(gfn), buf);
            buf.flip();
            store.save(gfn, buf);
            session.nominate(Gfn.of(gfn));
            session.evict(Gfn.of(gfn));
            n++;
        }
        return n;
    }

    public TestPager start() {
        loop.start();
        return this;
    }

    /** Pages one gfn in if it is still out; safe against the serving thread. */
    public boolean pageIn(long gfn, ByteBuffer buf) {
        synchronized (loadLock) {
            P2mType t = host.memory().typeOf(domain, Gfn.of(gfn));
            if (t != P2mType.PAGED && t != P2mType.PAGING_IN) {
                return false;
            }
            buf.clear();
            store.restore(gfn, buf);
            buf.flip();
            session.load(Gfn.of(gfn), buf);
            pagesLoaded.incrementAndGet();
            return true;
        }
    }

    /** Pages everything still out back in, from the calling thread (while the server keeps serving faults). */
    public long pageInAll() {
        ByteBuffer buf = ByteBuffer.allocateDirect(Gfn.PAGE_SIZE);
        long n = 0;
        long count = host.memory().gfnCount(domain);
        for (long gfn = 0; gfn < count; gfn++) {
            if (pageIn(gfn, buf)) {
                n++;
            }
        }
        return n;
    }

    public long requestsServed() {
        return requestsServed.get();
    }

    public long pagesLoaded() {
        return pagesLoaded.get();
    }

    public Throwable failure() {
        return loop.failure();
    }

    @Override
    public void close() throws Exception {
        loop.close();
        session.close();
        store.close();
    }
}
