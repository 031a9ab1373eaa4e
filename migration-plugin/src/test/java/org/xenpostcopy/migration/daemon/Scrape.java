package org.xenpostcopy.migration.daemon;

import java.util.LinkedHashMap;
import java.util.Map;

/** One scrape in Prometheus' text format, by series as printed ({@code name{label="v",...}}, labels sorted). */
record Scrape(String text, Map<String, Double> series) {
    static Scrape of(String text) {
        Map<String, Double> series = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return new Scrape(text, series);
    }

    /** The series' value; a missing one fails, naming what the scrape held. */
    double value(String seriesName) {
        Double v = series.get(seriesName);
        if (v == null) {
            throw new AssertionError("no series " + seriesName + " in:\n" + text);
        }
        return v;
    }
}
