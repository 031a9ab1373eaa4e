package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.tls.PeerIdentity;

/** A session belongs to the identity that prepared it (or, at a source, to the destination it was sent to). */
class SessionOwnersTest {
    private static final Optional<PeerIdentity> SOURCE = Optional.of(new PeerIdentity("source", List.of(), "CN=source"));
    private static final Optional<PeerIdentity> SOURCE_AGAIN =
            Optional.of(new PeerIdentity("SOURCE", List.of("source.lab"), "CN=SOURCE,O=lab"));
    private static final Optional<PeerIdentity> MALLORY =
            Optional.of(new PeerIdentity("mallory", List.of(), "CN=mallory"));

    private final Set<String> known = new HashSet<>();
    private final AtomicLong now = new AtomicLong();
    private final SessionOwners owners = new SessionOwners(known::contains, now::get);

    @Test
    void anotherIdentityIsRefusedEveryCallOfTheSession() {
        assertTrue(owners.claim("s1", SOURCE, "prepare"));
        for (String call : List.of("resume", "complete", "abort", "heartbeat", "reconnect", "recovered", "fetch")) {
            PeerException e = assertThrows(PeerException.class, () -> owners.check("s1", MALLORY, call));
            assertEquals(RemoteError.UNAUTHORIZED, e.error());
            assertEquals(call + " refused: session s1 belongs to CN=source, not to CN=mallory", e.getMessage());
        }
        assertFalse(owners.allows("s1", "pushPages"), "pushes of another identity are dropped");
        assertThrows(PeerException.class, () -> owners.claim("s1", MALLORY, "prepare"), "nor may it prepare it again");
    }

    @Test
    void theOwnerIsKnownByNameWhateverElseItsCertificateSays() {
        owners.claim("s1", SOURCE, "prepare");
        assertDoesNotThrow(() -> owners.check("s1", SOURCE_AGAIN, "resume"));
        assertFalse(owners.claim("s1", SOURCE, "prepare"), "a retried prepare binds nothing new");
    }

    @Test
    void withoutTlsEveryCallerIsTheSameAnonymousOne() {
        assertTrue(owners.claim("s1", Optional.empty(), "prepare"));
        assertDoesNotThrow(() -> owners.check("s1", Optional.empty(), "resume"));
        assertThrows(PeerException.class, () -> owners.check("s1", MALLORY, "resume"),
                "a TLS caller is not the anonymous owner");
    }

    @Test
    void anUnboundSessionIsLeftToTheEngineAndABadIdIsRefused() {
        assertDoesNotThrow(() -> owners.check("never-prepared", MALLORY, "resume"));
        PeerException bad = assertThrows(PeerException.class, () -> owners.check("s1\nforged", SOURCE, "resume"));
        assertEquals(RemoteError.BAD_REQUEST, bad.error());
        assertFalse(owners.allows("s1\nforged", "pushPages"));
    }

    @Test
    void aFailedPrepareLeavesTheIdToNobody() {
        owners.claim("s1", SOURCE, "prepare");
        owners.release("s1");
        assertTrue(owners.claim("s1", MALLORY, "prepare"));
    }

    @Test
    void aSourceRefusesToGoOnWithAnotherDestination() {
        owners.expect("s1", SOURCE);
        owners.expect("s1", SOURCE_AGAIN);   // a reconnect to the same host
        MigrationException e = assertThrows(MigrationException.class, () -> owners.expect("s1", MALLORY));
        assertTrue(e.getMessage().contains("was sent to CN=source"), e.getMessage());
    }

    @Test
    void bindingsAreForgottenOnlyLongAfterTheirSessionEnded() {
        owners.claim("live", SOURCE, "prepare");
        owners.claim("ended", SOURCE, "prepare");
        known.add("live");
        now.addAndGet(SessionOwners.FORGET_AFTER_NANOS + 1);
        owners.claim("next", SOURCE, "prepare");
        assertEquals(2, owners.size(), "the ended session's binding went, the live one's stayed");
        assertThrows(PeerException.class, () -> owners.check("live", MALLORY, "resume"));
        known.remove("live");
        now.addAndGet(SessionOwners.FORGET_AFTER_NANOS / 2);
        owners.claim("later", SOURCE, "prepare");
        assertThrows(PeerException.class, () -> owners.check("live", MALLORY, "resume"),
                "a session seen alive lately keeps its binding");
    }
}
