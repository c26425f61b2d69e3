package dev.converge.crdt.causal;

import dev.converge.crdt.ReplicaId;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.function.ObjLongConsumer;

/**
 * An immutable map from replica to a non-negative counter, joined by pointwise maximum. Absent
 * replicas count as zero and zero entries are never stored, so equal vectors are equal objects.
 *
 * <p>Used as the payload of {@code GCounter} (Shapiro et al. [1] §3.1.1) and as the compact part of
 * a causal context. Its size is the number of replicas that ever wrote, not the size of any data
 * set, so copy-on-write updates cost O(replicas).
 *
 * <p>[1] Shapiro, Preguiça, Baquero, Zawirski. A comprehensive study of Convergent and Commutative
 * Replicated Data Types. INRIA RR-7506, 2011.
 */
public final class VersionVector {

  private static final VersionVector EMPTY = new VersionVector(new ReplicaId[0], new long[0]);

  /* Parallel arrays sorted by replica; every counter > 0. Never mutated after construction. */
  private final ReplicaId[] replicas;
  private final long[] counters;

  private VersionVector(ReplicaId[] replicas, long[] counters) {
    this.replicas = replicas;
    this.counters = counters;
  }

  /** The vector with no entries. */
  public static VersionVector empty() {
    return EMPTY;
  }

  /** Number of replicas with a non-zero counter. */
  public int size() {
    return replicas.length;
  }

  public boolean isEmpty() {
    return replicas.length == 0;
  }

  /** The counter of {@code replica}, zero if absent. */
  public long get(ReplicaId replica) {
    int i = Arrays.binarySearch(replicas, replica);
    return i >= 0 ? counters[i] : 0L;
  }

  /**
   * Returns this vector with {@code replica}'s counter set to {@code counter}; zero removes the
   * entry.
   *
   * @throws IllegalArgumentException if {@code counter < 0}
   */
  public VersionVector with(ReplicaId replica, long counter) {
    Objects.requireNonNull(replica, "replica");
    if (counter < 0) {
      throw new IllegalArgumentException("counter must be >= 0, got " + counter);
    }
    int i = Arrays.binarySearch(replicas, replica);
    if (i >= 0) {
      if (counters[i] == counter) {
        return this;
      }
      if (counter == 0) {
        return without(i);
      }
      long[] newCounters = counters.clone();
      newCounters[i] = counter;
      return new VersionVector(replicas, newCounters);
    }
    if (counter == 0) {
      return this;
    }
    int at = -i - 1;
    ReplicaId[] newReplicas = new ReplicaId[replicas.length + 1];
    long[] newCounters = new long[counters.length + 1];
    System.arraycopy(replicas, 0, newReplicas, 0, at);
    System.arraycopy(counters, 0, newCounters, 0, at);
    newReplicas[at] = replica;
    newCounters[at] = counter;
    System.arraycopy(replicas, at, newReplicas, at + 1, replicas.length - at);
    System.arraycopy(counters, at, newCounters, at + 1, counters.length - at);
    return new VersionVector(newReplicas, newCounters);
  }

  /** Returns this vector without {@code replica}'s entry; {@code this} if it has none. */
  public VersionVector without(ReplicaId replica) {
    int i = Arrays.binarySearch(replicas, Objects.requireNonNull(replica, "replica"));
    return i < 0 ? this : without(i);
  }

  /** The replicas with a non-zero counter, ascending: an unmodifiable view, O(1) to create. */
  public Set<ReplicaId> replicas() {
    return new SortedReplicaSet(replicas);
  }

  private VersionVector without(int index) {
    if (replicas.length == 1) {
      return EMPTY;
    }
    ReplicaId[] newReplicas = new ReplicaId[replicas.length - 1];
    long[] newCounters = new long[counters.length - 1];
    System.arraycopy(replicas, 0, newReplicas, 0, index);
    System.arraycopy(counters, 0, newCounters, 0, index);
    System.arraycopy(replicas, index + 1, newReplicas, index, replicas.length - index - 1);
    System.arraycopy(counters, index + 1, newCounters, index, counters.length - index - 1);
    return new VersionVector(newReplicas, newCounters);
  }

  /** Pointwise maximum. Commutative, associative, idempotent; O(size + other.size). */
  public VersionVector merge(VersionVector other) {
    if (other == this || other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    ReplicaId[] outReplicas = new ReplicaId[replicas.length + other.replicas.length];
    long[] outCounters = new long[outReplicas.length];
    int i = 0;
    int j = 0;
    int n = 0;
    boolean sameAsThis = true;
    boolean sameAsOther = true;
    while (i < replicas.length || j < other.replicas.length) {
      int cmp =
          i == replicas.length
              ? 1
              : j == other.replicas.length ? -1 : replicas[i].compareTo(other.replicas[j]);
      if (cmp < 0) {
        sameAsOther = false;
        outReplicas[n] = replicas[i];
        outCounters[n++] = counters[i++];
      } else if (cmp > 0) {
        sameAsThis = false;
        outReplicas[n] = other.replicas[j];
        outCounters[n++] = other.counters[j++];
      } else {
        long a = counters[i++];
        long b = other.counters[j++];
        sameAsThis &= a >= b;
        sameAsOther &= b >= a;
        outReplicas[n] = replicas[i - 1];
        outCounters[n++] = Math.max(a, b);
      }
    }
    if (sameAsThis) {
      return this;
    }
    if (sameAsOther) {
      return other;
    }
    return new VersionVector(Arrays.copyOf(outReplicas, n), Arrays.copyOf(outCounters, n));
  }

  /** True if every counter of this vector is {@code <=} the same counter in {@code other}. */
  public boolean isBelowOrEqual(VersionVector other) {
    for (int i = 0; i < replicas.length; i++) {
      if (counters[i] > other.get(replicas[i])) {
        return false;
      }
    }
    return true;
  }

  /** True if {@code dot.counter() <= get(dot.replica())}. */
  public boolean contains(Dot dot) {
    return dot.counter() <= get(dot.replica());
  }

  /** Sum of all counters. @throws ArithmeticException if the sum overflows a long */
  public long sum() {
    long sum = 0;
    for (long c : counters) {
      sum = Math.addExact(sum, c);
    }
    return sum;
  }

  /** Visits the entries in replica order. */
  public void forEach(ObjLongConsumer<ReplicaId> action) {
    for (int i = 0; i < replicas.length; i++) {
      action.accept(replicas[i], counters[i]);
    }
  }

  /** Builds vectors from entries in any order; later entries for a replica keep the maximum. */
  public static Builder builder() {
    return new Builder();
  }

  /** A single-use builder; not thread-safe. */
  public static final class Builder {
    private ReplicaId[] replicas = new ReplicaId[4];
    private long[] counters = new long[4];
    private int size;
    private boolean sorted = true;

    private Builder() {}

    /** Adds an entry; a zero counter is ignored. @throws IllegalArgumentException if negative */
    public Builder put(ReplicaId replica, long counter) {
      Objects.requireNonNull(replica, "replica");
      if (counter < 0) {
        throw new IllegalArgumentException("counter must be >= 0, got " + counter);
      }
      if (counter == 0) {
        return this;
      }
      if (size == replicas.length) {
        replicas = Arrays.copyOf(replicas, size * 2);
        counters = Arrays.copyOf(counters, size * 2);
      }
      if (size > 0 && replicas[size - 1].compareTo(replica) >= 0) {
        sorted = false;
      }
      replicas[size] = replica;
      counters[size++] = counter;
      return this;
    }

    public VersionVector build() {
      if (size == 0) {
        return EMPTY;
      }
      if (sorted) {
        return new VersionVector(Arrays.copyOf(replicas, size), Arrays.copyOf(counters, size));
      }
      Integer[] order = new Integer[size];
      for (int i = 0; i < size; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> replicas[a].compareTo(replicas[b]));
      ReplicaId[] outReplicas = new ReplicaId[size];
      long[] outCounters = new long[size];
      int n = 0;
      for (int index : order) {
        if (n > 0 && outReplicas[n - 1].equals(replicas[index])) {
          outCounters[n - 1] = Math.max(outCounters[n - 1], counters[index]);
        } else {
          outReplicas[n] = replicas[index];
          outCounters[n++] = counters[index];
        }
      }
      return new VersionVector(Arrays.copyOf(outReplicas, n), Arrays.copyOf(outCounters, n));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VersionVector other
        && Arrays.equals(replicas, other.replicas)
        && Arrays.equals(counters, other.counters);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(replicas) + Arrays.hashCode(counters);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < replicas.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(replicas[i]).append('=').append(counters[i]);
    }
    return sb.append('}').toString();
  }
}
