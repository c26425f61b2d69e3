package dev.converge.crdt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class PersistentHashMapTest {

  private static final int SEEDS = 200;
  private static final int OPS = 3_000;

  /** Deliberately poor hash: only 7 distinct hash codes. Not Comparable. */
  record Mod7Key(int id) {
    @Override
    public int hashCode() {
      return Math.floorMod(id, 7);
    }
  }

  /** Every instance collides. Not Comparable: collision-node order is insertion order. */
  record ConstantKey(int id) {
    @Override
    public int hashCode() {
      return 42;
    }
  }

  /** Hashes that differ only in a few high bits: long single-child chains down the trie. */
  record HighBitsKey(int id) {
    @Override
    public int hashCode() {
      return (id & 3) << 30 | (id >>> 2) % 5;
    }
  }

  /** Poor hash, but Comparable, so collision nodes are in a canonical order. */
  record ComparableMod3Key(int id) implements Comparable<ComparableMod3Key> {
    @Override
    public int hashCode() {
      return id % 3;
    }

    @Override
    public int compareTo(ComparableMod3Key o) {
      return Integer.compare(id, o.id);
    }
  }

  /** Key generators: small ranges (to hit overwrites/removes), wide range, and poor hashes. */
  private static final List<IntFunction<Object>> KEY_SPACES =
      List.of(
          i -> i % 40,
          i -> i % 2_000,
          i -> new Mod7Key(i % 60),
          i -> new ConstantKey(i % 12),
          i -> new HighBitsKey(i % 50),
          i -> new ComparableMod3Key(i % 30),
          i -> "k" + (i % 300));

  // ---------------------------------------------------------------- property tests

  @Test
  void prop_persistentApiMatchesHashMapModel() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      IntFunction<Object> keys = KEY_SPACES.get(seed % KEY_SPACES.size());
      Map<Object, Integer> model = new HashMap<>();
      PersistentHashMap<Object, Integer> map = PersistentHashMap.empty();
      for (int op = 0; op < OPS; op++) {
        Object key = keys.apply(random.nextInt(1 << 20));
        int choice = random.nextInt(10);
        if (choice < 5) {
          int value = random.nextInt(4);
          PersistentHashMap<Object, Integer> next = map.put(key, value);
          boolean unchanged = Integer.valueOf(value).equals(model.get(key));
          model.put(key, value);
          assertThat(next == map).as("seed %d: put identity", seed).isEqualTo(unchanged);
          map = next;
        } else if (choice < 8) {
          PersistentHashMap<Object, Integer> next = map.remove(key);
          boolean absent = model.remove(key) == null;
          assertThat(next == map).as("seed %d: remove identity", seed).isEqualTo(absent);
          map = next;
        } else {
          assertThat(map.get(key)).as("seed %d: get %s", seed, key).isEqualTo(model.get(key));
          assertThat(map.containsKey(key))
              .as("seed %d: containsKey %s", seed, key)
              .isEqualTo(model.containsKey(key));
        }
        assertThat(map.size()).as("seed %d: size", seed).isEqualTo(model.size());
        assertThat(map.isEmpty()).as("seed %d: isEmpty", seed).isEqualTo(model.isEmpty());
        if (op % 500 == 499) {
          assertMatchesModel(map, model, seed);
        }
      }
      assertMatchesModel(map, model, seed);
    }
  }

  @Test
  void prop_builderMatchesHashMapModel() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed * 31L + 7);
      IntFunction<Object> keys = KEY_SPACES.get(seed % KEY_SPACES.size());
      Map<Object, Integer> model = new HashMap<>();
      PersistentHashMap.Builder<Object, Integer> builder = PersistentHashMap.builder();
      List<PersistentHashMap<Object, Integer>> snapshots = new ArrayList<>();
      List<Map<Object, Integer>> snapshotModels = new ArrayList<>();
      for (int op = 0; op < OPS; op++) {
        Object key = keys.apply(random.nextInt(1 << 20));
        int choice = random.nextInt(20);
        if (choice < 10) {
          int value = random.nextInt(4);
          builder.put(key, value);
          model.put(key, value);
        } else if (choice < 16) {
          builder.remove(key);
          model.remove(key);
        } else if (choice < 19) {
          assertThat(builder.get(key)).as("seed %d: get %s", seed, key).isEqualTo(model.get(key));
        } else {
          // build() mid-stream, then keep editing the same builder (sometimes a fresh one).
          PersistentHashMap<Object, Integer> built = builder.build();
          assertThat(builder.build()).as("seed %d: build idempotent", seed).isSameAs(built);
          snapshots.add(built);
          snapshotModels.add(new HashMap<>(model));
          if (random.nextBoolean()) {
            builder = built.toBuilder();
          }
        }
        assertThat(builder.size()).as("seed %d: size", seed).isEqualTo(model.size());
      }
      assertMatchesModel(builder.build(), model, seed);
      for (int i = 0; i < snapshots.size(); i++) {
        assertMatchesModel(snapshots.get(i), snapshotModels.get(i), seed);
      }
    }
  }

  @Test
  void prop_mixedPersistentAndBuilderOpsAgreeAndPreserveOldVersions() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed ^ 0x5DEECE66DL);
      IntFunction<Object> keys = KEY_SPACES.get((seed + 3) % KEY_SPACES.size());
      Map<Object, Integer> model = new HashMap<>();
      PersistentHashMap<Object, Integer> map = PersistentHashMap.empty();
      List<PersistentHashMap<Object, Integer>> versions = new ArrayList<>();
      List<Map<Object, Integer>> versionModels = new ArrayList<>();
      for (int round = 0; round < 30; round++) {
        boolean viaBuilder = random.nextBoolean();
        PersistentHashMap.Builder<Object, Integer> builder = viaBuilder ? map.toBuilder() : null;
        for (int op = 0; op < 60; op++) {
          Object key = keys.apply(random.nextInt(1 << 20));
          if (random.nextInt(3) > 0) {
            int value = random.nextInt(1000);
            model.put(key, value);
            if (viaBuilder) {
              builder.put(key, value);
            } else {
              map = map.put(key, value);
            }
          } else {
            model.remove(key);
            if (viaBuilder) {
              builder.remove(key);
            } else {
              map = map.remove(key);
            }
          }
        }
        if (viaBuilder) {
          map = builder.build();
        }
        versions.add(map);
        versionModels.add(new HashMap<>(model));
      }
      for (int i = 0; i < versions.size(); i++) {
        assertMatchesModel(versions.get(i), versionModels.get(i), seed);
      }
    }
  }

  /** Checks contents, equals/hashCode against the model, and canonical shape/order. */
  /** mapValues over every key space: same keys, mapped values, same iteration order. */
  @Test
  void prop_mapValuesMatchesHashMapModelAndLeavesTheSourceUnchanged() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed * 17L + 3);
      IntFunction<Object> keys = KEY_SPACES.get(seed % KEY_SPACES.size());
      Map<Object, Integer> model = new HashMap<>();
      PersistentHashMap.Builder<Object, Integer> builder = PersistentHashMap.builder();
      for (int op = random.nextInt(OPS); op > 0; op--) {
        Object key = keys.apply(random.nextInt(1 << 20));
        if (random.nextInt(3) > 0) {
          int value = random.nextInt(100);
          builder.put(key, value);
          model.put(key, value);
        } else {
          builder.remove(key);
          model.remove(key);
        }
      }
      PersistentHashMap<Object, Integer> source = builder.build();
      List<Object> sourceOrder = keyOrder(source);
      PersistentHashMap<Object, Integer> mapped = source.mapValues(v -> v * 3 + 1);

      Map<Object, Integer> mappedModel = new HashMap<>();
      model.forEach((k, v) -> mappedModel.put(k, v * 3 + 1));
      assertMatchesModel(mapped, mappedModel, seed);
      assertThat(keyOrder(mapped)).as("seed %d: same iteration order", seed).isEqualTo(sourceOrder);
      assertMatchesModel(source, model, seed);

      // The mapped map's nodes are owned by no builder: editing a builder of it copies them.
      PersistentHashMap.Builder<Object, Integer> edit = mapped.toBuilder();
      model.keySet().forEach(k -> edit.put(k, -1));
      assertMatchesModel(mapped, mappedModel, seed);
    }
  }

  @Test
  void mapValuesOfTheEmptyMapIsItselfAndNullResultsAreRejected() {
    PersistentHashMap<String, Integer> empty = PersistentHashMap.empty();
    assertThat(empty.mapValues(v -> null)).isSameAs(empty);
    PersistentHashMap<String, Integer> one = empty.put("a", 1);
    assertThatThrownBy(() -> one.mapValues(v -> null)).isInstanceOf(NullPointerException.class);
    assertThat(one.get("a")).isEqualTo(1);
  }

  private static <K, V> void assertMatchesModel(
      PersistentHashMap<K, V> map, Map<K, V> model, long seed) {
    assertThat(map.size()).as("seed %d: size", seed).isEqualTo(model.size());
    Map<K, V> iterated = new HashMap<>();
    int count = 0;
    for (Map.Entry<K, V> e : map) {
      iterated.put(e.getKey(), e.getValue());
      count++;
    }
    assertThat(count).as("seed %d: iterated entry count", seed).isEqualTo(model.size());
    assertThat(iterated).as("seed %d: iterated entries", seed).isEqualTo(model);
    Map<K, V> visited = new HashMap<>();
    map.forEach(visited::put);
    assertThat(visited).as("seed %d: forEach entries", seed).isEqualTo(model);
    for (Map.Entry<K, V> e : model.entrySet()) {
      assertThat(map.get(e.getKey()))
          .as("seed %d: get %s", seed, e.getKey())
          .isEqualTo(e.getValue());
    }
    assertThat(map.hashCode()).as("seed %d: hashCode", seed).isEqualTo(model.hashCode());

    // Rebuilt from scratch in another order: equal, same hashCode, same iteration order.
    List<Map.Entry<K, V>> entries = new ArrayList<>(model.entrySet());
    Collections.shuffle(entries, new Random(seed));
    PersistentHashMap<K, V> rebuilt = PersistentHashMap.empty();
    for (Map.Entry<K, V> e : entries) {
      rebuilt = rebuilt.put(e.getKey(), e.getValue());
    }
    assertThat(rebuilt).as("seed %d: equals rebuilt", seed).isEqualTo(map);
    assertThat(map).as("seed %d: equals rebuilt (symmetric)", seed).isEqualTo(rebuilt);
    assertThat(rebuilt.hashCode()).as("seed %d: hashCode rebuilt", seed).isEqualTo(map.hashCode());
    if (canonicalOrderExpected(model)) {
      assertThat(keyOrder(rebuilt)).as("seed %d: iteration order", seed).isEqualTo(keyOrder(map));
    }
  }

  /** Insertion order leaks into collision nodes for colliding keys that are not Comparable. */
  private static boolean canonicalOrderExpected(Map<?, ?> model) {
    return model.keySet().stream()
        .noneMatch(
            k -> k instanceof Mod7Key || k instanceof ConstantKey || k instanceof HighBitsKey);
  }

  private static <K, V> List<K> keyOrder(PersistentHashMap<K, V> map) {
    List<K> keys = new ArrayList<>();
    map.forEach((k, v) -> keys.add(k));
    List<K> viaIterator = new ArrayList<>();
    for (Map.Entry<K, V> e : map) {
      viaIterator.add(e.getKey());
    }
    assertThat(viaIterator).isEqualTo(keys);
    return keys;
  }

  // ---------------------------------------------------------------- persistence

  @Test
  void oldVersionsAreUnchangedByPutsAndRemoves() {
    PersistentHashMap<Integer, String> v1 = PersistentHashMap.empty();
    for (int i = 0; i < 100; i++) {
      v1 = v1.put(i, "a" + i);
    }
    PersistentHashMap<Integer, String> v2 = v1.put(5, "changed").remove(7).put(1000, "new");
    assertThat(v1.size()).isEqualTo(100);
    assertThat(v1.get(5)).isEqualTo("a5");
    assertThat(v1.get(7)).isEqualTo("a7");
    assertThat(v1.containsKey(1000)).isFalse();
    assertThat(v2.size()).isEqualTo(100);
    assertThat(v2.get(5)).isEqualTo("changed");
    assertThat(v2.containsKey(7)).isFalse();
    assertThat(v2.get(1000)).isEqualTo("new");
  }

  @Test
  void builderEditsAfterBuildDoNotAffectBuiltMaps() {
    PersistentHashMap.Builder<Integer, Integer> builder = PersistentHashMap.builder();
    for (int i = 0; i < 5_000; i++) {
      builder.put(i, i);
    }
    PersistentHashMap<Integer, Integer> first = builder.build();
    for (int i = 0; i < 5_000; i += 2) {
      builder.put(i, -i);
    }
    for (int i = 1; i < 5_000; i += 4) {
      builder.remove(i);
    }
    PersistentHashMap<Integer, Integer> second = builder.build();
    builder.put(1, 1).remove(0);

    assertThat(first.size()).isEqualTo(5_000);
    for (int i = 0; i < 5_000; i++) {
      assertThat(first.get(i)).isEqualTo(i);
    }
    assertThat(second.size()).isEqualTo(5_000 - 1_250);
    assertThat(second.get(0)).isZero();
    assertThat(second.containsKey(1)).isFalse();
    assertThat(second.get(2)).isEqualTo(-2);
    assertThat(second.get(3)).isEqualTo(3);

    PersistentHashMap.Builder<Integer, Integer> fromFirst = first.toBuilder();
    fromFirst.put(0, 99).remove(4_999);
    assertThat(fromFirst.build().get(0)).isEqualTo(99);
    assertThat(first.get(0)).isZero();
    assertThat(first.get(4_999)).isEqualTo(4_999);
    assertThat(first.toBuilder().build()).isSameAs(first);
  }

  // ---------------------------------------------------------------- canonical form, identity

  @Test
  void sameEntriesInDifferentOrdersAreEqualWithSameIterationOrder() {
    List<Object> keys = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      keys.add(i % 2 == 0 ? "s" + i : new ComparableMod3Key(i));
    }
    PersistentHashMap<Object, Integer> ascending = PersistentHashMap.empty();
    for (int i = 0; i < keys.size(); i++) {
      ascending = ascending.put(keys.get(i), i);
    }
    // Different order, with extra keys inserted and removed again, via the builder.
    PersistentHashMap.Builder<Object, Integer> builder = PersistentHashMap.builder();
    for (int i = 0; i < 300; i++) {
      builder.put("extra" + i, -1).put(new ComparableMod3Key(-i - 1), -1);
    }
    for (int i = keys.size() - 1; i >= 0; i--) {
      builder.put(keys.get(i), -5);
    }
    for (int i = 0; i < 300; i++) {
      builder.remove("extra" + i).remove(new ComparableMod3Key(-i - 1));
    }
    for (int i = 0; i < keys.size(); i++) {
      builder.put(keys.get(i), i);
    }
    PersistentHashMap<Object, Integer> scrambled = builder.build();

    assertThat(scrambled).isEqualTo(ascending);
    assertThat(scrambled.hashCode()).isEqualTo(ascending.hashCode());
    assertThat(keyOrder(scrambled)).isEqualTo(keyOrder(ascending));
    assertThat(scrambled.toString()).isEqualTo(ascending.toString());
  }

  @Test
  void putOfEqualValueAndRemoveOfAbsentKeyReturnSameInstance() {
    PersistentHashMap<String, String> map =
        PersistentHashMap.<String, String>empty().put("a", "x").put("b", "y");
    assertThat(map.put("a", new String("x"))).isSameAs(map);
    assertThat(map.remove("zzz")).isSameAs(map);
    assertThat(map.put("a", "z")).isNotSameAs(map);
    assertThat(PersistentHashMap.empty().remove("a")).isSameAs(PersistentHashMap.empty());

    PersistentHashMap<ConstantKey, String> colliding =
        PersistentHashMap.<ConstantKey, String>empty()
            .put(new ConstantKey(1), "a")
            .put(new ConstantKey(2), "b");
    assertThat(colliding.put(new ConstantKey(2), "b")).isSameAs(colliding);
    assertThat(colliding.remove(new ConstantKey(3))).isSameAs(colliding);
  }

  @Test
  void removingEverythingYieldsTheEmptySingleton() {
    PersistentHashMap<Integer, Integer> map = PersistentHashMap.empty();
    for (int i = 0; i < 100; i++) {
      map = map.put(i, i);
    }
    for (int i = 0; i < 100; i++) {
      map = map.remove(i);
    }
    assertThat(map).isSameAs(PersistentHashMap.empty());
    assertThat(PersistentHashMap.<Integer, Integer>builder().put(1, 1).remove(1).build())
        .isSameAs(PersistentHashMap.empty());
  }

  // ---------------------------------------------------------------- scale

  @Test
  void millionEntriesBuiltWithBuilderThenSingleUpdates() {
    int n = 1_000_000;
    PersistentHashMap.Builder<Integer, Integer> builder = PersistentHashMap.builder();
    for (int i = 0; i < n; i++) {
      builder.put(i, i);
    }
    PersistentHashMap<Integer, Integer> big = builder.build();
    assertThat(big.size()).isEqualTo(n);

    PersistentHashMap<Integer, Integer> added = big.put(n, -1);
    PersistentHashMap<Integer, Integer> replaced = big.put(123_456, -2);
    PersistentHashMap<Integer, Integer> removed = big.remove(654_321);

    assertThat(added.size()).isEqualTo(n + 1);
    assertThat(added.get(n)).isEqualTo(-1);
    assertThat(replaced.size()).isEqualTo(n);
    assertThat(replaced.get(123_456)).isEqualTo(-2);
    assertThat(removed.size()).isEqualTo(n - 1);
    assertThat(removed.containsKey(654_321)).isFalse();
    assertThat(big.get(123_456)).isEqualTo(123_456);
    assertThat(big.get(654_321)).isEqualTo(654_321);
    assertThat(big.containsKey(n)).isFalse();

    long[] sum = new long[1];
    int[] count = new int[1];
    big.forEach(
        (k, v) -> {
          assertThat(v).isEqualTo(k);
          sum[0] += k;
          count[0]++;
        });
    assertThat(count[0]).isEqualTo(n);
    assertThat(sum[0]).isEqualTo((long) n * (n - 1) / 2);
    assertThat(removed.put(654_321, 654_321)).isEqualTo(big);
    assertThat(added.remove(n)).isEqualTo(big);
  }

  // ---------------------------------------------------------------- equals / hashCode / misc

  @Test
  void equalsAndHashCodeAgreeWithHashMap() {
    Random random = new Random(42);
    Map<Object, Object> model = new HashMap<>();
    PersistentHashMap<Object, Object> map = PersistentHashMap.empty();
    for (int i = 0; i < 2_000; i++) {
      Object key = random.nextBoolean() ? random.nextInt(500) : new Mod7Key(random.nextInt(100));
      Object value = "v" + random.nextInt(10);
      model.put(key, value);
      map = map.put(key, value);
    }
    assertThat(map.hashCode()).isEqualTo(model.hashCode());

    PersistentHashMap.Builder<Object, Object> other = PersistentHashMap.builder();
    model.forEach(other::put);
    PersistentHashMap<Object, Object> copy = other.build();
    assertThat(copy).isEqualTo(map).hasSameHashCodeAs(map);

    Object someKey = model.keySet().iterator().next();
    assertThat(copy.put(someKey, "different")).isNotEqualTo(map);
    assertThat(copy.remove(someKey)).isNotEqualTo(map);
    assertThat(map).isNotEqualTo(model).isNotEqualTo(null);
    assertThat(PersistentHashMap.empty().hashCode()).isEqualTo(new HashMap<>().hashCode());
    assertThat(PersistentHashMap.empty()).isEqualTo(PersistentHashMap.builder().build());
  }

  @Test
  void rejectsNulls() {
    PersistentHashMap<String, String> map = PersistentHashMap.<String, String>empty().put("a", "b");
    assertThatThrownBy(() -> map.put(null, "x")).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> map.put("x", null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> map.get(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> map.containsKey(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> map.remove(null)).isInstanceOf(NullPointerException.class);
    PersistentHashMap.Builder<String, String> builder = map.toBuilder();
    assertThatThrownBy(() -> builder.put(null, "x")).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> builder.put("x", null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> builder.remove(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void iteratorEntriesAreImmutableAndIteratorEnds() {
    PersistentHashMap<String, Integer> map = PersistentHashMap.<String, Integer>empty().put("a", 1);
    Iterator<Map.Entry<String, Integer>> it = map.iterator();
    Map.Entry<String, Integer> entry = it.next();
    assertThat(entry).isEqualTo(Map.entry("a", 1));
    assertThatThrownBy(() -> entry.setValue(2)).isInstanceOf(UnsupportedOperationException.class);
    assertThat(it.hasNext()).isFalse();
    assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
    assertThat(PersistentHashMap.empty().iterator().hasNext()).isFalse();
  }

  @Test
  void toStringLooksLikeAbstractMapAndIsTruncatedAfterTwentyEntries() {
    assertThat(PersistentHashMap.empty()).hasToString("{}");
    assertThat(PersistentHashMap.<String, Integer>empty().put("a", 1)).hasToString("{a=1}");
    PersistentHashMap<Integer, Integer> two = PersistentHashMap.<Integer, Integer>empty().put(1, 2);
    assertThat(two.put(3, 4).toString()).isIn("{1=2, 3=4}", "{3=4, 1=2}");

    PersistentHashMap<Integer, Integer> many = PersistentHashMap.empty();
    for (int i = 0; i < 25; i++) {
      many = many.put(i, i);
    }
    String s = many.toString();
    assertThat(s).startsWith("{").endsWith(", ...}");
    assertThat(s.split("=", -1)).hasSize(21);
    PersistentHashMap<Integer, Integer> twenty = PersistentHashMap.empty();
    for (int i = 0; i < 20; i++) {
      twenty = twenty.put(i, i);
    }
    assertThat(twenty.toString()).doesNotContain("...");
  }
}
