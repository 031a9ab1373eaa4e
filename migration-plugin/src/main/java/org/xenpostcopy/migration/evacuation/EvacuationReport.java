package org.xenpostcopy.migration.evacuation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Objects;
import org.xenpostcopy.migration.report.MigrationReport;

/**
 * The whole of one evacuation: what became of each guest and how long it took. {@code xlpc evacuate --json} prints
 * {@link #toJson()}, whose field names are public interface as the migration report's are.
 *
 * @param host     the evacuated host, as the user named it
 * @param outcomes every guest of the host, moved or not, largest first
 * @param totalMs  from the first migration's start to the last one's end
 */
public record EvacuationReport(String host, int parallel, List<GuestOutcome> outcomes, double totalMs) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public EvacuationReport {
        Objects.requireNonNull(host, "host");
        outcomes = List.copyOf(outcomes);
    }

    /** Every guest moved and verified (or, where verification was not asked for, moved). */
    public boolean succeeded(boolean verificationAsked) {
        return outcomes.stream().allMatch(o -> o.result() == GuestOutcome.Result.MOVED
                && (o.verified() || !verificationAsked));
    }

    /** Bytes on the wire over every completed migration, both directions, as their reports count them. */
    public long bytesTransferred() {
        return outcomes.stream().mapToLong(o -> o.report().map(r -> r.bytesTransferred()).orElse(0L)).sum();
    }

    /**
     * {@code host}, {@code parallel}, {@code totalMs}, {@code bytesTransferred} and {@code guests}: per guest
     * {@code guest}, {@code sizeMiB}, {@code destination} (empty if not placed), {@code outcome}
     * (moved|failed|not-moved), {@code reason}, {@code totalMigrationMs}, {@code linkWaitMs} (of that total, the wait
     * for a turn at the link), {@code downtimeMs}, {@code pagesTransferred}, {@code verified}, {@code elapsedMs} and
     * the whole migration {@code report} (null unless moved).
     */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("host", host);
        root.put("parallel", parallel);
        root.put("totalMs", totalMs);
        root.put("bytesTransferred", bytesTransferred());
        ArrayNode guests = root.putArray("guests");
        for (GuestOutcome o : outcomes) {
            ObjectNode g = guests.addObject();
            g.put("guest", o.guest().name());
            g.put("sizeMiB", o.guest().sizeKiB() / 1024);
            g.put("destination", o.destination());
            g.put("outcome", o.result().wireName());
            g.put("reason", o.reason());
            g.put("totalMigrationMs", o.report().map(r -> r.totalMigrationMs()).orElse(0.0));
            g.put("linkWaitMs", o.report().map(r -> r.linkWaitMs()).orElse(0.0));
            g.put("downtimeMs", o.report().map(r -> r.downtimeMs()).orElse(0.0));
            g.put("pagesTransferred", o.report().map(r -> r.pagesTransferred()).orElse(0L));
            g.put("verified", o.verified());
            g.put("elapsedMs", o.elapsedMs());
            g.set("report", o.report().map(EvacuationReport::tree).orElse(JSON.nullNode()));
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The migration report exactly as {@code xlpc migrate --json} prints it. */
    private static JsonNode tree(MigrationReport r) {
        try {
            return JSON.readTree(r.toJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
