package dev.converge.bench;

import dev.converge.crdt.GCounter;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.causal.HybridLogicalClock;
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
 * Local update cost of the counters and the register, by number of replicas that have written (the
 * only size a counter has). Baseline: {@code HashMap.merge} of a long.
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

  @Param({"3", "100"})
  public int replicas;

  private static final ReplicaId SELF = ReplicaId.of("self");

  private GCounter gCounter;
  private PNCounter pnCounter;
  private GCounter gDelta;
  private LWWRegister<String> register;
  private HybridLogicalClock clock;
  private HashMap<String, Long> baseline;

  @Setup
  public void setUp() {
    GCounter g = GCounter.empty();
    PNCounter pn = PNCounter.empty();
    baseline = new HashMap<>();
    for (int i = 0; i < replicas; i++) {
      ReplicaId r = ReplicaId.of("replica-" + i);
      g = g.increment(r, i + 1).state();
      pn = pn.increment(r, i + 1).state().decrement(r, 1).state();
      baseline.put(r.value(), (long) i);
    }
    gCounter = g.increment(SELF, 1).state();
    pnCounter = pn.increment(SELF, 1).state();
    gDelta = gCounter.increment(ReplicaId.of("replica-0"), 5).delta();
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

  @Benchmark
  public LWWRegister<String> lwwAssign() {
    return register.assign("w", SELF, clock).state();
  }

  @Benchmark
  public Long baselineHashMapMerge() {
    return baseline.merge("self", 1L, Long::sum);
  }
}
