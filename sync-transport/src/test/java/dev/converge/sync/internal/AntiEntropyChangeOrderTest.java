package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.sync.SyncMetrics;
import dev.converge.sync.internal.Message.Deltas;
import dev.converge.sync.internal.Message.KeyBytes;
import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The digest anti-entropy keeps of a key must be that of the key's newest stored state, whatever
 * order the node's event loop learns of the changes in. Here a local write is applied by the store
 * (on the caller's thread) before a peer's delta of the same key is merged, but the write's
 * bookkeeping runs on the event loop after the merge's. If the digest then describes the older
 * state, the two nodes' digests differ forever although their states are equal: every anti-entropy
 * round ships the key both ways and never finds the nodes in sync.
 */
class AntiEntropyChangeOrderTest {

  @Test
  void aLocalWriteWhoseBookkeepingRunsAfterARemoteMergeLeavesTheNewestDigest() throws Exception {
    try (SimulatedNetwork net = SimulatedNetworkTest.cluster(2, 1, 7)) {
      DefaultReplicator n0 = net.nodes().get(0);
      DefaultReplicator n1 = net.nodes().get(1);
      Key<PNCounter> key = Key.pnCounter("k");
      PNCounter theirs = n1.update(key, PNCounter.incrementBy(5)).await();
      net.awaitQuiescent();

      CountDownLatch paused = new CountDownLatch(1);
      CountDownLatch resume = new CountDownLatch(1);
      n0.context()
          .runOnContext(
              v -> {
                paused.countDown();
                try {
                  resume.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      assertThat(paused.await(1, TimeUnit.MINUTES)).isTrue();
      // Queued first: n1's delta. Then n0's own write, which its store applies right here.
      net.inject(
          "s1",
          "s0",
          new Deltas(
              1,
              1,
              1,
              List.of(new KeyBytes("k", CrdtCodec.standard().encode(PNCounter.TYPE, theirs)))));
      Future<PNCounter> mine = n0.update(key, PNCounter.incrementBy(1));
      resume.countDown();
      assertThat(mine.await().value()).isEqualTo(1);
      net.awaitQuiescent();
      assertThat(n0.get(key).await().value()).as("n0 merged n1's delta").isEqualTo(6);

      int rounds = 0;
      while (!n1.get(key).await().equals(n0.get(key).await())) {
        assertThat(++rounds).as("rounds for n1 to receive n0's state").isLessThan(10);
        net.tickAll(DefaultReplicator::antiEntropyTick);
        net.awaitQuiescent();
      }
      long shipped = fullStatesSent(n0, n1);
      for (int i = 0; i < 3; i++) {
        net.tickAll(DefaultReplicator::antiEntropyTick);
        net.awaitQuiescent();
      }
      assertThat(fullStatesSent(n0, n1) - shipped)
          .as("full states shipped in 3 anti-entropy rounds between two nodes with equal states")
          .isZero();
    }
  }

  private static long fullStatesSent(DefaultReplicator... nodes) {
    long sum = 0;
    for (DefaultReplicator node : nodes) {
      SyncMetrics m = node.metrics();
      sum += m.fullStatesSent();
    }
    return sum;
  }
}
