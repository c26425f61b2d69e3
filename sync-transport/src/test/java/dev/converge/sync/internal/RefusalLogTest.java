package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A flood of refused connections yields one WARNING per interval, saying what it held back. */
class RefusalLogTest {

  private record Line(Level level, String text) {}

  private static final class Recording implements Logger {
    final List<Line> lines = new ArrayList<>();

    @Override
    public String getName() {
      return "recording";
    }

    @Override
    public boolean isLoggable(Level level) {
      return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
      lines.add(new Line(level, msg));
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
      lines.add(new Line(level, java.text.MessageFormat.format(format, params)));
    }
  }

  @Test
  void oneWarningPerIntervalCountingWhatItHeldBack() {
    Recording log = new Recording();
    AtomicLong now = new AtomicLong(1_000_000);
    RefusalLog refusals = new RefusalLog(log, now::get);

    for (int i = 0; i < 1_000; i++) {
      refusals.refused("refusing peer at {0}: {1}", "10.0.0." + (i % 250), "wrong cluster secret");
      now.addAndGet(5); // 5 s of refusals in all
    }
    assertThat(log.lines.stream().filter(l -> l.level() == Level.WARNING)).hasSize(1);
    assertThat(refusals.suppressed()).isEqualTo(999);

    now.addAndGet(RefusalLog.INTERVAL_MILLIS);
    refusals.refused("refusing peer at {0}: {1}", "10.0.0.9", "wrong cluster secret");
    List<Line> warnings = log.lines.stream().filter(l -> l.level() == Level.WARNING).toList();
    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(1).text())
        .startsWith("refusing peer at 10.0.0.9: wrong cluster secret")
        .contains("and 999 more refusals in the last 15 s");
    assertThat(log.lines).hasSize(1_001); // the held-back ones went to DEBUG
    assertThat(refusals.suppressed()).isZero();
  }
}
