package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.codec.ValueCodec;
import dev.converge.store.StoreException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The API behaviours a user coming from Akka/Pekko Distributed Data relies on (issue 13): updates
 * only inflate, a subscriber hears the current value first, one caller's updates of a key take
 * effect in issue order whatever their consistency, and calls made before start() are held.
 */
class ApiSemanticsTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** Records every value a subscriber hears and whether it ever went down. */
  private static final class CounterWatch {
    final List<Long> heard = new CopyOnWriteArrayList<>();

    boolean neverWentDown() {
      for (int i = 1; i < heard.size(); i++) {
        if (heard.get(i) < heard.get(i - 1)) {
          return false;
        }
      }
      return true;
    }
  }

  @Test
  void aMutatorThatIgnoresItsInputNeverLowersAReplicaNorLosesAConcurrentIncrement() {
    Key<PNCounter> likes = Key.pnCounter("likes");
    try (TestCluster cluster = TestCluster.start(3)) {
      cluster.awaitMembership();
      List<CounterWatch> watches = new ArrayList<>();
      for (Replicator node : cluster.nodes()) {
        CounterWatch watch = new CounterWatch();
        node.subscribe(likes, c -> watch.heard.add(c.value()));
        watches.add(watch);
      }
      for (Replicator node : cluster.nodes()) {
        node.update(likes, PNCounter.incrementBy(5)).await();
      }
      cluster.awaitConvergence(List.of(likes));
      // Node 0 runs a mutator that builds a fresh counter (the common mistake) while nodes 1 and 2
      // keep incrementing correctly, interleaved.
      List<Future<PNCounter>> writes = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        writes.add(
            cluster
                .node(0)
                .update(likes, (c, ctx) -> PNCounter.empty().increment(ctx.replica(), 1)));
        writes.add(cluster.node(1).update(likes, PNCounter.incrementBy(1)));
        writes.add(cluster.node(2).update(likes, PNCounter.incrementBy(2)));
      }
      Future.all(writes).await();
      cluster.awaitConvergence(List.of(likes));
      // 3 × 5, then 50 × 1 + 50 × 2; the fresh counters add nothing (node 0's own entry is 5).
      for (Replicator node : cluster.nodes()) {
        assertThat(node.get(likes).await().value()).isEqualTo(15 + 50 + 100);
      }
      for (CounterWatch watch : watches) {
        assertThat(watch.neverWentDown()).as("values heard %s", watch.heard).isTrue();
      }
    }
  }

  @Test
  void aQuorumUpdateWithAStaleMutatorNeverLowersTheQuorum() {
    Key<LWWRegister<String>> title = Key.lwwRegister("title", ValueCodec.string());
    Key<ORSet<String>> tags = Key.orSet("tags", ValueCodec.string());
    try (TestCluster cluster = TestCluster.start(3)) {
      cluster.awaitMembership();
      ORSet<String> staleTags = cluster.node(0).get(tags).await();
      LWWRegister<String> staleTitle = cluster.node(0).get(title).await();
      cluster.node(1).update(tags, ORSet.adding("a"), Consistency.majority(TIMEOUT)).await();
      cluster.node(1).update(title, LWWRegister.assigning("new"), Consistency.all(TIMEOUT)).await();
      // Mutators that return whole stale copies, at majority.
      cluster
          .node(0)
          .update(
              tags, (s, ctx) -> staleTags.add(ctx.replica(), "b"), Consistency.majority(TIMEOUT))
          .await();
      cluster
          .node(0)
          .update(
              title, (r, ctx) -> new Mutation<>(staleTitle, staleTitle), Consistency.all(TIMEOUT))
          .await();
      cluster.awaitConvergence(List.of(tags, title));
      for (Replicator node : cluster.nodes()) {
        assertThat(node.get(tags).await().elements()).contains("a", "b");
        assertThat(node.get(title).await().value()).contains("new");
      }
    }
  }

  @Test
  void aNewSubscriberHearsTheCurrentValueFirstThenEveryChange() {
    Key<PNCounter> likes = Key.pnCounter("likes");
    Key<PNCounter> never = Key.pnCounter("never-written");
    try (TestCluster cluster = TestCluster.start(1)) {
      Replicator node = cluster.node(0);
      node.update(likes, PNCounter.incrementBy(7)).await();
      List<Long> heard = new CopyOnWriteArrayList<>();
      List<Long> heardNever = new CopyOnWriteArrayList<>();
      node.subscribe(likes, c -> heard.add(c.value()));
      node.subscribe(never, c -> heardNever.add(c.value()));
      ConvergenceProbe.until("the current value is delivered", () -> !heard.isEmpty());
      assertThat(heard).containsExactly(7L);
      node.update(likes, PNCounter.incrementBy(1)).await();
      ConvergenceProbe.until("the change is delivered", () -> heard.size() == 2);
      assertThat(heard).containsExactly(7L, 8L);
      // A key that does not exist is not announced until it is written.
      node.get(never).await(); // a round trip through the node after the subscription
      assertThat(heardNever).isEmpty();
      node.update(never, PNCounter.incrementBy(3)).await();
      ConvergenceProbe.until("the first write is delivered", () -> !heardNever.isEmpty());
      assertThat(heardNever).containsExactly(3L);
    }
  }

  @Test
  void aSubscriberOnAnotherNodeHearsTheReplicatedValueFirst() {
    Key<PNCounter> likes = Key.pnCounter("likes");
    try (TestCluster cluster = TestCluster.start(2)) {
      cluster.awaitMembership();
      cluster.node(0).update(likes, PNCounter.incrementBy(4)).await();
      cluster.awaitConvergence(List.of(likes));
      List<Long> heard = new CopyOnWriteArrayList<>();
      cluster.node(1).subscribe(likes, c -> heard.add(c.value()));
      ConvergenceProbe.until("the current value is delivered", () -> !heard.isEmpty());
      assertThat(heard.get(0)).isEqualTo(4L);
    }
  }

  @Test
  void pipelinedUpdatesOfOneKeyTakeEffectInIssueOrderWhateverTheirConsistency() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    Key<ORSet<String>> cart = Key.orSet("cart", ValueCodec.string());
    Key<LWWRegister<String>> title = Key.lwwRegister("title", ValueCodec.string());
    try (TestCluster cluster = TestCluster.start(3)) {
      cluster.awaitMembership();
      Replicator node = cluster.node(random.nextInt(3));
      Set<String> model = new TreeSet<>();
      List<Future<?>> issued = new ArrayList<>();
      String lastTitle = null;
      for (int i = 0; i < 200; i++) {
        String item = "item" + random.nextInt(6);
        Consistency consistency = random.nextInt(3) == 0 ? Consistency.local() : quorum(random);
        if (random.nextBoolean()) {
          model.add(item);
          issued.add(node.update(cart, ORSet.adding(item), consistency));
        } else {
          model.remove(item);
          issued.add(node.update(cart, ORSet.removing(item), consistency));
        }
        lastTitle = "t" + i;
        issued.add(node.update(title, LWWRegister.assigning(lastTitle), quorum(random)));
        issued.add(node.update(title, LWWRegister.assigning(lastTitle), Consistency.local()));
      }
      Future.all(issued).await();
      assertThat(node.get(cart).await().elements()).as("seed %s", seed).isEqualTo(model);
      assertThat(node.get(title).await().value()).as("seed %s", seed).contains(lastTitle);
      cluster.awaitConvergence(List.of(cart, title));
      assertThat(cluster.node((cluster.nodes().indexOf(node) + 1) % 3).get(cart).await().elements())
          .as("seed %s", seed)
          .isEqualTo(model);
    }
  }

  @Test
  void anAddAtMajorityFollowedAtOnceByALocalRemoveLeavesTheElementAbsent() {
    Key<ORSet<String>> cart = Key.orSet("cart", ValueCodec.string());
    try (TestCluster cluster = TestCluster.start(3)) {
      cluster.awaitMembership();
      Future<ORSet<String>> add =
          cluster.node(0).update(cart, ORSet.adding("milk"), Consistency.majority(TIMEOUT));
      Future<ORSet<String>> remove = cluster.node(0).update(cart, ORSet.removing("milk"));
      assertThat(remove.await().contains("milk")).isFalse();
      assertThat(add.await().contains("milk")).isTrue(); // the state right after the add
      cluster.awaitConvergence(List.of(cart));
      for (Replicator node : cluster.nodes()) {
        assertThat(node.get(cart).await().contains("milk")).isFalse();
      }
    }
  }

  @Test
  void aLocalUpdateAfterAFailingQuorumUpdateStillFollowsIt() {
    Key<LWWRegister<String>> title = Key.lwwRegister("title", ValueCodec.string());
    try (TestCluster cluster = TestCluster.start(3)) {
      cluster.awaitMembership();
      cluster.partition(List.of(0), List.of(1, 2));
      Future<LWWRegister<String>> refused =
          cluster
              .node(0)
              .update(title, LWWRegister.assigning("first"), Consistency.majority(TIMEOUT));
      Future<LWWRegister<String>> local =
          cluster.node(0).update(title, LWWRegister.assigning("second"));
      assertThat(local.await().value()).contains("second");
      Throwable failure = null;
      try {
        refused.await();
      } catch (ConsistencyException e) {
        failure = e;
      }
      assertThat(failure).isInstanceOf(ConsistencyException.class);
      assertThat(cluster.node(0).get(title).await().value()).contains("second");
    }
  }

  @Test
  void callsMadeBeforeStartAreHeldAndAppliedInOrder() {
    Key<PNCounter> likes = Key.pnCounter("likes");
    Key<ORSet<String>> cart = Key.orSet("cart", ValueCodec.string());
    Vertx vertx = Vertx.vertx();
    try {
      Replicator node = Replicator.create(vertx, SyncOptions.localTest().setNodeId("early"));
      List<Long> heard = new CopyOnWriteArrayList<>();
      node.subscribe(likes, c -> heard.add(c.value()));
      Future<PNCounter> first = node.update(likes, PNCounter.incrementBy(2));
      Future<ORSet<String>> add = node.update(cart, ORSet.adding("x"));
      Future<ORSet<String>> remove = node.update(cart, ORSet.removing("x"));
      Future<PNCounter> read = node.get(likes);
      node.start().await();
      assertThat(first.await().value()).isEqualTo(2);
      assertThat(add.await().contains("x")).isTrue();
      assertThat(remove.await().contains("x")).isFalse();
      assertThat(read.await().value()).isEqualTo(2);
      ConvergenceProbe.until("the subscriber hears the held write", () -> heard.contains(2L));
      node.close().await();
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void heldCallsFailWithTheStartFailureOrWhenClosedFirst() throws Exception {
    Key<PNCounter> likes = Key.pnCounter("likes");
    Vertx vertx = Vertx.vertx();
    try (ServerSocket taken = new ServerSocket(0)) {
      Replicator node =
          Replicator.create(
              vertx, SyncOptions.localTest().setNodeId("clash").setPort(taken.getLocalPort()));
      Future<PNCounter> held = node.update(likes, PNCounter.incrementBy(1));
      Throwable startFailure = ConvergenceProbe.failureOf(node.start());
      assertThat(ConvergenceProbe.failureOf(held)).isSameAs(startFailure);

      Replicator never = Replicator.create(vertx, SyncOptions.localTest().setNodeId("never"));
      Future<PNCounter> waiting = never.get(likes);
      never.close().await();
      assertThat(ConvergenceProbe.failureOf(waiting)).isInstanceOf(StoreException.Closed.class);
    } finally {
      vertx.close().await();
    }
  }

  private static Consistency quorum(Random random) {
    return random.nextBoolean() ? Consistency.majority(TIMEOUT) : Consistency.all(TIMEOUT);
  }
}
