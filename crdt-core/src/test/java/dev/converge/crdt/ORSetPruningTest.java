package dev.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.crdt.causal.CausalContext;
import dev.converge.crdt.causal.Dot;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The OR-Set's pruning in detail: the exact renaming, the cleanup of deltas, and the two histories
 * the decision record describes (a stale add that must not come back; a remove concurrent with the
 * prune, which loses). The laws every type obeys are in {@code laws.ORSetLawsTest}.
 */
class ORSetPruningTest {

  private static final int SEEDS = 300;
  private static final ReplicaId A = ReplicaId.of("n1.a");
  private static final ReplicaId B = ReplicaId.of("n2.b");
  private static final ReplicaId O = ReplicaId.of("n3.o");
  private static final ReplicaId R = ReplicaId.of("n4.r");
  private static final List<ReplicaId> REPLICAS = List.of(A, B, O, R);

  /**
   * Random adds and removes by four replicas, with random merges; returns every replica's state.
   */
  private static List<ORSet<String>> history(Random random) {
    List<ORSet<String>> states = new ArrayList<>(List.of(ORSet.empty(), ORSet.empty()));
    states.add(ORSet.empty());
    states.add(ORSet.empty());
    for (int step = 0, steps = 10 + random.nextInt(60); step < steps; step++) {
      int i = random.nextInt(4);
      ORSet<String> s = states.get(i);
      String element = "e" + random.nextInt(8);
      int dice = random.nextInt(10);
      if (dice < 5) {
        s = s.add(REPLICAS.get(i), element).state();
      } else if (dice < 7) {
        s = s.remove(element).state();
      } else {
        s = s.merge(states.get(random.nextInt(4)));
      }
      states.set(i, s);
    }
    return states;
  }

  @Test
  void prop_prune_renames_each_dot_of_the_removed_replica_to_a_fresh_dot_of_the_owner() {
    for (long seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      List<ORSet<String>> states = history(random);
      ORSet<String> s = states.get(2).merge(states.get(3)); // O's own state, with R's adds
      long n = s.context().maxCounter(O);
      long m = s.context().maxCounter(R);
      ORSet<String> p = s.prune(R, O);
      String context = "seed " + seed + ": " + s + " pruned to " + p;

      assertThat(p.elements()).as(context).isEqualTo(s.elements());
      Set<Dot> seen = new HashSet<>();
      for (String element : s.elements()) {
        List<Dot> expected = new ArrayList<>();
        for (Dot d : s.dots(element)) {
          expected.add(d.replica().equals(R) ? new Dot(O, n + d.counter()) : d);
        }
        expected.sort(null);
        assertThat(p.dots(element)).as(context).isEqualTo(expected);
        for (Dot d : p.dots(element)) {
          assertThat(seen.add(d)).as("%s: dot %s names one add only", context, d).isTrue();
        }
      }
      CausalContext expectedContext =
          m == 0 ? s.context() : s.context().without(R).addRange(O, n + 1, n + m);
      assertThat(p.context()).as(context).isEqualTo(expectedContext);
      assertThat(p.add(O, "new").state().dots("new"))
          .as("%s: the owner's next add comes after the renamed range", context)
          .containsExactly(new Dot(O, n + m + 1));
    }
  }

  /*
   * Why cleanup exists: a stale copy of R's state still holds x with R's dot, which the pruned
   * state no longer mentions in its context; joined as it is, it would bring x back.
   */
  @Test
  void staleAddOfTheRemovedReplicaDoesNotResurrectAnElementRemovedBeforeThePrune() {
    ORSet<String> r = ORSet.<String>empty().add(R, "x").state();
    ORSet<String> a = ORSet.<String>empty().merge(r).remove("x").state();
    ORSet<String> o = ORSet.<String>empty().add(O, "y").state().merge(r).merge(a);
    ORSet<String> pruned = o.prune(R, O);
    assertThat(pruned.elements()).containsExactly("y");

    assertThat(pruned.merge(r).elements())
        .as("without cleanup, R's stale add comes back")
        .contains("x");
    ORSet<String> b = ORSet.<String>empty().merge(r).pruningCleanup(R).merge(pruned);
    assertThat(b.merge(r.pruningCleanup(R))).isEqualTo(pruned);
    assertThat(b.elements()).containsExactly("y");
  }

  @Test
  void elementAddedByTheRemovedReplicaStaysWithTheOwnersDotAndARemoveAfterThePruneRemovesIt() {
    ORSet<String> r = ORSet.<String>empty().add(R, "x").state();
    ORSet<String> o = ORSet.<String>empty().add(O, "y").state().merge(r);
    ORSet<String> pruned = o.prune(R, O);
    assertThat(pruned.dots("x")).containsExactly(new Dot(O, 2));

    ORSet<String> a = r.pruningCleanup(R).merge(pruned);
    assertThat(a).isEqualTo(pruned);
    ORSet<String> removedAfter = a.remove("x").state();
    assertThat(pruned.merge(removedAfter).elements()).containsExactly("y");
  }

  /*
   * The documented cost of pruning without tombstones: A removes x, whose only visible add is R's,
   * after the owner took its state and before the marker reaches A. Cleanup drops "seen R:1" from
   * A's remove, and the owner's renamed dot survives: x stays, as if the owner had re-added it
   * concurrently with A's remove (add wins).
   */
  @Test
  void removeConcurrentWithThePruneLosesToTheOwnersRenamedAdd() {
    ORSet<String> r = ORSet.<String>empty().add(R, "x").state();
    ORSet<String> o = ORSet.<String>empty().merge(r);
    ORSet<String> pruned = o.prune(R, O);

    Mutation<ORSet<String>> remove = ORSet.<String>empty().merge(r).remove("x");
    assertThat(o.merge(remove.delta()).elements()).as("without pruning: removed").isEmpty();

    ORSet<String> a = remove.state().pruningCleanup(R).merge(pruned);
    ORSet<String> owner = pruned.merge(remove.delta().pruningCleanup(R));
    assertThat(a).isEqualTo(owner);
    assertThat(a.elements()).as("with pruning: the owner's renamed add wins").containsExactly("x");
  }

  @Test
  void cleanupOfADeltaKeepsAnElementLeftWithoutDotsInTheDeltasScope() {
    ORSet<String> base = ORSet.<String>empty().add(A, "x").state();
    Mutation<ORSet<String>> readd = base.add(R, "x"); // delta: x -> R:1, context {A:1, R:1}
    ORSet<String> cleaned = readd.delta().pruningCleanup(R);
    assertThat(cleaned.isDelta()).isTrue();
    assertThat(cleaned.replicas()).containsExactly(A);
    assertThat(cleaned.contains("x")).isFalse();
    // Applied to a state that still holds A's add, the cleaned delta still supersedes it, as the
    // original did; R's add is the owner's to bring back, renamed.
    assertThat(base.merge(cleaned).dots("x")).isEmpty();
    assertThat(base.merge(cleaned).context()).isEqualTo(CausalContext.of(new Dot(A, 1)));
  }

  @Test
  void pruneOfADeltaIsRejected() {
    ORSet<String> delta = ORSet.<String>empty().add(R, "x").delta();
    assertThatThrownBy(() -> delta.prune(R, O))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not to a delta");
  }

  @Test
  void pruneAndCleanupOfAnAbsentReplicaReturnTheSameInstance() {
    ORSet<String> s = ORSet.<String>empty().add(A, "x").state();
    assertThat(s.prune(R, O)).isSameAs(s);
    assertThat(s.pruningCleanup(R)).isSameAs(s);
  }

  @Test
  void cleanupOfTheOnlyReplicaLeavesTheEmptySet() {
    ORSet<String> s = ORSet.<String>empty().add(R, "x").state().add(R, "y").state();
    assertThat(s.pruningCleanup(R)).isEqualTo(ORSet.empty());
    assertThat(s.pruningCleanup(R).replicas()).isEmpty();
  }

  @Test
  void prop_a_translated_late_remove_or_state_acts_as_if_the_prune_had_come_first() {
    for (long seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      List<ORSet<String>> states = history(random);
      // O's own state once every replica's data reached it (the collect phase of the protocol).
      ORSet<String> s = states.get(2);
      for (ORSet<String> other : states) {
        s = s.merge(other);
      }
      ORSet<String> late = states.get(random.nextInt(2)); // A's or B's, below s
      String element = "e" + random.nextInt(8);
      ORSet<String> remove = late.remove(element).delta();
      long offset = s.pruneOffset(O);
      ORSet<String> pruned = s.prune(R, O);
      for (ORSet<String> x : List.of(remove, late, late.remove(element).state())) {
        ORSet<String> translated = x.translatePruned(R, O, offset);
        assertThat(translated.mentions(R)).as("seed %d", seed).isFalse();
        assertThat(pruned.merge(translated)).as("seed %d", seed).isEqualTo(s.merge(x).prune(R, O));
      }
    }
  }

  @Test
  void a_late_remove_of_an_element_only_the_removed_replica_added_removes_it_once_translated() {
    ORSet<String> rState = ORSet.<String>empty().add(R, "x").state();
    ORSet<String> a = rState; // A received R's add
    ORSet<String> o = ORSet.<String>empty().add(O, "y").state().merge(rState);
    ORSet<String> lateRemove = a.remove("x").delta(); // A removes x after handing its data to O
    ORSet<String> pruned = o.prune(R, O);

    assertThat(pruned.merge(lateRemove.pruningCleanup(R)).contains("x")).isTrue();
    assertThat(pruned.merge(lateRemove.translatePruned(R, O, o.pruneOffset(O))).contains("x"))
        .isFalse();
    assertThatThrownBy(() -> lateRemove.translatePruned(R, O, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
