package dev.converge.sync.internal;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.Key;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.store.ReplicaStore;
import dev.converge.sync.Consistency;
import dev.converge.sync.ConsistencyException;
import dev.converge.sync.ConsistencyException.Operation;
import dev.converge.sync.internal.Message.KeyBytes;
import dev.converge.sync.internal.Message.QuorumRead;
import dev.converge.sync.internal.Message.QuorumReadReply;
import dev.converge.sync.internal.Message.QuorumWrite;
import dev.converge.sync.internal.Message.QuorumWriteAck;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads and writes that need more than the local replica (Akka's {@code WriteMajority} / {@code
 * ReadMajority}). A write is first made durable locally; its delta then goes straight to every
 * member, each of which acknowledges once the delta is durable there; the write succeeds at the
 * required count, this node included, or fails at the timeout with {@link ConsistencyException} and
 * stays in the local replica. A read asks every member for its state and merges each reply durably
 * into the local replica; it succeeds once the required count of replicas (this node included) has
 * been merged, returning the local state, which then includes all of them. Confined to the
 * replicator's context.
 */
final class QuorumCoordinator {

  /** Joins a state or delta received from a peer into the local replica. */
  interface Merger {
    Future<Boolean> merge(String peer, String key, TypedState<?> state);
  }

  private final Vertx vertx;
  private final Context context;
  private final ReplicaStore store;
  private final CrdtCodec codec;
  private final InboundStates decoder;
  private final AntiEntropy.Sender sender;
  private final Merger merger;
  private final Merger fullStateMerger;
  private final Function<String, Long> digests;
  private final Metrics metrics;
  private final Random random;
  private final int minQuorumSize;
  private final Map<Long, Pending> pending = new HashMap<>();

  /** One request in flight: the frame, to whom, and who answered. */
  private static final class Pending {
    final int required;
    final Set<String> answered = new HashSet<>();
    final Runnable onQuorum;
    Message request;
    List<String> peers = List.of();
    long timer;
    boolean done;

    Pending(int required, Runnable onQuorum) {
      this.required = required;
      this.onQuorum = onQuorum;
    }
  }

  QuorumCoordinator(
      Vertx vertx,
      Context context,
      ReplicaStore store,
      InboundStates decoder,
      AntiEntropy.Sender sender,
      Merger merger,
      Merger fullStateMerger,
      Function<String, Long> digests,
      Metrics metrics,
      int minQuorumSize,
      Random random) {
    this.minQuorumSize = minQuorumSize;
    this.random = random;
    this.vertx = vertx;
    this.context = context;
    this.store = store;
    this.decoder = decoder;
    this.codec = decoder.codec();
    this.sender = sender;
    this.merger = merger;
    this.fullStateMerger = fullStateMerger;
    this.digests = digests;
    this.metrics = metrics;
  }

  /**
   * Replicates {@code delta} of a write already durable here until {@code consistency} is met;
   * completes with {@code state}.
   */
  <T extends Crdt<T>> Future<T> write(
      Key<T> key, T delta, T state, Consistency consistency, List<String> peers) {
    int members = peers.size() + 1;
    int required = required(consistency, members);
    if (required <= 1) {
      return Future.succeededFuture(state);
    }
    Promise<T> promise = Promise.promise();
    if (required > members) {
      promise.fail(
          new ConsistencyException(Operation.WRITE, key.name(), consistency, required, 1, members));
      return promise.future();
    }
    byte[] bytes = codec.encode(key.type(), delta);
    long request = random.nextLong();
    Pending p = new Pending(required, () -> promise.tryComplete(state));
    p.answered.add("");
    start(
        request,
        p,
        consistency,
        () -> failure(Operation.WRITE, key, consistency, p, members),
        promise);
    sendAll(p, new QuorumWrite(request, key.name(), bytes), peers);
    return promise.future();
  }

  /** Merges the states of enough replicas into the local one; completes with the local state. */
  <T extends Crdt<T>> Future<T> read(Key<T> key, Consistency consistency, List<String> peers) {
    int members = peers.size() + 1;
    int required = required(consistency, members);
    if (required <= 1) {
      return Future.fromCompletionStage(store.read(key), context);
    }
    Promise<T> promise = Promise.promise();
    if (required > members) {
      promise.fail(
          new ConsistencyException(Operation.READ, key.name(), consistency, required, 1, members));
      return promise.future();
    }
    long request = random.nextLong();
    Pending p =
        new Pending(
            required,
            () ->
                Future.fromCompletionStage(store.read(key), context)
                    .onComplete(
                        r -> {
                          if (r.succeeded()) {
                            promise.tryComplete(r.result());
                          } else {
                            promise.tryFail(r.cause());
                          }
                        }));
    p.answered.add("");
    start(
        request,
        p,
        consistency,
        () -> failure(Operation.READ, key, consistency, p, members),
        promise);
    readTargets.put(request, key);
    // With the digest of this replica's state: a replica holding the same answers without it.
    Long digest = digests.apply(key.name());
    sendAll(p, new QuorumRead(request, key.name(), digest == null ? 0 : digest), peers);
    return promise.future();
  }

  private final Map<Long, Key<?>> readTargets = new HashMap<>();

  /** A failed quorum read, as the failure of the write that needed it (its counts kept). */
  static Throwable asWriteFailure(Throwable readFailure) {
    if (readFailure instanceof ConsistencyException e) {
      return new ConsistencyException(
          ConsistencyException.Operation.WRITE,
          e.key(),
          e.consistency(),
          e.required(),
          e.acknowledged(),
          e.members());
    }
    return readFailure;
  }

  private void sendAll(Pending p, Message request, List<String> peers) {
    p.request = request;
    p.peers = List.copyOf(peers);
    for (String peer : peers) {
      sender.send(peer, request);
    }
  }

  /**
   * Sends every request in flight again to the members that have not answered: a frame lost with a
   * link that dropped, or held back from a peer at another prune epoch ({@link Pruning}), gets
   * another chance before the timeout. Both requests are idempotent (a join, a read). Run with each
   * gossip round.
   */
  void resend() {
    for (Pending p : pending.values()) {
      if (p.done || p.request == null) {
        continue;
      }
      for (String peer : p.peers) {
        if (!p.answered.contains(peer)) {
          sender.send(peer, p.request);
        }
      }
    }
  }

  private int required(Consistency consistency, int members) {
    return required(consistency, members, minQuorumSize);
  }

  /**
   * Replicas a request needs among {@code members} (this node included): a majority is at least
   * {@code floor} (Pekko's {@code minCap}), even above N, where it then fails.
   */
  static int required(Consistency consistency, int members, int floor) {
    int required = consistency.required(members);
    return consistency.level() == Consistency.Level.MAJORITY ? Math.max(required, floor) : required;
  }

  private ConsistencyException failure(
      Operation operation, Key<?> key, Consistency consistency, Pending p, int members) {
    return new ConsistencyException(
        operation, key.name(), consistency, p.required, p.answered.size(), members);
  }

  private void start(
      long request,
      Pending p,
      Consistency consistency,
      java.util.function.Supplier<ConsistencyException> timeoutFailure,
      Promise<?> promise) {
    pending.put(request, p);
    p.timer =
        vertx.setTimer(
            consistency.timeout().toMillis(),
            t -> {
              if (!p.done) {
                p.done = true;
                pending.remove(request);
                readTargets.remove(request);
                promise.tryFail(timeoutFailure.get());
              }
            });
  }

  /* A replica answered request `request`: count it once. */
  private void answered(long request, String peer) {
    Pending p = pending.get(request);
    if (p == null || p.done || !p.answered.add(peer)) {
      return;
    }
    if (p.answered.size() >= p.required) {
      p.done = true;
      pending.remove(request);
      readTargets.remove(request);
      vertx.cancelTimer(p.timer);
      p.onQuorum.run();
    }
  }

  /** Handles a quorum frame; returns false if {@code message} is not one. */
  boolean handle(String peer, Message message) {
    if (message instanceof QuorumWrite m) {
      // A delta of a type this build cannot read is not acknowledged: it is not stored here.
      decoder
          .decode(peer, List.of(new KeyBytes(m.key(), m.delta())))
          .onSuccess(
              decoded -> {
                if (decoded.get(0) != null) {
                  merger
                      .merge(peer, m.key(), decoded.get(0))
                      .onSuccess(changed -> sender.send(peer, new QuorumWriteAck(m.request())));
                }
              });
    } else if (message instanceof QuorumWriteAck m) {
      answered(m.request(), peer);
    } else if (message instanceof QuorumRead m) {
      Long mine = digests.apply(m.key());
      if (m.digest() != 0 && mine != null && mine == m.digest()) {
        metrics.quorumReadsUnchanged.increment();
        sender.send(peer, new QuorumReadReply(m.request(), new byte[0], true));
        return true;
      }
      // Encoded on a worker thread: the state may be large.
      Future.fromCompletionStage(store.read(m.key()), context)
          .compose(
              state ->
                  context.executeBlocking(
                      () -> state.map(codec::encode).orElse(new byte[0]), false))
          .onSuccess(bytes -> sender.send(peer, new QuorumReadReply(m.request(), bytes)))
          .onFailure(
              e -> {
                /* no reply: the reader times out or counts others */
              });
      return true;
    } else if (message instanceof QuorumReadReply m) {
      Key<?> key = readTargets.get(m.request());
      if (key == null) {
        return true; // late or unknown reply
      }
      if (m.sameAsYours() || m.state().length == 0) {
        // Same as this replica's state when it asked (states only grow), or never written there.
        answered(m.request(), peer);
      } else {
        decoder
            .decode(peer, List.of(new KeyBytes(key.name(), m.state())))
            .onSuccess(
                decoded -> {
                  if (decoded.get(0) != null) { // else unreadable here: not counted
                    fullStateMerger
                        .merge(peer, key.name(), decoded.get(0))
                        .onSuccess(changed -> answered(m.request(), peer));
                  }
                });
      }
    } else {
      return false;
    }
    return true;
  }
}
