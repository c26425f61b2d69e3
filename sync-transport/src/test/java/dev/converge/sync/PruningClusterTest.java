package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.ReplicaPruning;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.crdt.codec.ValueCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pruning the replica ids of gone incarnations across a cluster of real nodes over loopback (issue
 * 12, decision 0012): after removals, replacements and restarts every key on every node names the
 * live incarnations only, and every counter is exact — nothing counted twice, nothing lost that a
 * live member ever held.
 */
class PruningClusterTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(3);
  private static final Key<PNCounter> LIKES = Key.pnCounter("likes");
  private static final Key<ORSet<String>> TAGS = Key.orSet("tags", ValueCodec.string());
  private static final Key<LWWRegister<String>> TITLE =
      Key.lwwRegister("title", ValueCodec.string());
  private static final CrdtCodec CODEC = SyncOptions.localTest().getCodec();

  private static SyncOptions options(String nodeId, LoopbackNode seed) {
    return LoopbackNode.options(nodeId, seed).setPruneLeftAfterMillis(0);
  }

  /* The replica ids that `key`'s state names on `node`. */
  private static Set<ReplicaId> named(LoopbackNode node, Key<?> key) {
    Object state = node.replicator.get(key).await();
    return ((ReplicaPruning<?>) state).replicas();
  }

  /*
   * Waits until the live nodes hold the same state of every key, every key on every live node names
   * live incarnations only, and every live node has switched to the same prune epoch.
   */
  private static void awaitPruned(List<LoopbackNode> live, List<Key<?>> keys) {
    ConvergenceProbe.await(live.stream().map(n -> n.replicator).toList(), keys);
    Set<ReplicaId> liveIds = new HashSet<>();
    live.forEach(n -> liveIds.add(n.replicaId()));
    ConvergenceProbe.until(
        "every key on every node names live incarnations only, every node at one prune epoch",
        () ->
            live.stream().map(n -> n.replicator.metrics().pruneEpoch()).distinct().count() == 1
                && live.get(0).replicator.metrics().pruneEpoch() > 0
                && live.stream()
                    .allMatch(n -> keys.stream().allMatch(k -> liveIds.containsAll(named(n, k)))));
  }

  private static int encodedSize(PNCounter counter) {
    return CODEC.encode(LIKES.type(), counter).length;
  }

  @Test
  void twentyReplacementsUnderNewNamesLeaveACounterAsSmallAsThreeReplicasWrite() throws Exception {
    List<LoopbackNode> live = new CopyOnWriteArrayList<>();
    List<ReplicaId> everyIncarnation = new ArrayList<>();
    LoopbackNode first = new LoopbackNode(options("a", null));
    live.add(first);
    live.add(new LoopbackNode(options("b", first)));
    live.add(new LoopbackNode(options("c0", first)));
    LoopbackNode.awaitMembers(live);
    live.forEach(n -> everyIncarnation.add(n.replicaId()));
    AtomicLong acknowledged = new AtomicLong();
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread client =
        new Thread(
            () -> {
              Random random = new Random(7);
              while (writing.get()) {
                LoopbackNode n = live.get(random.nextInt(live.size()));
                try {
                  n.replicator.update(LIKES, PNCounter.incrementBy(1)).await();
                  acknowledged.incrementAndGet();
                } catch (RuntimeException refused) {
                  // the node is closing: not acknowledged
                }
              }
            });
    client.start();
    int peakBytes = 0;
    int peakIds = 0;
    try {
      for (int round = 1; round <= 20; round++) {
        LoopbackNode leaving = live.get(2);
        var leave = leaving.replicator.close();
        live.set(2, new LoopbackNode(options("c" + round, first)));
        everyIncarnation.add(live.get(2).replicaId());
        leave.await();
        leaving.close();
        LoopbackNode.awaitMembers(live);
        for (LoopbackNode n : live) {
          n.replicator
              .update(LIKES, PNCounter.incrementBy(1), Consistency.majority(TIMEOUT))
              .await();
          acknowledged.incrementAndGet();
        }
        PNCounter now = first.replicator.get(LIKES).await();
        peakBytes = Math.max(peakBytes, encodedSize(now));
        peakIds = Math.max(peakIds, now.replicas().size());
      }
      writing.set(false);
      client.join();
      long total = acknowledged.get();
      ConvergenceProbe.until(
          "every live node holds every acknowledged increment",
          () -> live.stream().allMatch(n -> n.replicator.get(LIKES).await().value() == total));
      long pruneStart = System.nanoTime();
      awaitPruned(live, List.of(LIKES));
      long pruneWaitMillis = (System.nanoTime() - pruneStart) / 1_000_000;
      for (LoopbackNode n : live) {
        assertThat(n.replicator.get(LIKES).await().value()).isEqualTo(total);
      }
      // A counter that only the three live incarnations ever wrote, with the same total.
      PNCounter reference = PNCounter.empty();
      for (int i = 0; i < live.size(); i++) {
        long share = total / 3 + (i < total % 3 ? 1 : 0);
        reference = reference.increment(live.get(i).replicaId(), share).state();
      }
      // The same total over all 23 incarnations: the counter had pruning not run.
      PNCounter unpruned = PNCounter.empty();
      for (int i = 0; i < everyIncarnation.size(); i++) {
        long share =
            total / everyIncarnation.size() + (i < total % everyIncarnation.size() ? 1 : 0);
        unpruned = unpruned.increment(everyIncarnation.get(i), share).state();
      }
      int pruned = encodedSize(first.replicator.get(LIKES).await());
      int threeWriters = encodedSize(reference);
      System.out.printf(
          "PruningClusterTest: counter written by %d incarnations: %d bytes unpruned; peak %d"
              + " bytes naming %d ids during the run; %d bytes naming 3 ids once pruned (%d ms"
              + " after the last writes converged); a counter written by 3 replicas: %d bytes%n",
          everyIncarnation.size(),
          encodedSize(unpruned),
          peakBytes,
          peakIds,
          pruned,
          pruneWaitMillis,
          threeWriters);
      assertThat((double) pruned).isLessThanOrEqualTo(threeWriters * 1.10);
    } finally {
      writing.set(false);
      client.join();
      live.forEach(LoopbackNode::close);
    }
  }

  @Test
  void anInMemoryNodeRestartedTwentyTimesLeavesNoTraceOfItsEarlierIncarnations() {
    LoopbackNode a = new LoopbackNode(options("a", null));
    LoopbackNode b = new LoopbackNode(options("b", a));
    LoopbackNode c = new LoopbackNode(options("c", a));
    List<LoopbackNode> live = new ArrayList<>(List.of(a, b, c));
    try {
      LoopbackNode.awaitMembers(live);
      long total = 0;
      for (int round = 0; round < 20; round++) {
        c.replicator.update(LIKES, PNCounter.incrementBy(2)).await();
        c.replicator.update(TAGS, ORSet.adding("t" + round)).await();
        c.replicator.update(TITLE, LWWRegister.assigning("title " + round)).await();
        total += 2;
        long expected = total;
        ConvergenceProbe.until(
            "a holds c's writes", () -> a.replicator.get(LIKES).await().value() == expected);
        c.close(); // a graceful leave; the next c is a new incarnation (in memory)
        c = new LoopbackNode(options("c", a));
        live.set(2, c);
        LoopbackNode.awaitMembers(live);
      }
      awaitPruned(live, List.of(LIKES, TAGS, TITLE));
      for (LoopbackNode n : live) {
        assertThat(n.replicator.get(LIKES).await().value()).isEqualTo(total);
        assertThat(n.replicator.get(TAGS).await().elements()).hasSize(20);
        assertThat(n.replicator.get(TITLE).await().value()).contains("title 19");
        assertThat(named(n, LIKES)).hasSizeLessThanOrEqualTo(3);
      }
      // 21 incarnations of c wrote the counter; it encodes as one the three live nodes wrote.
      PNCounter reference = PNCounter.empty();
      for (int i = 0; i < live.size(); i++) {
        long share = total / 3 + (i < total % 3 ? 1 : 0);
        reference = reference.increment(live.get(i).replicaId(), share).state();
      }
      assertThat((double) encodedSize(a.replicator.get(LIKES).await()))
          .isLessThanOrEqualTo(encodedSize(reference) * 1.10);
    } finally {
      live.forEach(LoopbackNode::close);
    }
  }

  @Test
  void writesOfARemovedNodeThatOnlyOneMemberHeldAreFoldedNotLostAndTheTimeIsMeasured() {
    LoopbackNode a = new LoopbackNode(options("a", null));
    LoopbackNode b = new LoopbackNode(options("b", a));
    LoopbackNode r = new LoopbackNode(options("r", a));
    List<LoopbackNode> live = new ArrayList<>(List.of(a, b));
    try {
      LoopbackNode.awaitMembers(List.of(a, b, r));
      ReplicaId gone = r.replicaId();
      // r's writes reach b only: a and r cannot talk.
      r.replicator.faults().partition(Set.of("a"));
      a.replicator.faults().partition(Set.of("r"));
      r.replicator.update(LIKES, PNCounter.incrementBy(5)).await();
      r.replicator.update(TAGS, ORSet.adding("from-r")).await();
      r.replicator.update(TITLE, LWWRegister.assigning("r's title")).await();
      ConvergenceProbe.until(
          "b holds r's writes",
          () ->
              b.replicator.get(LIKES).await().value() == 5
                  && b.replicator.get(TITLE).await().value().isPresent());
      a.replicator.update(LIKES, PNCounter.incrementBy(1)).await();
      b.replicator.update(TAGS, ORSet.adding("from-b")).await();
      long start = System.nanoTime();
      a.replicator.removeMember("r").await();
      awaitPruned(live, List.of(LIKES, TAGS, TITLE));
      long millis = (System.nanoTime() - start) / 1_000_000;
      System.out.printf(
          "PruningClusterTest: removal of r to its id gone from every key on every node: %d ms%n",
          millis);
      for (LoopbackNode n : live) {
        assertThat(n.replicator.get(LIKES).await().value()).isEqualTo(6);
        assertThat(n.replicator.get(TAGS).await().elements())
            .containsExactlyInAnyOrder("from-r", "from-b");
        assertThat(n.replicator.get(TITLE).await().value()).contains("r's title");
        assertThat(named(n, LIKES)).doesNotContain(gone);
        assertThat(n.replicator.metrics().pruneEpoch()).isPositive();
      }
      // The removed node, still running, keeps writing on its side; nothing of it comes back.
      r.replicator.faults().heal();
      a.replicator.faults().heal();
      r.replicator.update(LIKES, PNCounter.incrementBy(100)); // refused or kept on r alone
      ConvergenceProbe.until(
          "r is refused everywhere", () -> r.replicator.status() == MemberStatus.REMOVED);
      for (LoopbackNode n : live) {
        assertThat(n.replicator.get(LIKES).await().value()).isEqualTo(6);
        assertThat(named(n, LIKES)).doesNotContain(gone);
      }
    } finally {
      r.close();
      live.forEach(LoopbackNode::close);
    }
  }

  @Test
  void aDurableMemberRestartedOnItsDataWhilePruningRunsEndsExact(@TempDir Path dir) {
    LoopbackNode a = new LoopbackNode(options("a", null).setPruneLeftAfterMillis(60_000));
    LoopbackNode b = new LoopbackNode(options("b", a).setPruneLeftAfterMillis(60_000));
    SyncOptions cOptions =
        options("c", a).setDataDir(dir.resolve("c")).setPruneLeftAfterMillis(60_000);
    LoopbackNode c = new LoopbackNode(cOptions);
    LoopbackNode r = new LoopbackNode(options("r", a));
    List<LoopbackNode> live = new ArrayList<>(List.of(a, b, c));
    try {
      // c restarts on its data within a minute of its leave: the same incarnation, not pruned
      LoopbackNode.awaitMembers(List.of(a, b, c, r));
      for (int i = 0; i < 50; i++) {
        r.replicator.update(Key.pnCounter("k" + i), PNCounter.incrementBy(i + 1)).await();
        c.replicator.update(Key.pnCounter("k" + i), PNCounter.incrementBy(1)).await();
      }
      List<Key<?>> keys = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        keys.add(Key.pnCounter("k" + i));
      }
      // Every member holds r's writes before r goes (what never left it is the documented loss).
      ConvergenceProbe.await(List.of(a.replicator, b.replicator, c.replicator, r.replicator), keys);
      r.replicator.faults().partition(Set.of("a", "b", "c"));
      a.replicator.removeMember("r").await();
      c.close(); // c restarts on its data while the others prune
      c = new LoopbackNode(cOptions);
      live.set(2, c);
      LoopbackNode.awaitMembers(live);
      awaitPruned(live, keys);
      for (LoopbackNode n : live) {
        for (int i = 0; i < 50; i++) {
          assertThat(n.replicator.get(Key.pnCounter("k" + i)).await().value()).isEqualTo(i + 2);
        }
      }
    } finally {
      r.close();
      live.forEach(LoopbackNode::close);
    }
  }

  @Test
  void anOwnerRestartedBeforeItFoldedIsNotTakenForItsNextIncarnation() {
    LoopbackNode a = new LoopbackNode(options("a", null));
    LoopbackNode b = new LoopbackNode(options("b", a));
    LoopbackNode c = new LoopbackNode(options("c", a));
    LoopbackNode r = new LoopbackNode(options("r", a));
    List<LoopbackNode> live = new ArrayList<>(List.of(a, b, c));
    try {
      LoopbackNode.awaitMembers(List.of(a, b, c, r));
      r.replicator.update(LIKES, PNCounter.incrementBy(7)).await();
      ConvergenceProbe.await(
          List.of(a.replicator, b.replicator, c.replicator, r.replicator), List.of(LIKES));
      ReplicaId gone = r.replicaId();
      // Every node knows every other as up, so a, the smallest id, is the one to start the record.
      ConvergenceProbe.until(
          "every node sees the others up",
          () ->
              List.of(a, b, c).stream()
                  .allMatch(
                      n ->
                          n.replicator.members().stream()
                              .allMatch(m -> m.status() == MemberStatus.UP)));
      // c cannot reach a, the owner to be: the record stays collecting.
      c.replicator.faults().partition(Set.of("a"));
      a.replicator.faults().partition(Set.of("c"));
      r.replicator.faults().partition(Set.of("a", "b", "c"));
      b.replicator.removeMember("r").await();
      ConvergenceProbe.until("r is removed", () -> b.replicator.members().size() == 2);
      TestCluster.sleep(300);
      assertThat(a.replicator.metrics().pruneEpoch()).isZero(); // c has not collected
      // The owner restarts in memory: a new incarnation of node a, which holds nothing collected.
      a.close();
      live.set(0, new LoopbackNode(options("a", b)));
      c.replicator.faults().heal();
      LoopbackNode.awaitMembers(live);
      awaitPruned(live, List.of(LIKES));
      for (LoopbackNode n : live) {
        assertThat(n.replicator.get(LIKES).await().value()).isEqualTo(7);
        assertThat(named(n, LIKES)).doesNotContain(gone);
      }
    } finally {
      r.close();
      live.forEach(LoopbackNode::close);
    }
  }
}
