package dev.converge.bench;

import dev.converge.crdt.Key;
import dev.converge.crdt.Mutator;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.crdt.codec.ValueCodec;
import dev.converge.sync.Replicator;
import dev.converge.sync.SyncOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Issue 17's large-value figures on real TCP (loopback), default {@link SyncOptions#lan()} settings
 * in memory: one OR-Set of {@code --elements} 14-character strings.
 *
 * <ol>
 *   <li><b>Written while a peer is connected</b>: node a builds the set by updates of {@code
 *       --batch} adds each while node b is linked; the time from the first write until b holds
 *       every element.
 *   <li><b>A late joiner</b>: node c starts once the set is complete; the time from its start until
 *       it holds every element, against the time to encode and decode the state once (warm).
 *   <li><b>Event-loop stalls</b>: Vert.x's blocked-thread checker at a 50 ms threshold, counted
 *       over the whole run (worst stall reported).
 * </ol>
 *
 * <p>With {@code --curve} instead: local updates/s to one OR-Set already holding 10, 1,000, 100,000
 * and 1,000,000 elements on a 3-node cluster (one add each, 64 in flight, 5 s per size).
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.converge.bench.LargeValueBenchmark
 * [--elements 1000000] [--batch 10000] | --curve}
 */
public final class LargeValueBenchmark {

  private static final Key<ORSet<String>> SET = Key.orSet("large", ValueCodec.string());

  private LargeValueBenchmark() {}

  public static void main(String[] args) {
    int elements = 1_000_000;
    int batch = 10_000;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--elements" -> elements = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--curve" -> {
          curve();
          return;
        }
        default -> {
          System.err.println("usage: LargeValueBenchmark [--elements N] [--batch N] | --curve");
          System.exit(2);
        }
      }
    }
    StallCounter stalls = StallCounter.install();
    List<Vertx> vertxes = new ArrayList<>();
    List<Replicator> nodes = new ArrayList<>();
    try {
      Replicator a = start("a", List.of(), vertxes, nodes);
      String seed = "127.0.0.1:" + a.port();
      Replicator b = start("b", List.of(seed), vertxes, nodes);
      awaitMembers(a, 1);

      long start = System.nanoTime();
      for (int from = 0; from < elements; from += batch) {
        a.update(SET, addRange(from, Math.min(elements, from + batch))).await();
      }
      long written = System.nanoTime();
      int target = elements;
      awaitSize(b, target);
      long onB = System.nanoTime();
      System.out.printf(
          "large-value.write elements=%d batch=%d write_ms=%d peer_holds_all_ms=%d%n",
          elements, batch, ms(written - start), ms(onB - start));

      ORSet<String> state = a.get(SET).await();
      long encodeDecode = encodeDecodeMillis(state);
      long joinStart = System.nanoTime();
      Replicator c = start("c", List.of(seed), vertxes, nodes);
      awaitSize(c, target);
      long joined = System.nanoTime();
      System.out.printf(
          "large-value.late-joiner elements=%d bytes=%d encode_decode_ms=%d joiner_holds_all_ms=%d"
              + " ratio=%.2f%n",
          elements,
          CrdtCodec.standard().encode(SET.type(), state).length,
          encodeDecode,
          ms(joined - joinStart),
          ms(joined - joinStart) / (double) Math.max(1, encodeDecode));
      System.out.printf(
          "large-value.event-loop-stalls warnings_over_50ms=%d worst_ms=%d%n",
          stalls.count.get(), stalls.worstMillis.get());
    } finally {
      closeAll(nodes, vertxes);
    }
  }

  /*
   * The hot-key curve: on a 3-node cluster, local updates/s (one add each, 64 in flight) to one
   * OR-Set already holding 10 ... 1,000,000 elements, for 5 s per size, while the other two nodes
   * replicate it. Flat is the goal (issue 17, item 3).
   */
  private static void curve() {
    for (int size : new int[] {10, 1_000, 100_000, 1_000_000}) {
      List<Vertx> vertxes = new ArrayList<>();
      List<Replicator> nodes = new ArrayList<>();
      try {
        Replicator a = start("a", List.of(), vertxes, nodes);
        String seed = "127.0.0.1:" + a.port();
        Replicator b = start("b", List.of(seed), vertxes, nodes);
        start("c", List.of(seed), vertxes, nodes);
        awaitMembers(a, 2);
        for (int from = 0; from < size; from += 100_000) {
          a.update(SET, addRange(from, Math.min(size, from + 100_000))).await();
        }
        awaitSize(b, size);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        java.util.ArrayDeque<io.vertx.core.Future<ORSet<String>>> inFlight =
            new java.util.ArrayDeque<>();
        long done = 0;
        long start = System.nanoTime();
        int next = size;
        while (System.nanoTime() < end) {
          while (inFlight.size() < 64) {
            inFlight.add(a.update(SET, ORSet.adding(String.format("element-%06d", next++))));
          }
          inFlight.poll().await();
          done++;
        }
        while (!inFlight.isEmpty()) {
          inFlight.poll().await();
          done++;
        }
        double perSecond = done / ((System.nanoTime() - start) / 1e9);
        System.out.printf(
            "large-value.hot-key-curve elements=%d updates_per_s=%.0f%n", size, perSecond);
      } finally {
        closeAll(nodes, vertxes);
      }
    }
  }

  private static void closeAll(List<Replicator> nodes, List<Vertx> vertxes) {
    for (Replicator node : nodes) {
      node.close().await();
    }
    for (Vertx vertx : vertxes) {
      vertx.close().await();
    }
  }

  private static Replicator start(
      String id, List<String> seeds, List<Vertx> vertxes, List<Replicator> nodes) {
    Vertx vertx =
        Vertx.vertx(
            new VertxOptions()
                .setMaxEventLoopExecuteTime(50)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setBlockedThreadCheckInterval(10)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(50)
                .setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS));
    Replicator node =
        Replicator.create(vertx, SyncOptions.lan().setNodeId(id).setPort(0).setSeeds(seeds));
    node.start().await();
    vertxes.add(vertx);
    nodes.add(node);
    return node;
  }

  /* Adds elements from..to-1 in one write. */
  private static Mutator<ORSet<String>> addRange(int from, int to) {
    List<String> elements = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      elements.add(String.format("element-%06d", i));
    }
    return ORSet.addingAll(elements);
  }

  /* The best of three encode + decode round trips of the state, after a warm-up. */
  private static long encodeDecodeMillis(ORSet<String> state) {
    CrdtCodec codec = CrdtCodec.standard().withMaxBytes(Integer.MAX_VALUE / 2);
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      long t0 = System.nanoTime();
      byte[] bytes = codec.encode(SET.type(), state);
      codec.decode(bytes);
      if (i > 0) {
        best = Math.min(best, System.nanoTime() - t0);
      }
    }
    return ms(best);
  }

  private static void awaitMembers(Replicator node, int peers) {
    while (node.members().stream().filter(m -> m.reachable()).count() < peers) {
      sleep(10);
    }
  }

  private static void awaitSize(Replicator node, int size) {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
    while (node.get(SET).await().size() < size) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("node " + node.identity().nodeId() + " never caught up");
      }
      sleep(20);
    }
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /* Counts Vert.x's blocked-thread warnings for event-loop threads. */
  private static final class StallCounter extends Handler {
    final AtomicLong count = new AtomicLong();
    final AtomicLong worstMillis = new AtomicLong();

    static StallCounter install() {
      StallCounter counter = new StallCounter();
      Logger.getLogger("io.vertx.core.impl.BlockedThreadChecker").addHandler(counter);
      return counter;
    }

    /*
     * Counts a warning only if the blocked thread was running Converge code: on this 2-core machine
     * a thread waiting in select() is reported too when a garbage collection or the scheduler held
     * it up, which is not a stall of ours.
     */
    @Override
    public void publish(LogRecord record) {
      String message = record.getMessage();
      if (message == null || !message.contains("eventloop") || !message.contains("blocked for")) {
        return;
      }
      boolean ours = false;
      if (record.getThrown() != null) {
        for (StackTraceElement frame : record.getThrown().getStackTrace()) {
          ours |= frame.getClassName().startsWith("dev.converge");
        }
      }
      if (!ours) {
        return;
      }
      count.incrementAndGet();
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("blocked for (\\d+) ms").matcher(message);
      if (m.find()) {
        worstMillis.accumulateAndGet(Long.parseLong(m.group(1)), Math::max);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
