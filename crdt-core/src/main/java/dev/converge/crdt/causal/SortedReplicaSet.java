package dev.converge.crdt.causal;

import dev.converge.crdt.ReplicaId;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * An unmodifiable set view of a sorted, duplicate-free replica array that its owner never mutates
 * (the arrays of {@link VersionVector} and {@link CausalContext}). Iterates in ascending order;
 * {@code contains} is a binary search. Creating one copies nothing.
 */
final class SortedReplicaSet extends AbstractSet<ReplicaId> {

  private final ReplicaId[] replicas;

  SortedReplicaSet(ReplicaId[] replicas) {
    this.replicas = replicas;
  }

  @Override
  public boolean contains(Object o) {
    return o instanceof ReplicaId replica && Arrays.binarySearch(replicas, replica) >= 0;
  }

  @Override
  public int size() {
    return replicas.length;
  }

  @Override
  public Iterator<ReplicaId> iterator() {
    return new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < replicas.length;
      }

      @Override
      public ReplicaId next() {
        if (next == replicas.length) {
          throw new NoSuchElementException();
        }
        return replicas[next++];
      }
    };
  }
}
