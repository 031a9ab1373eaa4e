package org.xenpostcopy.xen.emulated;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.offheap.MappedFile;
import org.xenpostcopy.xen.offheap.OffHeapMemory;

/**
 * One persistent domain's directory, {@code <state-dir>/domains/<domid>/}:
 * <pre>
 *   memory              guest RAM, 4 KiB per gfn, mapped shared: the mapping is the memory
 *   p2m                 one byte per gfn, its p2m type, mapped shared ({@link P2mTable})
 *   vcpu0, vcpu1 ...    per vCPU: the registers of its last completed guest operation and the undo log of the
 *                       one in flight, mapped shared ({@link VcpuJournal})
 *   domain.properties   the rest ({@link DomainRecord}), replaced whole: temp file, fsync, rename, fsync of the dir
 * </pre>
 * A directory without {@code domain.properties} is a creation that did not finish (it is written last, after
 * the guest booted); {@link StateDirectory} removes it. Destroying removes {@code domain.properties} first.
 */
final class DomainFiles implements AutoCloseable {
    static final String RECORD = "domain.properties";

    private final Path dir;
    private final List<OffHeapMemory> mappings = new ArrayList<>();
    private String lastWritten;

    DomainFiles(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    boolean complete() {
        return Files.exists(dir.resolve(RECORD));
    }

    /** The guest's RAM: blocks of the {@code memory} file, in allocation order. */
    MappedFile memory() {
        return new MappedFile(dir.resolve("memory"));
    }

    /** The {@code p2m} file mapped: {@code pages} bytes. */
    ByteBuffer p2m(long pages) {
        return map("p2m", pages).buffer();
    }

    /** The journal of vCPU {@code vcpu}, in the file {@code vcpu<N>}. */
    VcpuJournal journal(int vcpu) {
        return new VcpuJournal(map("vcpu" + vcpu, VcpuJournal.SIZE));
    }

    private OffHeapMemory map(String name, long size) {
        OffHeapMemory m = new MappedFile(dir.resolve(name)).allocate(size);
        synchronized (mappings) {
            mappings.add(m);
        }
        return m;
    }

    /** The size the memory file must have for {@code pages}; a shorter one was truncated by someone. */
    static long memoryBytes(long pages) {
        return pages * Gfn.PAGE_SIZE;
    }

    DomainRecord read() {
        Path f = dir.resolve(RECORD);
        try {
            return DomainRecord.parse(Files.readString(f, StandardCharsets.UTF_8), f.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
    }

    /** Replaces the record durably, unless it is what the file already says. */
    synchronized void write(DomainRecord record) {
        String text = record.toText();
        if (text.equals(lastWritten)) {
            return;
        }
        Path tmp = dir.resolve(RECORD + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                ch.force(true);
            }
            Files.move(tmp, dir.resolve(RECORD), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            StateDirectory.syncDirectory(dir);
            lastWritten = text;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(RECORD), e);
        }
    }

    /** Unmaps the p2m and vCPU files (the memory's blocks belong to the domain's memory, closed with it). */
    @Override
    public void close() {
        synchronized (mappings) {
            mappings.forEach(OffHeapMemory::close);
            mappings.clear();
        }
    }

    /** Removes the domain's files: the record first, so a kill half-way leaves an unfinished directory, not a domain. */
    synchronized void delete() {
        try {
            Files.deleteIfExists(dir.resolve(RECORD));
            StateDirectory.syncDirectory(dir);
            deleteTree(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }
}
