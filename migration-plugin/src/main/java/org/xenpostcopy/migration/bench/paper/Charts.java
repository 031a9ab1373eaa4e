package org.xenpostcopy.migration.bench.paper;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The PNG plots, drawn with JFreeChart without a display ({@code java.awt.headless}); text needs a font the JDK can
 * find through fontconfig (on Debian: {@code fontconfig} and {@code fonts-dejavu-core}). The only class that knows
 * JFreeChart.
 */
final class Charts {
    static final int WIDTH = 800;
    static final int HEIGHT = 500;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /** Colours that stay apart in print and for the common colour blindnesses (Tableau 10). */
    private static final Color[] PALETTE = {new Color(0x4e79a7), new Color(0xe15759), new Color(0x59a14f),
        new Color(0xf28e2b), new Color(0xb07aa1), new Color(0x76b7b2), new Color(0x9c755f), new Color(0xedc948)};

    /**
     * A line of points, drawn in the order given.
     *
     * @param colour index into the palette
     * @param dashed drawn dashed (the same colour dashed: the same thing without one ingredient, e.g. DSB)
     */
    record Series(String name, double[] x, double[] y, int colour, boolean dashed) {
        Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException("series " + name + ": " + x.length + " x, " + y.length + " y");
            }
        }

        Series(String name, double[] x, double[] y) {
            this(name, x, y, -1, false);
        }
    }

    /** One bar: its series (colour), its category (group on the axis), its height. */
    record Bar(String series, String category, double value) {
    }

    /** A line chart; a logarithmic axis leaves out points at or below zero, which it cannot place. */
    static JFreeChart lines(String title, String xLabel, String yLabel, List<Series> series, boolean logX,
                            boolean logY) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Series s : series) {
            XYSeries xy = new XYSeries(s.name(), false, true);
            for (int i = 0; i < s.x().length; i++) {
                if ((!logX || s.x()[i] > 0) && (!logY || s.y()[i] > 0) && !Double.isNaN(s.y()[i])) {
                    xy.add(s.x()[i], s.y()[i]);
                }
            }
            data.addSeries(xy);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL,
                true, false, false);
        XYPlot plot = chart.getXYPlot();
        if (logX) {
            LogAxis axis = new LogAxis(xLabel);
            axis.setBase(2);
            axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
            axis.setNumberFormatOverride(new DecimalFormat("0"));
            plot.setDomainAxis(axis);
        }
        if (logY) {
            LogarithmicAxis axis = new LogarithmicAxis(yLabel);
            axis.setStrictValuesFlag(false);
            plot.setRangeAxis(axis);
        }
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            renderer.setSeriesPaint(i, PALETTE[(s.colour() >= 0 ? s.colour() : i) % PALETTE.length]);
            renderer.setSeriesStroke(i, s.dashed() ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
                    1f, new float[] {6f, 4f}, 0f) : new BasicStroke(2f));
        }
        plot.setRenderer(renderer);
        style(chart);
        return chart;
    }

    /** A line chart with a second value axis on the right for {@code right}'s series. */
    static JFreeChart twoAxes(String title, String xLabel, String leftLabel, List<Series> left, String rightLabel,
                              List<Series> right) {
        JFreeChart chart = lines(title, xLabel, leftLabel, left, false, false);
        XYPlot plot = chart.getXYPlot();
        XYSeriesCollection data = new XYSeriesCollection();
        for (Series s : right) {
            XYSeries xy = new XYSeries(s.name(), false, true);
            for (int i = 0; i < s.x().length; i++) {
                xy.add(s.x()[i], s.y()[i]);
            }
            data.addSeries(xy);
        }
        plot.setDataset(1, data);
        plot.setRangeAxis(1, new NumberAxis(rightLabel));
        plot.mapDatasetToRangeAxis(1, 1);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < right.size(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(1.5f));
            renderer.setSeriesPaint(i, PALETTE[(left.size() + i) % PALETTE.length]);
        }
        plot.setRenderer(1, renderer);
        ((XYLineAndShapeRenderer) plot.getRenderer()).setDefaultShapesVisible(false);
        return chart;
    }

    /** A grouped bar chart. */
    static JFreeChart bars(String title, String categoryLabel, String valueLabel, List<Bar> bars) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        bars.forEach(b -> data.addValue(b.value(), b.series(), b.category()));
        JFreeChart chart = ChartFactory.createBarChart(title, categoryLabel, valueLabel, data,
                PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.getRangeAxis().setUpperMargin(0.15);
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.05);
        for (int i = 0; i < data.getRowCount(); i++) {
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        style(chart);
        return chart;
    }

    /** A dashed vertical line at {@code x} with a label to its right, e.g. where a migration started. */
    static void mark(JFreeChart chart, double x, String label) {
        mark(chart, x, label, false);
    }

    /** The same, the label to the left of the line if {@code labelLeft} (a line near the right edge). */
    static void mark(JFreeChart chart, double x, String label, boolean labelLeft) {
        ValueMarker m = new ValueMarker(x, Color.DARK_GRAY, new BasicStroke(1f, BasicStroke.CAP_BUTT,
                BasicStroke.JOIN_MITER, 1f, new float[] {4f, 4f}, 0f));
        m.setLabel(label);
        m.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        m.setLabelAnchor(labelLeft ? RectangleAnchor.TOP_LEFT : RectangleAnchor.TOP_RIGHT);
        m.setLabelTextAnchor(labelLeft ? TextAnchor.TOP_RIGHT : TextAnchor.TOP_LEFT);
        chart.getXYPlot().addDomainMarker(m);
    }

    /** A line of small print under the title: the setup, so a PNG read alone says what it shows. */
    static void subtitle(JFreeChart chart, String text) {
        chart.addSubtitle(new TextTitle(text, new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        chart.getPlot().setBackgroundPaint(Color.WHITE);
        if (chart.getPlot() instanceof XYPlot xy) {
            xy.setDomainGridlinePaint(Color.LIGHT_GRAY);
            xy.setRangeGridlinePaint(Color.LIGHT_GRAY);
        } else if (chart.getPlot() instanceof CategoryPlot cp) {
            cp.setRangeGridlinePaint(Color.LIGHT_GRAY);
        }
    }

    static void save(JFreeChart chart, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
