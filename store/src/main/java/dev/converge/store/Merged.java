package dev.converge.store;

import dev.converge.crdt.Crdt;
import java.util.Objects;

/**
 * The result of merging a received state or delta into a key.
 *
 * @param state the key's state after the merge
 * @param changed false if the state already included what was merged (a duplicate)
 * @param <T> the CRDT type
 */
public record Merged<T extends Crdt<T>>(T state, boolean changed) {

  public Merged {
    Objects.requireNonNull(state, "state");
  }
}
