package org.xenpostcopy.migration.cli;

import java.util.concurrent.Callable;
import org.xenpostcopy.migration.control.DsbAction;
import org.xenpostcopy.migration.protocol.DaemonConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code xlpc dsb start|stop|status <domain>}: the daemon's self-ballooning controller. */
@Command(name = "dsb", description = "Dynamic self-ballooning of a domain: start, stop (restores its target) or status.")
final class DsbCommand implements Callable<Integer> {
    @ParentCommand
    Xlpc top;

    /** What bash completion offers for ACTION. */
    static final class Actions extends java.util.ArrayList<String> {
        Actions() {
            super(java.util.Arrays.stream(DsbAction.values()).map(DsbAction::wireName).toList());
        }
    }

    @Parameters(index = "0", paramLabel = "ACTION", description = "start, stop or status", completionCandidates = Actions.class)
    String action;

    @Parameters(index = "1", paramLabel = "DOMAIN")
    String domain;

    @Override
    public Integer call() {
        if (!action.equals("start") && !action.equals("stop") && !action.equals("status")) {
            throw new CliException("dsb takes start, stop or status, not '" + action + "'", 2, null);
        }
        try (DaemonConnection daemon = DaemonClient.connect(top.config())) {
            System.out.println(daemon.dsb(DsbAction.parse(action), domain));
            return 0;
        }
    }
}
