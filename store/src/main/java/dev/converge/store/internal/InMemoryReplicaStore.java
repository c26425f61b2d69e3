package dev.converge.store.internal;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.Key;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.MutationContext;
import dev.converge.crdt.Mutator;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.causal.HybridLogicalClock;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.store.Durability;
import dev.converge.store.Merged;
import dev.converge.store.NodeIdentity;
import dev.converge.store.ReplicaStore;
import dev.converge.store.StoreException;
import dev.converge.store.StoreOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * A replica store in memory: states in a concurrent sorted map, each write an atomic compute on its
 * key. Every process start is a new incarnation (nothing survives it). Not part of the public API.
 */
public final class InMemoryReplicaStore implements ReplicaStore {

  private final NodeIdentity identity;
  private final MutationContext context;
  private final CrdtCodec codec;
  private final int maxValueBytes;
  private final ConcurrentSkipListMap<String, Slot> states = new ConcurrentSkipListMap<>();
  private final java.util.Map<String, String> properties =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean closed;

  public InMemoryReplicaStore(StoreOptions options) {
    this.identity = NodeIdentity.fresh(options.getNodeId());
    this.codec = options.readCodec();
    this.maxValueBytes = options.getMaxValueBytes();
    this.context =
        MutationContext.of(
            identity.replicaId(), new HybridLogicalClock(options.getWallClockMillis()));
  }

  /*
   * A key's state and a bound on its encoded size: the size last measured plus the deltas written
   * since (the size check of StoreOptions.setMaxValueBytes, as in the durable store).
   */
  private record Slot(TypedState<?> typed, long sizeBound) {}

  private static TypedState<?> typed(Slot slot) {
    return slot == null ? null : slot.typed();
  }

  @Override
  public NodeIdentity identity() {
    return identity;
  }

  @Override
  public Durability durability() {
    return Durability.NONE;
  }

  @Override
  public boolean writesOnCallerThread() {
    return true;
  }

  @Override
  public <T extends Crdt<T>> CompletableFuture<T> read(Key<T> key) {
    return call(() -> stateOf(key, typed(states.get(key.name()))));
  }

  @Override
  public CompletableFuture<Optional<TypedState<?>>> read(String name) {
    return call(() -> Optional.ofNullable(typed(states.get(checkName(name)))));
  }

  @Override
  public <T extends Crdt<T>> CompletableFuture<Mutation<T>> update(Key<T> key, Mutator<T> mutator) {
    return call(
        () -> {
          AtomicReference<Mutation<T>> result = new AtomicReference<>();
          states.compute(
              key.name(),
              (name, old) -> {
                T before = stateOf(key, typed(old));
                Mutation<T> m =
                    StoreStates.inflate(
                        key.type(),
                        before,
                        mutator,
                        Objects.requireNonNull(
                            mutator.apply(before, context), "mutator returned null"));
                result.set(m);
                if (m.state() == before) {
                  return old; // changes nothing; does not create the key (as the durable store)
                }
                // Encode the delta, as the durable store does to log it: a value that cannot be
                // encoded (a string with an unpaired surrogate) could never be shipped, so the
                // write is refused here instead of poisoning replication. O(delta).
                long bound =
                    codec.encode(key.type(), m.delta()).length
                        + (old == null ? 0 : old.sizeBound());
                if (bound > maxValueBytes) {
                  bound = codec.encode(key.type(), m.state()).length;
                  // Past the limit only by joins from peers, a state may still shrink.
                  if (bound > maxValueBytes
                      && (old == null || bound > codec.encode(key.type(), before).length)) {
                    throw new StoreException.ValueTooLarge(name, bound, maxValueBytes);
                  }
                }
                return new Slot(new TypedState<>(key.type(), m.state()), bound);
              });
          return result.get();
        });
  }

  @Override
  public <T extends Crdt<T>> CompletableFuture<Merged<T>> merge(Key<T> key, T stateOrDelta) {
    return call(() -> mergeInto(key.name(), key.type(), stateOrDelta));
  }

  @Override
  public CompletableFuture<Merged<?>> merge(String name, TypedState<?> stateOrDelta) {
    return call(() -> mergeTyped(checkName(name), stateOrDelta));
  }

  private <T extends Crdt<T>> Merged<T> mergeTyped(String name, TypedState<T> typed) {
    return mergeInto(name, typed.type(), typed.state());
  }

  private <T extends Crdt<T>> Merged<T> mergeInto(String name, CrdtType<T> type, T stateOrDelta) {
    AtomicReference<Merged<T>> result = new AtomicReference<>();
    states.compute(
        name,
        (n, old) -> {
          T before = old == null ? type.empty() : StoreStates.as(n, old.typed(), type);
          T after = before.merge(type.cast(stateOrDelta));
          boolean changed = after != before && !after.equals(before);
          result.set(new Merged<>(changed ? after : before, changed));
          if (!changed) {
            return old;
          }
          // What was joined bounds the growth, as in the durable store's log. O(delta).
          long bound =
              codec.encode(type, type.cast(stateOrDelta)).length
                  + (old == null ? 0 : old.sizeBound());
          return new Slot(new TypedState<>(type, after), bound);
        });
    return result.get();
  }

  @Override
  public CompletableFuture<Void> putProperty(String name, String value) {
    properties.put(StoreStates.propertyName(name), java.util.Objects.requireNonNull(value));
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public Optional<String> property(String name) {
    return Optional.ofNullable(properties.get(StoreStates.propertyName(name)));
  }

  @Override
  public CompletableFuture<Optional<TypedState<?>>> rewrite(
      String name, UnaryOperator<TypedState<?>> rewrite) {
    Objects.requireNonNull(rewrite, "rewrite");
    return call(
        () ->
            Optional.ofNullable(
                typed(
                    states.computeIfPresent(
                        checkName(name),
                        (n, before) -> {
                          TypedState<?> after = StoreStates.rewritten(n, before.typed(), rewrite);
                          long bytes = encodeTyped(after); // storable, as in the durable store
                          return after.state().equals(before.typed().state())
                              ? before
                              : new Slot(after, bytes);
                        }))));
  }

  @Override
  public CompletableFuture<List<String>> keys(String after, int limit) {
    return call(
        () -> {
          if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
          }
          Map<String, Slot> tail = after == null ? states : states.tailMap(after, false);
          List<String> names = new ArrayList<>(Math.min(limit, 1024));
          for (String name : tail.keySet()) {
            if (names.size() >= limit) {
              break;
            }
            names.add(name);
          }
          return names;
        });
  }

  @Override
  public long keyCount() {
    return states.size();
  }

  @Override
  public void close() {
    closed = true;
  }

  private static String checkName(String name) {
    String problem = Key.validateName(Objects.requireNonNull(name, "name"));
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return name;
  }

  private <T extends Crdt<T>> T stateOf(Key<T> key, TypedState<?> stored) {
    return stored == null ? key.type().empty() : StoreStates.as(key.name(), stored, key.type());
  }

  private interface Body<R> {
    R run();
  }

  private <R> CompletableFuture<R> call(Body<R> body) {
    if (closed) {
      return CompletableFuture.failedFuture(new StoreException.Closed());
    }
    try {
      return CompletableFuture.completedFuture(body.run());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private <T extends Crdt<T>> long encodeTyped(TypedState<T> typed) {
    return codec.encode(typed.type(), typed.state()).length;
  }
}
