package org.xenpostcopy.migration.protocol;

import java.util.List;
import java.util.function.Supplier;
import org.xenpostcopy.migration.control.ControlException;
import org.xenpostcopy.migration.control.DaemonControl;
import org.xenpostcopy.migration.control.DsbAction;
import org.xenpostcopy.migration.control.SharedToken;
import org.xenpostcopy.migration.protocol.thrift.HostControl;
import org.xenpostcopy.migration.protocol.thrift.TDomainInfo;
import org.xenpostcopy.migration.protocol.thrift.TMigrateRequest;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.TMigrationStatus;
import org.xenpostcopy.migration.protocol.thrift.TPageOutResult;

/**
 * The daemon's {@code HostControl} service on the wire: lets the caller in by its token, converts the request to
 * domain types, delegates to the {@link DaemonControl}, converts the answer back, and maps a
 * {@link ControlException} to {@link TMigrationError} with the same code and sentence. Nothing more: every
 * decision is the service's.
 */
final class HostControlHandler implements HostControl.Iface {
    private final DaemonControl service;
    private final SharedToken token;

    HostControlHandler(DaemonControl service, SharedToken token) {
        this.service = service;
        this.token = token;
    }

    /** The token is checked first, so a caller without it learns nothing, not even whether a domain exists. */
    private <T> T call(String presented, Supplier<T> body) throws TMigrationError {
        try {
            token.check(presented);
            return body.get();
        } catch (ControlException e) {
            throw ControlWire.toWire(e);
        }
    }

    @Override
    public String describe(String t) throws TMigrationError {
        return call(t, service::describe);
    }

    @Override
    public List<TDomainInfo> listDomains(String t) throws TMigrationError {
        return call(t, () -> service.listDomains().stream().map(ControlWire::toWire).toList());
    }

    @Override
    public long freeMemoryKiB(String t) throws TMigrationError {
        return call(t, () -> service.freeMemoryKiB().orElse(-1));
    }

    @Override
    public TDomainInfo create(String t, String name, long memoryMiB, String workload, long seed, int vcpus)
            throws TMigrationError {
        return call(t, () -> {
            if (!RequestBounds.isDomainName(name)) {
                throw new ControlException(org.xenpostcopy.migration.RemoteError.BAD_REQUEST, "a domain name is 1.."
                        + RequestBounds.MAX_DOMAIN_NAME + " characters of A-Z a-z 0-9 . _ : + - (a letter or digit "
                        + "first), not '" + org.xenpostcopy.migration.LogText.escape(name) + "'");
            }
            return ControlWire.toWire(service.create(name, memoryMiB, vcpus == 0 ? 1 : vcpus, workload, seed));
        });
    }

    @Override
    public void destroy(String t, String domain) throws TMigrationError {
        call(t, () -> {
            service.destroy(domain);
            return null;
        });
    }

    @Override
    public void memSet(String t, String domain, long memoryMiB) throws TMigrationError {
        call(t, () -> {
            service.memSet(domain, memoryMiB);
            return null;
        });
    }

    @Override
    public String dsb(String t, String action, String domain) throws TMigrationError {
        return call(t, () -> service.dsb(DsbAction.parse(action), domain));
    }

    @Override
    public TPageOutResult pageOut(String t, String domain, long pages, int holdMs) throws TMigrationError {
        return call(t, () -> ControlWire.toWire(service.pageOut(domain, pages, holdMs)));
    }

    @Override
    public String startMigration(String t, TMigrateRequest request) throws TMigrationError {
        return call(t, () -> service.startMigration(ControlWire.toDomain(request)));
    }

    @Override
    public TMigrationStatus migrationStatus(String t, String id, int waitMs) throws TMigrationError {
        return call(t, () -> ControlWire.toWire(service.migrationStatus(id, waitMs)));
    }

    @Override
    public String retryMigration(String t, String id) throws TMigrationError {
        return call(t, () -> service.retryMigration(id));
    }

    @Override
    public String failBackMigration(String t, String id) throws TMigrationError {
        return call(t, () -> service.failBackMigration(id));
    }
}
