package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.Key;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.codec.CodecLimits;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.crdt.codec.StateReader;
import dev.converge.crdt.codec.StateWriter;
import dev.converge.crdt.codec.TypeRegistry;
import dev.converge.crdt.codec.ValueCodec;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A rolling upgrade: one node runs a build that knows an extra user-defined type, beside nodes that
 * do not. The old nodes skip that type's states (counted, logged once) and keep their links;
 * everything they understand replicates both ways; and the upgraded node stops re-sending what they
 * cannot read (its anti-entropy rounds with them end in a root match).
 */
class RollingUpgradeTest {

  /** A user type the old build does not have: the maximum of the longs written. */
  record MaxLong(long value) implements Crdt<MaxLong> {
    @Override
    public MaxLong merge(MaxLong other) {
      return other.value > value ? other : this;
    }
  }

  static final CrdtType<MaxLong> MAX_LONG =
      new CrdtType<>() {
        @Override
        public String tag() {
          return "test.maxlong";
        }

        @Override
        public int version() {
          return 1;
        }

        @Override
        public MaxLong empty() {
          return new MaxLong(Long.MIN_VALUE);
        }

        @Override
        public Class<?> valueClass() {
          return MaxLong.class;
        }

        @Override
        public void write(MaxLong value, StateWriter out) {
          out.writeLong(value.value());
        }

        @Override
        public MaxLong read(StateReader in, int version) {
          return new MaxLong(in.readLong());
        }
      };

  private static final Key<MaxLong> NEW_TYPE = Key.of("upgraded-only", MAX_LONG);
  private static final Key<PNCounter> COUNTER = Key.pnCounter("shared-counter");
  private static final Key<ORSet<String>> SET = Key.orSet("shared-set", ValueCodec.string());

  @Test
  void oldNodesSkipAnUnknownTypeAndKeepReplicatingEverythingElse() {
    CrdtCodec upgraded =
        new CrdtCodec(TypeRegistry.builtins().with(MAX_LONG), CodecLimits.defaults());
    try (TestCluster cluster = TestCluster.start(2)) {
      int n = cluster.add(SyncOptions.localTest().setNodeId("n2").setCodec(upgraded));
      Replicator newNode = cluster.node(n);
      cluster.awaitMembership();

      // The upgraded node writes the new type (deltas to the old nodes) and both old types.
      for (int i = 1; i <= 20; i++) {
        long v = i;
        newNode
            .update(NEW_TYPE, (s, ctx) -> new Mutation<>(new MaxLong(v), new MaxLong(v)))
            .await();
        newNode.update(COUNTER, PNCounter.incrementBy(1)).await();
      }
      cluster.node(0).update(COUNTER, PNCounter.incrementBy(100)).await();
      cluster.node(1).update(SET, ORSet.adding("from-an-old-node")).await();
      newNode.update(SET, ORSet.adding("from-the-new-node")).await();

      cluster.awaitConvergence(List.of(COUNTER, SET));
      assertThat(newNode.get(COUNTER).await().value()).isEqualTo(120);
      assertThat(cluster.node(0).get(SET).await().elements())
          .containsExactlyInAnyOrder("from-an-old-node", "from-the-new-node");
      assertThat(newNode.get(NEW_TYPE).await().value()).isEqualTo(20);

      for (int old = 0; old < 2; old++) {
        Replicator node = cluster.node(old);
        assertThat(node.keys(null, 100).await()).doesNotContain(NEW_TYPE.name());
        ConvergenceProbe.until(
            "old node skipped the new type", () -> node.metrics().unknownTypesSkipped() > 0);
      }
      // Anti-entropy between the upgraded node and each old one reaches equal roots: the old
      // nodes hold the digest of what they cannot read, so it is not pushed again every round.
      long since = System.currentTimeMillis();
      for (String old : List.of("n0", "n1")) {
        ConvergenceProbe.until(
            "an anti-entropy round between n2 and " + old + " matched",
            () -> {
              SyncMetrics.Peer p = newNode.metrics().peers().get(old);
              return p != null && p.lastInSyncMillis() >= since;
            });
      }
      for (Replicator node : cluster.nodes()) {
        assertThat(node.metrics().protocolErrors()).as("no link was closed").isZero();
      }
    }
  }
}
