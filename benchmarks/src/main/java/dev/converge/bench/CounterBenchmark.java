package dev.converge.bench;

import dev.converge.crdt.GCounter;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.causal.HybridLogicalClock;
import dev.converge.crdt.causal.VersionVector;
import java.util.HashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Local update, {@code state ⊔ delta} and full-merge cost of the counters and the register, by
 * number of replicas that have written (the only size a counter has: 10, 1,000, 100,000; a million
 * writers is not a counter anyone runs). Baselines: {@code HashMap.merge} of a long, and copying a
 * map of the same size for the full merge.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar CounterBenchmark -f 3 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CounterBenchmark {

  @Param({"10", "1000", "100000"})
  public int replicas;

  private static final ReplicaId SELF = ReplicaId.of("self");

  private GCounter gCounter;
  private PNCounter pnCounter;
  private GCounter gDelta;
  private LWWRegister<String> register;
  private HybridLogicalClock clock;
  private HashMap<String, Long> baseline;
  private PNCounter pnOther;
  private PNCounter pnDelta;

  @Setup
  public void setUp() {
    // Built with the vector builder: one increment per replica would copy the vector each time.
    VersionVector.Builder inc = VersionVector.builder();
    VersionVector.Builder dec = VersionVector.builder();
    baseline = new HashMap<>();
    for (int i = 0; i < replicas; i++) {
      ReplicaId r = ReplicaId.of(String.format("replica-%07d", i));
      inc.put(r, i + 1);
      dec.put(r, 1);
      baseline.put(r.value(), (long) i);
    }
    GCounter g = GCounter.of(inc.build());
    PNCounter pn = PNCounter.of(g, GCounter.of(dec.build()));
    gCounter = g.increment(SELF, 1).state();
    pnCounter = pn.increment(SELF, 1).state();
    gDelta = gCounter.increment(ReplicaId.of("replica-0000000"), 5).delta();
    // Another replica's view: the same writers, one of them further ahead, plus a new one.
    pnOther =
        pn.increment(ReplicaId.of("replica-0000001"), 7)
            .state()
            .increment(ReplicaId.of("other"), 1)
            .state();
    pnDelta = pnCounter.increment(ReplicaId.of("replica-0000001"), 3).delta();
    clock = HybridLogicalClock.system();
    register = LWWRegister.<String>empty().assign("v", SELF, clock).state();
  }

  @Benchmark
  public GCounter gCounterIncrement() {
    return gCounter.increment(SELF, 1).state();
  }

  @Benchmark
  public PNCounter pnCounterIncrement() {
    return pnCounter.increment(SELF, 1).state();
  }

  @Benchmark
  public GCounter gCounterApplyDelta() {
    return gCounter.merge(gDelta);
  }

  /** {@code state ⊔ delta} for one increment by another replica. */
  @Benchmark
  public PNCounter pnCounterApplyDelta() {
    return pnCounter.merge(pnDelta);
  }

  /** Anti-entropy's full merge of two replicas' states of the counter. */
  @Benchmark
  public PNCounter pnCounterFullMerge() {
    return pnCounter.merge(pnOther);
  }

  /** Baseline for the full merge: copying a map with one entry per writer. */
  @Benchmark
  public HashMap<String, Long> baselineHashMapCopy() {
    return new HashMap<>(baseline);
  }

  @Benchmark
  public LWWRegister<String> lwwAssign() {
    return register.assign("w", SELF, clock).state();
  }

  @Benchmark
  public Long baselineHashMapMerge() {
    return baseline.merge("self", 1L, Long::sum);
  }
}
