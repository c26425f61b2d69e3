package dev.converge.sync;

import java.time.Duration;
import java.util.Objects;

/**
 * The CAP choice of one operation: how many replicas must take part before a write ({@link
 * Replicator#update(dev.converge.crdt.Key, dev.converge.crdt.Mutator, Consistency)}) or a read
 * ({@link Replicator#get(dev.converge.crdt.Key, Consistency)}) succeeds. Immutable.
 *
 * <table>
 *   <caption>Consistency levels</caption>
 *   <tr><th>level</th><th>a write succeeds once stored by</th>
 *       <th>a read returns the join of the states of</th><th>in a minority partition</th></tr>
 *   <tr><td>{@link #local()}</td><td>this node</td><td>this node</td><td>succeeds (AP)</td></tr>
 *   <tr><td>{@link #majority}</td><td colspan="2">⌊N/2⌋+1 of the N members, this node
 *       included</td><td>fails after the timeout (CP)</td></tr>
 *   <tr><td>{@link #all}</td><td colspan="2">all N members</td>
 *       <td>fails while any member is unreachable</td></tr>
 *   <tr><td>{@link #to}/{@link #from}</td><td colspan="2">n members (n ≤ N)</td>
 *       <td>fails unless n are reachable</td></tr>
 * </table>
 *
 * <p>N counts every member, reachable or not, so a partition cannot shrink the quorum. With one
 * node a majority is that node; with two nodes a majority is both (no node alone is a majority of
 * two). A read merges the replies into the local replica before it returns, so a {@code majority}
 * read after a {@code majority} write sees the write, whichever nodes served them: the quorums
 * intersect. A write that misses its quorum fails with {@link ConsistencyException} but is <b>not
 * rolled back</b>: it stays in the local replica and converges to the others later, as in
 * Akka/Pekko Distributed Data.
 */
public final class Consistency {

  private static final Consistency LOCAL = new Consistency(Level.LOCAL, 1, Duration.ZERO);

  /** The kind of level. */
  public enum Level {
    LOCAL,
    MAJORITY,
    ALL,
    COUNT
  }

  private final Level level;
  private final int count;
  private final Duration timeout;

  private Consistency(Level level, int count, Duration timeout) {
    this.level = level;
    this.count = count;
    this.timeout = timeout;
  }

  /** This node only: always available. The default. */
  public static Consistency local() {
    return LOCAL;
  }

  /** A majority of members, or fail after {@code timeout}. */
  public static Consistency majority(Duration timeout) {
    return new Consistency(Level.MAJORITY, 0, checkTimeout(timeout));
  }

  /** Every member, or fail after {@code timeout}. */
  public static Consistency all(Duration timeout) {
    return new Consistency(Level.ALL, 0, checkTimeout(timeout));
  }

  /**
   * Writes: {@code n} members (this node included) must store it, or fail after {@code timeout}.
   *
   * @throws IllegalArgumentException if {@code n < 1}
   */
  public static Consistency to(int n, Duration timeout) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
    return n == 1 ? LOCAL : new Consistency(Level.COUNT, n, checkTimeout(timeout));
  }

  /** Reads: the states of {@code n} members (this node included); same as {@link #to}. */
  public static Consistency from(int n, Duration timeout) {
    return to(n, timeout);
  }

  /**
   * Parses {@code local}, {@code majority}, {@code all} or a number, with {@code timeout} for the
   * non-local ones. @throws IllegalArgumentException for anything else
   */
  public static Consistency parse(String text, Duration timeout) {
    return switch (Objects.requireNonNull(text, "text")) {
      case "local" -> local();
      case "majority" -> majority(timeout);
      case "all" -> all(timeout);
      default -> to(parseCount(text), timeout);
    };
  }

  static Duration checkTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    return timeout;
  }

  public Level level() {
    return level;
  }

  /** How long to wait for acknowledgements; zero for {@link #local()}. */
  public Duration timeout() {
    return timeout;
  }

  /**
   * Replicas required in a cluster of {@code members} nodes (this one included).
   *
   * @throws IllegalArgumentException if {@code members < 1}
   */
  public int required(int members) {
    if (members < 1) {
      throw new IllegalArgumentException("members must be >= 1");
    }
    return switch (level) {
      case LOCAL -> 1;
      case MAJORITY -> members / 2 + 1;
      case ALL -> members;
      case COUNT -> count;
    };
  }

  private static int parseCount(String text) {
    try {
      int n = Integer.parseInt(text);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "consistency must be local, majority, all or a replica count >= 1, got \"" + text + "\"");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Consistency w
        && level == w.level
        && count == w.count
        && timeout.equals(w.timeout);
  }

  @Override
  public int hashCode() {
    return Objects.hash(level, count, timeout);
  }

  /** {@code local}, {@code majority}, {@code all} or {@code n=3}: the level without the timeout. */
  @Override
  public String toString() {
    return level == Level.COUNT ? "n=" + count : level.name().toLowerCase(java.util.Locale.ROOT);
  }
}
