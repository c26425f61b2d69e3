package dev.converge.store.internal;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.Mutator;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.internal.LawfulMutator;
import dev.converge.store.StoreException;
import java.util.Objects;
import java.util.function.UnaryOperator;

/** State rules shared by the store implementations. Not part of the public API. */
final class StoreStates {

  private StoreStates() {}

  /** The stored state as a {@code T}, or a {@link StoreException.TypeMismatch}. */
  static <T extends Crdt<T>> T as(String key, TypedState<?> stored, CrdtType<T> type) {
    if (!stored.type().tag().equals(type.tag())) {
      throw new StoreException.TypeMismatch(key, stored.type().tag(), type.tag());
    }
    return type.cast(stored.state());
  }

  /**
   * What a local write stores: the current state joined with the mutator's delta, never the state
   * the mutator returned. A mutator that ignores its input or works on a stale copy therefore
   * cannot lower the replica (issue 13): its delta only adds what the current state lacks. For a
   * law-abiding mutator {@code before ⊔ delta} equals the state it returned, so nothing changes;
   * the join visits only the delta (O(delta), see each type's merge), so the write path keeps its
   * cost. When the delta adds nothing, the result is {@code before} itself with an empty delta, so
   * a stale mutator's delta (which may reuse dots the replica already issued) is never shipped.
   * Types return the receiver from a merge that adds nothing, so the check is by reference. The
   * library's own mutators ({@link LawfulMutator}) skip the join: for them it is the identity.
   */
  static <T extends Crdt<T>> Mutation<T> inflate(
      CrdtType<T> type, T before, Mutator<T> mutator, Mutation<T> mutation) {
    if (mutator instanceof LawfulMutator) {
      return mutation; // the library's own mutators: state == before ⊔ delta by the law suite
    }
    T after = before.merge(mutation.delta());
    if (after == before) {
      return new Mutation<>(before, type.empty());
    }
    return after == mutation.state() ? mutation : new Mutation<>(after, mutation.delta());
  }

  /** The meta-table name of property {@code name}; rejects names that are not short and plain. */
  static String propertyName(String name) {
    if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("bad property name: " + name);
    }
    return "property." + name;
  }

  /**
   * What a rewrite stores: the rewrite's result, which must be a state of the same type (a rewrite
   * changes a key's shape, never its type); the codec checks it encodes.
   */
  static TypedState<?> rewritten(
      String key, TypedState<?> before, UnaryOperator<TypedState<?>> rewrite) {
    TypedState<?> after = Objects.requireNonNull(rewrite.apply(before), "rewrite returned null");
    if (!after.type().tag().equals(before.type().tag())) {
      throw new StoreException.TypeMismatch(key, before.type().tag(), after.type().tag());
    }
    return after;
  }
}
