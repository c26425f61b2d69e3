package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Writes while every link drops 20% of frames, duplicates 10% and delays (so reorders) them by up
 * to 30 ms; once the faults are healed the cluster converges to the specified values. Delta
 * propagation must survive loss (go-back-N resends), duplication (idempotent merges) and reordering
 * (any delivery order is safe, decision 0004); anti-entropy covers the rest.
 */
class LossyNetworkTest {

  private static final List<String> POOL = List.of("r0", "r1", "r2", "r3", "r4", "r5");

  @Test
  void convergesToTheSpecAfterLossDuplicationAndReordering() {
    long seed = Seeds.seed(0x10551L);
    Seeds.run(seed, () -> run(4, seed));
  }

  private void run(int n, long seed) {
    KeySpace shared = KeySpace.of("shared", "other");
    List<KeySpace> own = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      own.add(KeySpace.of("n" + i));
    }
    KeySpace all = own.stream().reduce(shared, KeySpace::plus);
    try (TestCluster cluster = TestCluster.start(n)) {
      cluster.awaitMembership();
      for (int i = 0; i < n; i++) {
        cluster
            .node(i)
            .faults()
            .setDropRate(0.2)
            .setDuplicateRate(0.1)
            .setMaxDelayMillis(30)
            .setSeed(seed + i);
      }
      AcknowledgedWrites writes = new AcknowledgedWrites();
      List<RecordingWriter> writers = new ArrayList<>();
      for (Replicator node : cluster.nodes()) {
        writers.add(new RecordingWriter(node, writes));
      }
      SyncMetrics before = cluster.node(0).metrics();
      // Paced so that writing spans many gossip and anti-entropy intervals under the faults.
      RandomWriters.run(writers, i -> shared.plus(own.get(i)), POOL, 2, 150, seed, 8);
      SyncMetrics during = cluster.node(0).metrics();
      assertThat(during.framesSent())
          .as("frames flowed under the faults")
          .isGreaterThan(before.framesSent());

      cluster.heal();
      Duration took = ConvergenceProbe.await(cluster.nodes(), all.all());
      System.out.printf("lossy-heal-to-convergence nodes=%d millis=%d%n", n, took.toMillis());
      for (int i = 0; i < n; i++) {
        all.assertMatches(cluster.node(i), writes, "node n" + i + " after lossy writes");
      }
    }
  }
}
