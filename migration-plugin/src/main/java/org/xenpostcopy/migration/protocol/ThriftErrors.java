package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;

/**
 * The one mapping between {@link RemoteError} and the wire's {@link TErrorCode}, and between the engine's
 * {@link PeerException} and {@link TMigrationError} (the control plane's exception maps through it too).
 */
final class ThriftErrors {
    private ThriftErrors() {
    }

    /** A domain error as the IDL exception a handler throws. */
    static TMigrationError toWire(PeerException e) {
        return new TMigrationError(code(e.error()), e.getMessage());
    }

    /** A failure kind as its wire code. */
    static TErrorCode code(RemoteError error) {
        return switch (error) {
            case UNKNOWN_SESSION -> TErrorCode.UNKNOWN_SESSION;
            case BAD_REQUEST -> TErrorCode.BAD_REQUEST;
            case WRONG_STATE -> TErrorCode.WRONG_STATE;
            case TIMEOUT -> TErrorCode.TIMEOUT;
            case UNAUTHORIZED -> TErrorCode.UNAUTHORIZED;
            case NO_SUCH_DOMAIN -> TErrorCode.NO_SUCH_DOMAIN;
            case NOT_RESUMED -> TErrorCode.NOT_RESUMED;
            case TAKEN_BACK -> TErrorCode.TAKEN_BACK;
            // A daemon's own onward connection failing is, to its caller, that host failing.
            case HOST_ERROR, CONNECTION -> TErrorCode.HOST_ERROR;
        };
    }

    /**
     * A failed call as the engine sees it: the peer's answer if it gave one, else a connection failure.
     *
     * @param what the call, for the message ("prepare", "fetch")
     * @param role which end the peer is ("the destination", "the source")
     */
    static PeerException fromWire(String what, String role, InetSocketAddress peer, TException e) {
        String where = what + " failed at " + role + " " + peer.getHostString() + ":" + peer.getPort() + ": ";
        if (e instanceof TMigrationError m) {
            return new PeerException(error(m.getCode()), where + m.getMessage(), e);
        }
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new PeerException(RemoteError.CONNECTION, where + why, e);
    }

    /** A wire code as its failure kind. */
    static RemoteError error(TErrorCode code) {
        if (code == null) {
            return RemoteError.HOST_ERROR;   // an older or foreign peer that sent none
        }
        return switch (code) {
            case UNKNOWN_SESSION -> RemoteError.UNKNOWN_SESSION;
            case BAD_REQUEST -> RemoteError.BAD_REQUEST;
            case HOST_ERROR -> RemoteError.HOST_ERROR;
            case WRONG_STATE -> RemoteError.WRONG_STATE;
            case TIMEOUT -> RemoteError.TIMEOUT;
            case UNAUTHORIZED -> RemoteError.UNAUTHORIZED;
            case NO_SUCH_DOMAIN -> RemoteError.NO_SUCH_DOMAIN;
            case NOT_RESUMED -> RemoteError.NOT_RESUMED;
            case TAKEN_BACK -> RemoteError.TAKEN_BACK;
        };
    }
}
