package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.codec.ValueCodec;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Per-operation consistency on real nodes over loopback (issue 5). */
class QuorumClusterTest {

  private static final Duration TIMEOUT = Duration.ofMillis(1_500);

  @Test
  void majorityWritesFailOnTheMinoritySideAndConvergeAfterHeal() {
    Key<PNCounter> balance = Key.pnCounter("balance");
    try (TestCluster cluster = TestCluster.start(5)) {
      cluster.awaitMembership();
      cluster.partition(List.of(0, 1), List.of(2, 3, 4));

      // Majority side (3 of 5): majority writes succeed.
      for (int i = 2; i <= 4; i++) {
        assertThat(
                cluster
                    .node(i)
                    .update(balance, PNCounter.incrementBy(10), Consistency.majority(TIMEOUT))
                    .await()
                    .value())
            .isPositive();
      }
      // Minority side (2 of 5): majority writes fail with a typed error saying 2 of 3.
      for (int i = 0; i <= 1; i++) {
        Throwable failure =
            ConvergenceProbe.failureOf(
                cluster
                    .node(i)
                    .update(balance, PNCounter.incrementBy(100), Consistency.majority(TIMEOUT)));
        assertThat(failure).isInstanceOf(ConsistencyException.class);
        ConsistencyException e = (ConsistencyException) failure;
        assertThat(e.operation()).isEqualTo(ConsistencyException.Operation.WRITE);
        assertThat(e.required()).isEqualTo(3);
        assertThat(e.acknowledged()).isEqualTo(2);
        assertThat(e.members()).isEqualTo(5);
        assertThat(e.getMessage()).contains("2 of the 3 replicas").contains("kept locally");
      }
      // Local writes succeed on both sides.
      assertThat(cluster.node(0).update(balance, PNCounter.incrementBy(1)).await().value())
          .isPositive();
      assertThat(cluster.node(4).update(balance, PNCounter.incrementBy(1)).await().value())
          .isPositive();

      cluster.heal();
      cluster.awaitConvergence(List.of(balance));
      // 3 × 10 (majority) + 2 × 100 (failed majority, kept locally) + 2 × 1 (local)
      assertThat(cluster.node(3).get(balance).await().value()).isEqualTo(232);
    }
  }

  @Test
  void allFailsWhileAnyMemberIsUnreachableAndSucceedsAfterHeal() {
    Key<PNCounter> stock = Key.pnCounter("stock");
    try (TestCluster cluster = TestCluster.start(3)) {
      cluster.awaitMembership();
      cluster.partition(List.of(2), List.of(0, 1));
      Throwable failure =
          ConvergenceProbe.failureOf(
              cluster.node(0).update(stock, PNCounter.decrementBy(1), Consistency.all(TIMEOUT)));
      assertThat(failure).isInstanceOf(ConsistencyException.class);
      assertThat(((ConsistencyException) failure).acknowledged()).isEqualTo(2);
      assertThat(((ConsistencyException) failure).required()).isEqualTo(3);
      cluster.heal();
      assertThat(
              cluster
                  .node(0)
                  .update(stock, PNCounter.decrementBy(1), Consistency.all(Duration.ofSeconds(10)))
                  .await()
                  .value())
          .isEqualTo(-2);
      // "all" means every replica stored it: node 2 has both decrements now, no waiting.
      assertThat(cluster.node(2).get(stock).await().value()).isEqualTo(-2);
    }
  }

  @Test
  void majorityReadAfterMajorityWriteSeesTheWriteAcrossNodes() {
    Key<LWWRegister<String>> title = Key.lwwRegister("title", ValueCodec.string());
    long seed = 42;
    Random random = new Random(seed);
    try (TestCluster cluster =
        TestCluster.start(
            5,
            // Slow background replication, so the read must get the value from the quorum.
            o -> o.setGossipIntervalMillis(60_000).setAntiEntropyIntervalMillis(60_000))) {
      cluster.awaitMembership();
      for (int trial = 0; trial < 150; trial++) {
        int writer = random.nextInt(5);
        int reader = (writer + 1 + random.nextInt(4)) % 5;
        String value = "v" + trial;
        cluster
            .node(writer)
            .update(
                title, LWWRegister.assigning(value), Consistency.majority(Duration.ofSeconds(5)))
            .await();
        String read =
            cluster
                .node(reader)
                .get(title, Consistency.majority(Duration.ofSeconds(5)))
                .await()
                .value()
                .orElse(null);
        assertThat(read)
            .as("seed %d trial %d: written on n%d, read on n%d", seed, trial, writer, reader)
            .isEqualTo(value);
      }
    }
  }

  @Test
  void majorityReadFailsInTheMinorityWithTheCounts() {
    Key<PNCounter> k = Key.pnCounter("k");
    try (TestCluster cluster = TestCluster.start(3)) {
      cluster.awaitMembership();
      cluster.partition(List.of(0), List.of(1, 2));
      Throwable failure =
          ConvergenceProbe.failureOf(cluster.node(0).get(k, Consistency.majority(TIMEOUT)));
      assertThat(failure).isInstanceOf(ConsistencyException.class);
      ConsistencyException e = (ConsistencyException) failure;
      assertThat(e.operation()).isEqualTo(ConsistencyException.Operation.READ);
      assertThat(e.acknowledged()).isEqualTo(1);
      assertThat(e.required()).isEqualTo(2);
      assertThat(cluster.node(1).get(k, Consistency.majority(TIMEOUT)).await().value()).isZero();
    }
  }

  @Test
  void smallClusters() {
    Key<PNCounter> k = Key.pnCounter("k");
    // One node: it is its own majority, and "all".
    try (TestCluster single = TestCluster.start(1)) {
      assertThat(
              single
                  .node(0)
                  .update(k, PNCounter.incrementBy(1), Consistency.majority(TIMEOUT))
                  .await()
                  .value())
          .isEqualTo(1);
      assertThat(single.node(0).get(k, Consistency.all(TIMEOUT)).await().value()).isEqualTo(1);
    }
    // Two nodes: a majority is both, so a partition makes majority writes fail on either side.
    try (TestCluster pair = TestCluster.start(2)) {
      pair.awaitMembership();
      assertThat(
              pair.node(0)
                  .update(k, PNCounter.incrementBy(1), Consistency.majority(TIMEOUT))
                  .await()
                  .value())
          .isEqualTo(1);
      pair.partition(List.of(0), List.of(1));
      for (int i = 0; i < 2; i++) {
        Throwable failure =
            ConvergenceProbe.failureOf(
                pair.node(i).update(k, PNCounter.incrementBy(1), Consistency.majority(TIMEOUT)));
        assertThat(((ConsistencyException) failure).required()).isEqualTo(2);
      }
      pair.heal();
      pair.awaitConvergence(List.of(k));
      assertThat(pair.node(1).get(k).await().value()).isEqualTo(3);
    }
  }

  @Test
  void aCountAboveTheClusterSizeFailsAtOnce() {
    Key<PNCounter> k = Key.pnCounter("k");
    try (TestCluster cluster = TestCluster.start(2)) {
      cluster.awaitMembership();
      Throwable failure =
          ConvergenceProbe.failureOf(
              cluster
                  .node(0)
                  .update(k, PNCounter.incrementBy(1), Consistency.to(3, Duration.ofMinutes(5))));
      assertThat(((ConsistencyException) failure).required()).isEqualTo(3);
      assertThat(((ConsistencyException) failure).members()).isEqualTo(2);
      assertThat(cluster.node(0).get(k).await().value()).as("kept locally").isEqualTo(1);
    }
  }
}
