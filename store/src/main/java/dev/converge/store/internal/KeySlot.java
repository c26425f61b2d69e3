package dev.converge.store.internal;

import dev.converge.crdt.TypedState;
import java.util.Objects;

/**
 * What the durable store knows of one key: its decoded state and the bookkeeping that decides when
 * its delta log is folded. Immutable; a cache entry of {@link DurableReplicaStore}.
 *
 * @param typed the key's full state with its type
 * @param stateBytes encoded size of the key's stored full-state record, 0 if it has none
 * @param logBytes encoded size of the deltas logged since that record
 * @param logCount number of deltas logged since that record
 * @param version sequence number of the newest record of the key; sequence numbers are never
 *     reused, so an equal version means the same stored content
 */
record KeySlot(TypedState<?> typed, int stateBytes, long logBytes, int logCount, long version) {

  KeySlot {
    Objects.requireNonNull(typed, "typed");
  }

  /** The slot after one more delta of {@code deltaBytes} with sequence number {@code seq}. */
  KeySlot withDelta(TypedState<?> newState, int deltaBytes, long seq) {
    return new KeySlot(newState, stateBytes, logBytes + deltaBytes, logCount + 1, seq);
  }

  /** The slot after its state was stored whole ({@code bytes} long, at {@code seq}), log empty. */
  KeySlot folded(int bytes, long seq) {
    return new KeySlot(typed, bytes, 0, 0, seq);
  }

  /**
   * True once the log is worth folding: its bytes reached {@code max(minBytes, stateBytes / 2)}, so
   * a fold (which writes {@code stateBytes}) costs at most twice the bytes logged before it.
   */
  boolean shouldFold(int minBytes) {
    return logCount > 0 && logBytes >= Math.max(minBytes, stateBytes / 2L);
  }
}
