package dev.converge.sync;

import dev.converge.crdt.GCounter;
import dev.converge.crdt.Key;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.codec.ValueCodec;
import java.util.ArrayList;
import java.util.List;

/**
 * Keys of every built-in type that a cluster test writes: for each name {@code x}, a G-Counter
 * {@code g-x}, a PN-Counter {@code pn-x}, an OR-Set of strings {@code set-x} and an LWW register of
 * strings {@code reg-x}.
 */
record KeySpace(
    List<Key<GCounter>> gCounters,
    List<Key<PNCounter>> pnCounters,
    List<Key<ORSet<String>>> sets,
    List<Key<LWWRegister<String>>> registers) {

  KeySpace {
    gCounters = List.copyOf(gCounters);
    pnCounters = List.copyOf(pnCounters);
    sets = List.copyOf(sets);
    registers = List.copyOf(registers);
  }

  static KeySpace of(String... names) {
    List<Key<GCounter>> g = new ArrayList<>();
    List<Key<PNCounter>> pn = new ArrayList<>();
    List<Key<ORSet<String>>> s = new ArrayList<>();
    List<Key<LWWRegister<String>>> r = new ArrayList<>();
    for (String name : names) {
      g.add(Key.gCounter("g-" + name));
      pn.add(Key.pnCounter("pn-" + name));
      s.add(Key.orSet("set-" + name, ValueCodec.string()));
      r.add(Key.lwwRegister("reg-" + name, ValueCodec.string()));
    }
    return new KeySpace(g, pn, s, r);
  }

  KeySpace plus(KeySpace other) {
    return new KeySpace(
        concat(gCounters, other.gCounters),
        concat(pnCounters, other.pnCounters),
        concat(sets, other.sets),
        concat(registers, other.registers));
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> all = new ArrayList<>(a);
    for (T t : b) {
      if (!all.contains(t)) {
        all.add(t);
      }
    }
    return all;
  }

  List<Key<?>> all() {
    List<Key<?>> all = new ArrayList<>();
    all.addAll(gCounters);
    all.addAll(pnCounters);
    all.addAll(sets);
    all.addAll(registers);
    return all;
  }

  /** Checks {@code node}'s state of every key against the specification of {@code writes}. */
  void assertMatches(Replicator node, AcknowledgedWrites writes, String context) {
    for (Key<GCounter> k : gCounters) {
      writes.assertCounter(k, node.get(k).await(), context);
    }
    for (Key<PNCounter> k : pnCounters) {
      writes.assertCounter(k, node.get(k).await(), context);
    }
    for (Key<ORSet<String>> k : sets) {
      writes.assertSet(k, node.get(k).await(), context);
    }
    for (Key<LWWRegister<String>> k : registers) {
      if (writes.register(k.name()) != null) {
        writes.assertRegister(k, node.get(k).await(), context);
      }
    }
  }
}
