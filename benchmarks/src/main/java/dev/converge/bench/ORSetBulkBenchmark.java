package dev.converge.bench;

import dev.converge.crdt.Mutation;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.ReplicaId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
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
 * Cost of the OR-Set's bulk mutators against the number of elements they touch (issue 17): {@code
 * clear()} of a set of {@code size} elements, and {@code addAll} of {@code size} elements, into the
 * empty set and over a set holding them all (every element's dot superseded). The claim is O(k log
 * n) for k elements: time per element about flat from 1,000 to 1,000,000, where joining one-element
 * deltas made {@code clear()} quadratic.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ORSetBulkBenchmark -f 1 -wi 2 -i 3 -w
 * 2s -r 2s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class ORSetBulkBenchmark {

  @Param({"1000", "100000", "1000000"})
  public int size;

  private static final ReplicaId REPLICA = ReplicaId.of("bench");
  private static final ReplicaId PEER = ReplicaId.of("peer");

  private List<String> elements;
  private List<String> shuffled;
  private ORSet<String> full;

  @Setup(Level.Trial)
  public void fill() {
    elements = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      elements.add("element-" + i);
    }
    // Filled by the peer, so that addAll by REPLICA supersedes a dot of another replica.
    full = ORSet.<String>empty().addAll(PEER, elements).state();
    // Not in the order the peer's dots were issued: the superseded dots are scattered, as when
    // the elements come from a HashSet. (Joined one add at a time, that order made it quadratic.)
    shuffled = new ArrayList<>(elements);
    Collections.shuffle(shuffled, new Random(42));
  }

  /** Removes all {@code size} elements; the set is persistent, so each call starts alike. */
  @Benchmark
  public Mutation<ORSet<String>> clear() {
    return full.clear();
  }

  /** Adds {@code size} new elements to the empty set. */
  @Benchmark
  public Mutation<ORSet<String>> addAllToEmpty() {
    return ORSet.<String>empty().addAll(REPLICA, elements);
  }

  /** Adds {@code size} elements that are all present, shuffled: each supersedes a peer's dot. */
  @Benchmark
  public Mutation<ORSet<String>> addAllOverPresent() {
    return full.addAll(REPLICA, shuffled);
  }

  /** Removes all {@code size} elements by name: removeAll's cost next to clear's. */
  @Benchmark
  public Mutation<ORSet<String>> removeAll() {
    return full.removeAll(elements);
  }
}
