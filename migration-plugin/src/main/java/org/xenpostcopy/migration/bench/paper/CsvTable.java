package org.xenpostcopy.migration.bench.paper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A CSV file (RFC 4180): a header of column names, then one row per run, written when complete. */
final class CsvTable {
    private final List<String> columns;
    private final List<List<String>> rows = new ArrayList<>();

    CsvTable(String... columns) {
        this.columns = List.of(columns);
    }

    List<String> columns() {
        return columns;
    }

    void row(Object... values) {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException(values.length + " values for " + columns.size() + " columns "
                    + columns);
        }
        List<String> row = new ArrayList<>(values.length);
        for (Object v : values) {
            row.add(format(v));
        }
        rows.add(row);
    }

    private static String format(Object v) {
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d)
                    : String.format(Locale.ROOT, "%.4f", d);
        }
        return String.valueOf(v);
    }

    private static String quote(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    void write(Path file) {
        StringBuilder sb = new StringBuilder();
        appendLine(sb, columns);
        rows.forEach(r -> appendLine(sb, r));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, sb, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void appendLine(StringBuilder sb, List<String> cells) {
        for (int i = 0; i < cells.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(quote(cells.get(i)));
        }
        sb.append("\r\n");
    }
}
