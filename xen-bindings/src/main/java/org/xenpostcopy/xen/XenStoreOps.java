package org.xenpostcopy.xen;

import java.util.List;
import java.util.Optional;

/** The xenstore operations that work both directly and inside a transaction. */
public interface XenStoreOps {
    /** The value at {@code path}, or empty if the node does not exist ({@code xs_read}). */
    Optional<String> read(String path);

    /** Writes a value, creating the node and missing parents ({@code xs_write}). */
    void write(String path, String value);

    /** Creates a node with an empty value if it does not exist ({@code xs_mkdir}). */
    void mkdir(String path);

    /** Removes a node and everything below it; a missing node is not an error ({@code xs_rm}). */
    void rm(String path);

    /** The child names of a node ({@code xs_directory}); {@code ENOENT} if it does not exist. */
    List<String> directory(String path);
}
