package dev.converge.store.internal;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.TypedState;
import dev.converge.store.StoreException;

/** Type checks shared by the store implementations. Not part of the public API. */
final class StoreStates {

  private StoreStates() {}

  /** The stored state as a {@code T}, or a {@link StoreException.TypeMismatch}. */
  static <T extends Crdt<T>> T as(String key, TypedState<?> stored, CrdtType<T> type) {
    if (!stored.type().tag().equals(type.tag())) {
      throw new StoreException.TypeMismatch(key, stored.type().tag(), type.tag());
    }
    return type.cast(stored.state());
  }
}
