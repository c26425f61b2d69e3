package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.ReplicaPruning;
import dev.converge.crdt.codec.ValueCodec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Pruning under a hostile network (seeded): every link drops, duplicates, delays and reorders
 * frames while clients write counters, sets and registers on every node and a fourth node is
 * replaced again and again, by a graceful leave or by removal behind a partition. Late, repeated
 * and reordered deltas and anti-entropy states that still name pruned incarnations arrive all
 * along. At the end every counter is exact (every acknowledged increment of a live or gracefully
 * left node, nothing twice), all nodes hold the same state of every key, and no key names a gone
 * incarnation.
 *
 * <p>A short seeded run is part of the test suite; a longer one: {@code ./mvnw -pl sync-transport
 * test -Dtest=PruningChaosTest -Dconverge.chaos.rounds=40 -Dconverge.seed=N}.
 */
class PruningChaosTest {

  private static final long SEED = Long.getLong("converge.seed", 0xC4A05L);
  private static final int ROUNDS = Integer.getInteger("converge.chaos.rounds", 6);
  private static final List<Key<PNCounter>> COUNTERS =
      List.of(Key.pnCounter("c0"), Key.pnCounter("c1"), Key.pnCounter("c2"));
  private static final Key<ORSet<String>> SET = Key.orSet("set", ValueCodec.string());
  private static final Key<LWWRegister<String>> REG = Key.lwwRegister("reg", ValueCodec.string());

  private static SyncOptions options(String nodeId, LoopbackNode seed) {
    return LoopbackNode.options(nodeId, seed)
        .setPruneLeftAfterMillis(0)
        .setLeaveTimeoutMillis(5_000);
  }

  private static void chaos(LoopbackNode n, long seed) {
    n.replicator.faults().setSeed(seed).setDropRate(0.05).setDuplicateRate(0.05);
    n.replicator.faults().setMaxDelayMillis(20);
  }

  @Test
  void prunedIdsNeverCountTwiceNorComeBackUnderLossDuplicationAndReordering() throws Exception {
    Random random = new Random(SEED);
    System.out.printf(
        "PruningChaosTest: seed %d, %d rounds; rerun with -Dconverge.seed=%d%n",
        SEED, ROUNDS, SEED);
    List<LoopbackNode> live = new CopyOnWriteArrayList<>();
    LoopbackNode a = new LoopbackNode(options("a", null));
    live.add(a);
    live.add(new LoopbackNode(options("b", a)));
    live.add(new LoopbackNode(options("c", a)));
    live.add(new LoopbackNode(options("d0", a)));
    LoopbackNode.awaitMembers(live);
    live.forEach(n -> chaos(n, random.nextLong()));
    AtomicLong[] acknowledged = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
    AtomicBoolean writing = new AtomicBoolean(true);
    List<Thread> clients = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      long clientSeed = random.nextLong();
      clients.add(
          new Thread(
              () -> {
                Random r = new Random(clientSeed);
                while (writing.get()) {
                  LoopbackNode n = live.get(r.nextInt(live.size()));
                  int k = r.nextInt(COUNTERS.size());
                  try {
                    switch (r.nextInt(4)) {
                      case 0, 1 -> {
                        n.replicator.update(COUNTERS.get(k), PNCounter.incrementBy(1)).await();
                        acknowledged[k].incrementAndGet();
                      }
                      case 2 ->
                          n.replicator
                              .update(
                                  SET,
                                  r.nextBoolean()
                                      ? ORSet.adding("e" + r.nextInt(6))
                                      : ORSet.removing("e" + r.nextInt(6)))
                              .await();
                      default ->
                          n.replicator
                              .update(REG, LWWRegister.assigning("v" + r.nextInt(1000)))
                              .await();
                    }
                  } catch (RuntimeException refused) {
                    // a node closing or removed: not acknowledged
                  }
                  TestCluster.sleep(1 + r.nextInt(3));
                }
              }));
    }
    clients.forEach(Thread::start);
    try {
      for (int round = 1; round <= ROUNDS; round++) {
        LoopbackNode leaving = live.get(3);
        if (round % 2 == 1) {
          var leave = leaving.replicator.close(); // graceful: what it acknowledged must arrive
          live.set(3, new LoopbackNode(options("d" + round, a)));
          leave.await();
        } else {
          // Removed behind a partition: its writes since then are the documented loss, so the
          // clients' counts stay exact only if it acknowledges none; stop writing to it first.
          LoopbackNode replacement = new LoopbackNode(options("d" + round, a));
          live.set(3, replacement);
          TestCluster.sleep(100); // writes in flight to `leaving` finish
          awaitCaughtUp(leaving, live.subList(0, 3));
          leaving.replicator.faults().partition(Set.of("a", "b", "c", "d" + round));
          a.replicator.removeMember("d" + (round - 1)).await();
        }
        LoopbackNode.awaitMembers(live);
        chaos(live.get(3), random.nextLong());
        leaving.vertx.close().await();
        TestCluster.sleep(300 + random.nextInt(500));
      }
      writing.set(false);
      for (Thread t : clients) {
        t.join();
      }
      live.forEach(n -> n.replicator.faults().heal());
      List<Key<?>> keys = new ArrayList<>(COUNTERS);
      keys.add(SET);
      keys.add(REG);
      ConvergenceProbe.await(live.stream().map(n -> n.replicator).toList(), keys);
      Set<ReplicaId> liveIds = new HashSet<>();
      live.forEach(n -> liveIds.add(n.replicator.identity().replicaId()));
      ConvergenceProbe.until(
          "no key on any node names a gone incarnation",
          () ->
              live.stream()
                  .allMatch(
                      n ->
                          keys.stream()
                              .allMatch(
                                  k ->
                                      liveIds.containsAll(
                                          ((ReplicaPruning<?>) n.replicator.get(k).await())
                                              .replicas()))));
      ConvergenceProbe.await(live.stream().map(n -> n.replicator).toList(), keys);
      for (LoopbackNode n : live) {
        for (int k = 0; k < COUNTERS.size(); k++) {
          assertThat(n.replicator.get(COUNTERS.get(k)).await().value())
              .as("counter %d on %s (seed %d)", k, n.replicator.identity().nodeId(), SEED)
              .isEqualTo(acknowledged[k].get());
        }
      }
    } finally {
      writing.set(false);
      for (Thread t : clients) {
        t.join();
      }
      for (LoopbackNode n : live) {
        n.close();
      }
    }
  }

  /* Waits until every increment `node` holds is held by each of `others`. */
  private static void awaitCaughtUp(LoopbackNode node, List<LoopbackNode> others) {
    ConvergenceProbe.until(
        "the others hold what " + node.replicator.identity().nodeId() + " holds",
        () ->
            COUNTERS.stream()
                .allMatch(
                    k -> {
                      PNCounter held = node.replicator.get(k).await();
                      return others.stream()
                          .allMatch(
                              o -> {
                                PNCounter theirs = o.replicator.get(k).await();
                                return theirs.merge(held).equals(theirs);
                              });
                    }));
  }
}
