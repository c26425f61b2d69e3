package dev.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.crdt.causal.CausalContext;
import dev.converge.crdt.causal.Dot;
import dev.converge.crdt.causal.HybridLogicalClock;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.crdt.codec.ValueCodec;
import dev.converge.crdt.internal.LawfulMutator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Issue 17: {@link ORSet#addAll}, {@link ORSet#removeAll} and {@link ORSet#clear} build their state
 * and delta in one pass, and must give exactly what the single-element operations give in sequence,
 * joined with {@link Mutation#then}. The laws every type obeys, bulk mutators included, are in
 * {@code laws.ORSetLawsTest}.
 */
class ORSetBulkOperationsTest {

  private static final int SEEDS = 300;
  private static final ReplicaId A = ReplicaId.of("n1.a");
  private static final ReplicaId B = ReplicaId.of("n2.b");
  private static final ReplicaId C = ReplicaId.of("n3.c");
  private static final List<ReplicaId> REPLICAS = List.of(A, B, C);
  private static final CrdtType<ORSet<String>> TYPE = ORSet.type(ValueCodec.string());
  private static final CrdtCodec CODEC = CrdtCodec.standard();

  private enum Bulk {
    ADD_ALL,
    REMOVE_ALL,
    CLEAR
  }

  /** The single-element operations in sequence, as a client would have joined them before. */
  private static Mutation<ORSet<String>> inSequence(
      ORSet<String> start, List<Function<ORSet<String>, Mutation<ORSet<String>>>> steps) {
    Mutation<ORSet<String>> result = null;
    for (Function<ORSet<String>, Mutation<ORSet<String>>> step : steps) {
      result = result == null ? step.apply(start) : result.then(step);
    }
    return result;
  }

  private static List<String> randomInput(Random random, int universe) {
    List<String> input = new ArrayList<>();
    for (int i = random.nextInt(2 * universe); i > 0; i--) {
      input.add("e" + random.nextInt(universe)); // repeats and absent elements included
    }
    return input;
  }

  /**
   * Runs one bulk operation on {@code start} at {@code replica}, checks it against the sequence of
   * single operations and against every other replica's state, and returns it.
   */
  private static Mutation<ORSet<String>> checkedBulk(
      long seed,
      Bulk bulk,
      ReplicaId replica,
      ORSet<String> start,
      List<String> input,
      List<ORSet<String>> others) {
    byte[] startBytes = CODEC.encode(TYPE, start);
    Mutation<ORSet<String>> actual;
    List<Function<ORSet<String>, Mutation<ORSet<String>>>> steps = new ArrayList<>();
    switch (bulk) {
      case ADD_ALL -> {
        actual = start.addAll(replica, input);
        new LinkedHashSet<>(input).forEach(e -> steps.add(s -> s.add(replica, e)));
      }
      case REMOVE_ALL -> {
        actual = start.removeAll(input);
        input.forEach(e -> steps.add(s -> s.remove(e)));
      }
      default -> {
        actual = start.clear();
        start.elements().forEach(e -> steps.add(s -> s.remove(e)));
      }
    }
    String what = "seed " + seed + ": " + bulk + " " + input + " on " + start;
    assertThat(CODEC.encode(TYPE, start)).as("%s: receiver unchanged", what).isEqualTo(startBytes);
    assertThat(actual.delta().isDelta()).as(what).isTrue();
    assertThat(start.merge(actual.delta()))
        .as("%s: old ⊔ delta = new", what)
        .isEqualTo(actual.state());
    Mutation<ORSet<String>> expected = inSequence(start, steps);
    if (expected == null) {
      assertThat(actual.state()).as(what).isSameAs(start);
      assertThat(actual.delta().isEmpty() && actual.delta().context().isEmpty()).as(what).isTrue();
      return actual;
    }
    assertThat(actual.state()).as("%s: state", what).isEqualTo(expected.state());
    assertThat(actual.delta()).as("%s: delta", what).isEqualTo(expected.delta());
    assertThat(CODEC.encode(TYPE, actual.delta()))
        .as("%s: same delta bytes (same scope)", what)
        .isEqualTo(CODEC.encode(TYPE, expected.delta()));
    for (ORSet<String> other : others) {
      assertThat(other.merge(actual.delta()))
          .as("%s: a concurrent replica applies the delta as the sequence's", what)
          .isEqualTo(other.merge(expected.delta()));
      assertThat(actual.state().merge(other))
          .as("%s: merged with a concurrent replica", what)
          .isEqualTo(expected.state().merge(other));
    }
    return actual;
  }

  /**
   * Three replicas add, remove, merge, and run bulk operations on states that earlier bulk
   * operations and merges produced; every bulk operation is checked against its sequence.
   */
  @Test
  void prop_bulk_operations_equal_their_single_operations_in_sequence() {
    for (long seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      int universe = 2 + random.nextInt(20);
      List<ORSet<String>> states = new ArrayList<>(List.of(ORSet.empty(), ORSet.empty()));
      states.add(ORSet.empty());
      for (int step = 0, steps = 20 + random.nextInt(60); step < steps; step++) {
        int i = random.nextInt(3);
        ORSet<String> s = states.get(i);
        int dice = random.nextInt(12);
        if (dice < 4) {
          s = s.add(REPLICAS.get(i), "e" + random.nextInt(universe)).state();
        } else if (dice < 5) {
          s = s.remove("e" + random.nextInt(universe)).state();
        } else if (dice < 7) {
          s = s.merge(states.get(random.nextInt(3)));
        } else {
          Bulk bulk = dice < 9 ? Bulk.ADD_ALL : dice < 11 ? Bulk.REMOVE_ALL : Bulk.CLEAR;
          List<ORSet<String>> others = new ArrayList<>(states);
          others.remove(i);
          s =
              checkedBulk(seed, bulk, REPLICAS.get(i), s, randomInput(random, universe), others)
                  .state();
        }
        states.set(i, s);
      }
    }
  }

  @Test
  void addAll_supersedes_the_visible_dots_of_present_elements_and_counts_repeats_once() {
    ORSet<String> fromA = ORSet.<String>empty().add(A, "x").state();
    ORSet<String> fromB =
        ORSet.<String>empty().add(B, "x").then(t -> t.add(B, "y")).then(t -> t.add(B, "z")).state();
    ORSet<String> s = fromA.merge(fromB); // x: (A,1) and (B,1); y: (B,2); z: (B,3)
    Mutation<ORSet<String>> m = s.addAll(A, List.of("x", "w", "x", "y", "w"));

    assertThat(m.state().dots("x")).containsExactly(new Dot(A, 2));
    assertThat(m.state().dots("w")).containsExactly(new Dot(A, 3));
    assertThat(m.state().dots("y")).containsExactly(new Dot(A, 4));
    assertThat(m.state().dots("z")).containsExactly(new Dot(B, 3));
    assertThat(m.state().context()).isEqualTo(s.context().addRange(A, 2, 4));
    assertThat(m.delta().elements()).containsExactlyInAnyOrder("x", "w", "y");
    assertThat(m.delta().context())
        .isEqualTo(
            CausalContext.ofDots(
                List.of(
                    new Dot(A, 1),
                    new Dot(B, 1),
                    new Dot(B, 2),
                    new Dot(A, 2),
                    new Dot(A, 3),
                    new Dot(A, 4))));
  }

  @Test
  void removeAll_of_absent_elements_and_empty_inputs_give_an_empty_delta() {
    ORSet<String> s = ORSet.<String>empty().addAll(A, List.of("a", "b")).state();
    for (Mutation<ORSet<String>> m :
        List.of(
            s.removeAll(List.of("c", "d")),
            s.removeAll(List.of()),
            s.addAll(B, List.of()),
            ORSet.<String>empty().clear(),
            s.removeAll(List.of("a")).state().removeAll(List.of("a")))) {
      assertThat(m.delta().isDelta()).isTrue();
      assertThat(m.delta().isEmpty()).isTrue();
      assertThat(m.delta().context().isEmpty()).isTrue();
      assertThat(CODEC.encode(TYPE, m.delta()))
          .isEqualTo(CODEC.encode(TYPE, s.remove("absent").delta()));
    }
    assertThat(s.removeAll(List.of("c")).state()).isSameAs(s);
  }

  @Test
  void bulk_operations_reject_nulls_and_deltas() {
    ORSet<String> s = ORSet.<String>empty().add(A, "a").state();
    assertThatThrownBy(() -> s.addAll(A, Arrays.asList("b", null)))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> s.removeAll(Arrays.asList("a", null)))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> ORSet.addingAll(Arrays.asList("b", null)))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> ORSet.removingAll(Arrays.asList("b", null)))
        .isInstanceOf(NullPointerException.class);
    ORSet<String> delta = s.add(A, "b").delta();
    assertThatThrownBy(() -> delta.addAll(A, List.of("c")))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> delta.removeAll(List.of("b")))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(delta::clear).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void bulk_mutators_copy_their_input_and_are_the_library_s_lawful_mutators() {
    MutationContext ctx = MutationContext.of(A, new HybridLogicalClock(() -> 1_800_000_000_000L));
    List<String> input = new ArrayList<>(List.of("a", "b"));
    Mutator<ORSet<String>> adding = ORSet.addingAll(input);
    Mutator<ORSet<String>> removing = ORSet.removingAll(input);
    input.add("c");

    ORSet<String> added = adding.apply(ORSet.empty(), ctx).state();
    assertThat(added.elements()).containsExactlyInAnyOrder("a", "b");
    ORSet<String> withC = added.add(A, "c").state();
    assertThat(removing.apply(withC, ctx).state().elements()).containsExactly("c");
    Mutator<ORSet<String>> clearing = ORSet.clearing();
    assertThat(clearing.apply(withC, ctx)).isEqualTo(withC.clear());
    assertThat(List.of(adding, removing, clearing)).allMatch(m -> m instanceof LawfulMutator);
  }

  /** Large values complete (issue 17); what they must yield is asserted, not how long they take. */
  @Test
  void clear_of_200_000_elements_with_two_replicas_dots() {
    List<String> all = IntStream.range(0, 200_000).mapToObj(i -> "e" + i).toList();
    ORSet<String> fromA = ORSet.<String>empty().addAll(A, all).state();
    ORSet<String> fromB = ORSet.<String>empty().addAll(B, all.subList(0, 50_000)).state();
    ORSet<String> s = fromA.merge(fromB);

    Mutation<ORSet<String>> m = s.clear();

    assertThat(m.state().isEmpty()).isTrue();
    assertThat(m.state().context()).isEqualTo(s.context());
    assertThat(m.delta().isEmpty()).isTrue();
    assertThat(m.delta().context()).isEqualTo(s.context());
    assertThat(s.merge(m.delta())).isEqualTo(m.state());
    // Concurrently, B added two more elements: only those survive the clear there.
    ORSet<String> concurrent = fromB.addAll(B, List.of("late-1", "late-2")).state();
    assertThat(concurrent.merge(m.delta()).elements())
        .containsExactlyInAnyOrder("late-1", "late-2");
    assertThat(CODEC.decode(CODEC.encode(TYPE, m.delta()), TYPE)).isEqualTo(m.delta());
  }

  @Test
  void addAll_and_removeAll_of_200_000_elements() {
    List<String> all = IntStream.range(0, 200_000).mapToObj(i -> "e" + i).toList();
    ORSet<String> s = ORSet.<String>empty().addAll(B, all.subList(100_000, 200_000)).state();
    s = s.addAll(B, IntStream.range(0, 100_000).mapToObj(i -> "old" + i).toList()).state();

    Mutation<ORSet<String>> added = s.addAll(A, all);

    assertThat(added.state().size()).isEqualTo(300_000);
    assertThat(added.delta().size()).isEqualTo(200_000);
    assertThat(added.state().dots("e0")).containsExactly(new Dot(A, 1));
    assertThat(added.state().dots("e199999")).containsExactly(new Dot(A, 200_000));
    assertThat(added.state().context())
        .isEqualTo(CausalContext.empty().addRange(A, 1, 200_000).addRange(B, 1, 200_000));
    assertThat(added.delta().context())
        .as("the new dots and the 100,000 superseded ones")
        .isEqualTo(CausalContext.empty().addRange(A, 1, 200_000).addRange(B, 1, 100_000));
    assertThat(s.merge(added.delta())).isEqualTo(added.state());

    Mutation<ORSet<String>> removed = added.state().removeAll(all);

    assertThat(removed.state().elements()).hasSize(100_000).allMatch(e -> e.startsWith("old"));
    assertThat(removed.delta().context()).isEqualTo(CausalContext.empty().addRange(A, 1, 200_000));
    assertThat(added.state().merge(removed.delta())).isEqualTo(removed.state());
  }
}
