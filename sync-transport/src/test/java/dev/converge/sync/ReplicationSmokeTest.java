package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.codec.ValueCodec;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplicationSmokeTest {

  @Test
  void threeNodesConvergeOnCountersAndSets() {
    Key<PNCounter> likes = Key.pnCounter("likes");
    Key<ORSet<String>> likers = Key.orSet("likers", ValueCodec.string());
    try (TestCluster cluster = TestCluster.start(3)) {
      cluster.awaitMembership();
      for (int i = 0; i < 3; i++) {
        Replicator node = cluster.node(i);
        for (int k = 0; k < 10; k++) {
          node.update(likes, PNCounter.incrementBy(1)).await();
        }
        node.update(likers, ORSet.adding("user-" + i)).await();
      }
      cluster.awaitConvergence(List.of(likes, likers));
      assertThat(cluster.node(2).get(likes).await().value()).isEqualTo(30);
      assertThat(cluster.node(0).get(likers).await().elements())
          .containsExactlyInAnyOrder("user-0", "user-1", "user-2");
    }
  }
}
