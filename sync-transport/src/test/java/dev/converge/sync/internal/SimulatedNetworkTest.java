package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.PNCounter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Many in-memory nodes on one simulated network, every tick driven by the test in lockstep rounds:
 * in a round every node runs its tick once, then the network drains. One node writes; the test
 * counts rounds until every node holds the write.
 *
 * <p>Anti-entropy is a push-pull epidemic: every round each node runs a session with one random
 * peer and the two exchange what differs both ways, so the informed set roughly triples per round
 * once it is small, and the last uninformed nodes pull it in; Karp et al. (FOCS 2000) give log3 N +
 * O(log log N) rounds. Delta propagation, by contrast, sends a node's own deltas to at most {@code
 * gossipFanout} peers per tick and never forwards them, so with fanout 1 it takes N - 1 ticks.
 */
class SimulatedNetworkTest {

  private static final int TRIALS = 5;
  private static final long SEED = Long.getLong("converge.seed", 0x51A7L);

  private static double log2(int n) {
    return Math.log(n) / Math.log(2);
  }

  /**
   * Starts {@code n} nodes s0..s{n-1}, all seeded on s0, and gossips until every node links all.
   */
  static SimulatedNetwork cluster(int n, int fanout, long seed) {
    SimulatedNetwork net = new SimulatedNetwork(seed);
    try {
      net.start(SimulatedNetwork.options("s0").setGossipFanout(fanout));
      String seedAddress = net.address("s0");
      for (int i = 1; i < n; i++) {
        net.start(
            SimulatedNetwork.options("s" + i)
                .setGossipFanout(fanout)
                .setSeeds(List.of(seedAddress)));
      }
      net.awaitQuiescent();
      int rounds = 0;
      while (!fullMesh(net, n)) {
        if (++rounds > 4 * n) {
          StringBuilder links = new StringBuilder();
          for (int i = 0; i < n; i++) {
            links.append(" s").append(i).append('=').append(net.links("s" + i).size());
          }
          throw new AssertionError(
              "membership did not complete in " + rounds + " gossip rounds:" + links);
        }
        // Member lists travel with heartbeats (and, in older versions, with gossip).
        net.tickAll(
            node -> {
              node.heartbeatTick();
              node.gossipTick();
            });
        net.awaitQuiescent();
      }
      // First contact schedules one anti-entropy session after 1-20 ms: let those run out.
      dev.converge.sync.TestCluster.sleep(100);
      net.awaitQuiescent();
      return net;
    } catch (RuntimeException | Error e) {
      net.close();
      throw e;
    }
  }

  private static boolean fullMesh(SimulatedNetwork net, int n) {
    for (int i = 0; i < n; i++) {
      if (net.links("s" + i).size() != n - 1) {
        return false;
      }
    }
    return true;
  }

  /** Writes {@code key} on {@code writer}; returns the rounds of {@code tick} until all have it. */
  static int roundsToSpread(
      SimulatedNetwork net,
      DefaultReplicator writer,
      Key<PNCounter> key,
      Consumer<DefaultReplicator> tick,
      int limit) {
    PNCounter written = writer.update(key, PNCounter.incrementBy(1)).await();
    net.awaitQuiescent();
    int rounds = 0;
    while (!everyNodeHas(net, key, written)) {
      if (++rounds > limit) {
        throw new AssertionError("a write did not reach every node in " + limit + " rounds");
      }
      net.tickAll(tick);
      net.awaitQuiescent();
    }
    return rounds;
  }

  private static boolean everyNodeHas(SimulatedNetwork net, Key<PNCounter> key, PNCounter state) {
    for (DefaultReplicator node : net.nodes()) {
      if (!node.get(key).await().equals(state)) {
        return false;
      }
    }
    return true;
  }

  @Test
  void antiEntropySpreadsAWriteInLogarithmicRoundsWhileFanoutOneDeltasSpreadLinearly() {
    Map<Integer, Double> antiEntropy = new LinkedHashMap<>();
    Random random = new Random(SEED);
    for (int n : new int[] {16, 32, 64, 128}) {
      long seed = random.nextLong();
      long started = System.nanoTime();
      try (SimulatedNetwork net = cluster(n, 1, seed)) {
        List<DefaultReplicator> nodes = net.nodes();
        int limit = (int) (10 * log2(n)) + 10;
        List<Integer> rounds = new ArrayList<>();
        for (int t = 0; t < TRIALS; t++) {
          DefaultReplicator writer = nodes.get(random.nextInt(n));
          rounds.add(
              roundsToSpread(
                  net,
                  writer,
                  Key.pnCounter("ae-" + t),
                  DefaultReplicator::antiEntropyTick,
                  limit));
        }
        double average = rounds.stream().mapToInt(Integer::intValue).average().orElseThrow();
        antiEntropy.put(n, average);
        System.out.printf(
            "simulated-convergence nodes=%d rounds=%.1f trials=%s seed=%d%n",
            n, average, rounds, seed);

        int both =
            roundsToSpread(
                net,
                nodes.get(random.nextInt(n)),
                Key.pnCounter("both"),
                node -> {
                  node.gossipTick();
                  node.antiEntropyTick();
                },
                limit);
        System.out.printf(
            "simulated-convergence-gossip-and-anti-entropy nodes=%d rounds=%d%n", n, both);

        int gossip =
            roundsToSpread(
                net,
                nodes.get(random.nextInt(n)),
                Key.pnCounter("gossip"),
                DefaultReplicator::gossipTick,
                2 * n);
        System.out.printf(
            "simulated-convergence-gossip-only nodes=%d fanout=1 rounds=%d%n", n, gossip);
        System.out.printf(
            "simulated-network nodes=%d millis=%d frames=%d bytes=%d%n",
            n, (System.nanoTime() - started) / 1_000_000, net.framesSent(), net.bytesSent());

        String context = "nodes=" + n + " seed=" + seed + " anti-entropy rounds=" + rounds;
        // Bound: 2 log2 N + 2, about three times the log3 N + O(log log N) of push-pull rumour
        // spreading: it leaves room for unlucky peer choices over 5 trials.
        assertThat(average).as(context).isLessThanOrEqualTo(2 * log2(n) + 2);
        assertThat((double) both).as(context).isLessThanOrEqualTo(2 * log2(n) + 4);
        // Each tick ships the writer's delta to one more peer; deltas are never forwarded.
        assertThat(gossip).as(context + " gossip rounds").isLessThanOrEqualTo(n - 1);
      }
    }
    List<Integer> sizes = new ArrayList<>(antiEntropy.keySet());
    for (int i = 1; i < sizes.size(); i++) {
      double added = antiEntropy.get(sizes.get(i)) - antiEntropy.get(sizes.get(i - 1));
      assertThat(added)
          .as(
              "rounds added by doubling %d to %d nodes (seed %d): %s",
              sizes.get(i - 1), sizes.get(i), SEED, antiEntropy)
          .isLessThanOrEqualTo(2.5);
    }
  }

  @Test
  void antiEntropySpreadsAWriteDespiteLoss() {
    int n = 32;
    long seed = SEED + 1;
    try (SimulatedNetwork net = cluster(n, 1, seed)) {
      net.setLossRate(0.1);
      Random random = new Random(seed);
      List<Integer> rounds = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        rounds.add(
            roundsToSpread(
                net,
                net.nodes().get(random.nextInt(n)),
                Key.pnCounter("lossy-" + t),
                DefaultReplicator::antiEntropyTick,
                (int) (10 * log2(n)) + 10));
      }
      double average = rounds.stream().mapToInt(Integer::intValue).average().orElseThrow();
      System.out.printf(
          "simulated-convergence-loss nodes=%d loss=0.1 rounds=%.1f trials=%s dropped=%d/%d seed=%d%n",
          n, average, rounds, net.framesDropped(), net.framesSent(), seed);
      assertThat(net.framesDropped()).as("frames were lost").isPositive();
      assertThat(average).as("seed %d: %s", seed, rounds).isLessThanOrEqualTo(4 * log2(n) + 4);
    }
  }
}
