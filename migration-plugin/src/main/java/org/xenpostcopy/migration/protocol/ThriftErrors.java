package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.peer.PeerError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;

/** The one mapping between the engine's {@link PeerException} and the wire's {@link TMigrationError}. */
final class ThriftErrors {
    private ThriftErrors() {
    }

    /** A domain error as the IDL exception a handler throws. */
    static TMigrationError toWire(PeerException e) {
        TErrorCode code = switch (e.error()) {
            case UNKNOWN_SESSION -> TErrorCode.UNKNOWN_SESSION;
            case BAD_REQUEST -> TErrorCode.BAD_REQUEST;
            case WRONG_STATE -> TErrorCode.WRONG_STATE;
            case TIMEOUT -> TErrorCode.TIMEOUT;
            case UNAUTHORIZED -> TErrorCode.UNAUTHORIZED;
            case NO_SUCH_DOMAIN -> TErrorCode.NO_SUCH_DOMAIN;
            // A handler's own onward connection failing is, to its caller, this host failing.
            case HOST_ERROR, CONNECTION -> TErrorCode.HOST_ERROR;
        };
        return new TMigrationError(code, e.getMessage());
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
        return new PeerException(PeerError.CONNECTION, where + why, e);
    }

    private static PeerError error(TErrorCode code) {
        if (code == null) {
            return PeerError.HOST_ERROR;
        }
        return switch (code) {
            case UNKNOWN_SESSION -> PeerError.UNKNOWN_SESSION;
            case BAD_REQUEST -> PeerError.BAD_REQUEST;
            case HOST_ERROR -> PeerError.HOST_ERROR;
            case WRONG_STATE -> PeerError.WRONG_STATE;
            case TIMEOUT -> PeerError.TIMEOUT;
            case UNAUTHORIZED -> PeerError.UNAUTHORIZED;
            case NO_SUCH_DOMAIN -> PeerError.NO_SUCH_DOMAIN;
        };
    }
}
