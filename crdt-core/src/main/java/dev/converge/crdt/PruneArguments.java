package dev.converge.crdt;

import java.util.Objects;

/** The argument check every {@link ReplicaPruning#prune} implementation shares. */
final class PruneArguments {

  private PruneArguments() {}

  /**
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code removed} equals {@code owner}
   */
  static void check(ReplicaId removed, ReplicaId owner) {
    Objects.requireNonNull(removed, "removed");
    Objects.requireNonNull(owner, "owner");
    if (removed.equals(owner)) {
      throw new IllegalArgumentException("cannot prune replica " + removed + " into itself");
    }
  }
}
