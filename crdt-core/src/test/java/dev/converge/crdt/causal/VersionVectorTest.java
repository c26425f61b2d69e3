package dev.converge.crdt.causal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.crdt.ReplicaId;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class VersionVectorTest {

  private static final int SEEDS = 300;
  private static final List<ReplicaId> REPLICAS =
      List.of(
          ReplicaId.of("a"),
          ReplicaId.of("b"),
          ReplicaId.of("c"),
          ReplicaId.of("node-1"),
          ReplicaId.of("node-10"),
          ReplicaId.of("node-2"));
  private static final ReplicaId A = REPLICAS.get(0);
  private static final ReplicaId B = REPLICAS.get(1);

  // ---------------------------------------------------------------- helpers

  private static TreeMap<ReplicaId, Long> randomModel(Random random, int range) {
    TreeMap<ReplicaId, Long> model = new TreeMap<>();
    for (ReplicaId replica : REPLICAS) {
      if (random.nextInt(3) > 0) {
        model.put(replica, 1L + random.nextInt(range));
      }
    }
    return model;
  }

  private static VersionVector fromModel(Map<ReplicaId, Long> model) {
    VersionVector vv = VersionVector.empty();
    for (Map.Entry<ReplicaId, Long> e : model.entrySet()) {
      vv = vv.with(e.getKey(), e.getValue());
    }
    return vv;
  }

  private static Map<ReplicaId, Long> entries(VersionVector vv) {
    Map<ReplicaId, Long> out = new LinkedHashMap<>();
    vv.forEach(out::put);
    return out;
  }

  private static TreeMap<ReplicaId, Long> max(Map<ReplicaId, Long> a, Map<ReplicaId, Long> b) {
    TreeMap<ReplicaId, Long> out = new TreeMap<>(a);
    b.forEach((r, c) -> out.merge(r, c, Math::max));
    return out;
  }

  private static boolean belowOrEqual(Map<ReplicaId, Long> a, Map<ReplicaId, Long> b) {
    return a.entrySet().stream().allMatch(e -> e.getValue() <= b.getOrDefault(e.getKey(), 0L));
  }

  private static void assertMatchesModel(
      VersionVector vv, TreeMap<ReplicaId, Long> model, int seed) {
    assertThat(entries(vv)).as("seed %d: entries of %s", seed, vv).containsExactlyEntriesOf(model);
    assertThat(vv.size()).as("seed %d: size", seed).isEqualTo(model.size());
    assertThat(vv.isEmpty()).as("seed %d: isEmpty", seed).isEqualTo(model.isEmpty());
    for (ReplicaId replica : REPLICAS) {
      long expected = model.getOrDefault(replica, 0L);
      assertThat(vv.get(replica)).as("seed %d: get(%s)", seed, replica).isEqualTo(expected);
      for (long c = 1; c <= expected + 2; c++) {
        assertThat(vv.contains(new Dot(replica, c)))
            .as("seed %d: contains(%s:%d)", seed, replica, c)
            .isEqualTo(c <= expected);
      }
    }
    BigInteger sum =
        model.values().stream().map(BigInteger::valueOf).reduce(BigInteger.ZERO, BigInteger::add);
    assertThat(BigInteger.valueOf(vv.sum())).as("seed %d: sum", seed).isEqualTo(sum);
    VersionVector canonical = fromModel(model);
    assertThat(vv).as("seed %d: canonical", seed).isEqualTo(canonical);
    assertThat(vv.hashCode()).as("seed %d: hashCode", seed).isEqualTo(canonical.hashCode());
    assertThat(vv.toString()).as("seed %d: toString", seed).isEqualTo(canonical.toString());
    if (model.isEmpty()) {
      assertThat(vv).as("seed %d: empty", seed).isEqualTo(VersionVector.empty());
    }
  }

  // ---------------------------------------------------------------- property tests

  @Test
  void prop_operationsMatchTreeMapModel() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      int range = 1 + random.nextInt(10);
      TreeMap<ReplicaId, Long> model = new TreeMap<>();
      VersionVector vv = VersionVector.empty();
      for (int op = 0; op < 200; op++) {
        VersionVector old = vv;
        TreeMap<ReplicaId, Long> oldModel = new TreeMap<>(model);
        int kind = random.nextInt(10);
        if (kind < 6) {
          ReplicaId replica = REPLICAS.get(random.nextInt(REPLICAS.size()));
          long counter = random.nextInt(4) == 0 ? 0 : random.nextInt(range + 1);
          boolean unchanged = model.getOrDefault(replica, 0L) == counter;
          vv = vv.with(replica, counter);
          if (counter == 0) {
            model.remove(replica);
          } else {
            model.put(replica, counter);
          }
          if (unchanged) {
            assertThat(vv).as("seed %d: with unchanged returns this", seed).isSameAs(old);
          }
        } else if (kind < 9) {
          TreeMap<ReplicaId, Long> otherModel = randomModel(random, range);
          VersionVector other = fromModel(otherModel);
          boolean below = belowOrEqual(otherModel, model);
          assertThat(other.isBelowOrEqual(vv))
              .as("seed %d: %s <= %s", seed, other, vv)
              .isEqualTo(below);
          assertThat(vv.isBelowOrEqual(other))
              .as("seed %d: %s <= %s", seed, vv, other)
              .isEqualTo(belowOrEqual(model, otherModel));
          vv = vv.merge(other);
          model = max(model, otherModel);
          if (below) {
            assertThat(vv).as("seed %d: merge of dominated returns this", seed).isSameAs(old);
          }
          assertMatchesModel(other, otherModel, seed);
        } else {
          // isBelowOrEqual against something derived from the model: a lowered copy
          TreeMap<ReplicaId, Long> lower = new TreeMap<>();
          model.forEach(
              (r, c) -> {
                long v = c - random.nextInt(2);
                if (v > 0 && random.nextInt(4) > 0) {
                  lower.put(r, v);
                }
              });
          VersionVector lowerVv = fromModel(lower);
          assertThat(lowerVv.isBelowOrEqual(vv)).as("seed %d", seed).isTrue();
          assertThat(vv.isBelowOrEqual(lowerVv)).as("seed %d", seed).isEqualTo(lower.equals(model));
        }
        assertMatchesModel(old, oldModel, seed);
        assertMatchesModel(vv, model, seed);
      }
    }
  }

  @Test
  void prop_withoutAndReplicasMatchTreeMapModel() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      TreeMap<ReplicaId, Long> model = randomModel(random, 1 + random.nextInt(10));
      VersionVector vv = fromModel(model);
      assertThat(new ArrayList<>(vv.replicas()))
          .as("seed %d: replicas() ascending", seed)
          .containsExactlyElementsOf(model.keySet());
      ReplicaId replica = REPLICAS.get(random.nextInt(REPLICAS.size()));
      boolean absent = !model.containsKey(replica);
      VersionVector without = vv.without(replica);
      model.remove(replica);
      assertMatchesModel(without, model, seed);
      assertThat(without.replicas().contains(replica)).as("seed %d", seed).isFalse();
      if (absent) {
        assertThat(without)
            .as("seed %d: without an absent replica returns this", seed)
            .isSameAs(vv);
      }
    }
  }

  @Test
  void prop_mergeIsPointwiseMaxCommutativeAssociativeIdempotent() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      int range = 1 + random.nextInt(8);
      TreeMap<ReplicaId, Long> ma = randomModel(random, range);
      TreeMap<ReplicaId, Long> mb = randomModel(random, range);
      TreeMap<ReplicaId, Long> mc = randomModel(random, range);
      VersionVector a = fromModel(ma);
      VersionVector b = fromModel(mb);
      VersionVector c = fromModel(mc);
      assertMatchesModel(a.merge(b), max(ma, mb), seed);
      assertThat(a.merge(b)).as("seed %d: commutative", seed).isEqualTo(b.merge(a));
      assertThat(a.merge(b).merge(c))
          .as("seed %d: associative", seed)
          .isEqualTo(a.merge(b.merge(c)));
      assertThat(a.merge(a)).as("seed %d: idempotent", seed).isSameAs(a);
      assertThat(a.merge(fromModel(ma))).as("seed %d: idempotent on equal copy", seed).isSameAs(a);
      assertThat(a.merge(VersionVector.empty())).as("seed %d", seed).isSameAs(a);
      assertThat(VersionVector.empty().merge(a)).as("seed %d", seed).isEqualTo(a);
      assertThat(a.isBelowOrEqual(a.merge(b))).as("seed %d: upper bound", seed).isTrue();
      assertThat(b.isBelowOrEqual(a.merge(b))).as("seed %d: upper bound", seed).isTrue();
      assertThat(a.isBelowOrEqual(b) && b.isBelowOrEqual(a))
          .as("seed %d: antisymmetric", seed)
          .isEqualTo(a.equals(b));
      // least upper bound: anything above a and b is above a ⊔ b
      if (a.isBelowOrEqual(c) && b.isBelowOrEqual(c)) {
        assertThat(a.merge(b).isBelowOrEqual(c)).as("seed %d: least", seed).isTrue();
      }
      assertMatchesModel(a, ma, seed);
      assertMatchesModel(b, mb, seed);
    }
  }

  @Test
  void prop_builderInAnyOrderEqualsSortedResult() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      List<Map.Entry<ReplicaId, Long>> puts = new ArrayList<>();
      TreeMap<ReplicaId, Long> model = new TreeMap<>();
      for (int i = random.nextInt(15); i > 0; i--) {
        ReplicaId replica = REPLICAS.get(random.nextInt(REPLICAS.size()));
        long counter = random.nextInt(3) == 0 ? 0 : random.nextInt(100);
        puts.add(Map.entry(replica, counter));
        if (counter > 0) {
          model.merge(replica, counter, Math::max);
        }
      }
      Collections.shuffle(puts, random);
      VersionVector.Builder builder = VersionVector.builder();
      puts.forEach(e -> builder.put(e.getKey(), e.getValue()));
      VersionVector built = builder.build();
      assertMatchesModel(built, model, seed);

      VersionVector.Builder sorted = VersionVector.builder();
      model.forEach(sorted::put);
      assertThat(sorted.build()).as("seed %d: sorted builder", seed).isEqualTo(built);
    }
  }

  // ---------------------------------------------------------------- unit cases

  @Test
  void zeroEntriesAreNeverStored() {
    VersionVector empty = VersionVector.empty();
    assertThat(empty.with(A, 0)).isSameAs(empty);
    VersionVector one = empty.with(A, 3);
    VersionVector removed = one.with(A, 0);
    assertThat(removed).isEqualTo(empty);
    assertThat(removed.hashCode()).isEqualTo(empty.hashCode());
    assertThat(removed.isEmpty()).isTrue();
    assertThat(removed.size()).isZero();
    assertThat(removed.toString()).isEqualTo("{}");
    assertThat(one.get(A)).isEqualTo(3);

    VersionVector two = empty.with(A, 1).with(B, 2).with(A, 0);
    assertThat(two).isEqualTo(empty.with(B, 2));
    assertThat(entries(two)).containsExactly(Map.entry(B, 2L));
    assertThat(VersionVector.builder().put(A, 0).put(B, 0).build()).isEqualTo(empty);
  }

  @Test
  void containsDot() {
    VersionVector vv = VersionVector.empty().with(A, 3);
    assertThat(vv.contains(new Dot(A, 1))).isTrue();
    assertThat(vv.contains(new Dot(A, 3))).isTrue();
    assertThat(vv.contains(new Dot(A, 4))).isFalse();
    assertThat(vv.contains(new Dot(B, 1))).isFalse();
  }

  @Test
  void sumThrowsOnOverflow() {
    assertThat(VersionVector.empty().with(A, Long.MAX_VALUE).sum()).isEqualTo(Long.MAX_VALUE);
    assertThat(VersionVector.empty().with(A, Long.MAX_VALUE - 1).with(B, 1).sum())
        .isEqualTo(Long.MAX_VALUE);
    assertThatThrownBy(() -> VersionVector.empty().with(A, Long.MAX_VALUE).with(B, 1).sum())
        .isInstanceOf(ArithmeticException.class);
    long half = Long.MAX_VALUE / 2 + 1;
    assertThatThrownBy(() -> VersionVector.empty().with(A, half).with(B, half).sum())
        .isInstanceOf(ArithmeticException.class);
    assertThat(VersionVector.empty().sum()).isZero();
  }

  @Test
  void negativeCountersAndNullsAreRejected() {
    assertThatThrownBy(() -> VersionVector.empty().with(A, -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VersionVector.empty().with(A, 2).with(A, Long.MIN_VALUE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VersionVector.builder().put(A, -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VersionVector.empty().with(null, 1))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> VersionVector.builder().put(null, 1))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void builderKeepsMaximumOfDuplicates() {
    VersionVector vv =
        VersionVector.builder().put(B, 2).put(A, 5).put(B, 7).put(A, 1).put(B, 0).build();
    assertThat(vv).isEqualTo(VersionVector.empty().with(A, 5).with(B, 7));
    assertThat(entries(vv)).containsExactly(Map.entry(A, 5L), Map.entry(B, 7L));
    assertThat(vv.toString()).isEqualTo("{a=5, b=7}");
  }

  @Test
  void oldInstancesUnchangedAfterWithAndMerge() {
    VersionVector a = VersionVector.empty().with(A, 1).with(B, 2);
    VersionVector b = VersionVector.empty().with(A, 4);
    VersionVector merged = a.merge(b);
    VersionVector changed = merged.with(B, 9).with(A, 0);
    assertThat(entries(a)).containsExactly(Map.entry(A, 1L), Map.entry(B, 2L));
    assertThat(entries(b)).containsExactly(Map.entry(A, 4L));
    assertThat(entries(merged)).containsExactly(Map.entry(A, 4L), Map.entry(B, 2L));
    assertThat(entries(changed)).containsExactly(Map.entry(B, 9L));
  }
}
