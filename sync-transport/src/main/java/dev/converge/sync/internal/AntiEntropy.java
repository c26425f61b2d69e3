package dev.converge.sync.internal;

import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.store.ReplicaStore;
import dev.converge.sync.internal.Message.AeKeys;
import dev.converge.sync.internal.Message.AeLevel;
import dev.converge.sync.internal.Message.AeMatch;
import dev.converge.sync.internal.Message.AePull;
import dev.converge.sync.internal.Message.AeRoot;
import dev.converge.sync.internal.Message.AeStates;
import dev.converge.sync.internal.Message.KeyBytes;
import dev.converge.sync.internal.Message.KeyDigest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Anti-entropy: repairs whatever delta propagation missed by comparing {@link DigestTree}s with one
 * peer and exchanging full states of the keys that differ, both ways (push-pull).
 *
 * <pre>
 *   A → B  AeRoot(root_A)                    equal → B → A AeMatch; done (a constant ~30 bytes)
 *   B → A  AeLevel(1, B's 32 inner digests)
 *   A → B  AeLevel(2, A's leaves under the inner nodes that differ)
 *   B → A  AeKeys(leaves that differ, at most maxBuckets; B's keys in them with digests)
 *   A → B  AeStates(A's states of keys B lacks or holds differently); AePull(keys A lacks/differs)
 *   B → A  AeStates(B's states of the pulled keys)
 * </pre>
 *
 * Sessions keep no state between frames, so a lost frame just ends a session early and the next
 * round starts afresh. At most {@code maxBuckets} leaves are repaired per session: a large
 * divergence is repaired in bounded chunks over several rounds.
 *
 * <p>Digests are refreshed lazily: a changed key is queued with its newest state, and the queue is
 * encoded and hashed off the event loop before a session runs. A hot key is thus hashed once per
 * round, not once per write, and a large one (its digest took 20 ms or more) at most once per ten
 * times that. States pushed to a peer are encoded off the event loop too, one batch per peer at a
 * time and none while a chunked frame to it is still queued. A state of a type this build cannot
 * read leaves its digest in the tree (see {@code unreadable}). Confined to the replicator's
 * context.
 */
final class AntiEntropy {

  /** A digest that takes this long marks its key heavy (see heavyUntil). */
  static final long HEAVY_DIGEST_MILLIS = 20;

  /** A heavy key waits this many times its digest's duration before the next one. */
  static final long HEAVY_DIGEST_SPACING = 10;

  private static final Logger LOG = System.getLogger(AntiEntropy.class.getName());

  /** Joins a state received from a peer into the local replica. */
  interface StateSink {
    Future<Boolean> mergeFullState(String peer, String key, TypedState<?> state);
  }

  /** Sends a frame to a peer. */
  interface Sender {
    boolean send(String peer, Message message);
  }

  private final Context context;
  private final ReplicaStore store;
  private final CrdtCodec codec;
  private final InboundStates decoder;
  private final Metrics metrics;
  private final Sender sender;
  private final StateSink sink;
  private final int maxBuckets;
  private final int maxChunkBytes;
  private final Random random;
  private final DigestTree tree = new DigestTree();
  private Set<String> dirty = new LinkedHashSet<>();
  /* Keys whose tree digest is a peer's state this build cannot read (see unreadable). */
  private final Set<String> unreadableKeys = new HashSet<>();
  /* Peers a push of states is being encoded for. */
  private final Set<String> pushing = new HashSet<>();
  private final Predicate<String> busy;
  private final LongSupplier clock;
  private Future<Void> refreshing;
  /*
   * Keys whose last digest took HEAVY_DIGEST_MILLIS or more (a large state encoded whole): such a
   * key is digested again no sooner than HEAVY_DIGEST_SPACING times that long after, so a hot large
   * key costs at most about a tenth of a worker thread. Until then its digest is stale, which
   * anti-entropy tolerates (it ships the current state of a key that differs) and currentDigest
   * reports as unknown.
   */
  private final Map<String, Long> heavyUntil = new HashMap<>();

  /* The keys whose digests the refresh under way is computing. */
  private Set<String> refreshingKeys = Set.of();

  AntiEntropy(
      Context context,
      ReplicaStore store,
      InboundStates decoder,
      Metrics metrics,
      Sender sender,
      StateSink sink,
      int maxBuckets,
      int maxChunkBytes,
      Random random,
      Predicate<String> busy,
      LongSupplier clock) {
    this.busy = busy;
    this.clock = clock;
    this.random = random;
    this.context = context;
    this.store = store;
    this.decoder = decoder;
    this.codec = decoder.codec();
    this.metrics = metrics;
    this.sender = sender;
    this.sink = sink;
    this.maxBuckets = maxBuckets;
    this.maxChunkBytes = maxChunkBytes;
  }

  DigestTree tree() {
    return tree;
  }

  /**
   * Records that {@code key} changed; its digest is recomputed before the next use from the state
   * the store holds then. Reading the store, rather than trusting the state a caller saw, keeps the
   * digest right when the event loop learns of concurrent changes out of order (a local write
   * completes on the store's thread, a remote merge on another): a change after the read marks the
   * key again, so the digest always catches up with the stored state.
   */
  void changed(String key) {
    dirty.add(key);
  }

  /**
   * The digest of {@code key}'s stored state if it is known to be current, else null: a key changed
   * since its digest was computed (or being recomputed), a key unknown here, or one whose digest is
   * a peer's state this build cannot read. Every write acknowledged by this node marked its key
   * changed before the acknowledgement, so a current digest covers all of them.
   */
  Long currentDigest(String key) {
    if (dirty.contains(key) || refreshingKeys.contains(key) || unreadableKeys.contains(key)) {
      return null;
    }
    return tree.digestOf(key);
  }

  /** Reads the dirty keys' states and hashes them off the event loop, then updates the tree. */
  Future<Void> refresh() {
    if (refreshing != null) {
      return refreshing;
    }
    if (dirty.isEmpty()) {
      return Future.succeededFuture();
    }
    long now = clock.getAsLong();
    List<String> batch = new ArrayList<>(dirty.size());
    Set<String> deferred = new LinkedHashSet<>();
    for (String key : dirty) {
      Long until = heavyUntil.get(key);
      if (until != null && until > now) {
        deferred.add(key); // a large key digested recently: later (see heavyUntil)
      } else {
        batch.add(key);
      }
    }
    dirty = deferred;
    if (batch.isEmpty()) {
      return Future.succeededFuture();
    }
    refreshingKeys = new HashSet<>(batch);
    List<CompletableFuture<Optional<TypedState<?>>>> reads = new ArrayList<>(batch.size());
    for (String key : batch) {
      reads.add(store.read(key));
    }
    CompletableFuture<Void> allRead =
        CompletableFuture.allOf(reads.toArray(new CompletableFuture<?>[0]));
    // Cache hits complete at once: no hop through the store's threads for them.
    Future<Void> readsDone =
        allRead.isDone() && !allRead.isCompletedExceptionally()
            ? Future.succeededFuture()
            : Future.fromCompletionStage(allRead, context);
    Future<Void> running =
        readsDone
            .compose(
                x ->
                    context.<Map<String, long[]>>executeBlocking(
                        () -> {
                          Map<String, long[]> digests = new HashMap<>();
                          for (int i = 0; i < batch.size(); i++) {
                            String key = batch.get(i);
                            Optional<TypedState<?>> state = reads.get(i).join();
                            if (state.isPresent()) {
                              long start = System.nanoTime();
                              long digest = digest(key, state.get());
                              digests.put(key, new long[] {digest, System.nanoTime() - start});
                            }
                          }
                          return digests;
                        },
                        false))
            .map(
                digests -> {
                  long done = clock.getAsLong();
                  digests.forEach(
                      (key, digestAndNanos) -> {
                        unreadableKeys.remove(key);
                        tree.put(key, digestAndNanos[0]);
                        long millis = digestAndNanos[1] / 1_000_000;
                        if (millis >= HEAVY_DIGEST_MILLIS) {
                          heavyUntil.put(key, done + HEAVY_DIGEST_SPACING * millis);
                        } else {
                          heavyUntil.remove(key);
                        }
                      });
                  return (Void) null;
                })
            .onFailure(e -> dirty.addAll(batch)); // try again next time
    refreshing = running;
    // The work may finish before this line: clear only our own future, whenever it completes.
    running.onComplete(
        x -> {
          if (refreshing == running) {
            refreshing = null;
            refreshingKeys = Set.of();
          }
        });
    return running;
  }

  private long digest(String key, TypedState<?> state) {
    return DigestTree.keyDigest(key, encode(state));
  }

  private byte[] encode(TypedState<?> state) {
    return codec.encode(state);
  }

  /** Starts a session with {@code peer}. */
  void startSession(String peer) {
    refresh()
        .onComplete(
            x -> {
              metrics.antiEntropyRounds.increment();
              sender.send(peer, new AeRoot(random.nextLong(), tree.root()));
            });
  }

  /** Handles an anti-entropy frame; returns false if {@code message} is not one. */
  boolean handle(String peer, Message message) {
    if (message instanceof AeRoot m) {
      refresh().onComplete(x -> onRoot(peer, m));
    } else if (message instanceof AeMatch) {
      metrics.peer(peer).lastInSyncMillis = System.currentTimeMillis();
    } else if (message instanceof AeLevel m) {
      onLevel(peer, m);
    } else if (message instanceof AeKeys m) {
      onKeys(peer, m);
    } else if (message instanceof AePull m) {
      pushStates(peer, m.session(), m.keys());
    } else if (message instanceof AeStates m) {
      onStates(peer, m);
    } else {
      return false;
    }
    return true;
  }

  private void onRoot(String peer, AeRoot m) {
    if (tree.root() == m.digest()) {
      sender.send(peer, new AeMatch(m.session()));
      metrics.peer(peer).lastInSyncMillis = System.currentTimeMillis();
      return;
    }
    int[] indices = new int[DigestTree.FANOUT];
    long[] digests = new long[DigestTree.FANOUT];
    for (int i = 0; i < DigestTree.FANOUT; i++) {
      indices[i] = i;
      digests[i] = tree.inner(i);
    }
    sender.send(peer, new AeLevel(m.session(), 1, indices, digests));
  }

  private void onLevel(String peer, AeLevel m) {
    if (m.indices().length != m.digests().length) {
      throw new ProtocolException("AeLevel with mismatched arrays");
    }
    if (m.level() == 1) {
      List<Integer> leaves = new ArrayList<>();
      for (int i = 0; i < m.indices().length; i++) {
        int inner = m.indices()[i];
        checkRange(inner, DigestTree.FANOUT);
        if (tree.inner(inner) != m.digests()[i]) {
          for (int leaf = inner * DigestTree.FANOUT;
              leaf < (inner + 1) * DigestTree.FANOUT;
              leaf++) {
            leaves.add(leaf);
          }
        }
      }
      if (leaves.isEmpty()) {
        return;
      }
      int[] indices = leaves.stream().mapToInt(Integer::intValue).toArray();
      long[] digests = new long[indices.length];
      for (int i = 0; i < indices.length; i++) {
        digests[i] = tree.leaf(indices[i]);
      }
      sender.send(peer, new AeLevel(m.session(), 2, indices, digests));
    } else if (m.level() == 2) {
      // Start at a random offset: leaves that stay different (a key held with another type by
      // the peer) must not starve the others when more than maxBuckets differ.
      List<Integer> differing = new ArrayList<>();
      int n = m.indices().length;
      int start = n == 0 ? 0 : random.nextInt(n);
      for (int j = 0; j < n && differing.size() < maxBuckets; j++) {
        int i = (start + j) % n;
        checkRange(m.indices()[i], DigestTree.LEAVES);
        if (tree.leaf(m.indices()[i]) != m.digests()[i]) {
          differing.add(m.indices()[i]);
        }
      }
      if (differing.isEmpty()) {
        return;
      }
      List<KeyDigest> keys = new ArrayList<>();
      for (int bucket : differing) {
        for (String key : tree.keysIn(bucket)) {
          keys.add(new KeyDigest(key, tree.digestOf(key)));
        }
      }
      sender.send(
          peer,
          new AeKeys(m.session(), differing.stream().mapToInt(Integer::intValue).toArray(), keys));
    } else {
      throw new ProtocolException("AeLevel with level " + m.level());
    }
  }

  private static void checkRange(int index, int size) {
    if (index < 0 || index >= size) {
      throw new ProtocolException("digest tree index " + index + " out of range");
    }
  }

  private void onKeys(String peer, AeKeys m) {
    Map<String, Long> theirs = new HashMap<>();
    for (KeyDigest kd : m.keys()) {
      theirs.put(kd.key(), kd.digest());
    }
    List<String> push = new ArrayList<>();
    List<String> pull = new ArrayList<>();
    for (int bucket : m.buckets()) {
      checkRange(bucket, DigestTree.LEAVES);
      for (String key : tree.keysIn(bucket)) {
        Long their = theirs.get(key);
        if (their == null || !their.equals(tree.digestOf(key))) {
          push.add(key);
        }
      }
    }
    for (KeyDigest kd : m.keys()) {
      Long mine = tree.digestOf(kd.key());
      if (mine == null || mine != kd.digest()) {
        pull.add(kd.key());
      }
    }
    pushStates(peer, m.session(), push);
    for (int from = 0; from < pull.size(); from += 1_000) {
      sender.send(
          peer, new AePull(m.session(), pull.subList(from, Math.min(pull.size(), from + 1_000))));
    }
  }

  /*
   * Reads the given keys' states, encodes them on a worker thread (a large state takes long) and
   * sends them in frames of at most maxChunkBytes; one state larger than that goes alone, and the
   * transport cuts it into chunks.
   */
  private void pushStates(String peer, long session, List<String> keys) {
    // One push per peer at a time, and none while a large frame to it is still queued: sessions
    // in a row must not pile up copies of a large state.
    if (keys.isEmpty() || pushing.contains(peer) || busy.test(peer)) {
      return;
    }
    pushing.add(peer);
    List<CompletableFuture<Optional<TypedState<?>>>> reads = new ArrayList<>();
    for (String key : keys) {
      reads.add(store.read(key));
    }
    Future.fromCompletionStage(
            CompletableFuture.allOf(reads.toArray(new CompletableFuture<?>[0])), context)
        .compose(
            x ->
                context.executeBlocking(
                    () -> {
                      List<KeyBytes> encoded = new ArrayList<>();
                      for (int i = 0; i < keys.size(); i++) {
                        Optional<TypedState<?>> state = reads.get(i).join();
                        if (state.isPresent()) {
                          byte[] bytes = encode(state.get());
                          if (bytes.length <= codec.limits().maxBytes()) {
                            encoded.add(new KeyBytes(keys.get(i), bytes));
                          } else {
                            tooLarge(keys.get(i), bytes.length);
                          }
                        }
                      }
                      return encoded;
                    },
                    false))
        .onComplete(x -> pushing.remove(peer))
        .onSuccess(
            encoded -> {
              List<KeyBytes> chunk = new ArrayList<>();
              long bytes = 0;
              for (KeyBytes entry : encoded) {
                if (!chunk.isEmpty() && bytes + entry.state().length > maxChunkBytes) {
                  sender.send(peer, new AeStates(session, chunk));
                  chunk = new ArrayList<>();
                  bytes = 0;
                }
                chunk.add(entry);
                bytes += entry.state().length + entry.key().length() + 8L;
                metrics.fullStatesSent.increment();
              }
              if (!chunk.isEmpty()) {
                sender.send(peer, new AeStates(session, chunk));
              }
            });
  }

  private void onStates(String peer, AeStates m) {
    // The whole frame is decoded first: a frame with one bad entry is rejected whole.
    decoder
        .decode(peer, m.states())
        .onSuccess(
            states -> {
              for (int i = 0; i < states.size(); i++) {
                KeyBytes entry = m.states().get(i);
                metrics.fullStatesReceived.increment();
                if (states.get(i) == null) {
                  unreadable(entry);
                  continue;
                }
                sink.mergeFullState(peer, entry.key(), states.get(i))
                    .onSuccess(
                        changed -> {
                          if (changed) {
                            metrics.keysRepaired.increment();
                          }
                        });
              }
            });
  }

  /*
   * A state joined past the read limit (concurrent writes each under the maximum value size) is
   * not shipped whole: peers would refuse it. Its deltas still flow.
   */
  private void tooLarge(String key, int bytes) {
    LOG.log(
        Level.WARNING,
        "key {0}: its state of {1} bytes is over the read limit of {2}; anti-entropy skips it",
        key,
        bytes,
        codec.limits().maxBytes());
  }

  /*
   * A state of a type this build cannot read (a rolling upgrade): nothing is stored, but its digest
   * goes into the tree for a key this node does not hold, so peers that hold the same state stop
   * pushing it every round. A key the node holds keeps its own digest.
   */
  private void unreadable(KeyBytes entry) {
    String key = entry.key();
    if (tree.digestOf(key) == null || unreadableKeys.contains(key)) {
      unreadableKeys.add(key);
      tree.put(key, DigestTree.keyDigest(key, entry.state()));
    }
  }
}
