package dev.converge.bench.report;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes the SVG charts from the JSON results in a directory: {@code convergence-vs-n.svg} and
 * {@code converge-vs-pekko.svg} from {@code cluster.json} (or {@code cluster-quick.json}), and
 * {@code throughput-vs-size-<class>.svg} per JMH class from JMH's {@code jmh.json} ({@code -rf
 * json}).
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.converge.bench.report.Charts
 * benchmarks/results}
 */
public final class Charts {

  private Charts() {}

  public static void main(String[] args) throws IOException {
    write(Path.of(args.length > 0 ? args[0] : "benchmarks/results"));
  }

  /** Writes every chart whose input exists in {@code dir}; prints what it wrote. */
  public static void write(Path dir) throws IOException {
    Path cluster = dir.resolve("cluster.json");
    if (!Files.exists(cluster)) {
      cluster = dir.resolve("cluster-quick.json");
    }
    if (Files.exists(cluster)) {
      JsonObject report = new JsonObject(Files.readString(cluster));
      save(dir.resolve("convergence-vs-n.svg"), convergence(report));
      save(dir.resolve("converge-vs-pekko.svg"), comparison(report));
    }
    Path jmh = dir.resolve("jmh.json");
    if (Files.exists(jmh)) {
      JsonArray runs = new JsonArray(Files.readString(jmh));
      for (String benchmarkClass : List.of("ORSet", "ORSetMerge", "Codec", "Counter")) {
        save(
            dir.resolve("throughput-vs-size-" + benchmarkClass + ".svg"),
            throughput(runs, benchmarkClass));
      }
    }
  }

  private static void save(Path file, String svg) throws IOException {
    if (svg == null) {
      return;
    }
    Files.writeString(file, svg);
    System.out.println("wrote " + file);
  }

  static String convergence(JsonObject report) {
    Map<String, TreeMap<Integer, Double>> bySystem = new TreeMap<>();
    for (Object o : report.getJsonArray("figures")) {
      JsonObject f = (JsonObject) o;
      String name = f.getString("name");
      if (name.startsWith("convergence.n")) {
        int n = Integer.parseInt(name.substring("convergence.n".length()));
        bySystem
            .computeIfAbsent(f.getString("system"), k -> new TreeMap<>())
            .put(n, f.getDouble("value"));
      }
    }
    if (bySystem.isEmpty()) {
      return null;
    }
    List<SvgChart.Series> series = new ArrayList<>();
    bySystem.forEach(
        (system, points) -> {
          double[] x = new double[points.size()];
          double[] y = new double[points.size()];
          int i = 0;
          for (Map.Entry<Integer, Double> e : points.entrySet()) {
            x[i] = e.getKey();
            y[i++] = e.getValue();
          }
          series.add(new SvgChart.Series(system, x, y));
        });
    return SvgChart.lines(
        "Convergence time vs cluster size (every node writes to one counter)",
        "nodes (N)",
        "ms from last write until all nodes read the total",
        false,
        false,
        series);
  }

  static String comparison(JsonObject report) {
    JsonArray rows = report.getJsonArray("comparison");
    if (rows == null || rows.isEmpty()) {
      return null;
    }
    List<SvgChart.Bar> bars = new ArrayList<>();
    for (Object o : rows) {
      JsonObject r = (JsonObject) o;
      Double advantage = r.getDouble("advantage");
      Double target = r.getDouble("target");
      bars.add(
          new SvgChart.Bar(
              r.getString("metric"),
              advantage == null ? Double.NaN : advantage,
              target == null ? 0 : target));
    }
    return SvgChart.bars(
        "Converge vs Pekko Distributed Data (equal gossip intervals)",
        "times better than Pekko, log scale (dashed: target; green met, orange missed, red worse)",
        bars);
  }

  /** Throughput vs size of one JMH class ({@code size} or {@code replicas} parameter). */
  static String throughput(JsonArray jmh, String benchmarkClass) {
    Map<String, TreeMap<Double, Double>> bySeries = new TreeMap<>();
    for (Object o : jmh) {
      JsonObject run = (JsonObject) o;
      JsonObject params = run.getJsonObject("params");
      String[] parts = run.getString("benchmark").split("\\.");
      if (params == null || !parts[parts.length - 2].equals(benchmarkClass + "Benchmark")) {
        continue;
      }
      String size = params.getString("size", params.getString("replicas"));
      if (size == null) {
        continue;
      }
      String name = parts[parts.length - 1];
      JsonObject metric = run.getJsonObject("primaryMetric");
      double score = metric.getDouble("score");
      String unit = metric.getString("scoreUnit");
      double opsPerSecond =
          switch (unit) {
            case "ns/op" -> 1e9 / score;
            case "us/op" -> 1e6 / score;
            case "ms/op" -> 1e3 / score;
            case "ops/s" -> score;
            case "ops/ms" -> score * 1e3;
            case "ops/us" -> score * 1e6;
            default -> Double.NaN;
          };
      if (Double.isNaN(opsPerSecond)) {
        continue;
      }
      bySeries
          .computeIfAbsent(name, k -> new TreeMap<>())
          .put(Double.parseDouble(size), opsPerSecond);
    }
    if (bySeries.isEmpty()) {
      return null;
    }
    List<SvgChart.Series> series = new ArrayList<>();
    bySeries.forEach(
        (name, points) -> {
          double[] x = new double[points.size()];
          double[] y = new double[points.size()];
          int i = 0;
          for (Map.Entry<Double, Double> e : points.entrySet()) {
            x[i] = e.getKey();
            y[i++] = e.getValue();
          }
          series.add(new SvgChart.Series(name, x, y));
        });
    return SvgChart.lines(
        benchmarkClass + "Benchmark: operations per second vs state size (JMH)",
        benchmarkClass.equals("Counter") ? "replicas that have written" : "state size (elements)",
        "operations per second (log)",
        true,
        true,
        series);
  }
}
