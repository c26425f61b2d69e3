package dev.converge.bench.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;

/**
 * The Converge / Pekko table with the targets. "Advantage" is how many times better
 * Converge is (higher throughput, shorter time, fewer bytes); each target is an advantage to reach.
 */
public final class Comparison {

  /** Pekko's configuration that cluster figures are judged against: equal gossip intervals. */
  public static final String FAIR_PEKKO = "pekko-200ms";

  /**
   * One row. {@code pekko} names the system judged against; {@code pekkoDefault} is shown beside.
   */
  record Row(
      String metric,
      String name,
      String pekko,
      String pekkoDefault,
      boolean higherIsBetter,
      double target,
      String unit) {}

  private static final List<Row> ROWS =
      List.of(
          row(
              "local update: counter increment",
              "localUpdate.counterIncrement",
              "pekko",
              "pekko",
              true,
              10,
              "ops/s"),
          row("local update: set add", "localUpdate.setAdd", "pekko", "pekko", true, 10, "ops/s"),
          row(
              "local update: register set",
              "localUpdate.registerSet",
              "pekko",
              "pekko",
              true,
              10,
              "ops/s"),
          row("convergence N=3", "convergence.n3", FAIR_PEKKO, "pekko-default", false, 5, "ms"),
          row("convergence N=5", "convergence.n5", FAIR_PEKKO, "pekko-default", false, 5, "ms"),
          row("convergence N=16", "convergence.n16", FAIR_PEKKO, "pekko-default", false, 5, "ms"),
          row("partition heal N=3", "heal.n3", FAIR_PEKKO, "pekko-default", false, 5, "ms"),
          row(
              "bulk 10k OR-Set adds (total)",
              "bulk.total",
              FAIR_PEKKO,
              "pekko-default",
              false,
              5,
              "ms"),
          row(
              "bulk: after last write",
              "bulk.afterLastWrite",
              FAIR_PEKKO,
              "pekko-default",
              false,
              5,
              "ms"),
          row(
              "bytes/update: counter",
              "bytesPerUpdate.counterIncrement",
              FAIR_PEKKO,
              "pekko-default",
              false,
              2,
              "B"),
          row(
              "bytes/update: set add",
              "bytesPerUpdate.setAdd",
              FAIR_PEKKO,
              "pekko-default",
              false,
              2,
              "B"),
          row(
              "bytes/update: register",
              "bytesPerUpdate.registerSet",
              FAIR_PEKKO,
              "pekko-default",
              false,
              2,
              "B"),
          row(
              "idle B/node/round, 10 keys",
              "idle.bytesPerNodePerRound.10keys",
              FAIR_PEKKO,
              "pekko-default",
              false,
              0,
              "B"),
          row(
              "idle B/s (cluster), 10 keys",
              "idle.bytesPerSecond.10keys",
              FAIR_PEKKO,
              "pekko-default",
              false,
              0,
              "B/s"),
          row(
              "heap/OR-Set element (structure)",
              "heap.orSetPerElement",
              "pekko",
              "pekko",
              false,
              2,
              "B"));

  private static Row row(
      String metric,
      String name,
      String pekko,
      String pekkoDefault,
      boolean higher,
      double target,
      String unit) {
    return new Row(metric, name, pekko, pekkoDefault, higher, target, unit);
  }

  private Comparison() {}

  /** Prints the table and returns it as JSON rows. */
  public static JsonArray print(Figures figures, int largeKeys) {
    List<Row> rows = new java.util.ArrayList<>(ROWS);
    rows.add(
        row(
            "idle B/node/round, " + largeKeys + " keys",
            "idle.bytesPerNodePerRound." + largeKeys + "keys",
            FAIR_PEKKO,
            "pekko-default",
            false,
            0,
            "B"));
    JsonArray json = new JsonArray();
    String header =
        String.format(
            Locale.ROOT,
            "%-34s %12s %12s %14s %10s %10s  %s",
            "metric",
            "converge",
            "pekko(=int.)",
            "pekko(default)",
            "C/P ratio",
            "advantage",
            "target / verdict");
    System.out.println();
    System.out.println(
        "Converge vs Pekko Distributed Data (pekko(=int.): gossip-interval = Converge's 200 ms)");
    System.out.println(header);
    System.out.println("-".repeat(header.length() + 16));
    for (Row r : rows) {
      double c = figures.value("converge", r.name());
      double p = figures.value(r.pekko(), r.name());
      double pd = figures.value(r.pekkoDefault(), r.name());
      if (Double.isNaN(c) && Double.isNaN(p)) {
        continue;
      }
      double ratio = c / p;
      double advantage = r.higherIsBetter() ? c / p : p / c;
      String verdict = verdict(r, advantage);
      System.out.printf(
          Locale.ROOT,
          "%-34s %12s %12s %14s %10s %10s  %s%n",
          r.metric(),
          Figures.format(c) + " " + shortUnit(r.unit()),
          Figures.format(p),
          Figures.format(pd),
          fmt(ratio),
          fmt(advantage) + "x",
          verdict);
      json.add(
          new JsonObject()
              .put("metric", r.metric())
              .put("figure", r.name())
              .put("unit", r.unit())
              .put("converge", nullIfNaN(c))
              .put("pekko", nullIfNaN(p))
              .put("pekkoSystem", r.pekko())
              .put("pekkoDefault", nullIfNaN(pd))
              .put("ratioConvergeOverPekko", nullIfNaN(ratio))
              .put("advantage", nullIfNaN(advantage))
              .put("advantageVsPekkoDefault", nullIfNaN(r.higherIsBetter() ? c / pd : pd / c))
              .put("target", r.target() > 0 ? r.target() : null)
              .put("verdict", verdict));
    }
    return json;
  }

  private static String shortUnit(String unit) {
    return unit.equals("ops/s") ? "/s" : unit;
  }

  private static Double nullIfNaN(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? null : v;
  }

  private static String fmt(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return "n/a";
    }
    return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
  }

  static String verdict(Row r, double advantage) {
    if (r.target() <= 0) {
      return "(no target)";
    }
    String goal =
        r.higherIsBetter() || !r.unit().equals("B")
            ? ">= " + fmt(r.target()) + "x"
            : "<= 1/" + fmt(r.target());
    if (Double.isNaN(advantage) || Double.isInfinite(advantage)) {
      return goal + ": not measured";
    }
    if (advantage >= r.target()) {
      return goal + ": met";
    }
    return goal
        + ": MISSED, "
        + fmt(advantage)
        + "x where "
        + fmt(r.target())
        + "x is the target (short by a factor "
        + fmt(r.target() / advantage)
        + ")";
  }
}
