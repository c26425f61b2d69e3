package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.PNCounter;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's node example, verbatim between the markers; keep both in sync. */
class ReadmeNodeExampleTest {

  @Test
  void readmeNodeExampleRunsAsDocumented(@TempDir Path tmp) {
    Vertx vertx = Vertx.vertx();
    try {
      // README-BEGIN
      Replicator node =
          Replicator.create(
              vertx,
              SyncOptions.lan()
                  .setNodeId("n1")
                  .setPort(0) // 7001 by default
                  .setSeeds(List.of()) // e.g. List.of("10.0.0.2:7001")
                  .setDataDir(tmp.resolve("data/n1")));
      node.start().await();

      Key<PNCounter> likes = Key.pnCounter("post:42:likes");
      node.update(likes, PNCounter.incrementBy(1)).await(); // local write: always accepted (AP)
      node.update(likes, PNCounter.incrementBy(1), Consistency.majority(Duration.ofSeconds(2)))
          .await(); // refused in a minority partition (CP)
      long value = node.get(likes).map(PNCounter::value).await(); // 2
      node.subscribe(likes, counter -> System.out.println("likes: " + counter.value()));
      // README-END
      assertThat(value).isEqualTo(2);
      node.close().await();
    } finally {
      vertx.close().await();
    }
  }
}
