package dev.converge.sync;

import dev.converge.crdt.TypedState;

/** Receives the changes of keys matched by {@link Replicator#subscribePrefix}. */
@FunctionalInterface
public interface ChangeListener {

  /**
   * A key changed.
   *
   * @param key the key's name
   * @param state its new state and type
   * @param local true if the change is a local update, false if it came from a peer
   */
  void changed(String key, TypedState<?> state, boolean local);
}
