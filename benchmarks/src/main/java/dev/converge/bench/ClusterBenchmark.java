package dev.converge.bench;

import dev.converge.bench.cluster.ClusterDriver;
import dev.converge.bench.cluster.Comparison;
import dev.converge.bench.cluster.ConvergeCluster;
import dev.converge.bench.cluster.Figures;
import dev.converge.bench.cluster.OrSetHeap;
import dev.converge.bench.cluster.PekkoCluster;
import dev.converge.bench.cluster.Scenarios;
import dev.converge.bench.report.Charts;
import dev.converge.sync.SyncOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The cluster benchmark of issue 7: Converge and Pekko Distributed Data side by side, in one JVM,
 * real TCP on loopback. Scenarios (see {@link Scenarios}): heap per OR-Set element, local update
 * throughput, bytes on the wire (idle and per update), convergence at N = 3, 5, 16, partition heal,
 * bulk OR-Set propagation. Converge runs with {@link SyncOptions#lan()} timings; Pekko runs twice,
 * with its defaults and with {@code gossip-interval} equal to Converge's gossip interval. Prints
 * one line per figure ({@code system.name value unit}), a progress line per scenario and the
 * Converge / Pekko table; writes {@code cluster.json} (or {@code cluster-quick.json}) and SVG
 * charts to the output directory.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.converge.bench.ClusterBenchmark
 * [--quick] [--out DIR] [--no-pekko] [--no-16]}
 */
public final class ClusterBenchmark {

  private ClusterBenchmark() {}

  public static void main(String[] args) throws IOException {
    boolean quick = false;
    boolean pekko = true;
    boolean sixteen = true;
    Path out = Path.of("benchmarks", "results");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--no-pekko" -> pekko = false;
        case "--no-16" -> sixteen = false;
        case "--out" -> out = Path.of(args[++i]);
        default -> {
          System.err.println(
              "usage: ClusterBenchmark [--quick] [--out DIR] [--no-pekko] [--no-16]");
          System.exit(2);
        }
      }
    }
    Logger.getLogger("").setLevel(Level.WARNING);
    Files.createDirectories(out);
    long started = System.nanoTime();
    JsonObject machine = machine();
    System.out.println("machine: " + machine.encode());

    Figures figures = new Figures();
    Scenarios.Sizes sizes = quick ? Scenarios.Sizes.quick() : Scenarios.Sizes.full();
    Scenarios scenarios = new Scenarios(figures, sizes);
    SyncOptions converge = SyncOptions.lan();
    Duration convergeGossip = Duration.ofMillis(converge.getGossipIntervalMillis());

    OrSetHeap.measure(figures, 100_000, quick ? 1 : 3, pekko);

    try (ClusterDriver one = ConvergeCluster.start("converge", 1, converge)) {
      scenarios.localThroughput(one);
    }
    if (pekko) {
      try (ClusterDriver one = PekkoCluster.start("pekko", 1, null, false, false)) {
        scenarios.localThroughput(one);
      }
    }

    List<Integer> sizesN = new ArrayList<>(List.of(3));
    if (!quick) {
      sizesN.add(5);
      if (sixteen) {
        sizesN.add(16);
      }
    }
    runClusters(
        scenarios,
        figures,
        sizes,
        sizesN,
        !quick,
        n -> ConvergeCluster.start("converge", n, converge));
    if (pekko) {
      // Pekko at Converge's gossip interval first: the comparison the targets are judged on.
      String fair = Comparison.FAIR_PEKKO;
      runClusters(
          scenarios,
          figures,
          sizes,
          sizesN,
          !quick,
          n -> PekkoCluster.start(fair, n, convergeGossip, n == 3, n == 3));
      if (!quick) {
        // Pekko's defaults: N = 3 and 5, no 100,000-key load (both measured at equal intervals
        // above), to keep the whole run within its time budget.
        runClusters(
            scenarios,
            figures,
            sizes,
            List.of(3, 5),
            false,
            n -> PekkoCluster.start("pekko-default", n, null, n == 3, n == 3));
      }
    }

    JsonObject report = figures.toJson();
    report.put("comparison", Comparison.print(figures, sizes.largeKeys()));
    machine.put(
        "loadAverageAtEnd", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    machine.put("seconds", (System.nanoTime() - started) / 1e9);
    report.put("machine", machine);
    report.put("mode", quick ? "quick" : "full");
    Path file = out.resolve(quick ? "cluster-quick.json" : "cluster.json");
    Files.writeString(file, report.encodePrettily());
    System.out.println("wrote " + file);
    Charts.write(out);
    System.out.printf("cluster benchmark done in %.0f s%n", (System.nanoTime() - started) / 1e9);
    System.exit(0);
  }

  private static void runClusters(
      Scenarios scenarios,
      Figures figures,
      Scenarios.Sizes sizes,
      List<Integer> nodeCounts,
      boolean largeKeys,
      IntFunction<ClusterDriver> start) {
    for (int n : nodeCounts) {
      System.out.printf("== starting cluster of %d%n", n);
      try (ClusterDriver d = start.apply(n)) {
        if (n == 3) {
          figures.settings(d.label(), d.settings());
          scenarios.bytes(d);
          scenarios.convergence(d);
          scenarios.bulk(d);
          scenarios.partitionHeal(d);
          if (largeKeys) {
            scenarios.idleAtLargeKeyCount(d, 10 + 3 * sizes.bytesKeys());
          }
        } else {
          scenarios.convergence(d);
        }
      } catch (RuntimeException e) {
        figures.note("cluster of " + n + " failed: " + e);
        e.printStackTrace();
      }
    }
  }

  static JsonObject machine() {
    Runtime rt = Runtime.getRuntime();
    return new JsonObject()
        .put("date", Instant.now().toString())
        .put("availableProcessors", rt.availableProcessors())
        .put("javaVersion", System.getProperty("java.version"))
        .put(
            "javaVm",
            System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"))
        .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"))
        .put("maxHeapBytes", rt.maxMemory())
        .put(
            "loadAverageAtStart",
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
  }
}
