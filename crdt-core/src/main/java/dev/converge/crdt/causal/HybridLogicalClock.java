package dev.converge.crdt.causal;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A hybrid logical clock (Kulkarni et al. [1]): timestamps that follow physical time when clocks
 * behave, and stay strictly monotonic and causally ordered when they do not (a wall clock that
 * jumps backwards, a peer whose clock runs ahead).
 *
 * <p>A timestamp is one {@code long}: the upper 48 bits hold milliseconds since the epoch, the
 * lower 16 bits a logical counter that breaks ties within one millisecond. When the counter would
 * overflow, the physical part advances by one millisecond, so monotonicity is never given up. Plain
 * {@code long} comparison orders timestamps.
 *
 * <p>Thread-safe. The wall clock is injectable so tests can make time stand still or run backwards.
 *
 * <p>[1] Kulkarni, Demirbas, Madappa, Avva, Leone. Logical Physical Clocks. OPODIS 2014.
 */
public final class HybridLogicalClock {

  /** Bits of the logical counter. */
  public static final int LOGICAL_BITS = 16;

  private static final long LOGICAL_MASK = (1L << LOGICAL_BITS) - 1;
  private static final long MAX_PHYSICAL = (1L << (63 - LOGICAL_BITS)) - 1;

  private final LongSupplier wallClockMillis;
  private long last;

  /** A clock reading {@code wallClockMillis} for physical time. */
  public HybridLogicalClock(LongSupplier wallClockMillis) {
    this.wallClockMillis = Objects.requireNonNull(wallClockMillis, "wallClockMillis");
  }

  /** A clock on {@link System#currentTimeMillis()}. */
  public static HybridLogicalClock system() {
    return new HybridLogicalClock(System::currentTimeMillis);
  }

  /**
   * Returns a timestamp strictly greater than every timestamp this clock returned before.
   *
   * @throws ArithmeticException if the clock has reached {@code Long.MAX_VALUE}
   */
  public synchronized long now() {
    return advance(0L);
  }

  /**
   * Records an observed timestamp (a received event) and returns a timestamp strictly greater than
   * both {@code observed} and every timestamp this clock returned before.
   *
   * @throws ArithmeticException if {@code observed} is {@code Long.MAX_VALUE}
   */
  public synchronized long update(long observed) {
    return advance(Math.max(observed, 0L));
  }

  private long advance(long observed) {
    long wall = Math.min(Math.max(wallClockMillis.getAsLong(), 0L), MAX_PHYSICAL) << LOGICAL_BITS;
    long floor = Math.max(last, observed);
    if (wall <= floor && floor == Long.MAX_VALUE) {
      throw new ArithmeticException("hybrid logical clock exhausted: observed " + observed);
    }
    last = wall > floor ? wall : floor + 1;
    return last;
  }

  /** The physical part of {@code timestamp}, in milliseconds since the epoch. */
  public static long physicalMillis(long timestamp) {
    return timestamp >>> LOGICAL_BITS;
  }

  /** The logical part of {@code timestamp}. */
  public static int logical(long timestamp) {
    return (int) (timestamp & LOGICAL_MASK);
  }

  /** The timestamp with the given parts. */
  public static long timestamp(long physicalMillis, int logical) {
    if (physicalMillis < 0
        || physicalMillis > MAX_PHYSICAL
        || logical < 0
        || logical > LOGICAL_MASK) {
      throw new IllegalArgumentException("timestamp parts out of range");
    }
    return (physicalMillis << LOGICAL_BITS) | logical;
  }
}
