package dev.converge.bench;

import dev.converge.crdt.Key;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.PNCounter;
import dev.converge.store.Durability;
import dev.converge.store.ReplicaStore;
import dev.converge.store.ReplicaStores;
import dev.converge.store.StoreOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Replica store throughput: counter increments acknowledged per second under each durability policy
 * (and the in-memory store as the ceiling), waited for one at a time from 1 and 8 threads and
 * pipelined 64 deep from one thread (where group commit shares one sync among many writes); and
 * reads of cached keys (1,000 keys) and of mostly uncached ones (1,000,000 keys behind the default
 * 10,000-entry cache). Writes go to a temporary directory on the default file system: the
 * sync-bound numbers measure that disk.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar StoreBenchmark -f 1 -wi 2 -i 3}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class StoreBenchmark {

  private static final int PIPELINE = 64;

  /** A store under one policy, with {@code keys} counters written once. */
  @State(Scope.Benchmark)
  public static class Writes {

    /** {@code memory} is the in-memory store; the others are durable with that policy. */
    @Param({"memory", "NONE", "GROUP_COMMIT", "EVERY_WRITE"})
    public String policy;

    @Param({"1000"})
    public int keys;

    ReplicaStore store;
    List<Key<PNCounter>> names;
    private Path dir;

    @Setup(Level.Trial)
    public void open() throws Exception {
      StoreOptions options = new StoreOptions().setNodeId("bench");
      if (!policy.equals("memory")) {
        dir = Files.createTempDirectory("converge-store-bench");
        options.setDataDir(dir).setDurability(Durability.valueOf(policy));
      }
      store = ReplicaStores.open(options);
      names = counters(keys);
      fill(store, names);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
      store.close();
      deleteRecursively(dir);
    }

    Key<PNCounter> any() {
      return names.get(ThreadLocalRandom.current().nextInt(names.size()));
    }
  }

  /** A durable group-commit store of {@code keys} counters behind the default cache. */
  @State(Scope.Benchmark)
  public static class Reads {

    @Param({"1000", "1000000"})
    public int keys;

    ReplicaStore store;
    List<Key<PNCounter>> names;
    private Path dir;

    @Setup(Level.Trial)
    public void open() throws Exception {
      dir = Files.createTempDirectory("converge-store-bench");
      store = ReplicaStores.open(new StoreOptions().setNodeId("bench").setDataDir(dir));
      names = counters(keys);
      fill(store, names);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
      store.close();
      deleteRecursively(dir);
    }

    Key<PNCounter> any() {
      return names.get(ThreadLocalRandom.current().nextInt(names.size()));
    }
  }

  /** One increment, waited for: the latency-bound rate of a single caller. */
  @Benchmark
  @Threads(1)
  public Mutation<PNCounter> write1Thread(Writes s) {
    return s.store.update(s.any(), PNCounter.incrementBy(1)).join();
  }

  /** One increment per caller, waited for, 8 callers: what group commit is for. */
  @Benchmark
  @Threads(8)
  public Mutation<PNCounter> write8Threads(Writes s) {
    return s.store.update(s.any(), PNCounter.incrementBy(1)).join();
  }

  /** 64 increments issued at once, then all waited for. */
  @Benchmark
  @Threads(1)
  @OperationsPerInvocation(PIPELINE)
  public long writePipelined(Writes s) {
    @SuppressWarnings("unchecked")
    CompletableFuture<Mutation<PNCounter>>[] writes = new CompletableFuture[PIPELINE];
    for (int i = 0; i < PIPELINE; i++) {
      writes[i] = s.store.update(s.any(), PNCounter.incrementBy(1));
    }
    long sum = 0;
    for (CompletableFuture<Mutation<PNCounter>> write : writes) {
      sum += write.join().state().value();
    }
    return sum;
  }

  /** A read of a random key: cached at 1,000 keys, mostly a file load at 1,000,000. */
  @Benchmark
  @Threads(1)
  public PNCounter read(Reads s) {
    return s.store.read(s.any()).join();
  }

  static List<Key<PNCounter>> counters(int n) {
    return java.util.stream.IntStream.range(0, n)
        .mapToObj(i -> Key.pnCounter(String.format("counter-%08d", i)))
        .toList();
  }

  /** Writes every key once, pipelined. */
  static void fill(ReplicaStore store, List<Key<PNCounter>> names) throws InterruptedException {
    Semaphore inFlight = new Semaphore(4096);
    for (Key<PNCounter> name : names) {
      inFlight.acquire();
      store.update(name, PNCounter.incrementBy(1)).whenComplete((m, e) -> inFlight.release());
    }
    inFlight.acquire(4096);
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (dir == null) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
