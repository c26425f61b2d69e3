package dev.converge.bench.report;

import java.util.List;
import java.util.Locale;

/**
 * Two small SVG chart kinds written by hand, so the benchmarks need no plotting library: a line
 * chart (one polyline per series, optional log axes) and a horizontal bar chart on a log axis with
 * a target mark per bar.
 */
final class SvgChart {

  private static final String[] COLORS = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#637939"
  };
  private static final int W = 820;
  private static final int H = 480;
  private static final int LEFT = 90;
  private static final int RIGHT = 230;
  private static final int TOP = 50;
  private static final int BOTTOM = 60;

  private SvgChart() {}

  /** One point series: x and y values of equal length. */
  record Series(String name, double[] x, double[] y) {}

  /** One bar: its value, and its target (0 for none), on the same scale. */
  record Bar(String label, double value, double target) {}

  static String lines(
      String title, String xLabel, String yLabel, boolean logX, boolean logY, List<Series> series) {
    double minX = Double.MAX_VALUE;
    double maxX = -Double.MAX_VALUE;
    double minY = Double.MAX_VALUE;
    double maxY = -Double.MAX_VALUE;
    for (Series s : series) {
      for (int i = 0; i < s.x().length; i++) {
        minX = Math.min(minX, s.x()[i]);
        maxX = Math.max(maxX, s.x()[i]);
        minY = Math.min(minY, s.y()[i]);
        maxY = Math.max(maxY, s.y()[i]);
      }
    }
    Axis ax = new Axis(minX, maxX, logX, false);
    Axis ay = new Axis(logY ? minY : 0, maxY, logY, true);
    StringBuilder svg = header(title);
    int plotW = W - LEFT - RIGHT;
    int plotH = H - TOP - BOTTOM;
    frame(svg, plotW, plotH, xLabel, yLabel);
    for (double t : ax.ticks()) {
      double px = LEFT + ax.frac(t) * plotW;
      svg.append(line(px, TOP + plotH, px, TOP + plotH + 5, "#000"));
      svg.append(text(px, TOP + plotH + 20, label(t), "middle", 12));
    }
    for (double t : ay.ticks()) {
      double py = TOP + plotH - ay.frac(t) * plotH;
      svg.append(line(LEFT, py, LEFT + plotW, py, "#e0e0e0"));
      svg.append(text(LEFT - 8, py + 4, label(t), "end", 12));
    }
    int k = 0;
    for (Series s : series) {
      String color = COLORS[k % COLORS.length];
      StringBuilder points = new StringBuilder();
      for (int i = 0; i < s.x().length; i++) {
        double px = LEFT + ax.frac(s.x()[i]) * plotW;
        double py = TOP + plotH - ay.frac(s.y()[i]) * plotH;
        points.append(fmt(px)).append(',').append(fmt(py)).append(' ');
        svg.append(
            String.format(
                Locale.ROOT,
                "<circle cx=\"%s\" cy=\"%s\" r=\"3.5\" fill=\"%s\"/>%n",
                fmt(px),
                fmt(py),
                color));
      }
      svg.append(
          String.format(
              Locale.ROOT,
              "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
              points.toString().trim(),
              color));
      legend(svg, k, s.name(), color);
      k++;
    }
    return svg.append("</svg>\n").toString();
  }

  /** Horizontal bars of "times better" on a log axis; 1 = parity, ticks show targets. */
  static String bars(String title, String xLabel, List<Bar> bars) {
    int rowH = 26;
    int height = TOP + BOTTOM + rowH * bars.size();
    int labelW = 260;
    int plotW = W - labelW - 40;
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>%n",
            W,
            height));
    svg.append(text(W / 2.0, 28, title, "middle", 16));
    double min = 0.1;
    double max = 1000;
    for (Bar b : bars) {
      if (b.value() > 0) {
        min = Math.min(min, b.value());
        max = Math.max(max, b.value());
      }
    }
    Axis ax = new Axis(min, max, true, false);
    int plotH = rowH * bars.size();
    for (double t : ax.ticks()) {
      double px = labelW + ax.frac(t) * plotW;
      svg.append(line(px, TOP, px, TOP + plotH, t == 1 ? "#000" : "#e0e0e0"));
      svg.append(
          text(
              px,
              TOP + plotH + 18,
              (t >= 1 ? String.valueOf((long) t) : label(t)) + "x",
              "middle",
              12));
    }
    svg.append(text(W / 2.0, TOP + plotH + 42, xLabel, "middle", 12));
    double zero = labelW + ax.frac(1) * plotW;
    for (int i = 0; i < bars.size(); i++) {
      Bar b = bars.get(i);
      double y = TOP + i * rowH + 4;
      svg.append(text(labelW - 8, y + 13, b.label(), "end", 12));
      if (!(b.value() > 0)) {
        svg.append(text(zero + 6, y + 13, "not measured", "start", 11));
        continue;
      }
      double px = labelW + ax.frac(b.value()) * plotW;
      boolean met = b.target() <= 0 || b.value() >= b.target();
      String color = b.value() >= 1 ? (met ? "#2ca02c" : "#ff7f0e") : "#d62728";
      svg.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%d\" fill=\"%s\"/>%n",
              fmt(Math.min(zero, px)),
              fmt(y),
              fmt(Math.abs(px - zero)),
              rowH - 8,
              color));
      svg.append(
          text(
              Math.max(zero, px) + 4,
              y + 13,
              String.format(Locale.ROOT, "%.2fx", b.value()),
              "start",
              11));
      if (b.target() > 0) {
        double tx = labelW + ax.frac(b.target()) * plotW;
        svg.append(
            String.format(
                Locale.ROOT,
                "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#000\" stroke-width=\"2\" "
                    + "stroke-dasharray=\"3,2\"/>%n",
                fmt(tx),
                fmt(y - 2),
                fmt(tx),
                fmt(y + rowH - 6)));
      }
    }
    return svg.append("</svg>\n").toString();
  }

  private static StringBuilder header(String title) {
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>%n",
            W,
            H));
    svg.append(text(W / 2.0, 28, title, "middle", 16));
    return svg;
  }

  private static void frame(StringBuilder svg, int plotW, int plotH, String xLabel, String yLabel) {
    svg.append(line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, "#000"));
    svg.append(line(LEFT, TOP, LEFT, TOP + plotH, "#000"));
    svg.append(text(LEFT + plotW / 2.0, H - 15, xLabel, "middle", 13));
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"20\" y=\"%s\" font-size=\"13\" text-anchor=\"middle\" "
                + "transform=\"rotate(-90 20 %s)\">%s</text>%n",
            fmt(TOP + plotH / 2.0),
            fmt(TOP + plotH / 2.0),
            escape(yLabel)));
  }

  private static void legend(StringBuilder svg, int k, String name, String color) {
    double x = W - RIGHT + 15;
    double y = TOP + 10 + k * 20;
    svg.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%s\" y=\"%s\" width=\"14\" height=\"4\" fill=\"%s\"/>%n",
            fmt(x),
            fmt(y - 4),
            color));
    svg.append(text(x + 20, y + 1, name, "start", 12));
  }

  private static String line(double x1, double y1, double x2, double y2, String color) {
    return String.format(
        Locale.ROOT,
        "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\"/>%n",
        fmt(x1),
        fmt(y1),
        fmt(x2),
        fmt(y2),
        color);
  }

  private static String text(double x, double y, String s, String anchor, int size) {
    return String.format(
        Locale.ROOT,
        "<text x=\"%s\" y=\"%s\" font-size=\"%d\" text-anchor=\"%s\">%s</text>%n",
        fmt(x),
        fmt(y),
        size,
        anchor,
        escape(s));
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String label(double v) {
    if (v >= 1_000_000 && v % 1_000_000 == 0) {
      return (long) (v / 1_000_000) + "M";
    }
    if (v >= 1_000 && v % 1_000 == 0) {
      return (long) (v / 1_000) + "k";
    }
    if (v == Math.rint(v)) {
      return String.valueOf((long) v);
    }
    return String.format(Locale.ROOT, "%.2g", v);
  }

  /** A linear or log10 axis from min to max with round ticks. */
  private record Axis(double min, double max, boolean log, boolean fromZero) {

    Axis {
      if (log) {
        min = Math.pow(10, Math.floor(Math.log10(Math.max(min, 1e-9))));
        max = Math.pow(10, Math.ceil(Math.log10(Math.max(max, min * 10))));
      } else {
        double step = niceStep((max - min) / 5);
        min = Math.floor(min / step) * step;
        max = Math.ceil(max / step) * step;
        if (max <= min) {
          max = min + step;
        }
      }
    }

    double frac(double v) {
      if (log) {
        return (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min));
      }
      return (v - min) / (max - min);
    }

    List<Double> ticks() {
      List<Double> ticks = new java.util.ArrayList<>();
      if (log) {
        for (double t = min; t <= max * 1.0001; t *= 10) {
          ticks.add(t);
        }
      } else {
        double step = niceStep((max - min) / 5);
        for (double t = min; t <= max + step / 1000; t += step) {
          ticks.add(t);
        }
      }
      return ticks;
    }

    private static double niceStep(double raw) {
      if (raw <= 0) {
        return 1;
      }
      double p = Math.pow(10, Math.floor(Math.log10(raw)));
      double f = raw / p;
      return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    }
  }
}
