package dev.converge.store.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.store.NodeIdentity;
import dev.converge.store.ReplicaStore;
import dev.converge.store.ReplicaStores;
import dev.converge.store.StoreOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose data directory is lost comes back as a new incarnation, so the increments it makes
 * afterwards are not swallowed by peers that remember its old counter entry.
 */
class LostDataDirectoryTest {

  private static final Key<PNCounter> LIKES = Key.pnCounter("likes");

  @TempDir Path temp;

  @Test
  void aWipedDirectoryYieldsANewIncarnationAndNoIncrementIsLost() throws Exception {
    Path dir1 = temp.resolve("a");
    Path dir2 = temp.resolve("b");
    NodeIdentity before;
    PNCounter atB;
    try (ReplicaStore b = open("b", dir2)) {
      try (ReplicaStore a = open("a", dir1)) {
        before = a.identity();
        for (int i = 0; i < 5; i++) {
          get(a.update(LIKES, PNCounter.incrementBy(1)));
        }
        get(b.merge(LIKES, get(a.read(LIKES))));
      }
      deleteRecursively(dir1);

      try (ReplicaStore a = open("a", dir1)) {
        NodeIdentity after = a.identity();
        assertThat(after.nodeId()).isEqualTo("a");
        assertThat(after.incarnation()).isNotEqualTo(before.incarnation());
        assertThat(after.replicaId()).isNotEqualTo(before.replicaId());

        for (int i = 0; i < 3; i++) {
          get(a.update(LIKES, PNCounter.incrementBy(1)));
        }
        PNCounter atA = get(a.read(LIKES));
        atB = get(b.read(LIKES));
        assertThat(get(a.merge(LIKES, atB)).state().value()).isEqualTo(8);
        assertThat(get(b.merge(LIKES, atA)).state().value()).isEqualTo(8);
        assertThat(get(a.read(LIKES)).value()).isEqualTo(8);
        assertThat(get(b.read(LIKES)).value()).isEqualTo(8);
      }
    }

    // Had the node reused its replica id, its three new increments (entry 3) would hide below the
    // entry 5 that B remembers, and both replicas would converge to 5, not 8.
    ReplicaId reused = before.replicaId();
    PNCounter wrong = PNCounter.empty();
    for (int i = 0; i < 3; i++) {
      wrong = wrong.increment(reused, 1).state();
    }
    assertThat(wrong.merge(atB).value()).isEqualTo(5);
  }

  private static ReplicaStore open(String nodeId, Path dir) {
    return ReplicaStores.open(new StoreOptions().setNodeId(nodeId).setDataDir(dir));
  }

  private static <T> T get(CompletableFuture<T> future) throws Exception {
    return future.get(60, TimeUnit.SECONDS);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
