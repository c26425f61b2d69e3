package dev.converge.bench;

import dev.converge.crdt.Mutation;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.ReplicaId;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of one OR-Set update against the size of the set: the claim is that an add, a remove and
 * applying a one-element delta cost about the same at 10 and at 1,000,000 elements (persistent
 * CHAMP map, interval causal context). {@code HashMap.put}/{@code remove} on a map of the same size
 * run alongside as the plain-Java baseline, so results read as ratios.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ORSetBenchmark -f 3 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ORSetBenchmark {

  @Param({"10", "1000", "100000", "1000000"})
  public int size;

  private static final ReplicaId REPLICA = ReplicaId.of("bench");
  private static final ReplicaId PEER = ReplicaId.of("peer");

  private ORSet<String> set;
  private HashMap<String, Long> baseline;
  private ORSet<String> peerAddDelta;
  private ORSet<String> peerRemoveDelta;
  private String present;
  private int next;

  @Setup(Level.Trial)
  public void fill() {
    ORSet<String> s = ORSet.empty();
    baseline = new HashMap<>();
    for (int i = 0; i < size; i++) {
      s = s.add(REPLICA, "element-" + i).state();
      baseline.put("element-" + i, (long) i);
    }
    set = s;
    present = "element-" + (size / 2);
    // Deltas made by a peer that has seen this state: one add of a new element, one remove.
    peerAddDelta = set.add(PEER, "from-peer").delta();
    peerRemoveDelta = set.remove(present).delta();
  }

  /** Adds a new element; the set is persistent, so each call starts from the same state. */
  @Benchmark
  public ORSet<String> add() {
    return set.add(REPLICA, "fresh-" + (next++ & 1023)).state();
  }

  /** Adds and returns the delta too: what a replica does per local write. */
  @Benchmark
  public Mutation<ORSet<String>> addWithDelta() {
    return set.add(REPLICA, "fresh-" + (next++ & 1023));
  }

  /**
   * What a store's local write does since issue 13 for a user's mutator: the mutation, then the
   * current state joined with its delta (never the state the mutator returned). The library's own
   * mutators skip the join (it is the identity for them). Compare with {@link #addWithDelta}.
   */
  @Benchmark
  public ORSet<String> addThenJoinDelta() {
    Mutation<ORSet<String>> m = set.add(REPLICA, "fresh-" + (next++ & 1023));
    return set.merge(m.delta());
  }

  @Benchmark
  public ORSet<String> remove() {
    return set.remove(present).state();
  }

  /** {@code state ⊔ delta} for a one-element add delta from a peer. */
  @Benchmark
  public ORSet<String> applyAddDelta() {
    return set.merge(peerAddDelta);
  }

  /** {@code state ⊔ delta} for a one-element remove delta. */
  @Benchmark
  public ORSet<String> applyRemoveDelta() {
    return set.merge(peerRemoveDelta);
  }

  @Benchmark
  public boolean contains() {
    return set.contains(present);
  }

  /** Baseline: a mutable HashMap put of a fresh key, undone so the map keeps its size. */
  @Benchmark
  public Map<String, Long> baselineHashMapPut() {
    String key = "fresh-" + (next++ & 1023);
    baseline.put(key, 1L);
    baseline.remove(key);
    return baseline;
  }
}
