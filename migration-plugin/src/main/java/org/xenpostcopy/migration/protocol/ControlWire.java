package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Optional;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.control.ControlException;
import org.xenpostcopy.migration.control.DomainSummary;
import org.xenpostcopy.migration.control.MigrateRequest;
import org.xenpostcopy.migration.control.MigrationStatus;
import org.xenpostcopy.migration.pager.PageOutResult;
import org.xenpostcopy.migration.protocol.thrift.TDomainInfo;
import org.xenpostcopy.migration.protocol.thrift.TMigrateRequest;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.TMigrationStatus;
import org.xenpostcopy.migration.protocol.thrift.TPageOutResult;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainId;

/**
 * The control service's records to and from their Thrift structs, both ways, so the daemon's handler and the
 * command line's client convert with the same code. What arrives from the wire is checked here: a value the domain
 * cannot hold becomes a {@link RemoteError#BAD_REQUEST}.
 */
final class ControlWire {
    private ControlWire() {
    }

    static TDomainInfo toWire(DomainSummary d) {
        TDomainInfo t = new TDomainInfo(d.id().value(), d.name(), d.memoryKiB(), d.maxMemoryKiB(), d.state(), d.vcpus(),
                d.guest());
        if (!d.migration().isEmpty()) {
            t.setMigration(d.migration());
        }
        t.setSizeKiB(d.sizeKiB());
        return t;
    }

    static DomainSummary toDomain(TDomainInfo d) {
        return new DomainSummary(DomainId.of(d.getId()), nonNull(d.getName()), d.getMemoryKiB(), d.getMaxMemoryKiB(),
                nonNull(d.getState()), d.getVcpus(), nonNull(d.getGuest()), d.isSetMigration() ? d.getMigration() : "",
                d.isSetSizeKiB() ? d.getSizeKiB() : d.getMaxMemoryKiB());
    }

    static TPageOutResult toWire(PageOutResult r) {
        return new TPageOutResult(r.candidates(), r.evicted(), r.busy(), r.faultsServed(), r.loadedOnFault(),
                r.loadedAtEnd(), r.foreignRequests(), r.pageOutMs(), r.holdMs());
    }

    static PageOutResult toDomain(TPageOutResult r) {
        return new PageOutResult(r.getCandidates(), r.getEvicted(), r.getBusy(), r.getFaultsServed(),
                r.getLoadedOnFault(), r.getLoadedAtEnd(), r.getForeignRequests(), r.getPageOutMs(), r.getHoldMs());
    }

    /** Only the options a client may choose travel (see {@link MigrateRequest}). */
    static TMigrateRequest toWire(MigrateRequest r) {
        MigrationOptions o = r.options();
        TMigrateRequest t = new TMigrateRequest(r.domain(), r.destination().getHostString(), r.destination().getPort(),
                o.mode().wireName(), o.prepaging().wireName(), o.dsb(), o.linkMbps(), o.linkLatencyMs(), o.verify(),
                o.precopyRounds(), o.baselineMs());
        t.setStallMs(o.stallMs());
        t.setGiveUpMs(o.giveUpMs());
        t.setCheckpointMs(o.checkpointing().intervalMs());
        t.setFailBackMs(o.checkpointing().leaseMs());
        r.turn().ifPresent(turn -> {
            t.setTurnGroup(turn.group());
            t.setTurnPlaces(turn.places());
            t.setTurnRank(turn.rank());
        });
        return t;
    }

    /** @throws ControlException BAD_REQUEST for an unknown mode or policy, a bad option or a bad destination */
    static MigrateRequest toDomain(TMigrateRequest r) {
        MigrationOptions options;
        try {
            options = MigrationOptions.defaults()
                    .withMode(MigrationMode.valueOf(r.getMode().toUpperCase(Locale.ROOT)))
                    .withPrePaging(PrePaging.parse(r.getPrepaging()))
                    .withDsb(r.isDsb())
                    .withLink(r.getLinkMbps(), r.getLinkLatencyMs())
                    .withVerify(r.isVerify())
                    .withPrecopyRounds(r.getPrecopyRounds())
                    .withBaselineMs(r.getBaselineMs())
                    .withRecovery(r.isSetStallMs() ? r.getStallMs() : MigrationOptions.DEFAULT_STALL_MS,
                            r.isSetGiveUpMs() ? r.getGiveUpMs() : MigrationOptions.DEFAULT_GIVE_UP_MS);
            if (r.isSetCheckpointMs()) {
                options = options.withCheckpointing(r.getCheckpointMs() == 0 ? Checkpointing.off()
                        : new Checkpointing(r.getCheckpointMs(), r.isSetFailBackMs() ? r.getFailBackMs()
                        : options.stallMs()));
            }
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ControlException(RemoteError.BAD_REQUEST, String.valueOf(e.getMessage()), e);
        }
        if (r.getDestinationPort() <= 0 || r.getDestinationPort() > 65535 || r.getDestinationHost() == null) {
            throw new ControlException(RemoteError.BAD_REQUEST,
                    "bad destination " + r.getDestinationHost() + ":" + r.getDestinationPort());
        }
        Optional<MigrateRequest.LinkTurn> turn = Optional.empty();
        if (r.isSetTurnGroup()) {
            try {
                turn = Optional.of(new MigrateRequest.LinkTurn(r.getTurnGroup(), r.getTurnPlaces(), r.getTurnRank()));
            } catch (IllegalArgumentException e) {
                throw new ControlException(RemoteError.BAD_REQUEST, e.getMessage(), e);
            }
        }
        return new MigrateRequest(nonNull(r.getDomain()),
                new InetSocketAddress(r.getDestinationHost(), r.getDestinationPort()), options, turn);
    }

    /** The report travels as its public JSON (the same object {@code xlpc migrate --json} prints). */
    static TMigrationStatus toWire(MigrationStatus s) {
        TMigrationStatus out = new TMigrationStatus(s.phase(), s.pagesDone(), s.pagesTotal(), s.networkFaults(),
                s.finished());
        s.report().ifPresent(r -> out.setReportJson(r.toJson()));
        s.error().ifPresent(out::setError);
        return out;
    }

    static MigrationStatus toDomain(TMigrationStatus s) {
        return new MigrationStatus(nonNull(s.getPhase()), s.getPagesDone(), s.getPagesTotal(), s.getNetworkFaults(),
                s.isFinished(), s.isSetReportJson() ? Optional.of(MigrationReport.fromJson(s.getReportJson()))
                : Optional.empty(), Optional.ofNullable(s.getError()));
    }

    /** The wire's form of a refusal: same code, same sentence. */
    static TMigrationError toWire(ControlException e) {
        return new TMigrationError(ThriftErrors.code(e.error()), e.getMessage());
    }

    static ControlException toDomain(TMigrationError e) {
        return new ControlException(ThriftErrors.error(e.getCode()), String.valueOf(e.getMessage()), e);
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }
}
