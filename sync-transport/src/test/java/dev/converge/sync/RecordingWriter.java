package dev.converge.sync;

import dev.converge.crdt.GCounter;
import dev.converge.crdt.Key;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.Mutator;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.causal.Dot;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes to one node through the public API, waits for each write's acknowledgement (a failed write
 * fails the test) and records what the acknowledged state shows into one or more {@link
 * AcknowledgedWrites}. Safe to use from several threads.
 */
final class RecordingWriter {

  private final Replicator node;
  private final List<AcknowledgedWrites> logs;

  RecordingWriter(Replicator node, AcknowledgedWrites... logs) {
    this.node = node;
    this.logs = List.of(logs);
  }

  Replicator node() {
    return node;
  }

  /** The same node, recording into {@code more} logs as well. */
  RecordingWriter alsoInto(AcknowledgedWrites... more) {
    AcknowledgedWrites[] all = new AcknowledgedWrites[logs.size() + more.length];
    for (int i = 0; i < logs.size(); i++) {
      all[i] = logs.get(i);
    }
    System.arraycopy(more, 0, all, logs.size(), more.length);
    return new RecordingWriter(node, all);
  }

  GCounter increment(Key<GCounter> key, long amount) {
    GCounter state = node.update(key, GCounter.incrementBy(amount)).await();
    logs.forEach(l -> l.counted(key.name(), amount));
    return state;
  }

  PNCounter add(Key<PNCounter> key, long amount) {
    PNCounter state =
        node.update(
                key, amount >= 0 ? PNCounter.incrementBy(amount) : PNCounter.decrementBy(-amount))
            .await();
    logs.forEach(l -> l.counted(key.name(), amount));
    return state;
  }

  ORSet<String> add(Key<ORSet<String>> key, String element) {
    // The mutator may run more than once; the last run is the one the store commits.
    AtomicReference<List<Dot>> superseded = new AtomicReference<>();
    Mutator<ORSet<String>> adding =
        (set, ctx) -> {
          superseded.set(List.copyOf(set.dots(element)));
          return set.add(ctx.replica(), element);
        };
    ORSet<String> state = node.update(key, adding).await();
    List<Dot> dots = state.dots(element);
    if (dots.size() != 1) {
      throw new AssertionError("an add leaves exactly its own dot, got " + dots + " in " + state);
    }
    logs.forEach(l -> l.added(key.name(), element, dots.get(0), superseded.get()));
    return state;
  }

  ORSet<String> remove(Key<ORSet<String>> key, String element) {
    AtomicReference<List<Dot>> observed = new AtomicReference<>();
    Mutator<ORSet<String>> removing =
        (set, ctx) -> {
          observed.set(List.copyOf(set.dots(element)));
          Mutation<ORSet<String>> m = set.remove(element);
          return m;
        };
    ORSet<String> state = node.update(key, removing).await();
    if (state.contains(element)) {
      throw new AssertionError("a remove leaves its element absent locally: " + state);
    }
    logs.forEach(l -> l.removed(key.name(), element, observed.get()));
    return state;
  }

  LWWRegister<String> assign(Key<LWWRegister<String>> key, String value) {
    LWWRegister<String> state = node.update(key, LWWRegister.assigning(value)).await();
    AcknowledgedWrites.Assignment write =
        new AcknowledgedWrites.Assignment(
            state.timestamp(), state.writer().orElseThrow(), state.value().orElseThrow());
    if (!write.value().equals(value)) {
      throw new AssertionError("an assignment's acknowledged state holds its value: " + state);
    }
    logs.forEach(l -> l.assigned(key.name(), write));
    return state;
  }

  /** One random write on a random key of {@code keys}; OR-Set elements come from {@code pool}. */
  void randomWrite(Random random, KeySpace keys, List<String> pool, String tag) {
    switch (random.nextInt(4)) {
      case 0 -> increment(pick(random, keys.gCounters()), 1 + random.nextInt(5));
      case 1 -> {
        long amount = 1 + random.nextInt(5);
        add(pick(random, keys.pnCounters()), random.nextInt(10) < 6 ? amount : -amount);
      }
      case 2 -> {
        Key<ORSet<String>> set = pick(random, keys.sets());
        String element = pick(random, pool);
        if (random.nextInt(100) < 55) {
          add(set, element);
        } else {
          remove(set, element);
        }
      }
      default -> assign(pick(random, keys.registers()), tag);
    }
  }

  private static <T> T pick(Random random, List<T> list) {
    return list.get(random.nextInt(list.size()));
  }
}
