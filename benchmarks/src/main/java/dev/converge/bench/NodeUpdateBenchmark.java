package dev.converge.bench;

import dev.converge.crdt.Key;
import dev.converge.crdt.PNCounter;
import dev.converge.store.Durability;
import dev.converge.sync.Replicator;
import dev.converge.sync.SyncOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Update throughput through the public node API ({@link Replicator#update}) of one node without
 * peers, in memory and durable with group commit: one update waited for at a time, and 64 issued at
 * once then waited for (where group commit shares one sync among many writes). Counter increments
 * on 1,000 keys. The durable store writes to a temporary directory: its numbers measure that disk.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar NodeUpdateBenchmark -f 3 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class NodeUpdateBenchmark {

  private static final int PIPELINE = 64;

  /** {@code memory}: no data directory; {@code GROUP_COMMIT}: durable, group commit. */
  @Param({"memory", "GROUP_COMMIT"})
  public String store;

  private Vertx vertx;
  private Replicator node;
  private Path dir;
  private List<Key<PNCounter>> keys;

  @Setup(Level.Trial)
  public void start() throws IOException {
    SyncOptions options = SyncOptions.lan().setNodeId("bench").setPort(0);
    if (!store.equals("memory")) {
      dir = Files.createTempDirectory("converge-node-bench");
      options.setDataDir(dir).setDurability(Durability.valueOf(store));
    }
    vertx = Vertx.vertx();
    node = Replicator.create(vertx, options);
    node.start().await();
    keys = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      keys.add(Key.pnCounter(String.format("counter-%04d", i)));
    }
  }

  @TearDown(Level.Trial)
  public void stop() throws IOException {
    node.close().await();
    vertx.close().await();
    StoreBenchmark.deleteRecursively(dir);
  }

  private Key<PNCounter> any() {
    return keys.get(ThreadLocalRandom.current().nextInt(keys.size()));
  }

  /** One update, waited for. */
  @Benchmark
  public PNCounter update() {
    return node.update(any(), PNCounter.incrementBy(1)).await();
  }

  /** 64 updates issued at once, then all waited for. */
  @Benchmark
  @OperationsPerInvocation(PIPELINE)
  public long updatePipelined() {
    List<Future<PNCounter>> writes = new ArrayList<>(PIPELINE);
    for (int i = 0; i < PIPELINE; i++) {
      writes.add(node.update(any(), PNCounter.incrementBy(1)));
    }
    long sum = 0;
    for (Future<PNCounter> write : writes) {
      sum += write.await().value();
    }
    return sum;
  }
}
