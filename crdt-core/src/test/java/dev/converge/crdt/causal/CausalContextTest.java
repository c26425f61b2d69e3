package dev.converge.crdt.causal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.crdt.ReplicaId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class CausalContextTest {

  private static final int SEEDS = 300;
  private static final ReplicaId A = ReplicaId.of("a");
  private static final ReplicaId B = ReplicaId.of("b");
  private static final ReplicaId C = ReplicaId.of("c");
  private static final ReplicaId D = ReplicaId.of("replica-d");
  private static final List<ReplicaId> REPLICAS = List.of(A, B, C, D);

  /** One maximal run of consecutive counters of one replica. */
  record Interval(ReplicaId replica, long from, long to) {}

  // ---------------------------------------------------------------- model helpers

  /** Draws counters from a small range (so intervals touch, merge and split), sometimes near 1. */
  private static long smallCounter(Random random, int range) {
    return 1 + random.nextInt(range);
  }

  private static Dot randomDot(Random random, int replicas, int range) {
    return new Dot(REPLICAS.get(random.nextInt(replicas)), smallCounter(random, range));
  }

  /** The maximal runs of the model, in replica then counter order. */
  private static List<Interval> runs(Set<Dot> model) {
    List<Interval> out = new ArrayList<>();
    for (Dot dot : new TreeSet<>(model)) {
      int last = out.size() - 1;
      if (last >= 0
          && out.get(last).replica().equals(dot.replica())
          && out.get(last).to() == dot.counter() - 1) {
        out.set(last, new Interval(dot.replica(), out.get(last).from(), dot.counter()));
      } else {
        out.add(new Interval(dot.replica(), dot.counter(), dot.counter()));
      }
    }
    return out;
  }

  private static List<Interval> intervals(CausalContext context) {
    List<Interval> out = new ArrayList<>();
    context.forEachInterval((replica, from, to) -> out.add(new Interval(replica, from, to)));
    return out;
  }

  /** The context of the model built through the canonical builder. */
  private static CausalContext build(Set<Dot> model) {
    CausalContext.Builder builder = CausalContext.builder();
    for (Interval run : runs(model)) {
      builder.addRange(run.replica(), run.from(), run.to());
    }
    return builder.build();
  }

  private static CausalContext addAll(CausalContext context, Iterable<Dot> dots) {
    CausalContext out = context;
    for (Dot dot : dots) {
      out = out.add(dot);
    }
    return out;
  }

  private static TreeSet<Dot> randomModel(Random random, int size, int replicas, int range) {
    TreeSet<Dot> model = new TreeSet<>();
    for (int i = 0; i < size; i++) {
      model.add(randomDot(random, replicas, range));
    }
    return model;
  }

  private static TreeSet<Dot> union(Set<Dot> a, Set<Dot> b) {
    TreeSet<Dot> out = new TreeSet<>(a);
    out.addAll(b);
    return out;
  }

  private static long modelMax(Set<Dot> model, ReplicaId replica) {
    long max = 0;
    for (Dot dot : model) {
      if (dot.replica().equals(replica)) {
        max = Math.max(max, dot.counter());
      }
    }
    return max;
  }

  /** Checks every query of {@code context} against the model. */
  private static void assertMatchesModel(
      CausalContext context, Set<Dot> model, int seed, long range) {
    List<Interval> runs = runs(model);
    assertThat(intervals(context)).as("seed %d: intervals of %s", seed, context).isEqualTo(runs);
    assertThat(context.intervalCount()).as("seed %d: intervalCount", seed).isEqualTo(runs.size());
    assertThat(context.isEmpty()).as("seed %d: isEmpty", seed).isEqualTo(model.isEmpty());

    for (ReplicaId replica : REPLICAS) {
      for (long counter = 1; counter <= range + 2; counter++) {
        Dot dot = new Dot(replica, counter);
        assertThat(context.contains(dot))
            .as("seed %d: contains(%s) in %s", seed, dot, context)
            .isEqualTo(model.contains(dot));
        assertThat(context.contains(replica, counter))
            .as("seed %d: contains(%s, %d)", seed, replica, counter)
            .isEqualTo(model.contains(dot));
      }
      long max = modelMax(model, replica);
      assertThat(context.maxCounter(replica))
          .as("seed %d: maxCounter(%s)", seed, replica)
          .isEqualTo(max);
      assertThat(context.nextDot(replica))
          .as("seed %d: nextDot(%s)", seed, replica)
          .isEqualTo(new Dot(replica, max + 1));
    }

    VersionVector.Builder compact = VersionVector.builder();
    Map<ReplicaId, Integer> runsPerReplica = new TreeMap<>();
    boolean allStartAtOne = true;
    for (Interval run : runs) {
      runsPerReplica.merge(run.replica(), 1, Integer::sum);
      if (run.from() == 1) {
        compact.put(run.replica(), run.to());
      } else {
        allStartAtOne = false;
      }
    }
    boolean compactExpected =
        allStartAtOne && runsPerReplica.values().stream().allMatch(n -> n == 1);
    assertThat(context.compactPart())
        .as("seed %d: compactPart of %s", seed, context)
        .isEqualTo(compact.build());
    assertThat(context.isCompact())
        .as("seed %d: isCompact of %s", seed, context)
        .isEqualTo(compactExpected);

    CausalContext canonical = build(model);
    assertThat(context).as("seed %d: canonical form", seed).isEqualTo(canonical);
    assertThat(context.hashCode()).as("seed %d: hashCode", seed).isEqualTo(canonical.hashCode());
    assertThat(context.toString()).as("seed %d: toString", seed).isEqualTo(canonical.toString());
  }

  // ---------------------------------------------------------------- property tests

  @Test
  void prop_operationsMatchTreeSetModel() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      int replicas = 1 + random.nextInt(REPLICAS.size());
      int range = 3 + random.nextInt(22);
      TreeSet<Dot> model = new TreeSet<>();
      CausalContext context = CausalContext.empty();
      for (int op = 0; op < 150; op++) {
        List<Interval> before = intervals(context);
        CausalContext old = context;
        int kind = random.nextInt(10);
        if (kind < 6) {
          Dot dot = randomDot(random, replicas, range);
          boolean present = model.contains(dot);
          context = context.add(dot);
          model.add(dot);
          if (present) {
            assertThat(context)
                .as("seed %d: add of present %s returns this", seed, dot)
                .isSameAs(old);
          }
        } else if (kind < 8) {
          TreeSet<Dot> otherModel = randomModel(random, random.nextInt(12), replicas, range);
          CausalContext other = addAll(CausalContext.empty(), otherModel);
          List<Interval> otherBefore = intervals(other);
          boolean subset = model.containsAll(otherModel);
          context = context.merge(other);
          model.addAll(otherModel);
          if (subset) {
            assertThat(context).as("seed %d: merge of subset returns this", seed).isSameAs(old);
          }
          assertThat(intervals(other))
              .as("seed %d: merge operand unchanged", seed)
              .isEqualTo(otherBefore);
        } else {
          // isSubsetOf against a random subset of the model, and against a random context
          TreeSet<Dot> sub = new TreeSet<>();
          for (Dot dot : model) {
            if (random.nextInt(3) > 0) {
              sub.add(dot);
            }
          }
          if (random.nextBoolean()) {
            sub.add(randomDot(random, replicas, range));
          }
          CausalContext subContext = build(sub);
          assertThat(subContext.isSubsetOf(context))
              .as("seed %d: %s isSubsetOf %s", seed, subContext, context)
              .isEqualTo(model.containsAll(sub));
          assertThat(context.isSubsetOf(subContext))
              .as("seed %d: %s isSubsetOf %s", seed, context, subContext)
              .isEqualTo(sub.containsAll(model));
        }
        assertThat(intervals(old)).as("seed %d: old instance unchanged", seed).isEqualTo(before);
        assertMatchesModel(context, model, seed, range);
      }
    }
  }

  /** addRange, without and replicas: the operations pruning a removed replica uses. */
  @Test
  void prop_addRangeWithoutAndReplicasMatchTreeSetModel() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      int replicas = 1 + random.nextInt(REPLICAS.size());
      int range = 3 + random.nextInt(22);
      TreeSet<Dot> model = randomModel(random, random.nextInt(30), replicas, range);
      CausalContext context = build(model);
      for (int op = 0; op < 60; op++) {
        CausalContext old = context;
        List<Interval> before = intervals(context);
        ReplicaId replica = REPLICAS.get(random.nextInt(replicas));
        if (random.nextInt(3) > 0) {
          long from = smallCounter(random, range);
          long to = from + random.nextInt(6);
          boolean present = true;
          for (long c = from; c <= to; c++) {
            present &= model.contains(new Dot(replica, c));
            model.add(new Dot(replica, c));
          }
          context = context.addRange(replica, from, to);
          if (present) {
            assertThat(context)
                .as("seed %d: addRange of present dots returns this", seed)
                .isSameAs(old);
          }
        } else {
          boolean absent = modelMax(model, replica) == 0;
          model.removeIf(dot -> dot.replica().equals(replica));
          context = context.without(replica);
          if (absent) {
            assertThat(context)
                .as("seed %d: without an absent replica returns this", seed)
                .isSameAs(old);
          }
        }
        assertThat(intervals(old)).as("seed %d: old instance unchanged", seed).isEqualTo(before);
        assertMatchesModel(context, model, seed, range + 6);
        TreeSet<ReplicaId> expected = new TreeSet<>();
        model.forEach(dot -> expected.add(dot.replica()));
        assertThat(new ArrayList<>(context.replicas()))
            .as("seed %d: replicas() of %s", seed, context)
            .containsExactlyElementsOf(expected);
        for (ReplicaId r : REPLICAS) {
          assertThat(context.replicas().contains(r))
              .as("seed %d", seed)
              .isEqualTo(expected.contains(r));
        }
      }
    }
  }

  @Test
  void addRangeRejectsEmptyIntervalsAndCountersBelowOne() {
    assertThatThrownBy(() -> CausalContext.empty().addRange(A, 0, 3))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CausalContext.empty().addRange(A, 5, 4))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void withoutTheOnlyReplicaIsTheEmptyContext() {
    assertThat(CausalContext.of(new Dot(A, 3)).without(A)).isSameAs(CausalContext.empty());
  }

  @Test
  void prop_sameDotSetGivesEqualObjectsWhateverTheConstruction() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      int range = 3 + random.nextInt(30);
      TreeSet<Dot> model = randomModel(random, random.nextInt(60), 1 + random.nextInt(4), range);

      CausalContext sorted = addAll(CausalContext.empty(), model);
      List<Dot> shuffled = new ArrayList<>(model);
      Collections.shuffle(shuffled, random);
      CausalContext byShuffle = addAll(CausalContext.empty(), shuffled);
      List<Dot> descending = new ArrayList<>(model.descendingSet());
      CausalContext byDescending = addAll(CausalContext.empty(), descending);

      // random partition into overlapping parts, merged in random order and tree shape
      int parts = 1 + random.nextInt(5);
      List<CausalContext> pieces = new ArrayList<>();
      for (int p = 0; p < parts; p++) {
        pieces.add(CausalContext.empty());
      }
      for (Dot dot : shuffled) {
        int p = random.nextInt(parts);
        pieces.set(p, pieces.get(p).add(dot));
        if (random.nextInt(4) == 0) {
          int q = random.nextInt(parts);
          pieces.set(q, pieces.get(q).add(dot));
        }
      }
      while (pieces.size() > 1) {
        CausalContext x = pieces.remove(random.nextInt(pieces.size()));
        CausalContext y = pieces.remove(random.nextInt(pieces.size()));
        pieces.add(x.merge(y));
      }
      CausalContext byMerge = pieces.get(0);

      CausalContext bySingletons = CausalContext.empty();
      for (Dot dot : shuffled) {
        bySingletons = bySingletons.merge(CausalContext.of(dot));
      }
      CausalContext byBuilder = build(model);

      for (CausalContext candidate :
          List.of(byShuffle, byDescending, byMerge, bySingletons, byBuilder)) {
        assertThat(candidate).as("seed %d: equals", seed).isEqualTo(sorted);
        assertThat(candidate.hashCode()).as("seed %d: hashCode", seed).isEqualTo(sorted.hashCode());
        assertThat(intervals(candidate)).as("seed %d: intervals", seed).isEqualTo(runs(model));
      }
      if (model.isEmpty()) {
        assertThat(sorted).as("seed %d: empty", seed).isEqualTo(CausalContext.empty());
      }
    }
  }

  @Test
  void prop_differentDotSetsAreNotEqual() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      TreeSet<Dot> a = randomModel(random, random.nextInt(20), 3, 12);
      TreeSet<Dot> b = new TreeSet<>(a);
      Dot dot = randomDot(random, 3, 12);
      if (!b.remove(dot)) {
        b.add(dot);
      }
      assertThat(build(a)).as("seed %d: %s vs %s", seed, a, b).isNotEqualTo(build(b));
      assertThat(addAll(CausalContext.empty(), a))
          .as("seed %d", seed)
          .isNotEqualTo(addAll(CausalContext.empty(), b));
    }
  }

  @Test
  void prop_mergeIsCommutativeAssociativeIdempotent() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      int range = 3 + random.nextInt(20);
      int replicas = 1 + random.nextInt(4);
      TreeSet<Dot> ma = randomModel(random, random.nextInt(30), replicas, range);
      TreeSet<Dot> mb = randomModel(random, random.nextInt(30), replicas, range);
      TreeSet<Dot> mc = randomModel(random, random.nextInt(30), replicas, range);
      CausalContext a = addAll(CausalContext.empty(), ma);
      CausalContext b = addAll(CausalContext.empty(), mb);
      CausalContext c = addAll(CausalContext.empty(), mc);

      assertThat(a.merge(b)).as("seed %d: commutative", seed).isEqualTo(b.merge(a));
      assertThat(a.merge(b).hashCode())
          .as("seed %d: commutative hash", seed)
          .isEqualTo(b.merge(a).hashCode());
      assertThat(a.merge(b).merge(c))
          .as("seed %d: associative", seed)
          .isEqualTo(a.merge(b.merge(c)));
      assertThat(a.merge(a)).as("seed %d: idempotent (same)", seed).isSameAs(a);
      assertThat(a.merge(build(ma)))
          .as("seed %d: idempotent (equal copy) returns this", seed)
          .isSameAs(a);
      assertThat(a.merge(CausalContext.empty())).as("seed %d: empty right", seed).isSameAs(a);
      assertThat(CausalContext.empty().merge(a)).as("seed %d: empty left", seed).isEqualTo(a);
      CausalContext ab = a.merge(b);
      assertThat(ab.merge(a)).as("seed %d: absorbs a", seed).isSameAs(ab);
      assertThat(ab.merge(b)).as("seed %d: absorbs b", seed).isSameAs(ab);
      assertMatchesModel(ab, union(ma, mb), seed, range);
      assertMatchesModel(ab.merge(c), union(union(ma, mb), mc), seed, range);
      assertThat(a.isSubsetOf(ab)).as("seed %d: a ⊆ a∪b", seed).isTrue();
      assertThat(b.isSubsetOf(ab)).as("seed %d: b ⊆ a∪b", seed).isTrue();
      assertThat(ab.isSubsetOf(a)).as("seed %d: a∪b ⊆ a", seed).isEqualTo(ma.containsAll(mb));
      // operands unchanged
      assertMatchesModel(a, ma, seed, range);
      assertMatchesModel(b, mb, seed, range);
      assertMatchesModel(c, mc, seed, range);
    }
  }

  @Test
  void prop_isSubsetOfMatchesModel() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      int range = 3 + random.nextInt(15);
      int replicas = 1 + random.nextInt(3);
      TreeSet<Dot> ma = randomModel(random, random.nextInt(25), replicas, range);
      TreeSet<Dot> mb = randomModel(random, random.nextInt(40), replicas, range);
      if (random.nextBoolean()) {
        mb.addAll(ma); // make true answers frequent
        if (random.nextBoolean() && !mb.isEmpty()) {
          mb.remove(mb.first());
        }
      }
      CausalContext a = build(ma);
      CausalContext b = addAll(CausalContext.empty(), mb);
      assertThat(a.isSubsetOf(b)).as("seed %d: %s ⊆ %s", seed, a, b).isEqualTo(mb.containsAll(ma));
      assertThat(b.isSubsetOf(a)).as("seed %d: %s ⊆ %s", seed, b, a).isEqualTo(ma.containsAll(mb));
      assertThat(a.isSubsetOf(a)).as("seed %d: reflexive", seed).isTrue();
      assertThat(CausalContext.empty().isSubsetOf(a)).as("seed %d: empty ⊆ a", seed).isTrue();
      assertThat(a.isSubsetOf(CausalContext.empty()))
          .as("seed %d: a ⊆ empty", seed)
          .isEqualTo(ma.isEmpty());
    }
  }

  @Test
  void prop_ofVersionVectorIsItsCompactPart() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      VersionVector.Builder builder = VersionVector.builder();
      TreeSet<Dot> model = new TreeSet<>();
      for (ReplicaId replica : REPLICAS) {
        int n = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(20);
        builder.put(replica, n);
        for (long c = 1; c <= n; c++) {
          model.add(new Dot(replica, c));
        }
      }
      VersionVector vv = builder.build();
      CausalContext context = CausalContext.of(vv);
      assertMatchesModel(context, model, seed, 20);
      assertThat(context.isCompact()).as("seed %d", seed).isTrue();
      assertThat(context.compactPart()).as("seed %d", seed).isEqualTo(vv);
      assertThat(context.intervalCount()).as("seed %d", seed).isEqualTo(vv.size());
    }
  }

  /**
   * Counters at the top of the long range: intervals that end at {@code Long.MAX_VALUE} must stay
   * canonical through add and merge.
   */
  @Test
  void prop_operationsMatchModelForCountersNearLongMaxValue() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      TreeSet<Dot> model = new TreeSet<>();
      CausalContext context = CausalContext.empty();
      for (int op = 0; op < 40; op++) {
        if (random.nextBoolean()) {
          Dot dot = new Dot(REPLICAS.get(random.nextInt(2)), Long.MAX_VALUE - random.nextInt(6));
          context = context.add(dot);
          model.add(dot);
        } else {
          TreeSet<Dot> otherModel = new TreeSet<>();
          for (int i = random.nextInt(5); i > 0; i--) {
            otherModel.add(
                new Dot(REPLICAS.get(random.nextInt(2)), Long.MAX_VALUE - random.nextInt(6)));
          }
          context = context.merge(addAll(CausalContext.empty(), otherModel));
          model.addAll(otherModel);
        }
        assertThat(intervals(context))
            .as("seed %d: intervals of %s", seed, context)
            .isEqualTo(runs(model));
        assertThat(context).as("seed %d: canonical", seed).isEqualTo(build(model));
        for (Dot dot : model) {
          assertThat(context.contains(dot)).as("seed %d: contains %s", seed, dot).isTrue();
          assertThat(context.maxCounter(dot.replica()))
              .as("seed %d: maxCounter", seed)
              .isEqualTo(modelMax(model, dot.replica()));
        }
      }
    }
  }

  /** ofDots: dots in any order, with repeats, equal the context built by adding them one by one. */
  @Test
  void prop_ofDotsMatchesAddingEachDot() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      List<Dot> dots = new ArrayList<>();
      int range = 1 + random.nextInt(60);
      for (int i = random.nextInt(120); i > 0; i--) {
        dots.add(randomDot(random, 1 + random.nextInt(REPLICAS.size()), range));
      }
      if (random.nextBoolean() && !dots.isEmpty()) {
        dots.addAll(dots.subList(0, random.nextInt(dots.size()))); // repeats
      }
      Collections.shuffle(dots, random);
      CausalContext context = CausalContext.ofDots(dots);
      assertMatchesModel(context, new TreeSet<>(dots), seed, range);
      assertThat(context).as("seed %d", seed).isEqualTo(addAll(CausalContext.empty(), dots));
    }
  }

  @Test
  void ofDotsOfNothingIsTheEmptyContext() {
    assertThat(CausalContext.ofDots(List.of())).isSameAs(CausalContext.empty());
  }

  @Test
  void ofDotsCoalescesRunsAndKeepsGaps() {
    List<Dot> dots =
        List.of(
            new Dot(B, 5),
            new Dot(A, 2),
            new Dot(B, 3),
            new Dot(A, 1),
            new Dot(A, 3),
            new Dot(B, 4),
            new Dot(A, 2),
            new Dot(A, 7),
            new Dot(B, Long.MAX_VALUE));
    assertThat(intervals(CausalContext.ofDots(dots)))
        .containsExactly(
            new Interval(A, 1, 3),
            new Interval(A, 7, 7),
            new Interval(B, 3, 5),
            new Interval(B, Long.MAX_VALUE, Long.MAX_VALUE));
  }

  @Test
  void ofDotsWithRepeatsAtLongMaxValueStaysCanonical() {
    List<Dot> dots =
        List.of(
            new Dot(A, Long.MAX_VALUE),
            new Dot(A, Long.MAX_VALUE - 1),
            new Dot(A, Long.MAX_VALUE),
            new Dot(A, Long.MAX_VALUE - 1));
    assertThat(intervals(CausalContext.ofDots(dots)))
        .containsExactly(new Interval(A, Long.MAX_VALUE - 1, Long.MAX_VALUE));
  }

  // ---------------------------------------------------------------- unit cases

  @Test
  void addingOneAfterThreeAndTwoCompactsIntoOneInterval() {
    CausalContext c3 = CausalContext.empty().add(new Dot(A, 3));
    CausalContext c32 = c3.add(new Dot(A, 2));
    CausalContext c321 = c32.add(new Dot(A, 1));

    assertThat(intervals(c32)).containsExactly(new Interval(A, 2, 3));
    assertThat(c32.isCompact()).isFalse();
    assertThat(c32.compactPart()).isEqualTo(VersionVector.empty());

    assertThat(intervals(c321)).containsExactly(new Interval(A, 1, 3));
    assertThat(c321.intervalCount()).isEqualTo(1);
    assertThat(c321.isCompact()).isTrue();
    assertThat(c321.compactPart()).isEqualTo(VersionVector.empty().with(A, 3));
    assertThat(c321).isEqualTo(CausalContext.of(VersionVector.empty().with(A, 3)));
    assertThat(c321.toString()).isEqualTo("{a=[1..3]}");

    // old instances unchanged
    assertThat(intervals(c3)).containsExactly(new Interval(A, 3, 3));
    assertThat(intervals(c32)).containsExactly(new Interval(A, 2, 3));
  }

  @Test
  void gapLeavesADotCloud() {
    CausalContext context =
        CausalContext.empty()
            .add(new Dot(A, 1))
            .add(new Dot(A, 2))
            .add(new Dot(A, 5))
            .add(new Dot(B, 1));
    assertThat(intervals(context))
        .containsExactly(new Interval(A, 1, 2), new Interval(A, 5, 5), new Interval(B, 1, 1));
    assertThat(context.isCompact()).isFalse();
    assertThat(context.compactPart()).isEqualTo(VersionVector.empty().with(A, 2).with(B, 1));
    assertThat(context.intervalCount()).isEqualTo(3);
    assertThat(context.maxCounter(A)).isEqualTo(5);
    assertThat(context.nextDot(A)).isEqualTo(new Dot(A, 6));
    assertThat(context.contains(new Dot(A, 3))).isFalse();

    CausalContext filled = context.add(new Dot(A, 3)).add(new Dot(A, 4));
    assertThat(intervals(filled)).containsExactly(new Interval(A, 1, 5), new Interval(B, 1, 1));
    assertThat(filled.isCompact()).isTrue();
    assertThat(filled.compactPart()).isEqualTo(VersionVector.empty().with(A, 5).with(B, 1));
  }

  @Test
  void cloudWithoutDotOneHasEmptyCompactPart() {
    CausalContext context = CausalContext.of(new Dot(A, 2)).add(new Dot(A, 4));
    assertThat(context.compactPart()).isEqualTo(VersionVector.empty());
    assertThat(context.isCompact()).isFalse();
    assertThat(context.maxCounter(B)).isZero();
    assertThat(context.nextDot(B)).isEqualTo(new Dot(B, 1));
  }

  @Test
  void addingTheMiddleDotJoinsTwoIntervals() {
    CausalContext context =
        build(
            new TreeSet<>(
                List.of(
                    new Dot(A, 1), new Dot(A, 2), new Dot(A, 4), new Dot(A, 5), new Dot(A, 9))));
    assertThat(context.intervalCount()).isEqualTo(3);
    CausalContext joined = context.add(new Dot(A, 3));
    assertThat(intervals(joined)).containsExactly(new Interval(A, 1, 5), new Interval(A, 9, 9));
    assertThat(context.add(new Dot(A, 4))).isSameAs(context);
  }

  @Test
  void emptyContext() {
    CausalContext empty = CausalContext.empty();
    assertThat(empty.isEmpty()).isTrue();
    assertThat(empty.isCompact()).isTrue();
    assertThat(empty.intervalCount()).isZero();
    assertThat(empty.compactPart()).isEqualTo(VersionVector.empty());
    assertThat(empty.maxCounter(A)).isZero();
    assertThat(empty.nextDot(A)).isEqualTo(new Dot(A, 1));
    assertThat(empty.contains(new Dot(A, 1))).isFalse();
    assertThat(intervals(empty)).isEmpty();
    assertThat(CausalContext.builder().build()).isEqualTo(empty);
    assertThat(CausalContext.of(VersionVector.empty())).isEqualTo(empty);
    assertThat(empty.toString()).isEqualTo("{}");
  }

  @Test
  void ofVersionVector() {
    VersionVector vv = VersionVector.empty().with(B, 1).with(A, 3);
    CausalContext context = CausalContext.of(vv);
    assertThat(intervals(context)).containsExactly(new Interval(A, 1, 3), new Interval(B, 1, 1));
    assertThat(context.isCompact()).isTrue();
    assertThat(context.compactPart()).isEqualTo(vv);
    assertThat(context)
        .isEqualTo(
            CausalContext.empty()
                .add(new Dot(A, 2))
                .add(new Dot(B, 1))
                .add(new Dot(A, 1))
                .add(new Dot(A, 3)));
  }

  @Test
  void ofDot() {
    Dot dot = new Dot(C, 7);
    CausalContext context = CausalContext.of(dot);
    assertThat(intervals(context)).containsExactly(new Interval(C, 7, 7));
    assertThat(context).isEqualTo(CausalContext.empty().add(dot));
    assertThat(context.hashCode()).isEqualTo(CausalContext.empty().add(dot).hashCode());
    assertThat(context.contains(dot)).isTrue();
    assertThat(context.isCompact()).isFalse();
    assertThat(CausalContext.of(new Dot(C, 1)).isCompact()).isTrue();
  }

  @Test
  void mergeReturnsThisWhenNothingChanges() {
    CausalContext big =
        build(new TreeSet<>(List.of(new Dot(A, 1), new Dot(A, 2), new Dot(A, 3), new Dot(B, 5))));
    CausalContext small = CausalContext.of(new Dot(A, 2)).add(new Dot(B, 5));
    assertThat(big.merge(small)).isSameAs(big);
    assertThat(small.merge(big)).isEqualTo(big);
    assertThat(big.merge(CausalContext.empty())).isSameAs(big);
    assertThat(CausalContext.empty().merge(big)).isEqualTo(big);
  }

  @Test
  void mergeAndAddLeaveOperandsUnchanged() {
    CausalContext a = CausalContext.of(new Dot(A, 1)).add(new Dot(A, 3));
    CausalContext b = CausalContext.of(new Dot(A, 2)).add(new Dot(B, 1));
    String aBefore = a.toString();
    String bBefore = b.toString();
    CausalContext merged = a.merge(b);
    CausalContext added = merged.add(new Dot(A, 4)).add(new Dot(A, 6));
    assertThat(a.toString()).isEqualTo(aBefore);
    assertThat(b.toString()).isEqualTo(bBefore);
    assertThat(merged.toString()).isEqualTo("{a=[1..3], b=[1]}");
    assertThat(added.toString()).isEqualTo("{a=[1..4,6], b=[1]}");
  }

  @Test
  void intervalEndingAtLongMaxValue() {
    CausalContext top =
        CausalContext.builder().addRange(A, Long.MAX_VALUE - 2, Long.MAX_VALUE).build();
    assertThat(top.contains(new Dot(A, Long.MAX_VALUE))).isTrue();
    assertThat(top.maxCounter(A)).isEqualTo(Long.MAX_VALUE);
    assertThat(top.add(new Dot(A, Long.MAX_VALUE - 1))).isSameAs(top);
    assertThat(top.add(new Dot(A, Long.MAX_VALUE - 3)))
        .isEqualTo(CausalContext.builder().addRange(A, Long.MAX_VALUE - 3, Long.MAX_VALUE).build());
    assertThat(CausalContext.of(new Dot(A, Long.MAX_VALUE)).add(new Dot(A, Long.MAX_VALUE - 1)))
        .isEqualTo(CausalContext.builder().addRange(A, Long.MAX_VALUE - 1, Long.MAX_VALUE).build());
  }

  /**
   * Union must absorb an interval into one that ends at Long.MAX_VALUE (no {@code hi + 1}
   * overflow).
   */
  @Test
  void mergeWithIntervalEndingAtLongMaxValueStaysCanonical() {
    CausalContext x = CausalContext.of(new Dot(A, Long.MAX_VALUE));
    CausalContext y = CausalContext.of(new Dot(A, Long.MAX_VALUE));
    CausalContext merged = x.merge(y);
    assertThat(merged.intervalCount()).as("%s", merged).isEqualTo(1);
    assertThat(merged).isEqualTo(x);

    CausalContext all = CausalContext.builder().addRange(A, 1, Long.MAX_VALUE).build();
    CausalContext withFive = all.merge(CausalContext.of(new Dot(A, 5)));
    assertThat(withFive).as("%s", withFive).isEqualTo(all);
    assertThat(withFive.maxCounter(A)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void builderAcceptsCanonicalIntervals() {
    CausalContext context =
        CausalContext.builder()
            .addRange(A, 1, 3)
            .addRange(A, 5, 5)
            .addRange(A, 7, 10)
            .addRange(B, 2, 2)
            .addRange(D, 1, Long.MAX_VALUE)
            .build();
    assertThat(intervals(context))
        .containsExactly(
            new Interval(A, 1, 3),
            new Interval(A, 5, 5),
            new Interval(A, 7, 10),
            new Interval(B, 2, 2),
            new Interval(D, 1, Long.MAX_VALUE));
    assertThat(context.compactPart())
        .isEqualTo(VersionVector.empty().with(A, 3).with(D, Long.MAX_VALUE));
  }

  @Test
  void builderRejectsNonCanonicalInput() {
    // replicas out of order
    assertThatThrownBy(() -> CausalContext.builder().addRange(B, 1, 1).addRange(A, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> CausalContext.builder().addRange(A, 1, 1).addRange(B, 1, 1).addRange(A, 5, 5))
        .isInstanceOf(IllegalArgumentException.class);
    // overlapping
    assertThatThrownBy(() -> CausalContext.builder().addRange(A, 1, 5).addRange(A, 3, 8))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CausalContext.builder().addRange(A, 1, 5).addRange(A, 5, 8))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CausalContext.builder().addRange(A, 2, 2).addRange(A, 2, 2))
        .isInstanceOf(IllegalArgumentException.class);
    // touching
    assertThatThrownBy(() -> CausalContext.builder().addRange(A, 1, 3).addRange(A, 4, 6))
        .isInstanceOf(IllegalArgumentException.class);
    // unsorted
    assertThatThrownBy(() -> CausalContext.builder().addRange(A, 5, 6).addRange(A, 1, 2))
        .isInstanceOf(IllegalArgumentException.class);
    // after an interval ending at Long.MAX_VALUE nothing more for that replica
    assertThatThrownBy(
            () -> CausalContext.builder().addRange(A, 1, Long.MAX_VALUE).addRange(A, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    // from < 1
    assertThatThrownBy(() -> CausalContext.builder().addRange(A, 0, 3))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CausalContext.builder().addRange(A, -5, 3))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CausalContext.builder().addRange(A, Long.MIN_VALUE, 3))
        .isInstanceOf(IllegalArgumentException.class);
    // to < from
    assertThatThrownBy(() -> CausalContext.builder().addRange(A, 5, 4))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CausalContext.builder().addRange(A, 1, 3).addRange(A, 9, 8))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CausalContext.builder().addRange(null, 1, 1))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void prop_builderRejectsEveryNonCanonicalSecondInterval() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      long from1 = 1 + random.nextInt(10);
      long to1 = from1 + random.nextInt(5);
      long from2 = 1 + random.nextInt(20);
      long to2 = from2 + random.nextInt(5);
      boolean canonical = from2 > to1 + 1;
      CausalContext.Builder builder = CausalContext.builder().addRange(A, from1, to1);
      if (canonical) {
        CausalContext context = builder.addRange(A, from2, to2).build();
        assertThat(intervals(context))
            .as("seed %d", seed)
            .containsExactly(new Interval(A, from1, to1), new Interval(A, from2, to2));
      } else {
        assertThatThrownBy(() -> builder.addRange(A, from2, to2))
            .as("seed %d: [%d,%d] then [%d,%d]", seed, from1, to1, from2, to2)
            .isInstanceOf(IllegalArgumentException.class);
      }
    }
  }

  @Test
  void dotRejectsCounterBelowOne() {
    assertThatThrownBy(() -> new Dot(A, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Dot(null, 1)).isInstanceOf(NullPointerException.class);
    assertThat(new Dot(A, 2)).isLessThan(new Dot(B, 1)).isGreaterThan(new Dot(A, 1));
  }

  @Test
  void nextDotThrowsArithmeticExceptionWhenCountersAreExhausted() {
    CausalContext full = CausalContext.of(new Dot(A, Long.MAX_VALUE));
    assertThatThrownBy(() -> full.nextDot(A)).isInstanceOf(ArithmeticException.class);
  }

  @Test
  void builderIsSingleUse() {
    CausalContext.Builder builder = CausalContext.builder().addRange(A, 1, 3);
    assertThat(builder.build()).isEqualTo(CausalContext.of(VersionVector.empty().with(A, 3)));
    assertThatThrownBy(() -> builder.addRange(B, 1, 1)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class);
  }
}
