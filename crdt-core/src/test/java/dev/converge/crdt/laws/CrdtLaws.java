package dev.converge.crdt.laws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.MutationContext;
import dev.converge.crdt.Mutator;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.causal.HybridLogicalClock;
import dev.converge.crdt.codec.CrdtCodec;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The law suite every CRDT type runs (riak_dt / antidote style): a type opts in by extending this
 * class with its {@link #type()}, a generator of random operations, its user-visible value and a
 * sequential specification of that value.
 *
 * <p>States are never filled in at random: they come from folding random operations of 2 to 5
 * replicas through {@link ReplicaSimulation}, with merges, lost, duplicated and reordered messages
 * and partitions. Each property runs {@link #SEEDS} seeds ({@code -Dconverge.laws.seeds=N}); every
 * failure names its seed, and {@code -Dconverge.laws.seed=S} reruns one.
 *
 * @param <T> the CRDT type under test
 */
public abstract class CrdtLaws<T extends Crdt<T>> {

  /** Seeds per property. */
  protected static final int SEEDS = Integer.getInteger("converge.laws.seeds", 300);

  private static final Long ONLY_SEED = Long.getLong("converge.laws.seed");

  /** A random operation: a mutator and what the specification needs to know of it. */
  public record Op<T extends Crdt<T>>(String kind, Object argument, Mutator<T> mutator) {}

  /** The type under test. */
  protected abstract CrdtType<T> type();

  /** A random operation a replica in state {@code current} could perform. */
  protected abstract Op<T> randomOp(Random random, T current);

  /** The user-visible value of {@code state} (a number, a set, an optional value). */
  protected abstract Object value(T state);

  /**
   * The value a replica must show once it has received every operation of {@code history}; each
   * entry knows its operation, its replica, its mutation and its causal past (ids of ops that
   * happened before it).
   */
  protected abstract Object specValue(List<ReplicaSimulation.Performed<T>> history);

  /**
   * True if the specification of the value assumes deltas arrive in causal order (the OR-Set: its
   * happens-before spec); the simulation then discards deltas that are not causally ready and
   * repairs them by full state. Convergence without causal order is checked for every type.
   */
  protected boolean deltasNeedCausalDelivery() {
    return false;
  }

  /** Steps per simulated run. */
  protected int steps(Random random) {
    return 20 + random.nextInt(80);
  }

  protected final CrdtCodec codec = CrdtCodec.standard();

  void forEachSeed(SeededCheck check) {
    long[] seeds =
        ONLY_SEED != null
            ? new long[] {ONLY_SEED}
            : java.util.stream.LongStream.range(0, SEEDS).toArray();
    for (long seed : seeds) {
      try {
        check.run(seed, new Random(seed));
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(
            getClass().getSimpleName() + " failed for seed " + seed + ": " + e.getMessage(), e);
      }
    }
  }

  @FunctionalInterface
  interface SeededCheck {
    void run(long seed, Random random);
  }

  ReplicaSimulation<T> simulate(Random random) {
    ReplicaSimulation<T> sim = new ReplicaSimulation<>(this, random, this::checkMutation, true);
    return sim.run(steps(random));
  }

  T pick(Random random, List<T> pool) {
    return pool.get(random.nextInt(pool.size()));
  }

  /* Mutation laws, checked at every mutation any simulation performs. */
  void checkMutation(T before, Mutation<T> mutation) {
    byte[] encodedBefore = codec.encode(type(), before);
    T after = mutation.state();
    T delta = mutation.delta();
    assertThat(before.merge(delta)).as("old ⊔ delta = new").isEqualTo(after);
    assertThat(delta.merge(after)).as("delta ⊑ new").isEqualTo(after);
    assertThat(before.merge(after)).as("mutation is inflationary: old ⊑ new").isEqualTo(after);
    assertThat(codec.encode(type(), before))
        .as("mutators leave the receiver unchanged")
        .isEqualTo(encodedBefore);
  }

  @Test
  void prop_mutations_yield_new_state_and_delta_below_it() {
    // checkMutation runs on every operation of every simulation.
    forEachSeed((seed, random) -> assertThat(simulate(random).performed).isNotNull());
  }

  @Test
  void prop_merge_is_commutative() {
    forEachSeed(
        (seed, random) -> {
          List<T> pool = simulate(random).pool;
          for (int i = 0; i < 20; i++) {
            T a = pick(random, pool);
            T b = pick(random, pool);
            assertThat(a.merge(b)).as("a ⊔ b = b ⊔ a for %s, %s", a, b).isEqualTo(b.merge(a));
          }
        });
  }

  @Test
  void prop_merge_is_associative() {
    forEachSeed(
        (seed, random) -> {
          List<T> pool = simulate(random).pool;
          for (int i = 0; i < 20; i++) {
            T a = pick(random, pool);
            T b = pick(random, pool);
            T c = pick(random, pool);
            assertThat(a.merge(b).merge(c)).as("(a ⊔ b) ⊔ c").isEqualTo(a.merge(b.merge(c)));
          }
        });
  }

  @Test
  void prop_merge_is_idempotent_and_inflationary() {
    forEachSeed(
        (seed, random) -> {
          List<T> pool = simulate(random).pool;
          for (int i = 0; i < 20; i++) {
            T a = pick(random, pool);
            T b = pick(random, pool);
            assertThat(a.merge(a)).as("a ⊔ a = a").isEqualTo(a);
            T joined = a.merge(b);
            assertThat(a.merge(joined)).as("a ⊑ a ⊔ b").isEqualTo(joined);
            assertThat(b.merge(joined)).as("b ⊑ a ⊔ b").isEqualTo(joined);
          }
        });
  }

  @Test
  void prop_empty_is_identity() {
    forEachSeed(
        (seed, random) -> {
          T empty = type().empty();
          for (T a : simulate(random).pool) {
            assertThat(empty.merge(a)).as("⊥ ⊔ a = a").isEqualTo(a);
            assertThat(a.merge(empty)).as("a ⊔ ⊥ = a").isEqualTo(a);
          }
        });
  }

  @Test
  void prop_delta_groups_apply_like_their_deltas() {
    forEachSeed(
        (seed, random) -> {
          ReplicaSimulation<T> sim = simulate(random);
          MutationContext ctx =
              MutationContext.of(
                  ReplicaId.of("g"), new HybridLogicalClock(() -> 1_800_000_000_000L));
          T start = pick(random, sim.states);
          T other = pick(random, sim.states);
          Mutation<T> group = new Mutation<>(start, type().empty());
          T otherStepByStep = other;
          for (int i = 1 + random.nextInt(5); i > 0; i--) {
            Mutation<T> step = randomOp(random, group.state()).mutator().apply(group.state(), ctx);
            group = new Mutation<>(step.state(), group.delta().merge(step.delta()));
            otherStepByStep = otherStepByStep.merge(step.delta());
          }
          assertThat(start.merge(group.delta())).as("start ⊔ group = end").isEqualTo(group.state());
          assertThat(other.merge(group.delta()))
              .as("a group applies like its deltas one by one")
              .isEqualTo(otherStepByStep);
        });
  }

  @Test
  void prop_replicas_converge_to_the_specified_value() {
    forEachSeed(
        (seed, random) -> {
          ReplicaSimulation<T> sim = simulate(random);
          T first = sim.states.get(0);
          for (T state : sim.states) {
            assertThat(state).as("all replicas equal after heal and sync").isEqualTo(first);
            assertThat(codec.encode(type(), state))
                .as("equal states encode to equal bytes")
                .isEqualTo(codec.encode(type(), first));
          }
          assertThat(value(first))
              .as("converged value after %d ops", sim.performed.size())
              .isEqualTo(specValue(sim.performed));
        });
  }

  @Test
  void prop_replicas_converge_without_causal_delivery() {
    forEachSeed(
        (seed, random) -> {
          ReplicaSimulation<T> sim =
              new ReplicaSimulation<>(this, random, this::checkMutation, false).run(steps(random));
          for (T state : sim.states) {
            assertThat(state)
                .as("deltas applied in any order: all replicas equal after heal and sync")
                .isEqualTo(sim.states.get(0));
          }
          if (!deltasNeedCausalDelivery()) {
            assertThat(value(sim.states.get(0))).isEqualTo(specValue(sim.performed));
          }
        });
  }

  @Test
  void prop_codec_round_trips_states_and_deltas() {
    forEachSeed(
        (seed, random) -> {
          for (T value : simulate(random).pool) {
            byte[] binary = codec.encode(type(), value);
            assertThat(codec.decode(binary, type())).as("binary round trip").isEqualTo(value);
            assertThat(codec.decodeJson(codec.encodeJson(type(), value)).as(type()))
                .as("JSON round trip")
                .isEqualTo(value);
            assertThat(Arrays.equals(binary, codec.encode(type(), codec.decode(binary, type()))))
                .as("re-encoding is byte-identical")
                .isTrue();
          }
        });
  }
}
