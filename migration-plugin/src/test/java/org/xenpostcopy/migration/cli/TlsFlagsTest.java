package org.xenpostcopy.migration.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.migration.tls.TlsCredentials;

/**
 * The command line's TLS and token rules, run in-process: cluster mode without credentials, {@code --insecure}
 * off loopback, {@code xlpc tls init}, and the token that never goes on the command line.
 */
class TlsFlagsTest {
    @TempDir
    Path tmp;

    /** What one xlpc invocation returned and printed on stderr. */
    private record Run(int exit, String err) {
    }

    private Run xlpc(String... args) throws Exception {
        Path config = Files.writeString(tmp.resolve("empty.conf"), "");   // no config of the machine leaks in
        String[] all = new String[args.length + 2];
        all[0] = "--config";
        all[1] = config.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        StringWriter err = new StringWriter();
        int exit = Xlpc.run(all, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        return new Run(exit, err.toString());
    }

    @Test
    void aDaemonOffLoopbackWithoutCredentialsRefusesToStartWithOneLineSayingHowToMakeThem() throws Exception {
        Run r = xlpc("daemon", "--listen", "0.0.0.0:0");
        assertEquals(1, r.exit());
        assertEquals("xlpc: listening on 0.0.0.0:0 (not loopback) needs TLS credentials; make them with: xlpc tls init "
                + "DIR --hosts NAME[,NAME...], then give --tls-dir DIR/NAME (or tls.dir in the config, XLPC_TLS_DIR)"
                + System.lineSeparator(), r.err());
    }

    @Test
    void insecureIsRefusedOffLoopback() throws Exception {
        Run r = xlpc("daemon", "--listen", "0.0.0.0:0", "--insecure");
        assertEquals(2, r.exit());
        // A usage error: its sentence, then the usage line and where the help is, as for every usage error.
        assertTrue(r.err().startsWith("xlpc: --insecure is for loopback addresses only, not 0.0.0.0:0; TLS "
                + "credentials: make them with: xlpc tls init"), r.err());
    }

    @Test
    void aCommandWillNotTalkPlainToADaemonOffLoopback() throws Exception {
        Run r = xlpc("--daemon", "192.0.2.1:7410", "list");
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("xlpc: the daemon at 192.0.2.1:7410 is not on loopback: talking to it needs TLS "
                + "credentials"), r.err());
    }

    @Test
    void theTlsDirGivenAfterTheSubcommandIsTheOneUsed() throws Exception {
        Run r = xlpc("daemon", "--listen", "0.0.0.0:0", "--tls-dir", tmp.resolve("nowhere").toString());
        assertEquals(1, r.exit());
        assertEquals("xlpc: TLS credentials directory " + tmp.resolve("nowhere") + " does not exist"
                + System.lineSeparator(), r.err());
    }

    @Test
    void tlsInitMakesTheFiveFilesPerHostWithPrivateKeys() throws Exception {
        Path dir = tmp.resolve("lab");
        assertEquals(0, xlpc("tls", "init", dir.toString(), "--hosts", "alpha,beta").exit());
        for (String host : new String[] {"alpha", "beta"}) {
            for (String f : new String[] {TlsCredentials.CA_CERT, TlsCredentials.SERVER_CERT, TlsCredentials.SERVER_KEY,
                    TlsCredentials.CLIENT_CERT, TlsCredentials.CLIENT_KEY}) {
                assertTrue(Files.isRegularFile(dir.resolve(host).resolve(f)), host + "/" + f);
            }
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                    Files.getPosixFilePermissions(dir.resolve(host).resolve(TlsCredentials.SERVER_KEY)));
            assertTrue(TlsCredentials.load(dir.resolve(host)).canServe());
        }
        // A second run adds a host under the same CA instead of making a new one.
        String ca = Files.readString(dir.resolve(TlsCredentials.CA_CERT));
        assertEquals(0, xlpc("tls", "init", dir.toString(), "--hosts", "gamma").exit());
        assertEquals(ca, Files.readString(dir.resolve(TlsCredentials.CA_CERT)));
        assertEquals(ca, Files.readString(dir.resolve("gamma").resolve(TlsCredentials.CA_CERT)));
    }

    @Test
    void theTokenComesFromAFileNeverFromArgv() throws Exception {
        Run asArgument = xlpc("--token", "s3cret", "list");
        assertEquals(2, asArgument.exit());
        assertTrue(asArgument.err().contains("Unknown option") && asArgument.err().contains("'--token'"), asArgument.err());

        Path file = Files.writeString(tmp.resolve("token"), "s3cret\n");
        Xlpc top = new Xlpc();
        new picocli.CommandLine(top).parseArgs("--config", Files.writeString(tmp.resolve("c.conf"), "token = other").toString(),
                "--token-file", file.toString(), "list");
        assertEquals("s3cret", top.config().token());
        assertFalse(SecurityChoice.isLoopback(new InetSocketAddress("0.0.0.0", 7410)));
        assertTrue(SecurityChoice.isLoopback(new InetSocketAddress("localhost", 7410)));
    }
}
