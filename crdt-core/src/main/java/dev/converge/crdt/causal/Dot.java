package dev.converge.crdt.causal;

import dev.converge.crdt.ReplicaId;
import java.util.Objects;

/**
 * A dot: the unique identity of one event, the {@code counter}-th event issued by {@code replica}.
 * Counters start at 1. Dots are ordered by replica, then counter.
 */
public record Dot(ReplicaId replica, long counter) implements Comparable<Dot> {

  /**
   * @throws IllegalArgumentException if {@code counter < 1}
   */
  public Dot {
    Objects.requireNonNull(replica, "replica");
    if (counter < 1) {
      throw new IllegalArgumentException("dot counter must be >= 1, got " + counter);
    }
  }

  @Override
  public int compareTo(Dot other) {
    int byReplica = replica.compareTo(other.replica);
    return byReplica != 0 ? byReplica : Long.compare(counter, other.counter);
  }

  @Override
  public String toString() {
    return replica + ":" + counter;
  }
}
