package dev.converge.crdt;

import dev.converge.crdt.causal.VersionVector;
import dev.converge.crdt.codec.StateReader;
import dev.converge.crdt.codec.StateWriter;
import dev.converge.crdt.internal.LawfulMutator;
import java.util.Objects;
import java.util.Set;

/**
 * A grow-only counter (Shapiro et al., INRIA RR-7506 §3.1.1): each replica counts its own
 * increments, the value is the sum, merge takes each replica's maximum. Conflict rule: none can
 * arise, every increment counts exactly once.
 *
 * <p>The delta of an increment is the single entry of the incrementing replica. Immutable;
 * thread-safe. Size and cost of every operation are O(replicas that ever incremented).
 *
 * <p>Pruning ({@link ReplicaPruning}): {@link #prune prune(R, O)} adds {@code R}'s count to {@code
 * O}'s and drops {@code R}'s entry; {@link #pruningCleanup pruningCleanup(R)} drops {@code R}'s
 * entry. On the owner's own state, which holds the largest count of {@code O} anywhere, the pruned
 * entry of {@code O} is above every copy of it elsewhere, so a cleaned replica joining the pruned
 * state takes it, and nothing is counted twice (as Pekko's {@code GCounter}).
 */
public final class GCounter implements Crdt<GCounter>, ReplicaPruning<GCounter> {

  /** The type descriptor; tag {@code gcounter}. */
  public static final CrdtType<GCounter> TYPE = new Type();

  private static final GCounter EMPTY = new GCounter(VersionVector.empty());

  private final VersionVector counts;

  private GCounter(VersionVector counts) {
    this.counts = counts;
  }

  /** The counter at zero. */
  public static GCounter empty() {
    return EMPTY;
  }

  /** A counter with the given per-replica counts. */
  public static GCounter of(VersionVector counts) {
    return counts.isEmpty() ? EMPTY : new GCounter(counts);
  }

  /** The sum of all replicas' counts. @throws ArithmeticException if it overflows a long */
  public long value() {
    return counts.sum();
  }

  /** The count contributed by {@code replica}. */
  public long valueOf(ReplicaId replica) {
    return counts.get(replica);
  }

  /** Per-replica counts. */
  public VersionVector counts() {
    return counts;
  }

  /**
   * Adds {@code amount} on behalf of {@code replica}.
   *
   * @throws IllegalArgumentException if {@code amount < 0}
   * @throws ArithmeticException if the replica's count would overflow a long
   */
  public Mutation<GCounter> increment(ReplicaId replica, long amount) {
    Objects.requireNonNull(replica, "replica");
    if (amount < 0) {
      throw new IllegalArgumentException("a G-Counter only grows; amount " + amount);
    }
    if (amount == 0) {
      return new Mutation<>(this, EMPTY);
    }
    long count = Math.addExact(counts.get(replica), amount);
    return new Mutation<>(
        new GCounter(counts.with(replica, count)),
        new GCounter(VersionVector.empty().with(replica, count)));
  }

  /** A mutator that increments by {@code amount} on the running replica. */
  public static Mutator<GCounter> incrementBy(long amount) {
    if (amount < 0) {
      throw new IllegalArgumentException("a G-Counter only grows; amount " + amount);
    }
    return (Mutator<GCounter> & LawfulMutator)
        (counter, ctx) -> counter.increment(ctx.replica(), amount);
  }

  /** The replicas with a non-zero count, ascending. O(1). */
  @Override
  public Set<ReplicaId> replicas() {
    return counts.replicas();
  }

  @Override
  public boolean mentions(ReplicaId replica) {
    return counts.get(replica) > 0;
  }

  /**
   * Moves {@code removed}'s count to {@code owner}: the value is unchanged. O(replicas).
   *
   * @throws IllegalArgumentException if {@code removed} equals {@code owner}
   * @throws ArithmeticException if {@code owner}'s count would overflow a long
   */
  @Override
  public GCounter prune(ReplicaId removed, ReplicaId owner) {
    PruneArguments.check(removed, owner);
    long moved = counts.get(removed);
    if (moved == 0) {
      return this;
    }
    long folded = Math.addExact(counts.get(owner), moved);
    return new GCounter(counts.without(removed).with(owner, folded));
  }

  /** Drops {@code removed}'s count. O(replicas). */
  @Override
  public GCounter pruningCleanup(ReplicaId removed) {
    VersionVector cleaned = counts.without(Objects.requireNonNull(removed, "removed"));
    return cleaned == counts ? this : of(cleaned);
  }

  @Override
  public GCounter merge(GCounter other) {
    VersionVector merged = counts.merge(other.counts);
    return merged == counts ? this : merged == other.counts ? other : new GCounter(merged);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GCounter other && counts.equals(other.counts);
  }

  @Override
  public int hashCode() {
    return counts.hashCode();
  }

  @Override
  public String toString() {
    return "GCounter" + counts;
  }

  /* Format 1: [replica, count, ...] replicas ascending, counts > 0. */
  private static final class Type implements CrdtType<GCounter> {
    @Override
    public String tag() {
      return "gcounter";
    }

    @Override
    public int version() {
      return 1;
    }

    @Override
    public GCounter empty() {
      return EMPTY;
    }

    @Override
    public Class<?> valueClass() {
      return GCounter.class;
    }

    @Override
    public void write(GCounter value, StateWriter out) {
      CausalEncoding.writeVersionVector(out, value.counts);
    }

    @Override
    public GCounter read(StateReader in, int version) {
      return of(CausalEncoding.readVersionVector(in));
    }

    @Override
    public String toString() {
      return tag();
    }
  }
}
