package dev.converge.sync.internal;

/**
 * The φ accrual failure detector (Hayashibara et al., SRDS 2004) for one peer: instead of a yes/no
 * timeout it outputs φ, the confidence that the peer is down given the history of heartbeat
 * inter-arrival times; the peer counts as unreachable above a threshold. Inter-arrivals are
 * modelled as a normal distribution over a sliding window, widened by an acceptable pause, with the
 * logistic approximation of the normal CDF used by Cassandra and Akka. Thread-safe.
 */
final class PhiAccrualDetector {

  private static final int WINDOW = 100;

  private final long[] intervals = new long[WINDOW];
  private final long acceptablePauseMillis;
  private final long minStdDevMillis;
  private int count;
  private int next;
  private long sum;
  private long sumSquares;
  private long lastMillis = -1;

  PhiAccrualDetector(long expectedIntervalMillis, long acceptablePauseMillis) {
    this.acceptablePauseMillis = acceptablePauseMillis;
    this.minStdDevMillis = Math.max(1, expectedIntervalMillis / 4);
    // Seed the window with the expected interval so a fresh peer is judged sensibly.
    record(expectedIntervalMillis);
    record(expectedIntervalMillis);
  }

  /** Records a heartbeat (or any frame) heard at {@code nowMillis}. */
  synchronized void heartbeat(long nowMillis) {
    if (lastMillis >= 0) {
      record(Math.max(0, nowMillis - lastMillis));
    }
    lastMillis = nowMillis;
  }

  private void record(long interval) {
    if (count == WINDOW) {
      long old = intervals[next];
      sum -= old;
      sumSquares -= old * old;
    } else {
      count++;
    }
    intervals[next] = interval;
    next = (next + 1) % WINDOW;
    sum += interval;
    sumSquares += interval * interval;
  }

  /** True once anything was heard. */
  synchronized boolean everHeard() {
    return lastMillis >= 0;
  }

  synchronized long lastHeardMillis() {
    return Math.max(lastMillis, 0);
  }

  /** φ at {@code nowMillis}; {@code Double.MAX_VALUE} if never heard. */
  synchronized double phi(long nowMillis) {
    if (lastMillis < 0) {
      return Double.MAX_VALUE;
    }
    double mean = (double) sum / count;
    double variance = Math.max(0, (double) sumSquares / count - mean * mean);
    double stdDev = Math.max(Math.sqrt(variance), minStdDevMillis);
    double elapsed = nowMillis - lastMillis;
    double y = (elapsed - (mean + acceptablePauseMillis)) / stdDev;
    double e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
    double phi =
        elapsed > mean + acceptablePauseMillis
            ? -Math.log10(e / (1 + e))
            : -Math.log10(1 - 1 / (1 + e));
    return Double.isFinite(phi) ? Math.max(phi, 0) : Double.MAX_VALUE;
  }
}
