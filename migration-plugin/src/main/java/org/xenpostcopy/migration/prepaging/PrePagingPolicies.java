package org.xenpostcopy.migration.prepaging;

import java.util.concurrent.TimeUnit;
import org.xenpostcopy.migration.MigrationOptions;

/** Builds the policy a migration's options name. */
public final class PrePagingPolicies {
    private PrePagingPolicies() {
    }

    public static PrePagingPolicy create(MigrationOptions options, SentView sent) {
        return switch (options.prepaging()) {
            case DEMAND -> new DemandOnly(sent, TimeUnit.MILLISECONDS.toNanos(options.demandOnlyMs()), System::nanoTime);
            case PUSH -> new LinearPush(sent);
            case BUBBLE_FORWARD -> new ForwardBubble(sent);
            case BUBBLE -> new DualBubble(sent);
            case MULTIBUBBLE -> new MultiBubble(sent, options.pivots());
        };
    }
}
