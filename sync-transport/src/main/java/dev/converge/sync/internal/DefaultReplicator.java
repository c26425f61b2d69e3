package dev.converge.sync.internal;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.Key;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.Mutator;
import dev.converge.crdt.TypedState;
import dev.converge.store.NodeIdentity;
import dev.converge.store.ReplicaStore;
import dev.converge.store.ReplicaStores;
import dev.converge.sync.ChangeListener;
import dev.converge.sync.ClusterMember;
import dev.converge.sync.Consistency;
import dev.converge.sync.LinkFaults;
import dev.converge.sync.MemberStatus;
import dev.converge.sync.PeerAddress;
import dev.converge.sync.Replicator;
import dev.converge.sync.Subscription;
import dev.converge.sync.SyncMetrics;
import dev.converge.sync.SyncOptions;
import dev.converge.sync.internal.Message.Heartbeat;
import dev.converge.sync.internal.Message.Hello;
import dev.converge.sync.internal.Message.Members;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The node behind {@link Replicator}. Everything mutable here is confined to one Vert.x context (an
 * event loop): the transport, membership, the delta buffer and anti-entropy run on it, the store
 * runs on its own threads and reports back to it. Not part of the public API.
 *
 * <pre>
 *   update:  store.update (durable) → delta buffer → listeners → digest queue → (tick) peers
 *   deltas:  frame → decode → store.merge (durable) → ack → listeners → digest queue
 *   repair:  anti-entropy tick → digest tree session with one peer → full states that differ
 * </pre>
 */
public final class DefaultReplicator implements Replicator {

  private static final Logger LOG = System.getLogger(DefaultReplicator.class.getName());

  /** Most API calls held while the node starts; past it, calls fail at once. */
  static final int MAX_HELD_CALLS = 100_000;

  private final Vertx vertx;
  private final Context context;
  private final SyncOptions options;
  private final LinkFilter filter = new LinkFilter();
  private final Metrics metrics = new Metrics();
  private final Random random;
  private final long epoch;
  private final long since = System.currentTimeMillis();
  private final ChangeListeners listeners = new ChangeListeners(this::stateAtHand);
  private final IssueOrder issueOrder = new IssueOrder();
  private final StartGate gate = new StartGate(MAX_HELD_CALLS);
  /* The incarnation each peer had when this node's link to it last came up; context only. */
  private final Map<String, String> linkedIncarnations = new HashMap<>();
  private final List<Long> timers = new ArrayList<>();

  private volatile ReplicaStore store;
  private volatile NodeIdentity identity;
  private volatile int port;
  private final Transport.Factory transportFactory;
  private Transport transport;
  private InboundStates decoder;
  private DeltaGossip gossip;
  private SeedDiscovery seeds;
  private AntiEntropy antiEntropy;
  private QuorumCoordinator quorum;
  private volatile Membership membership;
  private volatile Pruning pruning;
  private volatile String removedReason;
  private final AtomicInteger localWritesInFlight = new AtomicInteger();
  private volatile boolean started;
  private volatile boolean closed;

  public DefaultReplicator(Vertx vertx, SyncOptions options) {
    this(vertx, options, null);
  }

  /** With a custom transport (a simulated network in tests); null for TCP. */
  DefaultReplicator(Vertx vertx, SyncOptions options, Transport.Factory transportFactory) {
    this(vertx, options, transportFactory, new Random());
  }

  /** With a custom transport and a seeded source of randomness, so simulations replay. */
  DefaultReplicator(
      Vertx vertx, SyncOptions options, Transport.Factory transportFactory, Random random) {
    this.random = random;
    this.epoch = random.nextLong();
    this.vertx = vertx;
    this.options = new SyncOptions(options);
    this.context = vertx.getOrCreateContext();
    this.transportFactory =
        transportFactory != null
            ? transportFactory
            : (listener, hello) ->
                new PeerTransport(vertx, this.options, filter, metrics, listener, hello);
  }

  /* ================================================================ lifecycle */

  @Override
  public Future<Void> start() {
    try {
      options.validate();
    } catch (IllegalStateException e) {
      gate.fail(e);
      return Future.failedFuture(e);
    }
    Promise<Void> promise = Promise.promise();
    context.runOnContext(v -> doStart().onComplete(promise));
    return promise.future();
  }

  /** The context everything of this node runs on. */
  Context context() {
    return context;
  }

  private Future<Void> doStart() {
    if (started || closed) {
      return Future.failedFuture(new IllegalStateException("a replicator starts once"));
    }
    started = true;
    return context
        .executeBlocking(() -> ReplicaStores.open(options.toStoreOptions()), false)
        .compose(
            opened -> {
              store = opened;
              identity = opened.identity();
              decoder =
                  new InboundStates(
                      context,
                      options.getCodec().withMaxBytes(options.readLimitBytes()),
                      metrics,
                      InboundStates.DEFAULT_INLINE_BYTES);
              gossip =
                  new DeltaGossip(
                      context,
                      new DeltaBuffer(epoch, options.getDeltaBufferMaxEntries()),
                      decoder,
                      options.getMaxFrameBytes(),
                      options.getGossipFanout(),
                      metrics,
                      this::send,
                      this::mergeRemote,
                      this::mergeLarge,
                      () -> membership.counted(),
                      this::canSend,
                      this::startAntiEntropy,
                      peer -> transport.busy(peer),
                      Math.max(100, 2 * options.getGossipIntervalMillis()),
                      System::currentTimeMillis);
              antiEntropy =
                  new AntiEntropy(
                      context,
                      opened,
                      decoder,
                      metrics,
                      this::send,
                      this::mergeLarge,
                      options.getAntiEntropyMaxBuckets(),
                      Math.max(1024, options.getMaxFrameBytes() / 2),
                      random,
                      peer -> transport.busy(peer),
                      System::currentTimeMillis);
              quorum =
                  new QuorumCoordinator(
                      vertx,
                      context,
                      opened,
                      decoder,
                      this::send,
                      this::mergeRemote,
                      this::mergeLarge,
                      key -> antiEntropy.currentDigest(key),
                      metrics,
                      options.getMinQuorumSize(),
                      random);
              transport = transportFactory.create(new TransportEvents(), this::hello);
              return transport.listen();
            })
        .compose(
            bound -> {
              port = bound;
              membership =
                  new Membership(
                      options,
                      identity.incarnation(),
                      since,
                      new PeerAddress(options.getAdvertisedHost(), port),
                      filter,
                      this::send,
                      new MembershipEvents(),
                      random,
                      System::currentTimeMillis,
                      () -> pruning == null ? List.of() : pruning.infos());
              pruning =
                  new Pruning(
                      vertx,
                      context,
                      store,
                      decoder,
                      membership,
                      new PruningEvents(),
                      options.getNodeId(),
                      identity.replicaId(),
                      options.getPruneLeftAfterMillis(),
                      Math.max(1024, options.getMaxFrameBytes() / 2),
                      Math.min(2_000, 4 * options.getHeartbeatIntervalMillis()),
                      System::currentTimeMillis);
              seeds = new SeedDiscovery(vertx, options, bound);
              seeds.dialNew(transport::connect);
              return loadDigests(null);
            })
        .onSuccess(
            v -> {
              timers.add(vertx.setPeriodic(options.getGossipIntervalMillis(), t -> gossipTick()));
              timers.add(
                  vertx.setPeriodic(options.getHeartbeatIntervalMillis(), t -> heartbeatTick()));
              timers.add(
                  vertx.setPeriodic(
                      options.getAntiEntropyIntervalMillis(), t -> antiEntropyTick()));
              if (options.getSeedDns() != null) {
                timers.add(
                    vertx.setPeriodic(
                        options.getSeedDnsIntervalMillis(),
                        t -> seeds.dialNew(transport::connect)));
              }
              LOG.log(
                  Level.INFO,
                  "node {0} ({1}) listening on {2}:{3}",
                  options.getNodeId(),
                  identity.replicaId(),
                  options.getHost(),
                  String.valueOf(port));
              gate.open();
            })
        .onFailure(
            e -> {
              LOG.log(Level.ERROR, "node " + options.getNodeId() + " failed to start", e);
              gate.fail(e);
            });
  }

  /* Queues every stored key for digesting, page by page, before the first anti-entropy round. */
  private Future<Void> loadDigests(String after) {
    return Future.fromCompletionStage(store.keys(after, 1_000), context)
        .compose(
            names -> {
              if (names.isEmpty()) {
                return antiEntropy.refresh();
              }
              names.forEach(antiEntropy::changed);
              return antiEntropy.refresh().compose(x -> loadDigests(names.get(names.size() - 1)));
            });
  }

  @Override
  public Future<Void> close() {
    Promise<Void> promise = Promise.promise();
    context.runOnContext(
        v -> {
          if (closed) {
            promise.complete();
            return;
          }
          closed = true;
          gate.close();
          Future<Void> left =
              membership == null || removedReason != null
                  ? Future.succeededFuture()
                  : GracefulLeave.run(
                      vertx,
                      options.getNodeId(),
                      options.getLeaveTimeoutMillis(),
                      options.getGossipIntervalMillis(),
                      membership,
                      gossip,
                      peer -> membership.isReachable(peer) && canSend(peer),
                      localWritesInFlight::get);
          left.compose(
                  x -> {
                    timers.forEach(vertx::cancelTimer);
                    if (seeds != null) {
                      seeds.close();
                    }
                    return transport == null ? Future.succeededFuture() : transport.close();
                  })
              .transform(
                  x ->
                      store == null
                          ? Future.succeededFuture()
                          : context.executeBlocking(
                              () -> {
                                store.close();
                                return null;
                              },
                              false))
              .<Void>mapEmpty()
              .onComplete(promise);
        });
    return promise.future();
  }

  @Override
  public NodeIdentity identity() {
    if (identity == null) {
      throw new IllegalStateException("the replicator has not started");
    }
    return identity;
  }

  @Override
  public int port() {
    return port;
  }

  private Hello hello() {
    return new Hello(
        options.getClusterName(),
        Message.PROTOCOL_VERSION,
        options.getNodeId(),
        identity.incarnation(),
        options.getAdvertisedHost(),
        port,
        epoch,
        since,
        options.getMetadata(),
        HandshakeAuth.nonce());
  }

  /* ================================================================ API */

  private <R> Future<R> whenRunning(Supplier<Future<R>> operation) {
    return gate.run(operation);
  }

  @Override
  public <T extends Crdt<T>> Future<T> get(Key<T> key) {
    return whenRunning(() -> Future.fromCompletionStage(store.read(key), context));
  }

  @Override
  public <T extends Crdt<T>> Future<T> get(Key<T> key, Consistency consistency) {
    return whenRunning(
        () -> {
          Promise<T> promise = Promise.promise();
          context.runOnContext(v -> quorum.read(key, consistency, peerIds()).onComplete(promise));
          return promise.future();
        });
  }

  @Override
  public <T extends Crdt<T>> Future<T> update(Key<T> key, Mutator<T> mutator) {
    return update(key, mutator, Consistency.local());
  }

  @Override
  public <T extends Crdt<T>> Future<T> update(
      Key<T> key, Mutator<T> mutator, Consistency consistency) {
    return whenRunning(() -> ordered(key, mutator, consistency));
  }

  private <T extends Crdt<T>> Future<T> ordered(
      Key<T> key, Mutator<T> mutator, Consistency consistency) {
    if (consistency.level() == Consistency.Level.LOCAL) {
      return issueOrder
          .run(key.name(), null, () -> applyLocally(key, mutator))
          .map(Mutation::state);
    }
    // Read-before-write: merge the states of the same quorum first, so the mutator sees every
    // write a quorum acknowledged before this one (a check-then-decrement acts on the latest
    // balance, an LWW assignment is stamped above every acknowledged one). Then write locally and
    // to the quorum. In a minority the read fails: the write is still kept locally (it will
    // converge) and fails with the counts the read reached. Later updates of the key wait for this
    // one's local application (IssueOrder), so they take effect after it.
    Promise<T> read = Promise.promise();
    context.runOnContext(v -> quorum.read(key, consistency, peerIds()).onComplete(read));
    Future<Mutation<T>> local =
        issueOrder.run(key.name(), read.future(), () -> applyLocally(key, mutator));
    Promise<T> promise = Promise.promise();
    local
        .compose(
            mutation ->
                read.future().succeeded()
                    ? quorum.write(key, mutation.delta(), mutation.state(), consistency, peerIds())
                    : Future.<T>failedFuture(
                        QuorumCoordinator.asWriteFailure(read.future().cause())))
        .onComplete(promise);
    return promise.future();
  }

  private <T extends Crdt<T>> Future<Mutation<T>> applyLocally(Key<T> key, Mutator<T> mutator) {
    String removed = removedReason;
    if (removed != null) {
      return Future.failedFuture(
          new IllegalStateException("this node is no longer a cluster member: " + removed));
    }
    localWritesInFlight.incrementAndGet();
    return Future.fromCompletionStage(store.update(key, mutator), context)
        .map(
            mutation -> {
              localMutation(key, mutation);
              return mutation;
            })
        .andThen(x -> localWritesInFlight.decrementAndGet());
  }

  /* Every current member but this node, reachable or not: quorums count them all. */
  private List<String> peerIds() {
    return membership.counted();
  }

  private <T extends Crdt<T>> void localMutation(Key<T> key, Mutation<T> mutation) {
    if (mutation.delta().equals(key.type().empty())) {
      return; // a no-op (an increment by 0, removing an absent element)
    }
    gossip.append(key.name(), new TypedState<>(key.type(), mutation.delta()));
    TypedState<T> state = new TypedState<>(key.type(), mutation.state());
    antiEntropy.changed(key.name());
    listeners.changed(key.name(), state, true);
  }

  /* The store's state of `key` if it is at hand without waiting (cached or in memory), else null. */
  private TypedState<?> stateAtHand(String key) {
    ReplicaStore s = store;
    if (s == null) {
      return null;
    }
    java.util.concurrent.CompletableFuture<Optional<TypedState<?>>> read = s.read(key);
    return read.isDone() && !read.isCompletedExceptionally() ? read.join().orElse(null) : null;
  }

  @Override
  public <T extends Crdt<T>> Subscription subscribe(Key<T> key, Consumer<? super T> listener) {
    Promise<Optional<TypedState<?>>> current = Promise.promise();
    Subscription subscription = listeners.subscribe(key, listener, context, current.future());
    whenRunning(() -> Future.fromCompletionStage(store.read(key.name()), context))
        .onComplete(current);
    return subscription;
  }

  @Override
  public Subscription subscribePrefix(String prefix, ChangeListener listener) {
    return listeners.subscribePrefix(prefix, listener);
  }

  @Override
  public Future<List<String>> keys(String after, int limit) {
    return whenRunning(() -> Future.fromCompletionStage(store.keys(after, limit), context));
  }

  @Override
  public List<ClusterMember> members() {
    Membership m = membership;
    return m == null ? List.of() : m.members();
  }

  @Override
  public Future<Void> removeMember(String nodeId) {
    return whenRunning(
        () -> {
          Promise<Void> promise = Promise.promise();
          context.runOnContext(
              v -> {
                if (options.getNodeId().equals(nodeId)) {
                  promise.fail(
                      new IllegalArgumentException(
                          "a node cannot remove itself; close() it to leave gracefully"));
                } else if (!membership.remove(nodeId)) {
                  promise.fail(
                      new IllegalArgumentException("no current member with node id " + nodeId));
                } else {
                  promise.complete();
                }
              });
          return promise.future();
        });
  }

  @Override
  public MemberStatus status() {
    Membership m = membership;
    if (m == null) {
      return MemberStatus.JOINING;
    }
    return removedReason != null ? MemberStatus.REMOVED : m.selfStatus();
  }

  @Override
  public LinkFaults faults() {
    return filter;
  }

  @Override
  public SyncMetrics metrics() {
    DeltaGossip g = gossip;
    Pruning p = pruning;
    return metrics.snapshot(
        peer -> g == null ? 0 : g.buffer().unacked(peer),
        p == null ? 0 : p.epoch(),
        p == null ? 0 : p.prunedReplicaIds());
  }

  /* ================================================================ membership */

  private final class TransportEvents implements Transport.Listener {
    @Override
    public void peerHello(Hello hello) {
      membership.hello(hello);
    }

    @Override
    public void message(String peer, Message message) {
      membership.heard(peer);
      handle(peer, message);
    }

    @Override
    public void linked(PeerAddress address, String peer, String incarnation) {
      // First contact with an incarnation (a new member, a restart under a new incarnation): bring
      // each other up to date right away. A relink to the same incarnation (a heal) is repaired by
      // the reachability change instead.
      if (!incarnation.equals(linkedIncarnations.put(peer, incarnation))) {
        // The view (with the prune records) first: a node new to the cluster learns the epoch it
        // must switch to before anyone may send it state.
        transport.send(peer, membership.view());
        vertx.setTimer(1 + random.nextInt(20), t -> startAntiEntropy(peer));
      }
    }

    @Override
    public String refusal(Hello hello) {
      Membership m = membership;
      return m == null ? "node is starting" : m.refusal(hello);
    }

    @Override
    public void removed(PeerAddress address, String reason) {
      membership.announceSelfRemoved(address + " refused this node: " + reason);
    }
  }

  private final class MembershipEvents implements Membership.Events {
    @Override
    public void learnt(String nodeId, PeerAddress address) {
      gossip.buffer().track(nodeId);
      transport.connect(address);
    }

    @Override
    public void newIncarnation(String nodeId) {
      gossip.buffer().reset(nodeId); // it lost its state: resend nothing, repair by anti-entropy
      gossip.forget(nodeId);
    }

    @Override
    public void gone(String nodeId, MemberStatus status) {
      gossip.buffer().forget(nodeId);
      gossip.forget(nodeId);
      transport.forget(nodeId);
    }

    @Override
    public void reachable(String nodeId) {
      // A peer that comes back (a partition healed, a restart) is repaired at once rather than at
      // the next anti-entropy round; its unacknowledged deltas go out at the next gossip tick.
      startAntiEntropy(nodeId);
    }

    @Override
    public void stalled(String nodeId) {
      // Dialled afresh, so that a heal is noticed within a connect attempt rather than a TCP
      // retransmission back-off.
      transport.relink(nodeId);
    }

    @Override
    public void selfRemoved(String reason) {
      removedReason = reason;
      LOG.log(
          Level.ERROR,
          "node {0} ({1}) is no longer a member: {2}. Its writes are refused from now on;"
              + " restart it as a new incarnation to rejoin",
          options.getNodeId(),
          identity.incarnation(),
          reason);
    }
  }

  /** One heartbeat round; run by a timer, or by a simulation. */
  void heartbeatTick() {
    if (removedReason == null) {
      membership.tick();
      pruning.tick();
    }
  }

  /* What pruning needs from this node. */
  private final class PruningEvents implements Pruning.Node {
    @Override
    public boolean send(String peer, Message message) {
      return transport.send(peer, message);
    }

    @Override
    public Future<Boolean> merge(String peer, String key, TypedState<?> state) {
      return mergeStored(peer, key, state);
    }

    @Override
    public void rewritten(String key, TypedState<?> state) {
      antiEntropy.changed(key);
      listeners.changed(key, state, false);
    }

    @Override
    public long lastDeltaSeq() {
      return gossip.buffer().lastSeq();
    }

    @Override
    public long deltaAckedBy(String peer) {
      return gossip.buffer().ackedBy(peer);
    }

    @Override
    public void switched() {
      for (String peer : membership.counted()) {
        startAntiEntropy(peer); // peers held their state back until now
      }
    }
  }

  /* ================================================================ delta propagation */

  /*
   * Every frame goes out here. One that carries states is held back from a peer that has not
   * switched to every prune epoch this node has started (Pruning's gate); it stays unacknowledged
   * and goes out once the peer has switched.
   */
  private boolean send(String peer, Message message) {
    if (Message.carriesState(message) && !pruning.maySendState(peer)) {
      return false;
    }
    return transport.send(peer, message);
  }

  /** One delta-propagation round; run by a timer, or by a simulation. */
  void gossipTick() {
    if (removedReason == null) {
      gossip.tick();
      quorum.resend();
    }
  }

  private boolean canSend(String peer) {
    return !filter.isPartitioned(peer) && transport.isLinked(peer) && pruning.maySendState(peer);
  }

  private void handle(String peer, Message message) {
    if (gossip.handle(peer, message)) {
      return;
    }
    if (message instanceof Heartbeat) {
      // liveness only: already recorded
    } else if (message instanceof Members m) {
      membership.merge(m);
      pruning.merge(m.prunes());
    } else if (!antiEntropy.handle(peer, message)
        && !quorum.handle(peer, message)
        && !pruning.handle(peer, message)) {
      throw new ProtocolException("unexpected " + message.getClass().getSimpleName() + " frame");
    }
  }

  /*
   * Every state or delta received goes in here: through Pruning, which cleans pruned replica ids
   * out of it. Key names were validated while decoding the frame (InboundStates).
   */
  private Future<Boolean> mergeRemote(String peer, String key, TypedState<?> stateOrDelta) {
    return pruning.inbound(peer, key, stateOrDelta);
  }

  /*
   * A join that visits much: a full state received (anti-entropy, a quorum read's reply; it visits
   * the whole local state) or a large delta. With a store that writes on the caller's thread it
   * runs on a worker thread, never on the event loop. Pruning's inbound path may be called from
   * any thread.
   */
  private Future<Boolean> mergeLarge(String peer, String key, TypedState<?> state) {
    if (!store.writesOnCallerThread()) {
      return mergeRemote(peer, key, state);
    }
    return context
        .executeBlocking(() -> mergeRemote(peer, key, state), false)
        .compose(merged -> merged);
  }

  /* The plain join of a received state or delta into the store. */
  private Future<Boolean> mergeStored(String peer, String key, TypedState<?> stateOrDelta) {
    return Future.fromCompletionStage(store.merge(key, stateOrDelta), context)
        .map(
            merged -> {
              if (merged.changed()) {
                TypedState<?> state = typed(stateOrDelta, merged.state());
                antiEntropy.changed(key);
                listeners.changed(key, state, false);
              }
              return merged.changed();
            })
        .onFailure(
            e ->
                LOG.log(
                    Level.WARNING,
                    "could not merge key " + key + " from " + peer + ": " + e.getMessage()));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static TypedState<?> typed(TypedState<?> like, Crdt<?> state) {
    return new TypedState(like.type(), state);
  }

  /* ================================================================ anti-entropy */

  /** One anti-entropy round; run by a timer, or by a simulation. */
  void antiEntropyTick() {
    List<String> candidates = new ArrayList<>();
    for (String peer : membership.counted()) {
      if (canSend(peer)) {
        candidates.add(peer);
      }
    }
    if (!candidates.isEmpty()) {
      startAntiEntropy(candidates.get(random.nextInt(candidates.size())));
    } else {
      antiEntropy.refresh();
    }
  }

  private void startAntiEntropy(String peer) {
    if (!closed && canSend(peer)) {
      antiEntropy.startSession(peer);
    }
  }
}
