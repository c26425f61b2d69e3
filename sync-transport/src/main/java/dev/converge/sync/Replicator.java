package dev.converge.sync;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.Key;
import dev.converge.crdt.Mutator;
import dev.converge.store.NodeIdentity;
import dev.converge.sync.internal.DefaultReplicator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.function.Consumer;

/**
 * A Converge node: the local replica of every key, kept in a durable store and replicated to the
 * other nodes of the cluster by gossip. Every replica accepts reads and writes locally, also while
 * the network is partitioned, and all replicas converge once they can talk again.
 *
 * <pre>{@code
 * Replicator node = Replicator.create(vertx, SyncOptions.lan().setNodeId("n1")
 *     .setSeeds(List.of("10.0.0.2:7001")).setDataDir(Path.of("data/n1")));
 * node.start().await();
 * Key<PNCounter> likes = Key.pnCounter("post:42:likes");
 * node.update(likes, PNCounter.incrementBy(1));
 * node.get(likes).map(PNCounter::value);
 * }</pre>
 *
 * <p>Contract: every asynchronous method returns a {@link Future} and never throws; failures
 * (closed node, store failure, type mismatch) fail the future. Futures complete on the node's
 * Vert.x context. Methods may be called from any thread. Listeners run on the node's context: they
 * must not block; an exception they throw is logged and does not affect replication.
 */
public interface Replicator {

  /** A node with {@code options}; nothing runs until {@link #start()}. */
  static Replicator create(Vertx vertx, SyncOptions options) {
    return new DefaultReplicator(vertx, options);
  }

  /**
   * Opens the store, binds the gossip port and joins the seeds. Calls made before the returned
   * future completes are held (at most 100,000; past that they fail at once with {@link
   * IllegalStateException}) and run, in the order they were made, once it completes; if start fails
   * they fail with its cause, and if the node is closed first, with {@code StoreException.Closed}.
   */
  Future<Void> start();

  /**
   * Leaves the cluster gracefully, then stops: waits for local writes already accepted, announces
   * {@link MemberStatus#LEAVING}, hands every delta its peers have not acknowledged to every
   * reachable member until they acknowledge it (at most {@link
   * SyncOptions#getLeaveTimeoutMillis()}), announces {@link MemberStatus#LEFT} (peers stop counting
   * it in quorums), then closes connections and the store. New calls fail with {@code
   * StoreException.Closed} from the moment it is called. A durable node restarted on its data
   * directory rejoins with the same incarnation and its data; an in-memory node always restarts as
   * a new incarnation. Idempotent.
   */
  Future<Void> close();

  /**
   * Removes the member {@code nodeId} from the cluster, for a node that is gone for good (an
   * operator's decision): its current incarnation becomes {@link MemberStatus#REMOVED} on every
   * node, stops counting in quorums, and is refused if it comes back (it may rejoin as a new
   * incarnation). Writes that never left the removed node are lost; everything it replicated stays.
   * Fails with {@link IllegalArgumentException} for this node itself or an unknown node id.
   */
  Future<Void> removeMember(String nodeId);

  /** This node's own lifecycle status ({@link MemberStatus#REMOVED} once it learns it was). */
  MemberStatus status();

  /** This node's identity (node id, incarnation, replica id); valid after start. */
  NodeIdentity identity();

  /** The gossip port bound; useful with port 0. Valid after start. */
  int port();

  /** The local replica's state of {@code key}: never waits for the network. */
  <T extends Crdt<T>> Future<T> get(Key<T> key);

  /** The state of {@code key} merged from as many replicas as {@code consistency} asks for. */
  <T extends Crdt<T>> Future<T> get(Key<T> key, Consistency consistency);

  /**
   * Applies {@code mutator} to the local replica. Completes with the new state once the write is
   * durable on this node under its store's durability; replication follows in the background.
   * Always available, also in a minority partition. Same as {@code update(key, mutator,
   * Consistency.local())}.
   *
   * <p>Updates only inflate: the replica's new state is its current state joined with the mutator's
   * delta; the state the mutator returns is not stored. A mutator that ignores its input or works
   * on a stale copy can therefore add nothing the delta does not carry, and can never lower the
   * replica or undo anybody's write. Updates of one key issued one after another (by one thread, or
   * one event loop) take effect in issue order, whatever their consistency.
   */
  <T extends Crdt<T>> Future<T> update(Key<T> key, Mutator<T> mutator);

  /**
   * Applies {@code mutator} to the local replica, then completes once as many replicas as {@code
   * consistency} asks for have stored the write; fails with {@link ConsistencyException} if they do
   * not within its timeout. A failed write is not rolled back: it is kept locally and converges.
   *
   * <p>A quorum update first merges the states of a quorum into the local replica, so the mutator
   * sees every write a quorum acknowledged before it; then it applies like {@link #update(Key,
   * Mutator)} (joined, never lowering). Later updates of the same key issued by the same caller,
   * local ones included, wait for this one's local application: issue order is kept.
   */
  <T extends Crdt<T>> Future<T> update(Key<T> key, Mutator<T> mutator, Consistency consistency);

  /**
   * Calls {@code listener} with the key's current state at once (when the key exists on this node),
   * then with the new state after every change of {@code key}, local or remote. The states a
   * listener hears never go down: if a change arrives before the current state was read, the read's
   * result is skipped. A key never written is not announced until its first change.
   */
  <T extends Crdt<T>> Subscription subscribe(Key<T> key, Consumer<? super T> listener);

  /**
   * Calls {@code listener} after every change of any key whose name starts with {@code prefix}.
   * Unlike {@link #subscribe}, it does not announce the keys that already exist (there may be
   * millions): list them with {@link #keys}.
   */
  Subscription subscribePrefix(String prefix, ChangeListener listener);

  /**
   * Up to {@code limit} key names this node holds, ascending, strictly after {@code after} (null
   * for the first page).
   */
  Future<List<String>> keys(String after, int limit);

  /**
   * Every current member but this node (not left or removed), with its status and reachability as
   * this node sees it.
   */
  List<ClusterMember> members();

  /** Fault injection on this node's links, for tests and demos. */
  LinkFaults faults();

  /** Counters of replication traffic. */
  SyncMetrics metrics();
}
