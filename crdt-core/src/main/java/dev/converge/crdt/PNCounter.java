package dev.converge.crdt;

import dev.converge.crdt.codec.StateReader;
import dev.converge.crdt.codec.StateWriter;
import dev.converge.crdt.internal.LawfulMutator;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A counter that goes up and down (Shapiro et al., INRIA RR-7506 §3.1.2): a pair of {@link
 * GCounter}s, one for increments and one for decrements; the value is their difference. Conflict
 * rule: none can arise, every increment and decrement counts exactly once.
 *
 * <p>Immutable; thread-safe. Cost of every operation is O(replicas that ever wrote).
 *
 * <p>Pruning ({@link ReplicaPruning}) applies {@link GCounter}'s to both halves: the removed
 * replica's increments join the owner's increments, its decrements the owner's decrements.
 */
public final class PNCounter implements Crdt<PNCounter>, ReplicaPruning<PNCounter> {

  /** The type descriptor; tag {@code pncounter}. */
  public static final CrdtType<PNCounter> TYPE = new Type();

  private static final PNCounter EMPTY = new PNCounter(GCounter.empty(), GCounter.empty());

  private final GCounter increments;
  private final GCounter decrements;

  private PNCounter(GCounter increments, GCounter decrements) {
    this.increments = increments;
    this.decrements = decrements;
  }

  /** The counter at zero. */
  public static PNCounter empty() {
    return EMPTY;
  }

  /** A counter from its increments and decrements. */
  public static PNCounter of(GCounter increments, GCounter decrements) {
    Objects.requireNonNull(increments, "increments");
    Objects.requireNonNull(decrements, "decrements");
    return increments.equals(GCounter.empty()) && decrements.equals(GCounter.empty())
        ? EMPTY
        : new PNCounter(increments, decrements);
  }

  /** Increments minus decrements. @throws ArithmeticException if it overflows a long */
  public long value() {
    return Math.subtractExact(increments.value(), decrements.value());
  }

  /** The increments of every replica. */
  public GCounter increments() {
    return increments;
  }

  /** The decrements of every replica. */
  public GCounter decrements() {
    return decrements;
  }

  /**
   * Adds {@code amount} (negative to subtract) on behalf of {@code replica}.
   *
   * @throws ArithmeticException if a count would overflow a long
   */
  public Mutation<PNCounter> increment(ReplicaId replica, long amount) {
    if (amount < 0) {
      return decrement(replica, Math.negateExact(amount));
    }
    if (amount == 0) {
      return new Mutation<>(this, EMPTY);
    }
    Mutation<GCounter> m = increments.increment(replica, amount);
    return new Mutation<>(of(m.state(), decrements), of(m.delta(), GCounter.empty()));
  }

  /**
   * Subtracts {@code amount} (negative to add) on behalf of {@code replica}.
   *
   * @throws ArithmeticException if a count would overflow a long
   */
  public Mutation<PNCounter> decrement(ReplicaId replica, long amount) {
    if (amount < 0) {
      return increment(replica, Math.negateExact(amount));
    }
    if (amount == 0) {
      return new Mutation<>(this, EMPTY);
    }
    Mutation<GCounter> m = decrements.increment(replica, amount);
    return new Mutation<>(of(increments, m.state()), of(GCounter.empty(), m.delta()));
  }

  /** A mutator that adds {@code amount} (negative to subtract) on the running replica. */
  public static Mutator<PNCounter> incrementBy(long amount) {
    return (Mutator<PNCounter> & LawfulMutator)
        (counter, ctx) -> counter.increment(ctx.replica(), amount);
  }

  /** A mutator that subtracts {@code amount} (negative to add) on the running replica. */
  public static Mutator<PNCounter> decrementBy(long amount) {
    return (Mutator<PNCounter> & LawfulMutator)
        (counter, ctx) -> counter.decrement(ctx.replica(), amount);
  }

  /** The replicas that incremented or decremented, ascending. O(replicas). */
  @Override
  public Set<ReplicaId> replicas() {
    if (decrements.counts().isEmpty()) {
      return increments.replicas();
    }
    if (increments.counts().isEmpty()) {
      return decrements.replicas();
    }
    TreeSet<ReplicaId> all = new TreeSet<>(increments.replicas());
    all.addAll(decrements.replicas());
    return Collections.unmodifiableSet(all);
  }

  @Override
  public boolean mentions(ReplicaId replica) {
    return increments.mentions(replica) || decrements.mentions(replica);
  }

  /**
   * Moves {@code removed}'s increments and decrements to {@code owner}: the value is unchanged.
   * O(replicas).
   *
   * @throws IllegalArgumentException if {@code removed} equals {@code owner}
   * @throws ArithmeticException if one of {@code owner}'s counts would overflow a long
   */
  @Override
  public PNCounter prune(ReplicaId removed, ReplicaId owner) {
    PruneArguments.check(removed, owner);
    return withHalves(increments.prune(removed, owner), decrements.prune(removed, owner));
  }

  /** Drops {@code removed}'s increments and decrements. O(replicas). */
  @Override
  public PNCounter pruningCleanup(ReplicaId removed) {
    return withHalves(increments.pruningCleanup(removed), decrements.pruningCleanup(removed));
  }

  private PNCounter withHalves(GCounter p, GCounter n) {
    return p == increments && n == decrements ? this : of(p, n);
  }

  @Override
  public PNCounter merge(PNCounter other) {
    GCounter p = increments.merge(other.increments);
    GCounter n = decrements.merge(other.decrements);
    if (p == increments && n == decrements) {
      return this;
    }
    if (p == other.increments && n == other.decrements) {
      return other;
    }
    return new PNCounter(p, n);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PNCounter other
        && increments.equals(other.increments)
        && decrements.equals(other.decrements);
  }

  @Override
  public int hashCode() {
    return 31 * increments.hashCode() + decrements.hashCode();
  }

  @Override
  public String toString() {
    return "PNCounter{+" + increments.counts() + ", -" + decrements.counts() + "}";
  }

  /* Format 1: {"p": [replica, count, ...], "n": [replica, count, ...]}. */
  private static final class Type implements CrdtType<PNCounter> {
    @Override
    public String tag() {
      return "pncounter";
    }

    @Override
    public int version() {
      return 1;
    }

    @Override
    public PNCounter empty() {
      return EMPTY;
    }

    @Override
    public Class<?> valueClass() {
      return PNCounter.class;
    }

    @Override
    public void write(PNCounter value, StateWriter out) {
      out.startObject().field("p");
      CausalEncoding.writeVersionVector(out, value.increments.counts());
      out.field("n");
      CausalEncoding.writeVersionVector(out, value.decrements.counts());
      out.endObject();
    }

    @Override
    public PNCounter read(StateReader in, int version) {
      in.startObject();
      in.field("p");
      GCounter p = GCounter.of(CausalEncoding.readVersionVector(in));
      in.field("n");
      GCounter n = GCounter.of(CausalEncoding.readVersionVector(in));
      in.endObject();
      return of(p, n);
    }

    @Override
    public String toString() {
      return tag();
    }
  }
}
