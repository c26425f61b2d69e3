package dev.converge.sync;

import dev.converge.crdt.ReplicaId;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * One real node on its own Vert.x instance over loopback, for cluster tests that start, stop and
 * replace nodes one at a time (a {@link TestCluster} starts a fixed set together).
 */
final class LoopbackNode implements AutoCloseable {

  final Vertx vertx = Vertx.vertx();
  final Replicator replicator;

  LoopbackNode(SyncOptions options) {
    replicator = Replicator.create(vertx, options);
    replicator.start().await();
  }

  ReplicaId replicaId() {
    return replicator.identity().replicaId();
  }

  /** Test options for node {@code nodeId}, seeded on {@code seed} (none for the first node). */
  static SyncOptions options(String nodeId, LoopbackNode seed) {
    SyncOptions o = SyncOptions.localTest().setNodeId(nodeId);
    return seed == null ? o : o.setSeeds(List.of("127.0.0.1:" + seed.replicator.port()));
  }

  /** Waits until every node sees exactly the others, reachable. */
  static void awaitMembers(List<LoopbackNode> nodes) {
    ConvergenceProbe.until(
        "every node sees exactly the others, reachable",
        () ->
            nodes.stream()
                .allMatch(
                    n ->
                        n.replicator.members().size() == nodes.size() - 1
                            && n.replicator.members().stream().allMatch(ClusterMember::reachable)));
  }

  /** A graceful leave, then the node's Vert.x stops. */
  @Override
  public void close() {
    replicator.close().await();
    vertx.close().await();
  }
}
