package dev.converge.store;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.Key;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.Mutator;
import dev.converge.crdt.TypedState;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * The replica state of one node: one CRDT state per key, changed only by joins. The store is the
 * source of truth for what the node has acknowledged.
 *
 * <p>Contract, for every implementation:
 *
 * <ol>
 *   <li>Merge-on-write only: a key's state after any operation is the join of its state before and
 *       what was written; it never goes down.
 *   <li>A returned future completes only once the write is durable under {@link #durability()}.
 *       Failures complete the future exceptionally; methods never throw for I/O or input problems.
 *   <li>Writes to one key are applied one at a time in the order they were issued by one thread;
 *       mutators run on the store's writer, must be pure and must not block.
 *   <li>Reading a key never written gives its type's {@code empty()} state; reading it with another
 *       type than it holds fails with {@link StoreException.TypeMismatch}.
 *   <li>Futures may complete on a store thread: callers on an event loop hop back themselves.
 * </ol>
 *
 * <p>Open one with {@link ReplicaStores#open}.
 */
public interface ReplicaStore extends AutoCloseable {

  /** This node's identity in this store; its replica id authors local writes. */
  NodeIdentity identity();

  /** When writes are acknowledged. */
  Durability durability();

  /**
   * True if writes run on the calling thread and return completed futures (the in-memory store); a
   * caller on an event loop then moves joins that visit a whole state (a full state from a peer) to
   * a worker thread. False by default: writes run on the store's own threads.
   */
  default boolean writesOnCallerThread() {
    return false;
  }

  /** The state of {@code key}, or its type's empty state. */
  <T extends Crdt<T>> CompletableFuture<T> read(Key<T> key);

  /** The state of the key named {@code name} with its type, if it was ever written. */
  CompletableFuture<Optional<TypedState<?>>> read(String name);

  /**
   * Runs {@code mutator} on the key's current state as this node's replica and stores the result.
   * Completes with the mutation (new state and delta) once durable.
   */
  <T extends Crdt<T>> CompletableFuture<Mutation<T>> update(Key<T> key, Mutator<T> mutator);

  /** Joins a state or delta received from a peer into {@code key}; completes once durable. */
  <T extends Crdt<T>> CompletableFuture<Merged<T>> merge(Key<T> key, T stateOrDelta);

  /** Joins a decoded state or delta into the key named {@code name}; completes once durable. */
  CompletableFuture<Merged<?>> merge(String name, TypedState<?> stateOrDelta);

  /**
   * Replaces the state of the key named {@code name} by {@code rewrite} applied to it: the one
   * write that is not a join (an exception to rule 1 below the class), for pruning the ids of
   * removed replicas (docs/decisions/0011). Atomic with respect to every other write of the key:
   * the rewrite runs on the store's writer on the key's state at that point, must be pure, must not
   * block, and must return a state of the same type. Completes with the stored state once durable;
   * empty, without calling {@code rewrite}, if the key was never written.
   */
  CompletableFuture<Optional<TypedState<?>>> rewrite(
      String name, UnaryOperator<TypedState<?>> rewrite);

  /**
   * Keeps a small named value with the data, as durable as a write and ordered with the writes
   * issued before it: the cluster layer's own bookkeeping (its pruning progress), not user data.
   * Names and values are short strings; the in-memory store forgets them with its incarnation.
   */
  CompletableFuture<Void> putProperty(String name, String value);

  /** The value last put under {@code name}, if any. */
  Optional<String> property(String name);

  /**
   * Up to {@code limit} key names ascending, strictly after {@code after} (null: from the start).
   */
  CompletableFuture<List<String>> keys(String after, int limit);

  /** Number of keys ever written. */
  long keyCount();

  /** Flushes what is pending, closes files; idempotent. Later calls fail with {@code Closed}. */
  @Override
  void close();
}
