package dev.converge.bench;

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
 * OR-Set joins against the size of the set: a full merge of two replicas' states that diverged by a
 * few elements (what anti-entropy does), {@code state ⊔ delta-group} for a group of 100 adds, and
 * {@code delta ⊔ delta} (what the delta buffer does per write). Baselines: copying a {@code
 * HashMap} of the same size and {@code putAll} of the other side's few new entries, which is the
 * least a mutable full merge into a fresh map costs.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ORSetMergeBenchmark -f 3 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ORSetMergeBenchmark {

  @Param({"10", "1000", "100000", "1000000"})
  public int size;

  private static final ReplicaId A = ReplicaId.of("a");
  private static final ReplicaId B = ReplicaId.of("b");

  private ORSet<String> left;
  private ORSet<String> right;
  private ORSet<String> deltaGroup;
  private ORSet<String> delta1;
  private ORSet<String> delta2;
  private HashMap<String, Long> baseline;
  private HashMap<String, Long> baselineNew;

  @Setup(Level.Trial)
  public void fill() {
    ORSet<String> s = ORSet.empty();
    baseline = new HashMap<>();
    for (int i = 0; i < size; i++) {
      s = s.add(A, "element-" + i).state();
      baseline.put("element-" + i, (long) i);
    }
    // Both replicas hold the common state; each then adds 5 elements of its own.
    ORSet<String> l = s;
    ORSet<String> r = s;
    baselineNew = new HashMap<>();
    for (int i = 0; i < 5; i++) {
      l = l.add(A, "left-" + i).state();
      r = r.add(B, "right-" + i).state();
      baselineNew.put("right-" + i, (long) i);
    }
    left = l;
    right = r;
    // A delta group of 100 adds by B on top of the common state: the join of the deltas. (Joining
    // them into ORSet.empty() instead would make a replica state, whose merge is a full merge.)
    ORSet<String> group = null;
    ORSet<String> t = s;
    for (int i = 0; i < 100; i++) {
      var m = t.add(B, "group-" + i);
      t = m.state();
      group = group == null ? m.delta() : group.merge(m.delta());
    }
    deltaGroup = group;
    delta1 = s.add(B, "d1").delta();
    delta2 = s.add(B, "d1").state().add(B, "d2").delta();
  }

  /** Anti-entropy's full merge of two diverged replicas. */
  @Benchmark
  public ORSet<String> fullMerge() {
    return left.merge(right);
  }

  /** {@code state ⊔ delta-group}: a group of 100 adds received at once. */
  @Benchmark
  public ORSet<String> stateJoinDeltaGroup() {
    return left.merge(deltaGroup);
  }

  /** {@code delta ⊔ delta}: the delta buffer joining two one-element deltas. */
  @Benchmark
  public ORSet<String> deltaJoinDelta() {
    return delta1.merge(delta2);
  }

  /** Baseline: a mutable full merge into a fresh map (copy, then putAll of the new entries). */
  @Benchmark
  public Map<String, Long> baselineHashMapCopyAndPutAll() {
    HashMap<String, Long> merged = new HashMap<>(baseline);
    merged.putAll(baselineNew);
    return merged;
  }

  /** Baseline: {@code putAll} of the few new entries into the existing map (undone after). */
  @Benchmark
  public Map<String, Long> baselineHashMapPutAll() {
    baseline.putAll(baselineNew);
    baselineNew.keySet().forEach(baseline::remove);
    return baseline;
  }
}
