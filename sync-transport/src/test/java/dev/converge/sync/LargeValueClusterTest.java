package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.Mutator;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.crdt.codec.ValueCodec;
import dev.converge.store.StoreException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Values far larger than one frame, on real sockets: the frame limit is set to 16 KiB (chunks of 8
 * KiB) and the sets hold about 20 times that, so every full state crosses a link in many chunks
 * while deltas and heartbeats go between them.
 */
class LargeValueClusterTest {

  private static final int FRAME_BYTES = 16 * 1024;
  private static final int ELEMENTS = 12_000;
  private static final Key<ORSet<String>> SET = Key.orSet("big", ValueCodec.string());
  private static final Key<PNCounter> SMALL = Key.pnCounter("small");

  private static SyncOptions smallFrames(SyncOptions o) {
    return o.setMaxFrameBytes(FRAME_BYTES);
  }

  /* Adds elements from..to-1 in one write. */
  private static Mutator<ORSet<String>> addRange(int from, int to) {
    return ORSet.addingAll(
        IntStream.range(from, to).mapToObj(LargeValueClusterTest::element).toList());
  }

  private static String element(int i) {
    return String.format("element-%06d", i);
  }

  private static void writeBigSet(Replicator node, int from, int to) {
    for (int i = from; i < to; i += 500) {
      node.update(SET, addRange(i, Math.min(to, i + 500))).await();
    }
  }

  private static int encodedSize(ORSet<String> set) {
    return CrdtCodec.standard().encode(SET.type(), set).length;
  }

  @Test
  void aLateJoinerReceivesASetFarLargerThanOneFrame() {
    try (TestCluster cluster = TestCluster.start(1, LargeValueClusterTest::smallFrames)) {
      writeBigSet(cluster.node(0), 0, ELEMENTS);
      ORSet<String> written = cluster.node(0).get(SET).await();
      assertThat(encodedSize(written))
          .as("the state is many frames long")
          .isGreaterThan(10 * FRAME_BYTES);

      cluster.add(smallFrames(SyncOptions.localTest().setNodeId("n1")));
      cluster.awaitConvergence(List.of(SET));

      assertThat(cluster.node(1).get(SET).await().size()).isEqualTo(ELEMENTS);
      for (Replicator node : cluster.nodes()) {
        assertThat(node.metrics().protocolErrors()).as("no link closed").isZero();
      }
    }
  }

  @Test
  void aPartitionedNodeCatchesUpOnALargeSetAndSmallWritesKeepFlowing() {
    try (TestCluster cluster = TestCluster.start(3, LargeValueClusterTest::smallFrames)) {
      cluster.awaitMembership();
      cluster.partition(List.of(0, 1), List.of(2));
      writeBigSet(cluster.node(0), 0, ELEMENTS);
      cluster.node(2).update(SMALL, PNCounter.incrementBy(5)).await();
      cluster.heal();

      cluster.awaitConvergence(List.of(SET, SMALL));
      assertThat(cluster.node(2).get(SET).await().size()).isEqualTo(ELEMENTS);
      assertThat(cluster.node(0).get(SMALL).await().value()).isEqualTo(5);
    }
  }

  @Test
  void majorityReadAndWriteSucceedOnAKeyLargerThanAFrame() {
    try (TestCluster cluster = TestCluster.start(3, LargeValueClusterTest::smallFrames)) {
      cluster.awaitMembership();
      // Written on node 2 alone (others cut off), so a majority read elsewhere must ship it whole.
      cluster.partition(List.of(2), List.of(0, 1));
      writeBigSet(cluster.node(2), 0, ELEMENTS);
      cluster.heal();
      cluster.partition(List.of(1), List.of(0, 2)); // a majority {0, 2} stays

      ORSet<String> read =
          cluster.node(0).get(SET, Consistency.majority(Duration.ofSeconds(30))).await();
      assertThat(read.size()).as("the majority read merged node 2's state").isEqualTo(ELEMENTS);

      ORSet<String> written =
          cluster
              .node(0)
              .update(
                  SET,
                  addRange(ELEMENTS, ELEMENTS + 2_000),
                  Consistency.majority(Duration.ofSeconds(30)))
              .await();
      assertThat(written.size()).isEqualTo(ELEMENTS + 2_000);
      cluster.heal();
      cluster.awaitConvergence(List.of(SET));
    }
  }

  @Test
  void aWriteOverTheMaximumValueSizeIsRefusedAndNothingIsStoredOrSent() {
    int max = 64 * 1024;
    try (TestCluster cluster = TestCluster.start(2, o -> smallFrames(o).setMaxValueBytes(max))) {
      cluster.awaitMembership();
      writeBigSet(cluster.node(0), 0, 1_000);
      cluster.awaitConvergence(List.of(SET));
      ORSet<String> before = cluster.node(0).get(SET).await();
      assertThat(encodedSize(before)).isLessThan(max);

      Throwable refused =
          ConvergenceProbe.failureOf(cluster.node(0).update(SET, addRange(1_000, 10_000)));
      assertThat(refused)
          .isInstanceOf(StoreException.ValueTooLarge.class)
          .hasMessageContaining("maximum value size of " + max);
      assertThat(((StoreException.ValueTooLarge) refused).bytes()).isGreaterThan(max);

      // Nothing of the refused write: not on the writer, not on its peer.
      cluster.node(0).update(SMALL, PNCounter.incrementBy(1)).await();
      cluster.awaitConvergence(List.of(SET, SMALL));
      for (Replicator node : cluster.nodes()) {
        assertThat(node.get(SET).await()).isEqualTo(before);
      }
      // A write that fits still succeeds.
      assertThat(cluster.node(1).update(SET, addRange(1_000, 1_100)).await().size())
          .isEqualTo(1_100);
    }
  }

  @Test
  void theMaximumValueSizeIsEnforcedOnTheDurableStoreAndSurvivesARestart(@TempDir Path dir) {
    int max = 32 * 1024;
    Path data = dir.resolve("n0");
    try (TestCluster cluster =
        TestCluster.start(1, o -> o.setDataDir(data).setMaxValueBytes(max))) {
      Replicator node = cluster.node(0);
      int written = 0;
      Throwable refused = null;
      while (refused == null) {
        try {
          node.update(SET, addRange(written, written + 200)).await();
          written += 200;
        } catch (RuntimeException e) {
          refused = e;
        }
      }
      assertThat(refused).isInstanceOf(StoreException.ValueTooLarge.class);
      Set<String> expected =
          IntStream.range(0, written)
              .mapToObj(LargeValueClusterTest::element)
              .collect(Collectors.toSet());
      assertThat(node.get(SET).await().elements()).isEqualTo(expected);
      assertThat(encodedSize(node.get(SET).await())).isLessThanOrEqualTo(max);

      cluster.restart(0, data);
      assertThat(cluster.node(0).get(SET).await().elements())
          .as("after a restart: every acknowledged write, nothing of the refused one")
          .isEqualTo(expected);
    }
  }

  @Test
  void clearingASetLargerThanAFrameHoldsUpNoSmallWriteToAnotherKey() {
    // Anti-entropy off: what reaches n1 comes by delta propagation alone.
    try (TestCluster cluster =
        TestCluster.start(2, o -> smallFrames(o).setAntiEntropyIntervalMillis(3_600_000))) {
      cluster.awaitMembership();
      writeBigSet(cluster.node(0), 0, 5_000);
      cluster.awaitConvergence(List.of(SET));

      // The clear's delta (the whole set) is lost on the way while this fault lasts; a small write
      // made after it must not wait for it.
      cluster.node(0).faults().setDropFramesOver(64 * 1024);
      cluster.node(0).update(SET, (set, ctx) -> set.clear()).await();
      cluster.node(0).update(SMALL, PNCounter.incrementBy(1)).await();
      ConvergenceProbe.until(
          "the small write reached n1", () -> cluster.node(1).get(SMALL).await().value() == 1);
      assertThat(cluster.node(1).get(SET).await().size())
          .as("the clear is still held up by the fault")
          .isEqualTo(5_000);

      cluster.node(0).faults().heal(); // the clear is sent again once its time is up
      cluster.awaitConvergence(List.of(SET, SMALL));
      assertThat(cluster.node(1).get(SET).await().isEmpty()).isTrue();
    }
  }

  @Test
  void aMajorityReadOfAKeyThePeersHoldAlikeShipsNoState() {
    try (TestCluster cluster = TestCluster.start(3, LargeValueClusterTest::smallFrames)) {
      cluster.awaitMembership();
      writeBigSet(cluster.node(0), 0, ELEMENTS);
      cluster.awaitConvergence(List.of(SET));
      Replicator reader = cluster.node(0);
      int stateBytes = encodedSize(reader.get(SET).await());

      // Once every replica's digest of the key is current, the peers answer "same as yours".
      ConvergenceProbe.until(
          "a majority read answered from digests",
          () -> {
            long before = unchangedAnswers(cluster);
            reader.get(SET, Consistency.majority(Duration.ofSeconds(30))).await();
            return unchangedAnswers(cluster) >= before + 2;
          });
      // Replies of earlier reads (a read completes at the first peer's answer) land first.
      ConvergenceProbe.until(
          "the reader's links are quiet",
          () -> {
            long before = reader.metrics().bytesReceived();
            TestCluster.sleep(300);
            return reader.metrics().bytesReceived() - before < stateBytes / 8;
          });
      long received = reader.metrics().bytesReceived();
      ORSet<String> read = reader.get(SET, Consistency.majority(Duration.ofSeconds(30))).await();
      long shipped = reader.metrics().bytesReceived() - received;
      assertThat(read.size()).isEqualTo(ELEMENTS);
      assertThat(shipped)
          .as("bytes received by the reader during the read, against a state of " + stateBytes)
          .isLessThan(stateBytes / 4);

      // A peer that holds more ships its state as before.
      cluster.partition(List.of(2), List.of(0, 1));
      cluster.node(2).update(SET, addRange(ELEMENTS, ELEMENTS + 1)).await();
      cluster.heal();
      cluster.partition(List.of(1), List.of(0, 2));
      assertThat(reader.get(SET, Consistency.majority(Duration.ofSeconds(30))).await().size())
          .isEqualTo(ELEMENTS + 1);
    }
  }

  private static long unchangedAnswers(TestCluster cluster) {
    long sum = 0;
    for (Replicator node : cluster.nodes()) {
      sum += node.metrics().quorumReadsUnchanged();
    }
    return sum;
  }
}
