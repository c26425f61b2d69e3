package dev.converge.crdt;

import dev.converge.crdt.causal.HybridLogicalClock;
import dev.converge.crdt.codec.StateReader;
import dev.converge.crdt.codec.StateWriter;
import dev.converge.crdt.codec.ValueCodec;
import dev.converge.crdt.internal.LawfulMutator;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A last-writer-wins register (Shapiro et al., INRIA RR-7506 §3.2.1) stamped with hybrid logical
 * clock timestamps (Kulkarni et al., OPODIS 2014). Conflict rule: <b>the write with the higher
 * timestamp wins; equal timestamps are ordered by writer replica id</b>.
 *
 * <p>An assignment takes a timestamp above both the replica's clock and the register's current
 * timestamp, so a write always supersedes every write its replica has seen, even when wall clocks
 * disagree. The delta of an assignment is the new register itself. Because a replica's clock is
 * strictly monotonic, {@code (timestamp, writer)} identifies one write.
 *
 * <p>Immutable; thread-safe. The empty register has no value and timestamp 0.
 *
 * <p><b>Pruning</b> ({@link ReplicaPruning}). The only replica id a register holds is the writer of
 * the winning write. {@link #prune prune(R, O)} re-stamps a write of {@code R} as {@code O}'s, one
 * tick later: {@code (ts, R, v)} becomes {@code (ts + 1, O, v)}. {@link #pruningCleanup
 * pruningCleanup(R)} turns a register whose winning write is {@code R}'s into the empty register.
 * See the implementation notes for why neither keeps {@code ts} with another writer.
 *
 * @param <V> the value type; values must be immutable with value equality
 */
public final class LWWRegister<V> implements Crdt<LWWRegister<V>>, ReplicaPruning<LWWRegister<V>> {

  /*
   * Implementation notes: pruning
   *
   * prune(R, O) on O's own state whose winner is (ts, R, v). Renaming in place, (ts, O, v), is
   * what a reader of Pekko might expect, but it can forge a stamp: O may itself have written
   * (ts, O, w) in the same millisecond (HLC stamps of two nodes collide easily at logical 0) and
   * lost to R on the id tie-break; stale copies of (ts, O, w) then meet (ts, O, v) - two different
   * values under one stamp, which merge can only settle by an arbitrary rule. (ts + 1, O) cannot
   * collide: every write of O to this register is in O's own state, below the winner (ts, R), so O
   * never issued a stamp above ts here. It is above every write O has seen, so the value O shows
   * is unchanged, and O's next assignment stamps above it (assign() reads the current timestamp).
   *
   * pruningCleanup(R) on another replica whose winner is (ts', R, v'): it must not mention R, and
   * it must not compete with the owner's pruned write. A placeholder writer keeping ts' would
   * compete: against a write (ts', W) with W > R that the owner kept, the placeholder could sort
   * above W and bring back a value the owner had overwritten. The empty register cannot win
   * anything; the protocol merges the owner's pruned state right after, and that state holds a
   * write at least as late as every write of R (the owner has them all), so what the cleanup
   * forgot comes back as the owner's re-stamped write, or lost to a later one. (Pekko's
   * LWWRegister does not implement RemovedNodePruning at all: its writer addresses are never
   * pruned.)
   *
   * What pruning changes: writes concurrent with the prune (not seen by the owner) whose stamp
   * lies between (ts, R) and (ts + 1, O) - one HLC tick - are ordered against v as if v were
   * written at ts + 1 by O. LWW orders concurrent writes by stamp, not by causality, so every
   * replica still picks the same winner; only that one-tick window may pick differently than it
   * would have without pruning.
   */

  private static final LWWRegister<?> EMPTY = new LWWRegister<>(null, 0L, null);

  private final V value;
  private final long timestamp;
  private final ReplicaId writer;

  private LWWRegister(V value, long timestamp, ReplicaId writer) {
    this.value = value;
    this.timestamp = timestamp;
    this.writer = writer;
  }

  /** The register nobody wrote. */
  @SuppressWarnings("unchecked")
  public static <V> LWWRegister<V> empty() {
    return (LWWRegister<V>) EMPTY;
  }

  /** The type descriptor for values encoded by {@code codec}; tag {@code lww:<codec tag>}. */
  public static <V> CrdtType<LWWRegister<V>> type(ValueCodec<V> codec) {
    return new Type<>(codec);
  }

  /** The value of the winning write; empty if nobody wrote. */
  public Optional<V> value() {
    return Optional.ofNullable(value);
  }

  /** The winning write's hybrid logical timestamp; 0 if nobody wrote. */
  public long timestamp() {
    return timestamp;
  }

  /** The replica of the winning write; empty if nobody wrote. */
  public Optional<ReplicaId> writer() {
    return Optional.ofNullable(writer);
  }

  /**
   * Writes {@code newValue} on behalf of {@code replica}, stamped by {@code clock} above the
   * current timestamp.
   */
  public Mutation<LWWRegister<V>> assign(V newValue, ReplicaId replica, HybridLogicalClock clock) {
    Objects.requireNonNull(newValue, "value");
    Objects.requireNonNull(replica, "replica");
    LWWRegister<V> written = new LWWRegister<>(newValue, clock.update(timestamp), replica);
    return new Mutation<>(written, written);
  }

  /** A mutator that assigns {@code newValue} on the running replica. */
  public static <V> Mutator<LWWRegister<V>> assigning(V newValue) {
    Objects.requireNonNull(newValue, "value");
    return (Mutator<LWWRegister<V>> & LawfulMutator)
        (register, ctx) -> register.assign(newValue, ctx.replica(), ctx.clock());
  }

  /** The writer of the winning write, or no replica if nobody wrote. */
  @Override
  public Set<ReplicaId> replicas() {
    return writer == null ? Set.of() : Set.of(writer);
  }

  @Override
  public boolean mentions(ReplicaId replica) {
    return writer != null && writer.equals(replica);
  }

  /**
   * If {@code removed} wrote the winning write, returns the same value written by {@code owner} one
   * timestamp tick later; otherwise returns this register.
   *
   * @throws IllegalArgumentException if {@code removed} equals {@code owner}
   * @throws ArithmeticException if the timestamp is {@code Long.MAX_VALUE}
   */
  @Override
  public LWWRegister<V> prune(ReplicaId removed, ReplicaId owner) {
    PruneArguments.check(removed, owner);
    if (!removed.equals(writer)) {
      return this;
    }
    return new LWWRegister<>(value, Math.addExact(timestamp, 1), owner);
  }

  /**
   * If {@code removed} wrote the winning write, returns the empty register (the owner's pruned
   * state carries that value); otherwise returns this register.
   */
  @Override
  public LWWRegister<V> pruningCleanup(ReplicaId removed) {
    Objects.requireNonNull(removed, "removed");
    return removed.equals(writer) ? empty() : this;
  }

  @Override
  public LWWRegister<V> merge(LWWRegister<V> other) {
    int cmp = compareWrites(other);
    if (cmp != 0) {
      return cmp > 0 ? this : other;
    }
    // Same (timestamp, writer): one write, so equal values. Should two different values ever
    // carry the same stamp (a replica id reused against the contract), pick one deterministically.
    if (Objects.equals(value, other.value)) {
      return this;
    }
    int byHash = Integer.compare(Objects.hashCode(value), Objects.hashCode(other.value));
    if (byHash == 0) {
      byHash = String.valueOf(value).compareTo(String.valueOf(other.value));
    }
    return byHash >= 0 ? this : other;
  }

  private int compareWrites(LWWRegister<V> other) {
    int cmp = Long.compare(timestamp, other.timestamp);
    if (cmp != 0 || writer == null || other.writer == null) {
      return cmp != 0 ? cmp : writer == null ? (other.writer == null ? 0 : -1) : 1;
    }
    return writer.compareTo(other.writer);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LWWRegister<?> other
        && timestamp == other.timestamp
        && Objects.equals(writer, other.writer)
        && Objects.equals(value, other.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(value, timestamp, writer);
  }

  @Override
  public String toString() {
    return writer == null
        ? "LWWRegister{}"
        : "LWWRegister{" + value + " @" + timestamp + " by " + writer + "}";
  }

  /*
   * Format 1: {"ts": 0} for the empty register, else
   *           {"ts": timestamp > 0, "writer": replica, "value": value}.
   */
  private record Type<V>(ValueCodec<V> codec) implements CrdtType<LWWRegister<V>> {

    Type {
      Objects.requireNonNull(codec, "codec");
    }

    @Override
    public String tag() {
      return "lww:" + codec.tag();
    }

    @Override
    public int version() {
      return 1;
    }

    @Override
    public LWWRegister<V> empty() {
      return LWWRegister.empty();
    }

    @Override
    public Class<?> valueClass() {
      return LWWRegister.class;
    }

    @Override
    public void write(LWWRegister<V> value, StateWriter out) {
      out.startObject().field("ts").writeLong(value.timestamp);
      if (value.writer != null) {
        out.field("writer").writeReplicaId(value.writer).field("value");
        out.writeValue(codec, value.value);
      }
      out.endObject();
    }

    @Override
    public LWWRegister<V> read(StateReader in, int version) {
      in.startObject();
      in.field("ts");
      long ts = in.readLong(0, Long.MAX_VALUE);
      if (ts == 0) {
        in.endObject();
        return LWWRegister.empty();
      }
      in.field("writer");
      ReplicaId writer = in.readReplicaId();
      in.field("value");
      V value = in.readValue(codec);
      in.endObject();
      return new LWWRegister<>(value, ts, writer);
    }

    @Override
    public String toString() {
      return tag();
    }
  }
}
