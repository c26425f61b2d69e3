package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.PNCounter;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The member lifecycle on real nodes over loopback (issue 12): a graceful leave hands off what is
 * unacknowledged and stops counting in quorums, replaced nodes do not accumulate, removal is final
 * for the removed incarnation, and the majority floor.
 */
class MemberLifecycleTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  private static SyncOptions options(String nodeId, LoopbackNode seed) {
    return LoopbackNode.options(nodeId, seed);
  }

  /* Nodes a, b and {@code third}, seeded on a, all members of each other. */
  private static List<LoopbackNode> startThree(String third) {
    List<LoopbackNode> nodes = new ArrayList<>();
    LoopbackNode first = new LoopbackNode(options("a", null));
    nodes.add(first);
    nodes.add(new LoopbackNode(options("b", first)));
    nodes.add(new LoopbackNode(options(third, first)));
    LoopbackNode.awaitMembers(nodes);
    return nodes;
  }

  @Test
  void aNodeReplacedAgainAndAgainUnderNewNamesLeavesQuorumsAndMembersTrue() throws Exception {
    Key<PNCounter> likes = Key.pnCounter("likes");
    List<LoopbackNode> live = new java.util.concurrent.CopyOnWriteArrayList<>(startThree("c0"));
    LoopbackNode first = live.get(0);
    java.util.concurrent.atomic.AtomicLong acknowledged =
        new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicBoolean writing =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    // A client writes to every live node all along, the leaving ones included: every write a node
    // acknowledged before it left must be counted everywhere at the end.
    Thread client =
        new Thread(
            () -> {
              Random random = new Random(12);
              while (writing.get()) {
                LoopbackNode n = live.get(random.nextInt(live.size()));
                try {
                  n.replicator.update(likes, PNCounter.incrementBy(1)).await();
                  acknowledged.incrementAndGet();
                } catch (RuntimeException refused) {
                  // the node is closing: not acknowledged
                }
              }
            });
    client.start();
    try {
      for (int round = 1; round <= 20; round++) {
        LoopbackNode leaving = live.get(2);
        // A graceful leave while the client still writes to it: what it acknowledged must arrive.
        Future<Void> leave = leaving.replicator.close();
        live.set(2, new LoopbackNode(options("c" + round, first)));
        leave.await();
        leaving.close();
        LoopbackNode.awaitMembers(live);
        for (LoopbackNode n : live) {
          assertThat(n.replicator.members())
              .extracting(ClusterMember::nodeId)
              .doesNotContain("c" + (round - 1));
          // N is 3 again: a majority of 2 is reachable on every live node.
          n.replicator
              .update(likes, PNCounter.incrementBy(1), Consistency.majority(TIMEOUT))
              .await();
          acknowledged.incrementAndGet();
        }
      }
      writing.set(false);
      client.join();
      long total = acknowledged.get();
      assertThat(total).isGreaterThan(60); // the client wrote all along
      ConvergenceProbe.until(
          "every live node holds every acknowledged increment",
          () -> live.stream().allMatch(n -> n.replicator.get(likes).await().value() == total));
    } finally {
      writing.set(false);
      client.join();
      live.forEach(LoopbackNode::close);
    }
  }

  @Test
  void aGracefulLeaveWithTenThousandUnacknowledgedWritesLosesNone(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    List<Key<PNCounter>> keys = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      keys.add(Key.pnCounter("likes-" + i));
    }
    Key<PNCounter> likes = keys.get(0);
    try (LoopbackNode a = new LoopbackNode(options("a", null));
        LoopbackNode b = new LoopbackNode(options("b", a))) {
      // The leaver is durable and gossips rarely: its writes wait in its delta buffer,
      // unacknowledged, and anti-entropy is too slow to carry them before it is gone.
      LoopbackNode leaver =
          new LoopbackNode(
              options("leaver", a)
                  .setDataDir(dir)
                  .setGossipIntervalMillis(60_000)
                  .setAntiEntropyIntervalMillis(60_000));
      LoopbackNode.awaitMembers(List.of(a, b, leaver));
      List<Future<PNCounter>> writes = new ArrayList<>();
      for (int i = 0; i < 10_000; i++) {
        writes.add(leaver.replicator.update(keys.get(i % keys.size()), PNCounter.incrementBy(1)));
      }
      long started = System.nanoTime();
      leaver.close(); // right away, with writes in flight
      long leaveMillis = (System.nanoTime() - started) / 1_000_000;
      long acknowledged = writes.stream().filter(Future::succeeded).count();
      assertThat(acknowledged).isEqualTo(10_000);
      System.out.println("graceful leave with 10,000 writes in flight: " + leaveMillis + " ms");
      ConvergenceProbe.until(
          "both remaining nodes hold all 10,000",
          () -> total(a, keys) == 10_000 && total(b, keys) == 10_000);
      ConvergenceProbe.until(
          "the leaver is no longer a member",
          () -> a.replicator.members().size() == 1 && b.replicator.members().size() == 1);
      // N = 2 now: a majority is both remaining nodes, and it is reachable.
      a.replicator.update(likes, PNCounter.incrementBy(1), Consistency.majority(TIMEOUT)).await();
    }
  }

  private static long total(LoopbackNode node, List<Key<PNCounter>> keys) {
    long sum = 0;
    for (Key<PNCounter> key : keys) {
      sum += node.replicator.get(key).await().value();
    }
    return sum;
  }

  @Test
  void aRemovedIncarnationIsRefusedAndItsUnsentWritesAreTheDocumentedLoss() {
    Key<PNCounter> likes = Key.pnCounter("likes");
    try (LoopbackNode a = new LoopbackNode(options("a", null));
        LoopbackNode b = new LoopbackNode(options("b", a));
        LoopbackNode gone = new LoopbackNode(options("gone", a))) {
      LoopbackNode.awaitMembers(List.of(a, b, gone));
      gone.replicator.update(likes, PNCounter.incrementBy(5)).await();
      ConvergenceProbe.until(
          "the replicated write arrives", () -> a.replicator.get(likes).await().value() == 5);
      // Cut it off; it keeps writing on its side.
      a.replicator.faults().partition(java.util.Set.of("gone"));
      b.replicator.faults().partition(java.util.Set.of("gone"));
      gone.replicator.faults().partition(java.util.Set.of("a", "b"));
      gone.replicator.update(likes, PNCounter.incrementBy(100)).await();
      a.replicator.removeMember("gone").await();
      ConvergenceProbe.until(
          "both survivors drop it",
          () -> a.replicator.members().size() == 1 && b.replicator.members().size() == 1);
      a.replicator.update(likes, PNCounter.incrementBy(1), Consistency.majority(TIMEOUT)).await();
      // Heal: the removed incarnation is refused and learns it.
      a.replicator.faults().heal();
      b.replicator.faults().heal();
      gone.replicator.faults().heal();
      ConvergenceProbe.until(
          "the removed node learns it was removed",
          () -> gone.replicator.status() == MemberStatus.REMOVED);
      Throwable refused = null;
      try {
        gone.replicator.update(likes, PNCounter.incrementBy(1)).await();
      } catch (IllegalStateException e) {
        refused = e;
      }
      assertThat(refused).hasMessageContaining("no longer a cluster member");
      TestCluster.sleep(500);
      // What it replicated stays (5); what never left it (100) is the documented loss.
      assertThat(a.replicator.get(likes).await().value()).isEqualTo(6);
      assertThat(b.replicator.members()).extracting(ClusterMember::nodeId).containsExactly("a");
    }
  }

  @Test
  void anInMemoryNodeRestartedTwentyTimesUnderItsNameIsOneMember() {
    Key<PNCounter> likes = Key.pnCounter("likes");
    List<LoopbackNode> live = startThree("c");
    LoopbackNode first = live.get(0);
    try {
      long expected = 0;
      java.util.Set<String> incarnations = new java.util.HashSet<>();
      for (int round = 0; round < 20; round++) {
        // Stored by every node before the crash: an in-memory node's purely local writes die with
        // it.
        live.get(2)
            .replicator
            .update(likes, PNCounter.incrementBy(1), Consistency.all(TIMEOUT))
            .await();
        expected++;
        incarnations.add(live.get(2).replicator.identity().incarnation());
        // An unclean stop (no leave): the process is gone, the next one is a new incarnation.
        LoopbackNode old = live.remove(2);
        old.vertx.close().await();
        live.add(new LoopbackNode(options("c", first)));
        LoopbackNode.awaitMembers(live);
        for (LoopbackNode n : live) {
          n.replicator
              .update(likes, PNCounter.incrementBy(1), Consistency.majority(TIMEOUT))
              .await();
          expected++;
        }
      }
      assertThat(incarnations).hasSize(20);
      for (LoopbackNode n : live) {
        assertThat(n.replicator.members()).hasSize(2);
      }
      String current = live.get(2).replicator.identity().incarnation();
      assertThat(live.get(0).replicator.members())
          .filteredOn(m -> m.nodeId().equals("c"))
          .extracting(ClusterMember::incarnation)
          .containsExactly(current);
      long total = expected;
      ConvergenceProbe.until(
          "every live node holds every increment",
          () -> live.stream().allMatch(n -> n.replicator.get(likes).await().value() == total));
    } finally {
      live.forEach(LoopbackNode::close);
    }
  }

  @Test
  void automaticRemovalDropsAMemberUnreachableForLongerThanConfigured() {
    try (LoopbackNode a =
            new LoopbackNode(options("a", null).setAutoRemoveUnreachableAfterMillis(1_500));
        LoopbackNode b = new LoopbackNode(options("b", a))) {
      LoopbackNode c = new LoopbackNode(options("c", a));
      LoopbackNode.awaitMembers(List.of(a, b, c));
      c.replicator.faults().partition(java.util.Set.of("a", "b"));
      c.vertx.close().await(); // crashed: never leaves
      ConvergenceProbe.until(
          "c is removed on both survivors",
          () -> a.replicator.members().size() == 1 && b.replicator.members().size() == 1);
      assertThat(b.replicator.members()).extracting(ClusterMember::nodeId).containsExactly("a");
    }
  }

  @Test
  void aDurableNodeThatLeftRejoinsOnItsDataAsTheSameIncarnation(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    Key<PNCounter> likes = Key.pnCounter("likes");
    try (LoopbackNode a = new LoopbackNode(options("a", null));
        LoopbackNode b = new LoopbackNode(options("b", a))) {
      LoopbackNode durable = new LoopbackNode(options("d", a).setDataDir(dir));
      String incarnation = durable.replicator.identity().incarnation();
      LoopbackNode.awaitMembers(List.of(a, b, durable));
      durable.replicator.update(likes, PNCounter.incrementBy(3)).await();
      durable.close(); // leaves
      ConvergenceProbe.until(
          "d is no longer counted",
          () -> a.replicator.members().size() == 1 && b.replicator.members().size() == 1);
      a.replicator.update(likes, PNCounter.incrementBy(1), Consistency.majority(TIMEOUT)).await();
      try (LoopbackNode back = new LoopbackNode(options("d", a).setDataDir(dir))) {
        assertThat(back.replicator.identity().incarnation()).isEqualTo(incarnation);
        LoopbackNode.awaitMembers(List.of(a, b, back));
        assertThat(a.replicator.members())
            .filteredOn(m -> m.nodeId().equals("d"))
            .extracting(ClusterMember::status)
            .doesNotContain(MemberStatus.LEFT, MemberStatus.REMOVED);
        ConvergenceProbe.until(
            "d holds every increment again", () -> back.replicator.get(likes).await().value() == 4);
      }
    }
  }

  @Test
  void aRemovedNodeRestartedAsANewIncarnationRejoins() {
    try (LoopbackNode a = new LoopbackNode(options("a", null));
        LoopbackNode b = new LoopbackNode(options("b", a))) {
      LoopbackNode gone = new LoopbackNode(options("x", a).setLeaveTimeoutMillis(300));
      LoopbackNode.awaitMembers(List.of(a, b, gone));
      gone.replicator.faults().partition(java.util.Set.of("a", "b"));
      a.replicator.removeMember("x").await();
      ConvergenceProbe.until(
          "x is removed on both",
          () -> a.replicator.members().size() == 1 && b.replicator.members().size() == 1);
      gone.close();
      try (LoopbackNode again = new LoopbackNode(options("x", a))) { // in memory: a new incarnation
        LoopbackNode.awaitMembers(List.of(a, b, again));
        assertThat(again.replicator.status()).isNotEqualTo(MemberStatus.REMOVED);
        again
            .replicator
            .update(Key.pnCounter("k"), PNCounter.incrementBy(1), Consistency.all(TIMEOUT))
            .await();
      }
    }
  }

  @Test
  void removeMemberRefusesThisNodeAndUnknownIds() {
    try (LoopbackNode a = new LoopbackNode(options("a", null))) {
      assertThat(ConvergenceProbe.failureOf(a.replicator.removeMember("a")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cannot remove itself");
      assertThat(ConvergenceProbe.failureOf(a.replicator.removeMember("nobody")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("no current member");
    }
  }

  @Test
  void aMajorityIsNeverSmallerThanTheFloor() {
    Key<PNCounter> stock = Key.pnCounter("stock");
    try (LoopbackNode alone = new LoopbackNode(options("alone", null).setMinQuorumSize(2))) {
      Throwable refused =
          ConvergenceProbe.failureOf(
              alone.replicator.update(
                  stock, PNCounter.incrementBy(1), Consistency.majority(TIMEOUT)));
      assertThat(refused).isInstanceOf(ConsistencyException.class);
      assertThat(((ConsistencyException) refused).required()).isEqualTo(2);
      assertThat(alone.replicator.get(stock).await().value()).isEqualTo(1); // kept locally
      try (LoopbackNode other = new LoopbackNode(options("other", alone))) {
        LoopbackNode.awaitMembers(List.of(alone, other));
        alone
            .replicator
            .update(stock, PNCounter.incrementBy(1), Consistency.majority(TIMEOUT))
            .await();
      }
    }
  }
}
