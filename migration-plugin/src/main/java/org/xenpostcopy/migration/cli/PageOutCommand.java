package org.xenpostcopy.migration.cli;

import java.util.concurrent.Callable;
import org.xenpostcopy.migration.pager.PageOutResult;
import org.xenpostcopy.migration.protocol.DaemonConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code xlpc page-out <domain> <pages>}: the paging interface on its own, as xenpaging exercises it. */
@Command(name = "page-out", description = "Page part of a running domain's memory out into the daemon, serve its "
        + "faults for a while, then page everything back in.")
final class PageOutCommand implements Callable<Integer> {
    @ParentCommand
    Xlpc top;

    @Parameters(index = "0", paramLabel = "DOMAIN")
    String domain;

    @Parameters(index = "1", paramLabel = "PAGES", description = "how many 4 KiB pages, spread over the guest's memory")
    long pages;

    @Option(names = "--hold", paramLabel = "SECONDS", defaultValue = "10",
            description = "how long the pages stay out while faults are served (at most 60; default ${DEFAULT-VALUE})")
    int holdSeconds;

    @Override
    public Integer call() {
        try (DaemonConnection daemon = DaemonClient.connect(top.config())) {
            PageOutResult r = daemon.pageOut(domain, pages, holdSeconds * 1000);
            System.out.println(r.summary());
            return 0;
        }
    }
}
