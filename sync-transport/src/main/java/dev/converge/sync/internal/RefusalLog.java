package dev.converge.sync.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.function.LongSupplier;

/**
 * Logs refused connections without letting a caller flood the log: at most one WARNING per {@link
 * #INTERVAL_MILLIS}, which also says how many refusals were logged at DEBUG only since the last
 * one. Every refusal is still counted in the node's metrics. Confined to one context.
 */
final class RefusalLog {

  /** At most one WARNING per this many milliseconds. */
  static final long INTERVAL_MILLIS = 10_000;

  private final Logger log;
  private final LongSupplier clock;
  private long lastWarningMillis = Long.MIN_VALUE;
  private long suppressed;

  RefusalLog(Logger log, LongSupplier clock) {
    this.log = log;
    this.clock = clock;
  }

  /** Logs a refusal: {@code message} is a {@link java.text.MessageFormat} pattern. */
  void refused(String message, Object... args) {
    long now = clock.getAsLong();
    if (lastWarningMillis != Long.MIN_VALUE && now - lastWarningMillis < INTERVAL_MILLIS) {
      suppressed++;
      log.log(Level.DEBUG, message, args);
      return;
    }
    String pattern =
        suppressed == 0
            ? message
            : message
                + " (and "
                + suppressed
                + " more refusals in the last "
                + (now - lastWarningMillis) / 1000
                + " s, logged at DEBUG)";
    log.log(Level.WARNING, pattern, args);
    lastWarningMillis = now;
    suppressed = 0;
  }

  /** Refusals logged at DEBUG only since the last WARNING. */
  long suppressed() {
    return suppressed;
  }
}
