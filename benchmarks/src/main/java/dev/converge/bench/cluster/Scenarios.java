package dev.converge.bench.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

/**
 * The cluster scenarios of issue 7, run the same way against any {@link ClusterDriver}. Every
 * figure is recorded in {@link Figures} under the driver's label. Times are wall-clock from the
 * event named to the first poll that saw the end condition on every node (poll period 5 ms, so
 * figures carry up to ~5 ms of polling slack plus the time to read N nodes).
 */
public final class Scenarios {

  /** Scenario sizes: the full run and the quick one. */
  public record Sizes(
      int increments,
      int repetitions,
      int bulkElements,
      int bytesKeys,
      int largeKeys,
      long idleWindowMinMillis,
      int idleRounds,
      long partitionMaxMillis,
      long loadTimeoutMillis,
      int throughputRounds,
      long warmupMillis) {

    public static Sizes full() {
      return new Sizes(10_000, 3, 10_000, 1_000, 100_000, 8_000, 3, 15_000, 90_000, 5, 2_000);
    }

    public static Sizes quick() {
      return new Sizes(2_000, 1, 2_000, 300, 2_000, 1_500, 1, 10_000, 60_000, 1, 300);
    }
  }

  private static final long POLL_MILLIS = 5;

  /** Above this share of idle bytes in a bytes-per-update window, the figure is not reported. */
  private static final double MAX_IDLE_SHARE = 0.8;

  private static final long CONVERGE_TIMEOUT_MILLIS = 120_000;

  private final Figures figures;
  private final Sizes sizes;

  public Scenarios(Figures figures, Sizes sizes) {
    this.figures = figures;
    this.sizes = sizes;
  }

  private static final long STARTED = System.nanoTime();

  private static void progress(ClusterDriver d, String scenario) {
    System.out.printf(
        "== [%5.1f s] %s n=%d: %s%n",
        (System.nanoTime() - STARTED) / 1e9, d.label(), d.size(), scenario);
  }

  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  private static boolean everyNode(ClusterDriver d, IntPredicate holds) {
    for (int i = 0; i < d.size(); i++) {
      if (!holds.test(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Every node writes {@code increments} increments of 1 to one PN-counter at once; the figure is
   * the time from the last acknowledged write until every node reads the total.
   */
  public void convergence(ClusterDriver d) {
    progress(d, "convergence (" + sizes.increments() + " increments per node)");
    double[] samples = new double[sizes.repetitions()];
    for (int r = 0; r < samples.length; r++) {
      String key = "conv-" + r;
      writeOnEveryNode(d, (node, i) -> d.increment(node, key, 1), sizes.increments());
      long expected = (long) d.size() * sizes.increments();
      long took =
          Waits.until(
              () -> everyNode(d, n -> d.counter(n, key) == expected),
              CONVERGE_TIMEOUT_MILLIS,
              POLL_MILLIS,
              d.label() + " convergence");
      samples[r] = millis(took);
    }
    figures.addSamples(d.label(), "convergence.n" + d.size(), "ms", samples);
  }

  /** One writer thread per node, each pipelining {@code count} writes; returns when all acked. */
  private static void writeOnEveryNode(ClusterDriver d, NodeWrite write, int count) {
    List<Thread> writers = new ArrayList<>();
    List<RuntimeException> failures = new ArrayList<>();
    for (int node = 0; node < d.size(); node++) {
      int n = node;
      Thread t =
          new Thread(
              () -> {
                try {
                  Pipeline p = new Pipeline();
                  for (int i = 0; i < count; i++) {
                    int at = i;
                    p.submit(() -> write.apply(n, at));
                  }
                  p.drain();
                } catch (RuntimeException e) {
                  synchronized (failures) {
                    failures.add(e);
                  }
                }
              },
              "writer-" + n);
      writers.add(t);
      t.start();
    }
    for (Thread t : writers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
  }

  @FunctionalInterface
  private interface NodeWrite {
    java.util.concurrent.CompletionStage<?> apply(int node, int index);
  }

  /**
   * Node {@code size-1} is cut off; once it sees every peer as unreachable, all nodes write (a
   * counter and a set); then the partition heals. The figure is the time from heal until every node
   * holds the identical, complete state.
   */
  public void partitionHeal(ClusterDriver d) {
    progress(d, "partition heal");
    int isolated = d.size() - 1;
    int writes = Math.max(100, sizes.increments() / 2);
    int adds = writes / 10;
    double[] samples = new double[sizes.repetitions()];
    for (int r = 0; r < samples.length; r++) {
      String counter = "heal-c-" + r;
      String set = "heal-s-" + r;
      d.isolate(isolated);
      Waits.until(
          () -> d.seesAllUnreachable(isolated),
          sizes.partitionMaxMillis(),
          20,
          d.label() + " isolated node noticing the partition");
      writeOnEveryNode(d, (node, i) -> d.increment(node, counter, 1), writes);
      writeOnEveryNode(d, (node, i) -> d.add(node, set, "n" + node + "-" + i), adds);
      long expectedCount = (long) d.size() * writes;
      int expectedSize = d.size() * adds;
      d.heal();
      long took =
          Waits.until(
              () ->
                  everyNode(
                      d,
                      n ->
                          d.counter(n, counter) == expectedCount
                              && d.setSize(n, set) == expectedSize),
              CONVERGE_TIMEOUT_MILLIS,
              POLL_MILLIS,
              d.label() + " heal");
      samples[r] = millis(took);
      Waits.until(d::membershipComplete, 60_000, 20, d.label() + " membership after heal");
    }
    figures.addSamples(d.label(), "heal.n" + d.size(), "ms", samples);
  }

  /** Node 0 adds {@code bulkElements} elements to one OR-Set; time until every node holds all. */
  public void bulk(ClusterDriver d) {
    progress(d, "bulk (" + sizes.bulkElements() + " OR-Set adds on one node)");
    double[] total = new double[sizes.repetitions()];
    double[] afterLast = new double[sizes.repetitions()];
    for (int r = 0; r < total.length; r++) {
      String key = "bulk-" + r;
      long start = System.nanoTime();
      Pipeline p = new Pipeline();
      for (int i = 0; i < sizes.bulkElements(); i++) {
        String element = "item-" + i;
        p.submit(() -> d.add(0, key, element));
      }
      p.drain();
      long lastWrite = System.nanoTime();
      Waits.until(
          () -> everyNode(d, n -> d.setSize(n, key) == sizes.bulkElements()),
          CONVERGE_TIMEOUT_MILLIS,
          POLL_MILLIS,
          d.label() + " bulk");
      long end = System.nanoTime();
      total[r] = millis(end - start);
      afterLast[r] = millis(end - lastWrite);
    }
    figures.addSamples(d.label(), "bulk.total", "ms", total);
    figures.addSamples(d.label(), "bulk.afterLastWrite", "ms", afterLast);
  }

  /**
   * Bytes: idle traffic with 10 keys, then bytes per update of each type (updates of distinct,
   * already replicated keys, from node 0, with the idle traffic of the same window subtracted).
   * Leaves the cluster holding {@code 10 + 3 * bytesKeys} keys.
   */
  public void bytes(ClusterDriver d) {
    if (d.wireBytes() < 0) {
      figures.note(d.label() + ": bytes not measured (no byte counter for this driver)");
      return;
    }
    progress(d, "bytes: idle traffic at 10 keys");
    Pipeline p = new Pipeline();
    for (int i = 0; i < 10; i++) {
      String key = "idle-" + i;
      p.submit(() -> d.increment(0, key, 1));
    }
    p.drain();
    awaitKeys(d, 10);
    idle(d, "10keys");

    int k = sizes.bytesKeys();
    perUpdate(
        d,
        "counterIncrement",
        10 + k,
        i -> d.increment(0, "bc-" + i, 1),
        i -> d.increment(0, "bc-" + i, 1),
        (n, i) -> d.counter(n, "bc-" + i) == 2);
    perUpdate(
        d,
        "setAdd",
        10 + 2 * k,
        i -> d.add(0, "bs-" + i, "first"),
        i -> d.add(0, "bs-" + i, "element-" + i),
        (n, i) -> d.setSize(n, "bs-" + i) == 2);
    perUpdate(
        d,
        "registerSet",
        10 + 3 * k,
        i -> d.assign(0, "br-" + i, "v0"),
        i -> d.assign(0, "br-" + i, "value-" + i),
        (n, i) -> ("value-" + i).equals(d.register(n, "br-" + i)));
  }

  /** Loads {@code largeKeys} more keys, then measures idle traffic again. */
  public void idleAtLargeKeyCount(ClusterDriver d, int keysBefore) {
    if (d.wireBytes() < 0) {
      return;
    }
    int large = sizes.largeKeys();
    progress(d, "bytes: load " + large + " keys, then idle traffic");
    long start = System.nanoTime();
    long deadline = start + sizes.loadTimeoutMillis() * 1_000_000L;
    try {
      Pipeline p = new Pipeline();
      for (int i = 0; i < large; i++) {
        if ((i & 1023) == 0 && System.nanoTime() > deadline) {
          throw new IllegalStateException(i + " of " + large + " writes issued when time ran out");
        }
        String key = "many-" + i;
        p.submit(() -> d.increment(0, key, 1));
      }
      p.drain();
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000L);
      Waits.until(
          () -> everyNode(d, n -> d.keyCount(n) >= keysBefore + large),
          left,
          500,
          "every node holding the keys");
    } catch (RuntimeException e) {
      figures.note(
          d.label()
              + ": loading "
              + large
              + " keys did not finish within "
              + sizes.loadTimeoutMillis() / 1000
              + " s ("
              + e.getMessage()
              + "); idle bytes at this size not measured");
      return;
    }
    figures.add(d.label(), "load.keys" + large, millis(System.nanoTime() - start), "ms");
    idle(d, large + "keys");
  }

  private void awaitKeys(ClusterDriver d, int keys) {
    Waits.until(
        () -> everyNode(d, n -> d.keyCount(n) >= keys),
        CONVERGE_TIMEOUT_MILLIS,
        50,
        d.label() + " keys " + keys);
  }

  /** Bytes per second over an idle window of at least five repair rounds; records figures. */
  private double idle(ClusterDriver d, String suffix) {
    settle(d);
    long window =
        Math.max(sizes.idleWindowMinMillis(), (sizes.idleRounds() + 2) * d.repairIntervalMillis());
    return idleRate(d, suffix, window, true);
  }

  /**
   * Cluster-wide bytes per second while nothing is written, over {@code window} ms; with {@code
   * record}, also records it, per node per repair round, and (Converge) anti-entropy bytes per
   * round.
   */
  private double idleRate(ClusterDriver d, String suffix, long window, boolean record) {
    long[] aeBefore = d instanceof ConvergeCluster c ? c.antiEntropy() : null;
    long b0 = d.wireBytes();
    long t0 = System.nanoTime();
    Waits.sleep(window);
    long b1 = d.wireBytes();
    long t1 = System.nanoTime();
    double seconds = (t1 - t0) / 1e9;
    double rate = (b1 - b0) / seconds;
    if (!record) {
      return rate;
    }
    figures.add(d.label(), "idle.bytesPerSecond." + suffix, rate, "B/s");
    // Every node runs one repair round per interval: total idle bytes per node per round.
    double perRound = rate * d.repairIntervalMillis() / 1000.0 / d.size();
    figures.add(d.label(), "idle.bytesPerNodePerRound." + suffix, perRound, "B");
    if (aeBefore != null) {
      long[] aeAfter = ((ConvergeCluster) d).antiEntropy();
      long rounds = aeAfter[0] - aeBefore[0];
      if (rounds > 0) {
        figures.add(
            d.label(),
            "idle.antiEntropyBytesPerRound." + suffix,
            (double) (aeAfter[1] - aeBefore[1]) / rounds,
            "B");
      }
    }
    return rate;
  }

  /**
   * Waits until traffic is quiet: measures the byte rate over windows of one repair interval (at
   * least 1 s) until a window is no more than 10% below the one before (at most 12 windows), and
   * returns the mean rate of the last two windows. Follow-up repair after a burst of writes (digest
   * refreshes, full-state gossip) otherwise inflates the idle figure.
   */
  private double settle(ClusterDriver d) {
    long window =
        Math.max(
            1_000,
            sizes.idleRounds() > 1 ? 2 * d.repairIntervalMillis() : d.repairIntervalMillis());
    double previous = idleRate(d, "", window, false);
    for (int i = 0; i < 12; i++) {
      double current = idleRate(d, "", window, false);
      if (current >= previous * 0.9) {
        return (previous + current) / 2;
      }
      previous = current;
    }
    return previous;
  }

  @FunctionalInterface
  private interface Write {
    java.util.concurrent.CompletionStage<?> apply(int index);
  }

  @FunctionalInterface
  private interface Check {
    boolean holds(int node, int index);
  }

  private void perUpdate(
      ClusterDriver d, String kind, int keysAfterPrepare, Write prepare, Write update, Check seen) {
    progress(d, "bytes per update: " + kind);
    int k = sizes.bytesKeys();
    Pipeline p = new Pipeline();
    for (int i = 0; i < k; i++) {
      int at = i;
      p.submit(() -> prepare.apply(at));
    }
    p.drain();
    awaitKeys(d, keysAfterPrepare);
    // The idle rate right before, with the same keys held: Pekko's idle gossip grows with them.
    double idleRate = settle(d);
    long b0 = d.wireBytes();
    long t0 = System.nanoTime();
    Pipeline u = new Pipeline();
    for (int i = 0; i < k; i++) {
      int at = i;
      u.submit(() -> update.apply(at));
    }
    u.drain();
    Waits.until(
        () -> {
          for (int n = 1; n < d.size(); n++) {
            for (int i = 0; i < k; i++) {
              if (!seen.holds(n, i)) {
                return false;
              }
            }
          }
          return true;
        },
        CONVERGE_TIMEOUT_MILLIS,
        50,
        d.label() + " " + kind + " replicated");
    // Acknowledgements and the last delta ticks: two delta intervals. Digest-based repair finds
    // nothing to repair once the deltas are in, so waiting longer would only add idle noise.
    Waits.sleep(Math.max(500, 2 * d.deltaIntervalMillis()));
    long b1 = d.wireBytes();
    double seconds = (System.nanoTime() - t0) / 1e9;
    double bytes = (b1 - b0) - idleRate * seconds;
    double idleShare = idleRate * seconds / Math.max(1, b1 - b0);
    figures.add(d.label(), "bytesPerUpdate." + kind + ".idleShare", idleShare, "fraction");
    figures.add(d.label(), "bytesPerUpdate." + kind + ".windowBytes", b1 - b0, "B");
    if (idleShare > MAX_IDLE_SHARE) {
      // The updates' own bytes are within the noise of the idle traffic they are taken from.
      figures.note(
          String.format(
              java.util.Locale.ROOT,
              "%s bytesPerUpdate.%s not reliable: idle traffic is %.0f%% of the window's %d bytes"
                  + " (estimate %.1f B/update); reported as n/a",
              d.label(),
              kind,
              100 * idleShare,
              b1 - b0,
              bytes / k));
      figures.add(d.label(), "bytesPerUpdate." + kind, Double.NaN, "B");
    } else {
      figures.add(d.label(), "bytesPerUpdate." + kind, bytes / k, "B");
    }
  }

  /**
   * Local update throughput of one node that has no peers: updates pipelined {@link
   * Pipeline#WINDOW} deep through the system's public write path for one second at a time, after a
   * warm-up; the figure is the median of {@link Sizes#throughputRounds()} seconds.
   */
  public void localThroughput(ClusterDriver d) {
    progress(d, "local update throughput");
    throughput(d, "counterIncrement", i -> d.increment(0, "tp-c", 1));
    throughput(d, "setAdd", i -> d.add(0, "tp-s", "item-" + (i % 10_000)));
    throughput(d, "registerSet", i -> d.assign(0, "tp-r", "value-" + i));
  }

  private void throughput(ClusterDriver d, String kind, Write write) {
    int rounds = sizes.throughputRounds();
    run(write, sizes.warmupMillis(), 0);
    double[] samples = new double[rounds];
    int offset = 1_000_000;
    for (int r = 0; r < rounds; r++) {
      samples[r] = run(write, 1_000, offset);
      offset += 10_000_000;
    }
    figures.addSamples(d.label(), "localUpdate." + kind, "ops/s", samples);
  }

  /** Writes for {@code millis}, then drains; returns completed writes per second. */
  private static double run(Write write, long millis, int offset) {
    Pipeline p = new Pipeline();
    long start = System.nanoTime();
    long end = start + TimeUnit.MILLISECONDS.toNanos(millis);
    int i = 0;
    while (System.nanoTime() < end) {
      int at = offset + i++;
      p.submit(() -> write.apply(at));
    }
    p.drain();
    return i / ((System.nanoTime() - start) / 1e9);
  }
}
