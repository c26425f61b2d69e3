package dev.converge.crdt.causal;

import dev.converge.crdt.ReplicaId;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * An immutable set of dots: the events a replica state has seen, whether their effect is still
 * visible or was removed since. Used by the add-wins OR-Set to tell "never seen" from "removed"
 * without tombstones (Bieniusa et al. [1]; Almeida et al. [2] §4).
 *
 * <p>The classic representation is a version vector (the contiguous prefix {@code 1..n} of each
 * replica's dots) plus a <em>dot cloud</em> of dots outside that prefix. This class generalises it:
 * per replica it stores a sorted list of disjoint, non-adjacent closed intervals of counters. The
 * compact part is the interval starting at 1 (see {@link #compactPart()}), the rest is the dot
 * cloud. Compaction is therefore automatic and the representation canonical: equal sets of dots are
 * equal objects. A delta group that holds 10,000 consecutive adds of one replica is one interval,
 * not 10,000 cloud entries.
 *
 * <p>Cost: {@link #add} and {@link #contains} are O(replicas + intervals of that replica), {@link
 * #merge} is linear in both sizes; none depends on how many elements a data type holds.
 *
 * <p>[1] Bieniusa, Zawirski, Preguiça, Shapiro, Baquero, Balegas, Duarte. An optimized
 * conflict-free replicated set. arXiv:1210.3368, 2012. <br>
 * [2] Almeida, Shoker, Baquero. Delta State Replicated Data Types. JPDC 111, 2018.
 */
public final class CausalContext {

  private static final CausalContext EMPTY = new CausalContext(new ReplicaId[0], new long[0][]);

  /* Sorted by replica. ranges[i] holds [lo0, hi0, lo1, hi1, ...]: 1 <= lo <= hi, and
   * lo(k+1) > hi(k) + 1 (disjoint, not adjacent). No replica has an empty list. */
  private final ReplicaId[] replicas;
  private final long[][] ranges;

  private CausalContext(ReplicaId[] replicas, long[][] ranges) {
    this.replicas = replicas;
    this.ranges = ranges;
  }

  /** The context with no dots. */
  public static CausalContext empty() {
    return EMPTY;
  }

  /** The context holding dots {@code (r, 1..vv[r])} for every replica of {@code vv}. */
  public static CausalContext of(VersionVector vv) {
    if (vv.isEmpty()) {
      return EMPTY;
    }
    Builder builder = builder();
    vv.forEach((replica, counter) -> builder.addRange(replica, 1, counter));
    return builder.build();
  }

  /** A context holding the single dot. */
  public static CausalContext of(Dot dot) {
    return new CausalContext(
        new ReplicaId[] {dot.replica()}, new long[][] {{dot.counter(), dot.counter()}});
  }

  /**
   * The context holding exactly {@code dots}, given in any order, repeats allowed. O(k log k) for k
   * dots: for many dots at once, where {@link #add} one at a time copies the interval list each
   * time.
   */
  public static CausalContext ofDots(Collection<Dot> dots) {
    if (dots.isEmpty()) {
      return EMPTY;
    }
    Map<ReplicaId, Counters> byReplica = new TreeMap<>();
    ReplicaId lastReplica = null;
    Counters last = null;
    for (Dot dot : dots) {
      if (dot.replica() != lastReplica) { // runs of one replica's dots skip the lookup
        lastReplica = dot.replica();
        last = byReplica.computeIfAbsent(lastReplica, r -> new Counters());
      }
      last.add(dot.counter());
    }
    Builder builder = builder();
    byReplica.forEach((replica, counters) -> counters.addSortedTo(builder, replica));
    return builder.build();
  }

  public boolean isEmpty() {
    return replicas.length == 0;
  }

  /** True if the context holds {@code dot}. */
  public boolean contains(Dot dot) {
    return contains(dot.replica(), dot.counter());
  }

  /** True if the context holds the dot {@code (replica, counter)}. */
  public boolean contains(ReplicaId replica, long counter) {
    int i = Arrays.binarySearch(replicas, replica);
    return i >= 0 && rangeIndexContaining(ranges[i], counter) >= 0;
  }

  /** The highest counter of {@code replica} in this context, 0 if none. */
  public long maxCounter(ReplicaId replica) {
    int i = Arrays.binarySearch(replicas, replica);
    return i >= 0 ? ranges[i][ranges[i].length - 1] : 0L;
  }

  /**
   * The dot {@code replica} would issue next: one past its highest counter here.
   *
   * @throws ArithmeticException if the replica's counters are exhausted
   */
  public Dot nextDot(ReplicaId replica) {
    return new Dot(replica, Math.addExact(maxCounter(replica), 1));
  }

  /** Returns this context with {@code dot} added; {@code this} if already present. */
  public CausalContext add(Dot dot) {
    ReplicaId replica = dot.replica();
    long c = dot.counter();
    int i = Arrays.binarySearch(replicas, replica);
    if (i < 0) {
      int at = -i - 1;
      ReplicaId[] newReplicas = new ReplicaId[replicas.length + 1];
      long[][] newRanges = new long[ranges.length + 1][];
      System.arraycopy(replicas, 0, newReplicas, 0, at);
      System.arraycopy(ranges, 0, newRanges, 0, at);
      newReplicas[at] = replica;
      newRanges[at] = new long[] {c, c};
      System.arraycopy(replicas, at, newReplicas, at + 1, replicas.length - at);
      System.arraycopy(ranges, at, newRanges, at + 1, ranges.length - at);
      return new CausalContext(newReplicas, newRanges);
    }
    long[] merged = insert(ranges[i], c);
    if (merged == ranges[i]) {
      return this;
    }
    long[][] newRanges = ranges.clone();
    newRanges[i] = merged;
    return new CausalContext(replicas, newRanges);
  }

  /**
   * Returns this context with the dots {@code (replica, from..to)} added; {@code this} if they are
   * all present already. O(replicas + intervals of that replica).
   *
   * @throws IllegalArgumentException if {@code from < 1} or {@code to < from}
   */
  public CausalContext addRange(ReplicaId replica, long from, long to) {
    Objects.requireNonNull(replica, "replica");
    if (from < 1 || to < from) {
      throw new IllegalArgumentException("bad interval [" + from + ", " + to + "]");
    }
    int i = Arrays.binarySearch(replicas, replica);
    if (i < 0) {
      int at = -i - 1;
      ReplicaId[] newReplicas = new ReplicaId[replicas.length + 1];
      long[][] newRanges = new long[ranges.length + 1][];
      System.arraycopy(replicas, 0, newReplicas, 0, at);
      System.arraycopy(ranges, 0, newRanges, 0, at);
      newReplicas[at] = replica;
      newRanges[at] = new long[] {from, to};
      System.arraycopy(replicas, at, newReplicas, at + 1, replicas.length - at);
      System.arraycopy(ranges, at, newRanges, at + 1, ranges.length - at);
      return new CausalContext(newReplicas, newRanges);
    }
    long[] union = union(ranges[i], new long[] {from, to});
    if (Arrays.equals(union, ranges[i])) {
      return this;
    }
    long[][] newRanges = ranges.clone();
    newRanges[i] = union;
    return new CausalContext(replicas, newRanges);
  }

  /**
   * Returns this context without any dot of {@code replica}; {@code this} if it has none. Used to
   * forget a replica that left the cluster for good. O(replicas).
   */
  public CausalContext without(ReplicaId replica) {
    int i = Arrays.binarySearch(replicas, Objects.requireNonNull(replica, "replica"));
    if (i < 0) {
      return this;
    }
    if (replicas.length == 1) {
      return EMPTY;
    }
    ReplicaId[] newReplicas = new ReplicaId[replicas.length - 1];
    long[][] newRanges = new long[ranges.length - 1][];
    System.arraycopy(replicas, 0, newReplicas, 0, i);
    System.arraycopy(ranges, 0, newRanges, 0, i);
    System.arraycopy(replicas, i + 1, newReplicas, i, replicas.length - i - 1);
    System.arraycopy(ranges, i + 1, newRanges, i, ranges.length - i - 1);
    return new CausalContext(newReplicas, newRanges);
  }

  /**
   * Returns this context with every dot {@code (from, c)} replaced by {@code (to, offset + c)};
   * {@code this} if {@code from} has none. Used to translate late data of a pruned replica.
   * O(replicas + intervals of both replicas).
   *
   * @throws ArithmeticException if a renamed counter would overflow a long
   */
  public CausalContext renamed(ReplicaId from, ReplicaId to, long offset) {
    int i = Arrays.binarySearch(replicas, Objects.requireNonNull(from, "from"));
    if (i < 0) {
      return this;
    }
    long[] r = ranges[i];
    CausalContext result = without(from);
    for (int k = 0; k < r.length; k += 2) {
      result = result.addRange(to, Math.addExact(offset, r[k]), Math.addExact(offset, r[k + 1]));
    }
    return result;
  }

  /** The replicas with at least one dot here, ascending: an unmodifiable view, O(1) to create. */
  public Set<ReplicaId> replicas() {
    return new SortedReplicaSet(replicas);
  }

  /** Set union. Commutative, associative, idempotent. */
  public CausalContext merge(CausalContext other) {
    if (other == this || other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    ReplicaId[] outReplicas = new ReplicaId[replicas.length + other.replicas.length];
    long[][] outRanges = new long[outReplicas.length][];
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
        outRanges[n++] = ranges[i++];
      } else if (cmp > 0) {
        sameAsThis = false;
        outReplicas[n] = other.replicas[j];
        outRanges[n++] = other.ranges[j++];
      } else {
        long[] union = union(ranges[i], other.ranges[j]);
        sameAsThis &= Arrays.equals(union, ranges[i]);
        sameAsOther &= Arrays.equals(union, other.ranges[j]);
        outReplicas[n] = replicas[i];
        outRanges[n++] = union;
        i++;
        j++;
      }
    }
    if (sameAsThis) {
      return this;
    }
    if (sameAsOther) {
      return other;
    }
    return new CausalContext(Arrays.copyOf(outReplicas, n), Arrays.copyOf(outRanges, n));
  }

  /** True if every dot of this context is in {@code other}. */
  public boolean isSubsetOf(CausalContext other) {
    for (int i = 0; i < replicas.length; i++) {
      int j = Arrays.binarySearch(other.replicas, replicas[i]);
      if (j < 0) {
        return false;
      }
      long[] mine = ranges[i];
      long[] theirs = other.ranges[j];
      for (int k = 0; k < mine.length; k += 2) {
        int at = rangeIndexContaining(theirs, mine[k]);
        if (at < 0 || theirs[at + 1] < mine[k + 1]) {
          return false;
        }
      }
    }
    return true;
  }

  /** The compacted part: for each replica whose dots start at 1, the end of that first run. */
  public VersionVector compactPart() {
    VersionVector.Builder builder = VersionVector.builder();
    for (int i = 0; i < replicas.length; i++) {
      if (ranges[i][0] == 1) {
        builder.put(replicas[i], ranges[i][1]);
      }
    }
    return builder.build();
  }

  /** True if the context is a plain version vector: no dot cloud. */
  public boolean isCompact() {
    for (long[] r : ranges) {
      if (r.length != 2 || r[0] != 1) {
        return false;
      }
    }
    return true;
  }

  /** Number of intervals over all replicas: the size of the encoded context. */
  public int intervalCount() {
    int count = 0;
    for (long[] r : ranges) {
      count += r.length / 2;
    }
    return count;
  }

  /** Receives the intervals of one replica; see {@link #forEachInterval}. */
  @FunctionalInterface
  public interface IntervalVisitor {
    void visit(ReplicaId replica, long from, long to);
  }

  /** Visits every interval in replica, then counter order. */
  public void forEachInterval(IntervalVisitor visitor) {
    for (int i = 0; i < replicas.length; i++) {
      long[] r = ranges[i];
      for (int k = 0; k < r.length; k += 2) {
        visitor.visit(replicas[i], r[k], r[k + 1]);
      }
    }
  }

  /** Returns a builder that accepts intervals in canonical order only. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builds a context from intervals given in canonical order: replicas strictly increasing, and per
   * replica intervals sorted, disjoint and not adjacent. The strictness makes every encoding of a
   * context unique, so decoders reject non-canonical input instead of normalising it. Single use:
   * after {@link #build()} it rejects further calls. Not thread-safe.
   */
  public static final class Builder {
    private ReplicaId[] replicas = new ReplicaId[4];
    private long[][] ranges = new long[4][];
    private int size;
    private long[] current = new long[8];
    private int currentLength;
    private boolean built;

    private Builder() {}

    /**
     * Adds the dots {@code (replica, from..to)}.
     *
     * @throws IllegalArgumentException if the interval is empty, starts below 1, or breaks the
     *     canonical order
     */
    public Builder addRange(ReplicaId replica, long from, long to) {
      Objects.requireNonNull(replica, "replica");
      if (built) {
        throw new IllegalStateException("builder already built");
      }
      if (from < 1 || to < from) {
        throw new IllegalArgumentException("bad interval [" + from + ", " + to + "]");
      }
      if (size > 0 && replicas[size - 1].equals(replica)) {
        long prevTo = current[currentLength - 1];
        if (prevTo == Long.MAX_VALUE || from <= prevTo + 1) {
          throw new IllegalArgumentException(
              "intervals of " + replica + " overlap, touch or are unsorted at " + from);
        }
      } else {
        if (size > 0 && replicas[size - 1].compareTo(replica) > 0) {
          throw new IllegalArgumentException("replicas out of order at " + replica);
        }
        flush();
        if (size == replicas.length) {
          replicas = Arrays.copyOf(replicas, size * 2);
          ranges = Arrays.copyOf(ranges, size * 2);
        }
        replicas[size++] = replica;
      }
      if (currentLength + 2 > current.length) {
        current = Arrays.copyOf(current, current.length * 2);
      }
      current[currentLength++] = from;
      current[currentLength++] = to;
      return this;
    }

    private void flush() {
      if (size > 0 && currentLength > 0) {
        ranges[size - 1] = Arrays.copyOf(current, currentLength);
        currentLength = 0;
      }
    }

    public CausalContext build() {
      if (built) {
        throw new IllegalStateException("builder already built");
      }
      built = true;
      flush();
      if (size == 0) {
        return EMPTY;
      }
      return new CausalContext(Arrays.copyOf(replicas, size), Arrays.copyOf(ranges, size));
    }
  }

  /* The counters of one replica, in any order, for ofDots. */
  private static final class Counters {
    private long[] values = new long[8];
    private int size;

    void add(long counter) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = counter;
    }

    /* Sorts, then hands each run of consecutive counters to the builder as one interval. */
    void addSortedTo(Builder builder, ReplicaId replica) {
      Arrays.sort(values, 0, size);
      long from = values[0];
      long to = from;
      for (int i = 1; i < size; i++) {
        long c = values[i];
        if (c - 1 > to) { // c >= 1: no overflow
          builder.addRange(replica, from, to);
          from = c;
        }
        to = Math.max(to, c);
      }
      builder.addRange(replica, from, to);
    }
  }

  /* Index k (even) of the interval holding c, or -1. Binary search over interval starts. */
  private static int rangeIndexContaining(long[] r, long c) {
    int lo = 0;
    int hi = r.length / 2 - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (r[2 * mid + 1] < c) {
        lo = mid + 1;
      } else if (r[2 * mid] > c) {
        hi = mid - 1;
      } else {
        return 2 * mid;
      }
    }
    return -1;
  }

  /* Inserts counter c into canonical interval list r; returns r itself if already present. */
  private static long[] insert(long[] r, long c) {
    int n = r.length / 2;
    // first interval whose end >= c - 1 (c may extend it or lie inside it)
    int k = 0;
    while (k < n && r[2 * k + 1] < c - 1) {
      k++;
    }
    if (k < n && r[2 * k] <= c && c <= r[2 * k + 1]) {
      return r;
    }
    boolean extendsLeft = k < n && r[2 * k + 1] == c - 1;
    boolean extendsRight =
        extendsLeft ? k + 1 < n && r[2 * k + 2] == c + 1 : k < n && r[2 * k] == c + 1;
    if (extendsLeft && extendsRight) { // joins intervals k and k+1
      long[] out = new long[r.length - 2];
      System.arraycopy(r, 0, out, 0, 2 * k + 1);
      out[2 * k + 1] = r[2 * k + 3];
      System.arraycopy(r, 2 * k + 4, out, 2 * k + 2, r.length - 2 * k - 4);
      return out;
    }
    if (extendsLeft) {
      long[] out = r.clone();
      out[2 * k + 1] = c;
      return out;
    }
    if (extendsRight) {
      long[] out = r.clone();
      out[2 * k] = c;
      return out;
    }
    long[] out = new long[r.length + 2];
    System.arraycopy(r, 0, out, 0, 2 * k);
    out[2 * k] = c;
    out[2 * k + 1] = c;
    System.arraycopy(r, 2 * k, out, 2 * k + 2, r.length - 2 * k);
    return out;
  }

  /* Union of two canonical interval lists, canonical again. */
  private static long[] union(long[] a, long[] b) {
    long[] out = new long[a.length + b.length];
    int n = 0;
    int i = 0;
    int j = 0;
    while (i < a.length || j < b.length) {
      long lo;
      long hi;
      if (j == b.length || (i < a.length && a[i] <= b[j])) {
        lo = a[i];
        hi = a[i + 1];
        i += 2;
      } else {
        lo = b[j];
        hi = b[j + 1];
        j += 2;
      }
      if (n > 0 && lo - 1 <= out[n - 1]) { // lo >= 1: no overflow
        out[n - 1] = Math.max(out[n - 1], hi);
      } else {
        out[n++] = lo;
        out[n++] = hi;
      }
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CausalContext other
        && Arrays.equals(replicas, other.replicas)
        && Arrays.deepEquals(ranges, other.ranges);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(replicas) + Arrays.deepHashCode(ranges);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < replicas.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(replicas[i]).append('=');
      long[] r = ranges[i];
      for (int k = 0; k < r.length; k += 2) {
        sb.append(k == 0 ? "[" : ",").append(r[k]);
        if (r[k + 1] != r[k]) {
          sb.append("..").append(r[k + 1]);
        }
      }
      sb.append(']');
    }
    return sb.append('}').toString();
  }
}
