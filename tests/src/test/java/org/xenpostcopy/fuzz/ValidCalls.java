package org.xenpostcopy.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Function;
import org.apache.thrift.TBase;
import org.apache.thrift.protocol.TMessageType;
import org.xenpostcopy.migration.protocol.ThriftConnection;
import org.xenpostcopy.migration.protocol.Wire;
import org.xenpostcopy.migration.protocol.thrift.HostControl;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.SourcePages;
import org.xenpostcopy.migration.protocol.thrift.TCheckpoint;
import org.xenpostcopy.migration.protocol.thrift.TDomainSpec;
import org.xenpostcopy.migration.protocol.thrift.TMigrateRequest;
import org.xenpostcopy.migration.protocol.thrift.TPages;
import org.xenpostcopy.migration.protocol.thrift.TPrepare;
import org.xenpostcopy.migration.protocol.thrift.TResume;
import org.xenpostcopy.migration.protocol.thrift.TVcpuState;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.emulated.guest.WorkloadSpec;

/**
 * One well-formed call of every method of the daemon's three services, built with the generated {@code *_args}
 * classes, its values drawn from a {@link Random}. Sessions named are fresh UUIDs; given the running migration's id
 * ({@link #ValidCalls(String, String)}: a fuzzer with an identity of its own, which the daemons' session binding must
 * refuse), the receiver and page calls name that one every {@link #TARGET_ODDS}th time. Control calls that only read carry the daemon's token, so their arguments are
 * reached; those that change the host ({@code create}) carry a wrong one, and those that act on a domain name one
 * that does not exist, so no mutation of them can legitimately change the host. A {@code prepare} names a source
 * nobody listens on, with the smallest domain its host boots.
 */
final class ValidCalls {
    /**
     * The smallest domain a prepare's host boots an idle guest in: one a well-formed fuzzed prepare really creates.
     * Not the 16 pages a prepare admits: the guest's kernel takes some of them, and idle refuses a slice under its
     * working set (since it did, a fixed 16 here made every fuzzed prepare fail at domain creation, unnoticed).
     */
    static final int PREPARE_PAGES = smallestIdleGuest();
    /** Prepared domains' names start so, so the test can tell them from the migration's. */
    static final String PREPARED_PREFIX = "fz";

    /** How often a receiver or page call names the target session, when there is one. */
    static final int TARGET_ODDS = 3;

    private final String token;
    private final String target;
    private final Map<String, Function<Random, TBase<?, ?>>> calls = new LinkedHashMap<>();

    /** @param token the daemons' control token */
    ValidCalls(String token) {
        this(token, null);
    }

    /**
     * @param token  the daemons' control token
     * @param target a session the receiver and page calls also name, or null for none
     */
    ValidCalls(String token, String target) {
        this.token = token;
        this.target = target;
        String r = ThriftConnection.RECEIVER + ":";
        calls.put(r + "prepare", x -> new MigrationReceiver.prepare_args(prepare(x)));
        calls.put(r + "resume", x -> new MigrationReceiver.resume_args(resume(x)));
        calls.put(r + "pushPages", x -> new MigrationReceiver.pushPages_args(session(x), pages(x)));
        calls.put(r + "complete", x -> new MigrationReceiver.complete_args(session(x), x.nextInt(100), x.nextBoolean(),
                x.nextInt(200), 0, 0));
        calls.put(r + "heartbeat", x -> new MigrationReceiver.heartbeat_args(session(x)));
        calls.put(r + "reconnect", x -> new MigrationReceiver.reconnect_args(session(x), "127.0.0.1", 9));
        calls.put(r + "recovered", x -> new MigrationReceiver.recovered_args(session(x)));
        calls.put(r + "abort", x -> new MigrationReceiver.abort_args(session(x), "fuzz"));
        calls.put(r + "takenBack", x -> new MigrationReceiver.takenBack_args(session(x), "fuzz"));
        calls.put(r + "released", x -> new MigrationReceiver.released_args(session(x)));
        String p = ThriftConnection.PAGES + ":";
        calls.put(p + "fetch", x -> new SourcePages.fetch_args(session(x), gfns(x, 1 + x.nextInt(4))));
        calls.put(p + "checkpointPages", x -> new SourcePages.checkpointPages_args(session(x), x.nextInt(10), pages(x)));
        calls.put(p + "checkpointCommit", x -> new SourcePages.checkpointCommit_args(session(x), new TCheckpoint(
                x.nextInt(10), List.of(vcpu(x)), bitmap(), x.nextInt(16), x.nextInt(1000))));
        calls.put(p + "hasReleased", x -> new SourcePages.hasReleased_args(session(x)));
        String c = ThriftConnection.CONTROL + ":";
        calls.put(c + "describe", x -> new HostControl.describe_args(token));
        calls.put(c + "listDomains", x -> new HostControl.listDomains_args(token));
        calls.put(c + "create", x -> new HostControl.create_args(wrongToken(x), prepared(x), 16, "idle", x.nextLong(),
                x.nextInt(10) - 1));
        calls.put(c + "destroy", x -> new HostControl.destroy_args(token, absent(x)));
        calls.put(c + "memSet", x -> new HostControl.memSet_args(token, absent(x), 16 + x.nextInt(64)));
        calls.put(c + "dsb", x -> new HostControl.dsb_args(token, List.of("start", "stop", "status").get(x.nextInt(3)),
                absent(x)));
        calls.put(c + "pageOut", x -> new HostControl.pageOut_args(token, absent(x), x.nextInt(64), x.nextInt(20)));
        calls.put(c + "startMigration", x -> new HostControl.startMigration_args(token, new TMigrateRequest(absent(x),
                "127.0.0.1", 9, "postcopy", "bubble", false, 0, 0, true, 0, 0)));
        calls.put(c + "migrationStatus", x -> new HostControl.migrationStatus_args(token, anySession(x), x.nextInt(20)));
        calls.put(c + "retryMigration", x -> new HostControl.retryMigration_args(token, anySession(x)));
        calls.put(c + "failBackMigration", x -> new HostControl.failBackMigration_args(token, anySession(x)));
    }

    /** Every call's message name ("service:method"). */
    List<String> names() {
        return List.copyOf(calls.keySet());
    }

    /** A well-formed call of {@code name}. */
    MarkedFrame call(String name, Random random) {
        byte type = name.endsWith(":pushPages") ? TMessageType.ONEWAY : TMessageType.CALL;
        return MarkingProtocol.frame(name, type, random.nextInt(), calls.get(name).apply(random));
    }

    /** The target session now and then (a receiver or page call), else a fresh one. */
    private String session(Random x) {
        if (target != null && x.nextInt(TARGET_ODDS) == 0) {
            return target;
        }
        return anySession(x);
    }

    /**
     * A fresh session id, never the target: control calls carry the token, and with it an administrator may act on
     * any migration (fail one back, say); what is fuzzed here is whether a peer without it can.
     */
    private static String anySession(Random x) {
        return new UUID(x.nextLong(), x.nextLong()).toString();
    }

    private static String prepared(Random x) {
        return PREPARED_PREFIX + "-" + Integer.toHexString(x.nextInt());
    }

    private static String absent(Random x) {
        return "fz-absent-" + Integer.toHexString(x.nextInt());
    }

    /** A token of another length than any the daemon takes: no bit flip turns it into the right one. */
    private String wrongToken(Random x) {
        return "guess-" + Long.toHexString(x.nextLong()) + "-" + token;
    }

    private TPrepare prepare(Random x) {
        TPrepare p = new TPrepare(session(x), new TDomainSpec(prepared(x), PREPARE_PAGES, 1, "idle", x.nextLong(), 0),
                "127.0.0.1", 9, 0, 0, bitmap(), "postcopy");
        p.setStallMs(1000);
        return p;
    }

    private TResume resume(Random x) {
        TResume r = new TResume(session(x), List.of(vcpu(x)), bitmap(), x.nextInt(16));
        r.setOutstanding(bitmap());
        return r;
    }

    private static TVcpuState vcpu(Random x) {
        byte[] context = new byte[64];
        x.nextBytes(context);
        return new TVcpuState(0, ByteBuffer.wrap(context));
    }

    private static int smallestIdleGuest() {
        for (int pages = 16; pages <= 1024; pages++) {
            try {
                WorkloadSpec.parse("idle", pages, 1, 0);
                return pages;
            } catch (IllegalArgumentException tooSmall) {
                // its kernel's tables leave less than idle's working set
            }
        }
        throw new IllegalStateException("no guest up to 1024 pages runs idle");
    }

    /** The hole map of a {@link #PREPARE_PAGES}-gfn physmap, in whole 64-bit words: none unpopulated. */
    private static ByteBuffer bitmap() {
        return Wire.packBitmap(new GfnBitmap(PREPARE_PAGES));
    }

    private static TPages pages(Random x) {
        int n = 1 + x.nextInt(2);
        byte[] bytes = new byte[n * 4096];
        x.nextBytes(bytes);
        return new TPages(gfns(x, n), ByteBuffer.wrap(bytes));
    }

    /** {@code n} packed little-endian u64 gfns within a small guest. */
    private static ByteBuffer gfns(Random x, int n) {
        ByteBuffer b = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putLong(x.nextInt(PREPARE_PAGES));
        }
        return b.flip();
    }
}
