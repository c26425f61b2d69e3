package dev.converge.sync.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Watches the nodes' logs (the {@code java.util.logging} backend of {@link System.Logger}) while a
 * fuzzer runs: a record at ERROR, or any record carrying an exception, means that one escaped a
 * decoder or a handler; warnings (a node logs one per connection it refuses) are only counted, and
 * kept off the console. Install for the duration of a test and uninstall after it.
 */
final class LogWatch extends Handler {

  /* Held so that the logger, and the handler on it, outlive the test's references. */
  private static final Logger CONVERGE = Logger.getLogger("dev.converge");

  private final LongAdder warnings = new LongAdder();
  private final List<LogRecord> unexpected = new CopyOnWriteArrayList<>();
  private boolean useParentHandlers;

  private LogWatch() {}

  static LogWatch install() {
    LogWatch watch = new LogWatch();
    watch.useParentHandlers = CONVERGE.getUseParentHandlers();
    CONVERGE.setUseParentHandlers(false);
    CONVERGE.addHandler(watch);
    Logger.getLogger("").addHandler(watch); // Vert.x and Netty log there
    return watch;
  }

  void uninstall() {
    CONVERGE.removeHandler(this);
    CONVERGE.setUseParentHandlers(useParentHandlers);
    Logger.getLogger("").removeHandler(this);
  }

  /** Warnings logged since {@link #install()}. */
  long warnings() {
    return warnings.sum();
  }

  @Override
  public void publish(LogRecord r) {
    if (r.getLevel().intValue() >= Level.SEVERE.intValue() || r.getThrown() != null) {
      if (unexpected.size() < 10) {
        unexpected.add(r);
      }
    } else if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
      warnings.increment();
    }
  }

  /** Fails with the first record at ERROR or with an exception, if any was logged. */
  void assertQuiet() {
    if (!unexpected.isEmpty()) {
      LogRecord first = unexpected.get(0);
      throw new AssertionError(
          unexpected.size()
              + " log record(s) at ERROR or with an exception; the first, from "
              + first.getLoggerName()
              + ": "
              + new SimpleFormatter().formatMessage(first),
          first.getThrown());
    }
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}
}
