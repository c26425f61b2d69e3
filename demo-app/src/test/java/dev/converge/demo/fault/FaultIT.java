package dev.converge.demo.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.converge.demo.SystemPackages;
import dev.converge.demo.fault.FaultRun.Outcome;
import dev.converge.demo.fault.FaultRun.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole-process fault test (see {@link FaultRun}): runs as part of {@code ./mvnw verify} when
 * the machine allows network namespaces (root, {@code ip netns}), with one short seeded run; the
 * long form is {@code ./fault-test.sh}. Properties: {@code converge.fault.runs} (default 1), {@code
 * converge.fault.seed} (first seed, default 1; run i uses seed + i), {@code converge.fault.seconds}
 * (workload duration per run, default 45: long enough for the two membership changes, which the
 * nemesis deals among its first three faults, and most other kinds; which kind, if any, a run this
 * short leaves out depends on the seed, and its verdict line lists the faults dealt), {@code
 * converge.fault.rate} (requests/s, default 60).
 */
class FaultIT {

  @Test
  @Timeout(value = 12, unit = TimeUnit.HOURS) // each run bounds its own waits; the runs are many
  void seededRunsLoseNoAcknowledgedWriteAndConverge() throws Exception {
    assumeTrue(
        NetworkNamespaces.available(),
        "the fault test needs root and `ip netns` (network namespaces); it runs in CI as root");
    Path out = Path.of("target", "fault-test");
    Files.createDirectories(out);
    SystemPackages.ensure(
        "the fault test",
        List.of(Path.of("/usr/sbin/iptables"), Path.of("/usr/sbin/iptables-restore")),
        List.of("iptables"),
        out);
    Path jar = Path.of(System.getProperty("converge.demo.jar", "target/converge-demo.jar"));
    assertThat(jar).as("the node jar (built by `package`)").isRegularFile();

    int runs = Integer.getInteger("converge.fault.runs", 1);
    long firstSeed = Long.getLong("converge.fault.seed", 1L);
    Duration duration = Duration.ofSeconds(Long.getLong("converge.fault.seconds", 45L));
    double rate = Double.parseDouble(System.getProperty("converge.fault.rate", "60"));
    Path verdicts = out.resolve("verdicts.txt");
    Files.deleteIfExists(verdicts);
    List<Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      Outcome outcome =
          FaultRun.run(new Settings(firstSeed + i, duration, 5, 8, rate, 0.3, jar, out));
      System.out.println(outcome.line());
      Files.writeString(
          verdicts, outcome.line() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      outcomes.add(outcome);
    }
    for (Outcome o : outcomes) {
      assertThat(o.verdict().anomalies())
          .as("anomalies of seed %d (report %s)", o.seed(), o.report())
          .isEmpty();
      assertThat(o.healToConvergenceMillis())
          .as("seed %d converged after the heal (report %s)", o.seed(), o.report())
          .isNotNegative();
    }
  }
}
