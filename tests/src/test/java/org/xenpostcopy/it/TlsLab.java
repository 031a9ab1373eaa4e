package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.xenpostcopy.migration.cli.Xlpc;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.migration.tls.PeerAllowList;
import org.xenpostcopy.migration.tls.TlsCredentials;

/**
 * Lab credentials made as an operator makes them, with {@code xlpc tls init}: one CA and a certificate per named host
 * in one directory; and the mutual TLS a daemon or client of one of those hosts runs with.
 */
public final class TlsLab {
    private final Path dir;

    private TlsLab(Path dir) {
        this.dir = dir;
    }

    /** Runs {@code xlpc tls init dir --hosts ...}; the test fails unless it exits 0 and writes no error. */
    public static TlsLab init(Path dir, String... hosts) {
        StringWriter err = new StringWriter();
        int exit = Xlpc.run(new String[] {"tls", "init", dir.toString(), "--hosts", String.join(",", hosts)},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertEquals(0, exit, err.toString());
        assertEquals("", err.toString());
        return new TlsLab(dir);
    }

    /** The directory of host {@code name}'s credentials (as {@code xlpc daemon --tls} takes it). */
    public Path credentials(String name) {
        return dir.resolve(name);
    }

    /**
     * Host {@code name}'s mutual TLS, letting in the hosts named in {@code allow} (comma-separated; empty lets in any
     * certificate the CA signed).
     */
    public ChannelSecurity host(String name, String allow) {
        return ChannelSecurity.tls(TlsCredentials.load(credentials(name)), PeerAllowList.parse(allow));
    }
}
