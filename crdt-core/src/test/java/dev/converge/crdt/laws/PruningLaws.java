package dev.converge.crdt.laws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.ReplicaPruning;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The law suite of {@link CrdtLaws} plus the contract of {@link ReplicaPruning}: a type that
 * implements pruning opts in by extending this class instead, and says what its prune stands for in
 * its specification ({@link #pruneAsUpdates}).
 *
 * <p>Algebraic laws run on the states and deltas of {@link ReplicaSimulation} runs. The protocol
 * properties run {@link PruningProtocolSimulation}: four replicas, one removed and pruned into an
 * owner, late and stale messages, and check that every replica converges to the value of the
 * specification, with no trace of the removed replica. Seeds as in {@link CrdtLaws}; every failure
 * names its seed.
 *
 * @param <T> the CRDT type under test
 */
public abstract class PruningLaws<T extends Crdt<T> & ReplicaPruning<T>> extends CrdtLaws<T> {

  /** A replica id that no simulation uses. */
  private static final ReplicaId STRANGER = ReplicaId.of("never-wrote");

  /**
   * The updates that {@code ownerState.prune(removed, owner)} (the argument {@code pruned}) stands
   * for in {@link #specValue}, as performed by the owner at the moment it pruned (ReplicaPruning
   * rule 6). Their {@link Op#mutator()} is not run; their mutation in the history is {@code
   * pruned}.
   */
  protected abstract List<Op<T>> pruneAsUpdates(T ownerState, ReplicaId removed, T pruned);

  /**
   * True if {@code a.merge(b).pruningCleanup(r)} equals {@code
   * a.pruningCleanup(r).merge(b.pruningCleanup(r))} for every {@code a}, {@code b}: cleanup is a
   * join homomorphism. The counters and the OR-Set promise it; the LWW register does not (a cleaned
   * register is empty, and its other write below would show through).
   */
  protected boolean cleanupCommutesWithMerge() {
    return true;
  }

  private List<ReplicaId> replicaIds(ReplicaSimulation<T> sim) {
    List<ReplicaId> ids = new ArrayList<>();
    for (int i = 0; i < sim.replicaCount; i++) {
      ids.add(sim.replicaId(i));
    }
    return ids;
  }

  private String json(T state) {
    return codec.encodeJson(type(), state);
  }

  private void assertRoundTrips(T state, String what) {
    assertThat(codec.decode(codec.encode(type(), state), type())).as(what).isEqualTo(state);
  }

  @Test
  void prop_replicas_names_every_id_in_the_metadata_and_no_other() {
    forEachSeed(
        (seed, random) -> {
          ReplicaSimulation<T> sim = simulate(random);
          List<ReplicaId> ids = replicaIds(sim);
          for (T state : sim.pool) {
            String json = json(state);
            Set<ReplicaId> found = new HashSet<>();
            for (ReplicaId id : ids) {
              if (json.contains('"' + id.value() + '"')) {
                found.add(id);
              }
              assertThat(state.mentions(id))
                  .as("mentions(%s) agrees with replicas() for %s", id, state)
                  .isEqualTo(state.replicas().contains(id));
            }
            assertThat(state.replicas())
                .as("replicas() of %s vs its encoding", state)
                .isEqualTo(found);
            List<ReplicaId> listed = new ArrayList<>(state.replicas());
            assertThat(listed).as("ascending").isSorted();
          }
        });
  }

  @Test
  void prop_prune_keeps_the_value_and_forgets_the_removed_replica() {
    forEachSeed(
        (seed, random) -> {
          ReplicaSimulation<T> sim = simulate(random);
          List<ReplicaId> ids = replicaIds(sim);
          for (ReplicaSimulation.Held<T> held : sim.held) {
            T state = held.state();
            ReplicaId owner = ids.get(held.replica());
            ReplicaId removed = ids.get(random.nextInt(ids.size()));
            if (removed.equals(owner)) {
              continue;
            }
            T pruned = state.prune(removed, owner);
            assertThat(value(pruned)).as("value after prune of %s", state).isEqualTo(value(state));
            assertThat(pruned.mentions(removed)).as("%s mentions the removed", pruned).isFalse();
            Set<ReplicaId> expected = new HashSet<>(state.replicas());
            expected.remove(removed);
            if (state.mentions(removed)) {
              expected.add(owner);
            }
            assertThat(pruned.replicas())
                .as("only the removed id leaves, the owner's may come")
                .isEqualTo(expected);
            assertThat(pruned.prune(removed, owner))
                .as("pruning again is a no-op")
                .isEqualTo(pruned);
            T again = state.prune(removed, owner);
            assertThat(again).as("deterministic").isEqualTo(pruned);
            assertThat(codec.encode(type(), again))
                .as("deterministic bytes")
                .isEqualTo(codec.encode(type(), pruned));
            assertThat(state.prune(STRANGER, owner))
                .as("pruning an id that does not appear")
                .isSameAs(state);
            assertRoundTrips(pruned, "pruned state round-trips through the codec");
          }
        });
  }

  @Test
  void prop_cleanup_forgets_exactly_the_removed_replica_and_is_idempotent() {
    forEachSeed(
        (seed, random) -> {
          ReplicaSimulation<T> sim = simulate(random);
          List<ReplicaId> ids = replicaIds(sim);
          for (T state : sim.pool) {
            ReplicaId removed = ids.get(random.nextInt(ids.size()));
            T cleaned = state.pruningCleanup(removed);
            Set<ReplicaId> expected = new HashSet<>(state.replicas());
            expected.remove(removed);
            assertThat(cleaned.replicas())
                .as("cleanup of %s from %s", removed, state)
                .isEqualTo(expected);
            assertThat(cleaned.pruningCleanup(removed)).as("idempotent").isEqualTo(cleaned);
            assertThat(state.pruningCleanup(STRANGER)).as("nothing to clean").isSameAs(state);
            assertRoundTrips(cleaned, "cleaned state or delta round-trips through the codec");
          }
        });
  }

  @Test
  void prop_merge_of_cleaned_states_is_still_a_join() {
    forEachSeed(
        (seed, random) -> {
          ReplicaSimulation<T> sim = simulate(random);
          ReplicaId removed = sim.replicaId(random.nextInt(sim.replicaCount));
          List<T> cleaned = new ArrayList<>();
          for (T state : sim.pool) {
            cleaned.add(state.pruningCleanup(removed));
          }
          for (int i = 0; i < 20; i++) {
            T a = pick(random, cleaned);
            T b = pick(random, cleaned);
            T c = pick(random, cleaned);
            assertThat(a.merge(b)).as("commutative").isEqualTo(b.merge(a));
            assertThat(a.merge(b).merge(c)).as("associative").isEqualTo(a.merge(b.merge(c)));
            assertThat(a.merge(a)).as("idempotent").isEqualTo(a);
            assertThat(a.merge(b).mentions(removed)).as("no trace after merge").isFalse();
          }
        });
  }

  @Test
  void prop_cleanup_of_a_join_is_below_the_join_of_cleanups_and_equal_where_promised() {
    forEachSeed(
        (seed, random) -> {
          ReplicaSimulation<T> sim = simulate(random);
          ReplicaId removed = sim.replicaId(random.nextInt(sim.replicaCount));
          for (int i = 0; i < 20; i++) {
            T a = pick(random, sim.pool);
            T b = pick(random, sim.pool);
            T whole = a.merge(b).pruningCleanup(removed);
            T parts = a.pruningCleanup(removed).merge(b.pruningCleanup(removed));
            assertThat(whole.merge(parts))
                .as("cleanup(a ⊔ b) ⊑ cleanup(a) ⊔ cleanup(b) for %s, %s", a, b)
                .isEqualTo(parts);
            if (cleanupCommutesWithMerge()) {
              assertThat(whole).as("cleanup(a ⊔ b) = cleanup(a) ⊔ cleanup(b)").isEqualTo(parts);
            }
          }
        });
  }

  /** ReplicaPruning rule 5, on every state and delta a run produced. */
  @Test
  void prop_pruned_state_absorbs_every_cleaned_stale_state() {
    forEachSeed(
        (seed, random) -> {
          ReplicaSimulation<T> sim = simulate(random);
          int o = random.nextInt(sim.replicaCount);
          int r = (o + 1 + random.nextInt(sim.replicaCount - 1)) % sim.replicaCount;
          ReplicaId owner = sim.replicaId(o);
          ReplicaId removed = sim.replicaId(r);
          // After heal and sync the owner's state holds every contribution of every replica.
          T pruned = sim.states.get(o).prune(removed, owner);
          for (T stale : sim.pool) {
            T cleaned = stale.pruningCleanup(removed);
            assertThat(cleaned.merge(pruned)).as("cleaned %s ⊔ pruned", stale).isEqualTo(pruned);
            assertThat(pruned.merge(cleaned)).as("pruned ⊔ cleaned %s", stale).isEqualTo(pruned);
          }
        });
  }

  /**
   * The protocol with nothing written after the owner took everyone's state: every other replica
   * cleans its state and joins the pruned one, then late deltas and stale copies (R's among them)
   * arrive in random order and are cleaned. Every replica must hold exactly the pruned state, with
   * the value of the model without pruning: nothing counted twice, nothing resurrected.
   */
  @Test
  void prop_protocol_replicas_converge_to_the_unpruned_model() {
    forEachSeed(
        (seed, random) -> {
          PruningProtocolSimulation<T> sim =
              new PruningProtocolSimulation<>(this, random).runBeforePrune(steps(random));
          T model = sim.prune();
          List<Integer> others = new ArrayList<>(List.of(0, 1, 2));
          others.remove(Integer.valueOf(sim.owner));
          java.util.Collections.shuffle(others, random);
          for (int x : others) {
            sim.joinPruned(x);
          }
          sim.deliverEverythingLate();
          for (int i = 0; i < 3; i++) {
            T state = sim.states.get(i);
            assertThat(state)
                .as("replica %s after late messages", sim.ids[i])
                .isEqualTo(sim.pruned());
            assertThat(value(state))
                .as("value of the model without pruning")
                .isEqualTo(value(model));
            assertNoTrace(state, sim.removed());
          }
          assertThat(value(model))
              .as("the model is the specification")
              .isEqualTo(specValue(sim.userOperations()));
        });
  }

  /**
   * The protocol with writes going on: the owner and the others keep writing after the prune,
   * before and after the marker reaches them, while late pre-prune deltas and stale copies arrive
   * cleaned. All replicas must converge, without a trace of R, to the specification that reads the
   * prune as the owner's updates; and when nobody wrote before joining the pruned state, to the
   * specification of the user's operations alone.
   */
  @Test
  void prop_protocol_updates_during_and_after_the_prune_converge() {
    forEachSeed(
        (seed, random) -> {
          boolean writeOnlyOnceMarked = random.nextBoolean();
          PruningProtocolSimulation<T> sim =
              new PruningProtocolSimulation<>(this, random).runBeforePrune(steps(random));
          sim.prune();
          sim.runAfterPrune(steps(random), writeOnlyOnceMarked)
              .deliverEverythingLate()
              .synchronise();
          T first = sim.states.get(0);
          for (int i = 0; i < 3; i++) {
            assertThat(sim.marked[i]).as("the marker reached every replica").isTrue();
            assertThat(sim.states.get(i)).as("replica %s", sim.ids[i]).isEqualTo(first);
            assertNoTrace(sim.states.get(i), sim.removed());
          }
          assertThat(value(first))
              .as("value with the prune read as the owner's updates")
              .isEqualTo(specValue(sim.performed));
          if (sim.concurrentWithPrune == 0) {
            assertThat(value(first))
                .as("nobody wrote before joining the pruned state: the unpruned specification")
                .isEqualTo(specValue(sim.userOperations()));
          }
        });
  }

  @Test
  void prune_rejects_a_replica_pruned_into_itself_and_null_arguments() {
    T empty = type().empty();
    ReplicaId r = ReplicaId.of("r0");
    assertThatThrownBy(() -> empty.prune(r, r))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("into itself");
    assertThatThrownBy(() -> empty.prune(null, r)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> empty.prune(r, null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> empty.pruningCleanup(null)).isInstanceOf(NullPointerException.class);
  }

  private void assertNoTrace(T state, ReplicaId removed) {
    assertThat(state.replicas()).as("replicas() of %s", state).doesNotContain(removed);
    byte[] removedBytes = removed.value().getBytes(StandardCharsets.US_ASCII);
    assertThat(indexOf(codec.encode(type(), state), removedBytes))
        .as("%s in the binary encoding of %s", removed, state)
        .isEqualTo(-1);
    assertThat(json(state)).doesNotContain(removed.value());
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
