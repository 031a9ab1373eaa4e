package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.destination.IncomingMigrations;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.Prepare;
import org.xenpostcopy.migration.peer.Resume;
import org.xenpostcopy.migration.protocol.thrift.TDomainSpec;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.TPages;
import org.xenpostcopy.migration.protocol.thrift.TPrepare;
import org.xenpostcopy.migration.protocol.thrift.TResume;
import org.xenpostcopy.migration.protocol.thrift.TVcpuState;
import org.xenpostcopy.xen.GfnBitmap;

/** The destination's handler converts and delegates: what it hands on, what it refuses unread, how errors map. */
class ReceiverHandlerTest {
    private final IncomingMigrations incoming = mock(IncomingMigrations.class);
    private final ReceiverHandler handler = new ReceiverHandler(incoming, new SessionOwners(id -> true));

    private static TPrepare prepare(long gfns) {
        TPrepare p = new TPrepare("s1", new TDomainSpec("vm", 128, 1, "idle", 7, 512), "10.0.0.1", 7410, 0, 0,
                Wire.packBitmap(new GfnBitmap(gfns)), "hybrid");
        p.setGfnCount(gfns);
        return p;
    }

    @Test
    void prepareHandsOnTheDomainAndTheSourceAsTheEngineSeesThem() throws Exception {
        when(incoming.prepare(eq("s1"), any())).thenReturn(new Prepare.Reply(9, 1.5));
        assertEquals(9, handler.prepare(prepare(256)).getDestinationDomid());
        ArgumentCaptor<Prepare> got = ArgumentCaptor.forClass(Prepare.class);
        verify(incoming).prepare(eq("s1"), got.capture());
        assertEquals("vm", got.getValue().domain().name());
        assertEquals(256, got.getValue().unpopulated().size());
        assertEquals(MigrationMode.HYBRID, got.getValue().mode());
        assertEquals(7410, got.getValue().source().getPort());
        assertEquals(512, got.getValue().targetKiB());
    }

    @Test
    void anUnreadablePrepareIsRefusedBeforeTheEngineSeesIt() {
        TPrepare badMode = prepare(256).setMode("sideways");
        assertEquals(TErrorCode.BAD_REQUEST, assertThrows(TMigrationError.class, () -> handler.prepare(badMode)).getCode());
        TPrepare huge = prepare(256).setGfnCount(ReceiverHandler.MAX_GFNS + 1);
        assertEquals(TErrorCode.BAD_REQUEST, assertThrows(TMigrationError.class, () -> handler.prepare(huge)).getCode());
        TPrepare port = prepare(256).setSourcePort(70000);
        assertEquals(TErrorCode.BAD_REQUEST, assertThrows(TMigrationError.class, () -> handler.prepare(port)).getCode());
        verify(incoming, never()).prepare(anyString(), any());
    }

    /** Found by the protocol fuzzer: a call whose struct argument is absent reached the handler as null. */
    @Test
    void aCallWithoutItsRequestIsABadRequestNotAnInternalError() {
        assertEquals(TErrorCode.BAD_REQUEST, assertThrows(TMigrationError.class, () -> handler.prepare(null)).getCode());
        assertEquals(TErrorCode.BAD_REQUEST, assertThrows(TMigrationError.class, () -> handler.resume(null)).getCode());
        verify(incoming, never()).prepare(anyString(), any());
        verify(incoming, never()).resume(anyString(), any());
    }

    @Test
    void engineErrorsBecomeTheWireCodeWithTheSameSentence() {
        when(incoming.gfnCount("gone")).thenThrow(new PeerException(RemoteError.UNKNOWN_SESSION, "no incoming migration"));
        TResume r = new TResume("gone", List.of(new TVcpuState(0, ByteBuffer.wrap(new byte[4]))),
                ByteBuffer.allocate(0), 0);
        TMigrationError e = assertThrows(TMigrationError.class, () -> handler.resume(r));
        assertEquals(TErrorCode.UNKNOWN_SESSION, e.getCode());
        assertEquals("no incoming migration", e.getMessage());
    }

    @Test
    void resumeUnpacksBitmapsToTheSessionsSpan() throws Exception {
        when(incoming.gfnCount("s1")).thenReturn(130L);
        GfnBitmap holes = new GfnBitmap(130);
        holes.set(129);
        when(incoming.resume(eq("s1"), any())).thenReturn(new Resume.Reply(1, 2));
        handler.resume(new TResume("s1", List.of(new TVcpuState(0, ByteBuffer.wrap(new byte[4]))),
                Wire.packBitmap(holes), 3));
        ArgumentCaptor<Resume> got = ArgumentCaptor.forClass(Resume.class);
        verify(incoming).resume(eq("s1"), got.capture());
        assertEquals(holes, got.getValue().unpopulated());
        assertEquals(3, got.getValue().pagesSentBefore());
        assertEquals(1, got.getValue().vcpus().size());
    }

    @Test
    void aMalformedPushIsHandedOnAsRefusedNeverAsPages() {
        when(incoming.gfnCount("s1")).thenReturn(64L);
        TPages ragged = new TPages(Wire.packGfns(new long[] {1, 2}, 2), ByteBuffer.allocate(4096));
        handler.pushPages("s1", ragged);
        TPages outOfRange = new TPages(Wire.packGfns(new long[] {64}, 1), ByteBuffer.allocate(4096));
        handler.pushPages("s1", outOfRange);
        verify(incoming, never()).push(anyString(), any());
        verify(incoming, org.mockito.Mockito.times(2)).refuseBatch(eq("s1"), anyString());
    }

    @Test
    void aGoodPushArrivesAsOneBatch() {
        when(incoming.gfnCount("s1")).thenReturn(64L);
        handler.pushPages("s1", new TPages(Wire.packGfns(new long[] {5, 6}, 2), ByteBuffer.allocate(8192)));
        ArgumentCaptor<PageBatch> got = ArgumentCaptor.forClass(PageBatch.class);
        verify(incoming).push(eq("s1"), got.capture());
        assertEquals(2, got.getValue().count());
        assertEquals(6, got.getValue().gfns()[1]);
    }

    @Test
    void anotherIdentitysCallsAreRefusedBeforeTheEngineSeesThem() throws Exception {
        when(incoming.prepare(eq("s1"), any())).thenReturn(new Prepare.Reply(9, 1.5));
        when(incoming.gfnCount("s1")).thenReturn(256L);
        as("source", () -> handler.prepare(prepare(256)));
        as("mallory", () -> {
            TResume resume = new TResume("s1", List.of(new TVcpuState(0, ByteBuffer.wrap(new byte[4]))),
                    Wire.packBitmap(new GfnBitmap(256)), 0);
            for (Call c : List.<Call>of(() -> handler.resume(resume), () -> handler.complete("s1", 0, true, 1, 0, 0),
                    () -> handler.abort("s1", "mine now"), () -> handler.heartbeat("s1"),
                    () -> handler.reconnect("s1", "10.0.0.66", 7410), () -> handler.recovered("s1"),
                    () -> handler.prepare(prepare(256)))) {
                TMigrationError e = assertThrows(TMigrationError.class, c::run);
                assertEquals(TErrorCode.UNAUTHORIZED, e.getCode(), e.getMessage());
            }
            handler.pushPages("s1", new TPages(Wire.packGfns(new long[] {5}, 1), ByteBuffer.allocate(4096)));
        });
        verify(incoming, never()).resume(anyString(), any());
        verify(incoming, never()).complete(anyString(), any());
        verify(incoming, never()).abort(anyString(), anyString());
        verify(incoming, never()).heartbeat(anyString());
        verify(incoming, never()).reconnect(anyString(), any());
        verify(incoming, never()).recovered(anyString());
        verify(incoming, never()).push(anyString(), any());
        verify(incoming, never()).refuseBatch(anyString(), anyString());
        verify(incoming, org.mockito.Mockito.times(1)).prepare(anyString(), any());
        as("source", () -> handler.abort("s1", "changed my mind"));
        verify(incoming).abort("s1", "changed my mind");
    }

    @Test
    void aReasonThatWouldForgeALogLineReachesTheEngineEscaped() throws Exception {
        handler.abort("s1", "bye\nINFO: all is well");
        verify(incoming).abort("s1", "bye\\nINFO: all is well");
    }

    @Test
    void aPrepareWithANameOrIdOutOfBoundsIsRefusedUnread() {
        TPrepare longName = prepare(256);
        longName.getDomain().setName("v".repeat(RequestBounds.MAX_DOMAIN_NAME + 1));
        assertEquals(TErrorCode.BAD_REQUEST, assertThrows(TMigrationError.class, () -> handler.prepare(longName)).getCode());
        TPrepare forgedId = prepare(256).setSessionId("s1\nWARNING: forged");
        assertEquals(TErrorCode.BAD_REQUEST, assertThrows(TMigrationError.class, () -> handler.prepare(forgedId)).getCode());
        verify(incoming, never()).prepare(anyString(), any());
    }

    private interface Call {
        void run() throws Exception;
    }

    /** Runs {@code body} as a handler thread serving a TLS peer of that name does. */
    private static void as(String cn, Call body) throws Exception {
        CallingPeer.set(java.util.Optional.of(new org.xenpostcopy.migration.tls.PeerIdentity(cn, List.of(), "CN=" + cn)));
        try {
            body.run();
        } finally {
            CallingPeer.clear();
        }
    }
}
