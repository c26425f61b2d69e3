package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.GCounter;
import dev.converge.crdt.Key;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.causal.Dot;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The acknowledged writes of a cluster test, and the values each type's specification gives for
 * them once every replica has received every write. Thread-safe: writers on many threads record
 * into one instance.
 *
 * <ul>
 *   <li>Counters: the sum of every acknowledged increment (minus every decrement).
 *   <li>OR-Set (add-wins, as a happens-before spec over dots): an add's dot survives unless a later
 *       operation of the same element observed it (a remove, or an add that superseded it); an
 *       element is present iff one of its add dots survives. So an add concurrent with a remove
 *       survives it, and a remove that observed every add leaves the element absent.
 *   <li>LWW register: the write with the highest {@code (timestamp, writer)}.
 * </ul>
 */
final class AcknowledgedWrites {

  /** One LWW write as its acknowledged state shows it. */
  record Assignment(long timestamp, ReplicaId writer, String value) {
    boolean after(Assignment other) {
      int cmp = Long.compare(timestamp, other.timestamp);
      return cmp != 0 ? cmp > 0 : writer.compareTo(other.writer) > 0;
    }
  }

  /** The adds and observations of one element of one set. */
  private static final class ElementHistory {
    final Set<Dot> added = ConcurrentHashMap.newKeySet();
    final Set<Dot> observed = ConcurrentHashMap.newKeySet();
  }

  private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
  private final Map<String, Map<String, ElementHistory>> sets = new ConcurrentHashMap<>();
  private final Map<String, Assignment> registers = new ConcurrentHashMap<>();

  void counted(String key, long delta) {
    counters.computeIfAbsent(key, k -> new LongAdder()).add(delta);
  }

  void added(String key, String element, Dot dot, Iterable<Dot> superseded) {
    ElementHistory h = history(key, element);
    h.added.add(dot);
    superseded.forEach(h.observed::add);
  }

  void removed(String key, String element, Iterable<Dot> observed) {
    ElementHistory h = history(key, element);
    observed.forEach(h.observed::add);
  }

  void assigned(String key, Assignment write) {
    registers.merge(key, write, (a, b) -> b.after(a) ? b : a);
  }

  private ElementHistory history(String key, String element) {
    return sets.computeIfAbsent(key, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(element, e -> new ElementHistory());
  }

  /** The specified value of counter {@code key}: the sum of its acknowledged changes. */
  long counter(String key) {
    LongAdder sum = counters.get(key);
    return sum == null ? 0 : sum.sum();
  }

  /** Keys of counters written. */
  Set<String> counterKeys() {
    return Set.copyOf(counters.keySet());
  }

  /** Keys of sets written. */
  Set<String> setKeys() {
    return Set.copyOf(sets.keySet());
  }

  /** Keys of registers written. */
  Set<String> registerKeys() {
    return Set.copyOf(registers.keySet());
  }

  /** The specified surviving dots of every element ever written in set {@code key}. */
  Map<String, Set<Dot>> liveDots(String key) {
    Map<String, Set<Dot>> result = new TreeMap<>();
    sets.getOrDefault(key, Map.of())
        .forEach(
            (element, h) -> {
              Set<Dot> live = new TreeSet<>(h.added);
              live.removeAll(h.observed);
              result.put(element, live);
            });
    return result;
  }

  /** The specified elements of set {@code key}. */
  Set<String> elements(String key) {
    Set<String> present = new TreeSet<>();
    liveDots(key)
        .forEach(
            (e, dots) -> {
              if (!dots.isEmpty()) {
                present.add(e);
              }
            });
    return present;
  }

  /** The specified winning write of register {@code key}, or null if never written. */
  Assignment register(String key) {
    return registers.get(key);
  }

  /* ------------------------------------------------------------------ checks */

  void assertCounter(Key<GCounter> key, GCounter state, String context) {
    assertThat(state.value())
        .as("%s: G-Counter %s = sum of acknowledged increments", context, key)
        .isEqualTo(counter(key.name()));
  }

  void assertCounter(Key<PNCounter> key, PNCounter state, String context) {
    assertThat(state.value())
        .as("%s: PN-Counter %s = sum of acknowledged increments and decrements", context, key)
        .isEqualTo(counter(key.name()));
  }

  /**
   * The surviving add dots of every element, as specified: a dot of a replica the state no longer
   * names was renamed by pruning (decision 0011) to one fresh dot of a surviving replica, so those
   * are checked one for one by number, the others exactly.
   */
  void assertSet(Key<ORSet<String>> key, ORSet<String> state, String context) {
    Map<String, Set<Dot>> expected = liveDots(key.name());
    Set<ReplicaId> named = state.replicas();
    for (Map.Entry<String, Set<Dot>> e : expected.entrySet()) {
      Set<Dot> actual = new HashSet<>(state.dots(e.getKey()));
      Set<Dot> kept = new HashSet<>();
      Set<ReplicaId> pruned = new HashSet<>();
      int prunedDots = 0;
      for (Dot d : e.getValue()) {
        if (named.contains(d.replica())) {
          kept.add(d);
        } else {
          pruned.add(d.replica());
          prunedDots++;
        }
      }
      String what =
          String.format(
              "%s: OR-Set %s, surviving add dots of element %s (add-wins), expected %s",
              context, key, e.getKey(), e.getValue());
      assertThat(actual).as(what).containsAll(kept);
      actual.removeAll(kept);
      assertThat(actual).as(what + " (renamed by pruning)").hasSize(prunedDots);
      assertThat(actual).as(what).noneMatch(d -> pruned.contains(d.replica()));
    }
    assertThat(state.elements())
        .as("%s: OR-Set %s elements (add-wins)", context, key)
        .containsExactlyInAnyOrderElementsOf(elements(key.name()));
  }

  /**
   * The register holds the write with the highest (timestamp, writer); if pruning removed that
   * writer's id, the same value re-stamped one tick later by a surviving replica (decision 0011).
   */
  void assertRegister(Key<LWWRegister<String>> key, LWWRegister<String> state, String context) {
    Assignment expected = register(key.name());
    assertThat(expected).as("%s: register %s was written", context, key).isNotNull();
    if (expected.writer() != null && !state.replicas().contains(expected.writer())) {
      assertThat(state.value().orElse(null))
          .as("%s: LWW register %s = the pruned winner's value", context, key)
          .isEqualTo(expected.value());
      assertThat(state.timestamp())
          .as("%s: LWW register %s re-stamped one tick later", context, key)
          .isEqualTo(expected.timestamp() + 1);
      return;
    }
    assertThat(
            new Assignment(
                state.timestamp(), state.writer().orElse(null), state.value().orElse(null)))
        .as("%s: LWW register %s = write with the highest (timestamp, writer)", context, key)
        .isEqualTo(expected);
  }
}
