package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.GCounter;
import dev.converge.crdt.Key;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.ReplicaId;
import dev.converge.store.NodeIdentity;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes that missed everything catch up: a late joiner, a node restarted with empty memory (a new
 * incarnation, whose new writes must add to, never replace, the old incarnation's), and a node
 * restarted on its durable data directory (same identity, its dots and counter entries continue).
 */
class CatchUpTest {

  private static final List<String> POOL = List.of("r0", "r1", "r2", "r3");

  private final KeySpace shared = KeySpace.of("shared");

  private AcknowledgedWrites writeEverywhere(TestCluster cluster, long seed) {
    AcknowledgedWrites writes = new AcknowledgedWrites();
    List<RecordingWriter> writers = new ArrayList<>();
    for (Replicator node : cluster.nodes()) {
      writers.add(new RecordingWriter(node, writes));
    }
    RandomWriters.run(writers, i -> shared, POOL, 1, 80, seed, 0);
    ConvergenceProbe.await(cluster.nodes(), shared.all());
    return writes;
  }

  @Test
  void aLateJoinerCatchesUpWithExistingData() {
    long seed = Seeds.seed(0x1A7EL);
    Seeds.run(
        seed,
        () -> {
          try (TestCluster cluster = TestCluster.start(3)) {
            cluster.awaitMembership();
            AcknowledgedWrites writes = writeEverywhere(cluster, seed);
            int late = cluster.add(SyncOptions.localTest().setNodeId("n3"));
            ConvergenceProbe.await(cluster.nodes(), shared.all());
            shared.assertMatches(cluster.node(late), writes, "late joiner n3");
            // ...and takes part: its writes reach the others.
            new RecordingWriter(cluster.node(late), writes).increment(shared.gCounters().get(0), 7);
            ConvergenceProbe.await(cluster.nodes(), shared.all());
            shared.assertMatches(cluster.node(0), writes, "n0 after the late joiner wrote");
          }
        });
  }

  @Test
  void aNodeRestartedEmptyTakesANewIncarnationCatchesUpAndLosesNoWrite() {
    long seed = Seeds.seed(0xE3971L);
    Seeds.run(
        seed,
        () -> {
          try (TestCluster cluster = TestCluster.start(3)) {
            cluster.awaitMembership();
            AcknowledgedWrites writes = writeEverywhere(cluster, seed);
            Key<GCounter> hits = shared.gCounters().get(0);
            Key<ORSet<String>> set = shared.sets().get(0);
            NodeIdentity old = cluster.node(1).identity();
            long oldContribution = cluster.node(0).get(hits).await().valueOf(old.replicaId());

            cluster.restart(1, null);
            Replicator reborn = cluster.node(1);
            assertThat(reborn.identity().nodeId()).isEqualTo("n1");
            assertThat(reborn.identity().incarnation()).isNotEqualTo(old.incarnation());
            // Writes right away, before it caught up: they must merge with what it missed.
            RecordingWriter w = new RecordingWriter(reborn, writes);
            w.increment(hits, 5);
            w.add(set, "after-restart");
            w.remove(set, "r0"); // observes nothing it has not seen: removes at most its own adds
            w.assign(shared.registers().get(0), "reborn");
            w.add(shared.pnCounters().get(0), -2);

            ConvergenceProbe.await(cluster.nodes(), shared.all());
            for (int i = 0; i < cluster.size(); i++) {
              shared.assertMatches(cluster.node(i), writes, "n" + i + " after n1 restarted empty");
            }
            GCounter merged = reborn.get(hits).await();
            if (merged.replicas().contains(old.replicaId())) { // else pruned: counted in the sum
              assertThat(merged.valueOf(old.replicaId()))
                  .as("the old incarnation's increments survive")
                  .isEqualTo(oldContribution);
            }
            assertThat(merged.valueOf(reborn.identity().replicaId())).isEqualTo(5);
          }
        });
  }

  @Test
  void aNodeRestartedOnItsDataDirectoryKeepsItsIdentityAndData(@TempDir Path dir) {
    Key<GCounter> hits = shared.gCounters().get(0);
    Key<ORSet<String>> set = shared.sets().get(0);
    Vertx vertx = Vertx.vertx();
    try {
      SyncOptions options =
          SyncOptions.localTest().setNodeId("solo").setDataDir(dir.resolve("solo"));
      Replicator first = Replicator.create(vertx, options);
      first.start().await();
      NodeIdentity identity = first.identity();
      first.update(hits, GCounter.incrementBy(4)).await();
      ORSet<String> before = first.update(set, ORSet.adding("kept")).await();
      first.close().await();

      Replicator second = Replicator.create(vertx, options);
      second.start().await();
      try {
        assertThat(second.identity()).isEqualTo(identity);
        assertThat(second.get(hits).await().value()).isEqualTo(4);
        assertThat(second.get(set).await()).isEqualTo(before);
      } finally {
        second.close().await();
      }
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void aDurableNodeRestartedInAClusterContinuesItsReplica(@TempDir Path dir) {
    long seed = Seeds.seed(0xD15CL);
    Path n1Data = dir.resolve("n1");
    Seeds.run(
        seed,
        () -> {
          try (TestCluster cluster =
              TestCluster.start(3, o -> o.getNodeId().equals("n1") ? o.setDataDir(n1Data) : o)) {
            cluster.awaitMembership();
            AcknowledgedWrites writes = writeEverywhere(cluster, seed);
            Key<GCounter> hits = shared.gCounters().get(0);
            Key<ORSet<String>> set = shared.sets().get(0);
            NodeIdentity identity = cluster.node(1).identity();
            ReplicaId replica = identity.replicaId();
            RecordingWriter w1 = new RecordingWriter(cluster.node(1), writes);
            w1.increment(hits, 3);
            w1.add(set, "before-restart");
            ConvergenceProbe.await(cluster.nodes(), shared.all());
            long contribution = cluster.node(0).get(hits).await().valueOf(replica);
            long lastDot = cluster.node(0).get(set).await().context().maxCounter(replica);

            cluster.restart(1, n1Data);
            Replicator restarted = cluster.node(1);
            assertThat(restarted.identity())
                .as("same identity from the data directory")
                .isEqualTo(identity);
            RecordingWriter w = new RecordingWriter(restarted, writes);
            w.increment(hits, 2);
            ORSet<String> afterAdd = w.add(set, "after-restart");
            assertThat(afterAdd.dots("after-restart").get(0).counter())
                .as("the new dot is one no peer has seen; a reused dot would be swallowed")
                .isGreaterThan(lastDot);

            ConvergenceProbe.await(cluster.nodes(), shared.all());
            for (int i = 0; i < cluster.size(); i++) {
              shared.assertMatches(
                  cluster.node(i), writes, "n" + i + " after n1 restarted durably");
            }
            assertThat(cluster.node(0).get(hits).await().valueOf(replica))
                .as("one counter entry for n1, continued")
                .isEqualTo(contribution + 2);
            assertThat(cluster.node(2).get(set).await().elements())
                .contains("before-restart", "after-restart");
          }
        });
  }
}
