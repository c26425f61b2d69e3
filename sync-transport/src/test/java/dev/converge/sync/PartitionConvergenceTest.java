package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.GCounter;
import dev.converge.crdt.Key;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A cluster split in two keeps accepting writes on both sides, the sides diverge, and once healed
 * every node converges to the value each type's specification gives for the acknowledged writes
 * ({@link AcknowledgedWrites}): counters sum, the OR-Set is add-wins, the register takes the write
 * with the highest (timestamp, writer). Real sockets on loopback, {@link SyncOptions#localTest()}.
 */
class PartitionConvergenceTest {

  private static final List<String> POOL = List.of("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7");

  @ParameterizedTest(name = "{0} nodes")
  @ValueSource(ints = {3, 5})
  void sidesOfAPartitionDivergeAndConvergeToTheSpecAfterHealing(int n) {
    long seed = Seeds.seed(0xC0FFEEL + n);
    Seeds.run(seed, () -> run(n, seed));
  }

  private void run(int n, long seed) {
    KeySpace shared = KeySpace.of("shared", "other");
    List<KeySpace> own = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      own.add(KeySpace.of("n" + i));
    }
    KeySpace all = own.stream().reduce(shared, KeySpace::plus);
    Key<ORSet<String>> set = shared.sets().get(0);
    Key<GCounter> hits = shared.gCounters().get(0);
    Key<PNCounter> balance = shared.pnCounters().get(0);
    Key<LWWRegister<String>> register = shared.registers().get(0);

    try (TestCluster cluster = TestCluster.start(n)) {
      cluster.awaitMembership();
      AcknowledgedWrites writes = new AcknowledgedWrites();
      List<RecordingWriter> writers = new ArrayList<>();
      for (Replicator node : cluster.nodes()) {
        writers.add(new RecordingWriter(node, writes));
      }

      // Connected: every node writes concurrently (2 threads each), to shared and own keys.
      RandomWriters.run(writers, i -> shared.plus(own.get(i)), POOL, 2, 60, seed, 0);
      // Elements whose fate the partition decides, known to every node beforehand.
      for (String e : List.of("conflict-a", "conflict-b", "lost-a", "lost-b", "both-removed")) {
        writers.get(0).add(set, e);
      }
      ConvergenceProbe.await(cluster.nodes(), all.all());
      long hitsBefore = cluster.node(0).get(hits).await().value();
      long balanceBefore = cluster.node(0).get(balance).await().value();

      // Partition: minority = the first n/2 nodes.
      List<Integer> minority = IntStream.range(0, n / 2).boxed().toList();
      List<Integer> majority = IntStream.range(n / 2, n).boxed().toList();
      cluster.partition(minority, majority);
      AcknowledgedWrites minorityWrites = new AcknowledgedWrites();
      AcknowledgedWrites majorityWrites = new AcknowledgedWrites();
      List<RecordingWriter> split = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        split.add(writers.get(i).alsoInto(minority.contains(i) ? minorityWrites : majorityWrites));
      }
      RecordingWriter min = split.get(minority.get(0));
      RecordingWriter maj = split.get(majority.get(majority.size() - 1));
      // Both sides accept writes (each call awaits its acknowledgement, failing the test if
      // refused).
      min.remove(set, "conflict-a"); // ... while the majority adds it again: add wins
      maj.add(set, "conflict-a");
      maj.remove(set, "conflict-b"); // ... while the minority adds it again: add wins
      min.add(set, "conflict-b");
      min.remove(set, "lost-a"); // removed on one side, no concurrent add: absent
      maj.remove(set, "lost-b");
      min.remove(set, "both-removed");
      maj.remove(set, "both-removed");
      min.add(set, "fresh"); // added on one side, removed (a no-op there) on the other: present
      maj.remove(set, "fresh");
      min.increment(hits, 1);
      maj.increment(hits, 2);
      min.add(balance, -3);
      maj.add(balance, 5);
      min.assign(register, "minority");
      maj.assign(register, "majority");
      RandomWriters.run(split, i -> shared.plus(own.get(i)), POOL, 2, 60, seed + 1, 0);

      // The sides diverged: each holds exactly its own side's writes.
      List<Replicator> minNodes = minority.stream().map(cluster::node).toList();
      List<Replicator> majNodes = majority.stream().map(cluster::node).toList();
      ConvergenceProbe.await(minNodes, all.all());
      ConvergenceProbe.await(majNodes, all.all());
      Replicator a = minNodes.get(0);
      Replicator b = majNodes.get(0);
      assertThat(a.get(hits).await().value())
          .as("minority sees only its own increments")
          .isEqualTo(hitsBefore + minorityWrites.counter(hits.name()));
      assertThat(b.get(hits).await().value())
          .as("majority sees only its own increments")
          .isEqualTo(hitsBefore + majorityWrites.counter(hits.name()));
      assertThat(a.get(balance).await().value())
          .isEqualTo(balanceBefore + minorityWrites.counter(balance.name()));
      assertThat(b.get(balance).await().value())
          .isEqualTo(balanceBefore + majorityWrites.counter(balance.name()));
      assertThat(a.get(set).await().elements()).doesNotContain("conflict-a").contains("conflict-b");
      assertThat(b.get(set).await().elements()).contains("conflict-a").doesNotContain("conflict-b");
      for (Key<?> key : List.of(hits, balance, set, register)) {
        assertThat(ConvergenceProbe.differing(a, b, List.of(key)))
            .as("%s diverged", key)
            .hasSize(1);
      }

      // Heal and converge.
      long healed = System.nanoTime();
      cluster.heal();
      Duration took = ConvergenceProbe.await(cluster.nodes(), all.all());
      System.out.printf(
          "heal-to-convergence nodes=%d millis=%d%n",
          n, Duration.ofNanos(System.nanoTime() - healed).toMillis());
      assertThat(took).isPositive();

      for (int i = 0; i < n; i++) {
        all.assertMatches(cluster.node(i), writes, "node n" + i + " after healing");
      }
      assertThat(cluster.node(0).get(set).await().elements())
          .as("add-wins outcomes")
          .contains("conflict-a", "conflict-b", "fresh")
          .doesNotContain("lost-a", "lost-b", "both-removed");
      assertThat(cluster.node(0).get(register).await().value()).isPresent();
    }
  }
}
