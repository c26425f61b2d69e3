package dev.converge.store.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.ORSet;
import dev.converge.store.Durability;
import dev.converge.store.ReplicaStore;
import dev.converge.store.ReplicaStores;
import dev.converge.store.StoreOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Kills a real writer process with SIGKILL ({@code ProcessHandle.destroyForcibly()}) at a random
 * moment, reopens its store and checks that every write the process saw acknowledged is there.
 * Rounds per policy: {@code -Dconverge.store.crashRounds=N} (default 10); seed: {@code
 * -Dconverge.store.crashSeed=S}.
 */
class CrashRecoveryTest {

  private static final int ROUNDS = Integer.getInteger("converge.store.crashRounds", 10);
  private static final long SEED = Long.getLong("converge.store.crashSeed", 20_240_601L);

  @TempDir Path temp;

  @ParameterizedTest
  @EnumSource(
      value = Durability.class,
      names = {"EVERY_WRITE", "GROUP_COMMIT"})
  void everyAcknowledgedWriteSurvivesKill9(Durability durability) throws Exception {
    long seed = SEED + durability.ordinal();
    Random random = new Random(seed);
    Path dir = temp.resolve("data");
    long counterFloor = 0;
    List<Set<String>> acknowledged = new ArrayList<>();
    for (int s = 0; s < CrashWriterMain.SETS; s++) {
      acknowledged.add(new HashSet<>());
    }
    String replicaId = null;
    int totalAcks = 0;
    for (int round = 0; round < ROUNDS; round++) {
      String context = "seed " + seed + ", " + durability + ", round " + round;
      Victim victim = Victim.start(dir, durability, "r" + round, temp.resolve("stderr-" + round));
      victim.awaitAcks(1 + random.nextInt(200), context);
      Thread.sleep(random.nextInt(400));
      List<String> lines = victim.kill();

      long increments = 0;
      for (String line : lines) {
        if (line.startsWith("OPEN ")) {
          String opened = line.substring(5);
          if (replicaId != null) {
            assertThat(opened)
                .as("%s: incarnation kept across a crash", context)
                .isEqualTo(replicaId);
          }
          replicaId = opened;
        } else if (line.equals("ACK C")) {
          increments++;
        } else if (line.startsWith("ACK S ")) {
          String[] parts = line.split(" ");
          acknowledged.get(Integer.parseInt(parts[2])).add(parts[3]);
        } else if (!line.isEmpty()) {
          throw new AssertionError(context + ": unexpected output " + line);
        }
      }
      totalAcks += increments;

      try (ReplicaStore store = open(dir, Durability.GROUP_COMMIT)) {
        assertThat(store.identity().replicaId().value()).as(context).isEqualTo(replicaId);
        long value = store.read(CrashWriterMain.COUNTER).get(60, TimeUnit.SECONDS).value();
        assertThat(value)
            .as(
                "%s: counter holds every acknowledged increment (%s before, %s acked now)",
                context, counterFloor, increments)
            .isGreaterThanOrEqualTo(counterFloor + increments);
        counterFloor = value;
        for (int s = 0; s < CrashWriterMain.SETS; s++) {
          ORSet<String> set = store.read(CrashWriterMain.set(s)).get(60, TimeUnit.SECONDS);
          for (String element : acknowledged.get(s)) {
            assertThat(set.contains(element))
                .as("%s: acknowledged add %s", context, element)
                .isTrue();
          }
        }
      }
    }
    System.out.printf(
        "%s: %d rounds, %d acknowledged increments, counter %d%n",
        durability, ROUNDS, totalAcks, counterFloor);
    assertThat(totalAcks).isPositive();
  }

  /**
   * Under NONE a crash may lose acknowledged writes, so the node must come back as a new replica.
   */
  @Test
  void aCrashUnderDurabilityNoneStartsANewIncarnation() throws Exception {
    Path dir = temp.resolve("none");
    for (int round = 0; round < 2; round++) {
      Victim victim =
          Victim.start(dir, Durability.NONE, "n" + round, temp.resolve("stderr-none-" + round));
      victim.awaitAcks(50, "NONE round " + round);
      List<String> lines = victim.kill();
      String opened = lines.get(0).substring("OPEN ".length());
      try (ReplicaStore store = open(dir, Durability.GROUP_COMMIT)) {
        assertThat(store.identity().replicaId().value()).isNotEqualTo(opened);
        assertThat(store.identity().nodeId()).isEqualTo("crash");
      }
    }
  }

  private static ReplicaStore open(Path dir, Durability durability) {
    return ReplicaStores.open(
        new StoreOptions().setNodeId("crash").setDataDir(dir).setDurability(durability));
  }

  /** A running {@link CrashWriterMain} and the lines it printed. */
  private static final class Victim {
    private final Process process;
    private final Path stderr;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final AtomicInteger acks = new AtomicInteger();
    private final Thread reader;

    private Victim(Process process, Path stderr) {
      this.process = process;
      this.stderr = stderr;
      this.reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                    if (line.startsWith("ACK")) {
                      acks.incrementAndGet();
                    }
                  }
                } catch (IOException e) {
                  lines.add("READ FAILED " + e);
                }
              });
      reader.start();
    }

    static Victim start(Path dir, Durability durability, String run, Path stderr)
        throws IOException {
      String java =
          ProcessHandle.current()
              .info()
              .command()
              .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      ProcessBuilder builder =
          new ProcessBuilder(
              java,
              "-Xmx256m",
              "-XX:TieredStopAtLevel=1",
              "-cp",
              System.getProperty("java.class.path"),
              CrashWriterMain.class.getName(),
              dir.toString(),
              durability.name(),
              run);
      builder.redirectError(stderr.toFile());
      return new Victim(builder.start(), stderr);
    }

    void awaitAcks(int count, String context) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (acks.get() < count) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          process.destroyForcibly();
          throw new AssertionError(
              context
                  + ": writer died or stalled after "
                  + acks.get()
                  + " acks; stderr:\n"
                  + Files.readString(stderr)
                  + "\nstdout:\n"
                  + String.join("\n", lines));
        }
        Thread.sleep(5);
      }
    }

    /**
     * SIGKILL, then everything it printed before it died. Through the process handle: {@code
     * Process.destroyForcibly()} sends the same SIGKILL but also closes our end of the pipe, which
     * would drop acknowledgements still in the pipe.
     */
    List<String> kill() throws Exception {
      process.toHandle().destroyForcibly();
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      reader.join(TimeUnit.SECONDS.toMillis(60));
      for (String line : lines) {
        if (line.startsWith("ERR") || line.startsWith("READ FAILED")) {
          throw new AssertionError(
              "writer reported " + line + "; stderr:\n" + Files.readString(stderr));
        }
      }
      return new ArrayList<>(lines);
    }
  }
}
