package dev.converge.crdt;

import dev.converge.crdt.causal.HybridLogicalClock;

/**
 * What a {@link Mutator} needs from the replica that runs it: the replica's identity (the author of
 * new dots and counter entries) and its clock (for last-writer-wins timestamps).
 */
public interface MutationContext {

  /** The replica performing the mutation. */
  ReplicaId replica();

  /** The replica's hybrid logical clock. */
  HybridLogicalClock clock();

  /** A context for a fixed replica and clock. */
  static MutationContext of(ReplicaId replica, HybridLogicalClock clock) {
    record Fixed(ReplicaId replica, HybridLogicalClock clock) implements MutationContext {}
    return new Fixed(
        java.util.Objects.requireNonNull(replica, "replica"),
        java.util.Objects.requireNonNull(clock, "clock"));
  }
}
