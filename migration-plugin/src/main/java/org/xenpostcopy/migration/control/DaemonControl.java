package org.xenpostcopy.migration.control;

import java.util.List;
import java.util.OptionalLong;
import org.xenpostcopy.migration.pager.PageOutResult;

/**
 * What the {@code xlpc} commands ask of a daemon, in domain types. {@link HostControlService} answers it inside the
 * daemon; the Thrift client adapter in {@code migration.protocol} implements it for the command line, so a command
 * neither knows nor cares that its daemon is in another process.
 *
 * <p>Every method throws {@link ControlException} when the request is refused or fails. A {@code domain}
 * argument is a domain's name or its numeric id.
 */
public interface DaemonControl {
    /** This daemon's host in one line ("emulated host 'a'"). */
    String describe();

    List<DomainSummary> listDomains();

    /**
     * Memory the host can still give a new domain, in KiB: what its admission checks an incoming migration against;
     * empty if the host cannot tell.
     */
    OptionalLong freeMemoryKiB();

    /** Emulated hosts: boots a guest running {@code workload} and unpauses it. */
    DomainSummary create(String name, long memoryMiB, int vcpus, String workload, long seed);

    void destroy(String domain);

    /** As {@code xl mem-set}: memory/target (and max memory) in one transaction; refused above static-max. */
    void memSet(String domain, long memoryMiB);

    /** Starts, stops or describes self-ballooning of a domain; returns one line for the user. */
    String dsb(DsbAction action, String domain);

    /**
     * Pages {@code pages} gfns of a running domain out into the daemon, serves its faults for {@code holdMs} (at most
     * 60000), then pages everything back in: the paging interface on its own, outside any migration.
     */
    PageOutResult pageOut(String domain, long pages, int holdMs);

    /** Starts migrating one of this host's domains; returns the migration's id for {@link #migrationStatus}. */
    String startMigration(MigrateRequest request);

    /**
     * The migration's status, after waiting up to {@code waitMs} (at most a minute) for it to change or finish. Once
     * a finished status has been returned, the id is forgotten.
     */
    MigrationStatus migrationStatus(String id, int waitMs);

    /**
     * Has a migration whose link was cut reconnect now rather than at the end of its back-off
     * ({@code xlpc migrate --resume}); returns the phase it was in when asked.
     */
    String retryMigration(String id);

    /**
     * Brings the guest of migration {@code id} back to this host from its last reverse checkpoint
     * ({@code xlpc migrate --fail-back}), when the migration is stuck with the guest dead or unreachable at the
     * destination; returns one sentence saying what was done. Refused ({@code WRONG_STATE}, saying why and what to do)
     * unless this host holds its copy and a committed checkpoint and the destination's copy is fenced.
     */
    String failBackMigration(String id);
}
