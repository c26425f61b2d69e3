package dev.converge.sync.internal;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.Key;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.Mutator;
import dev.converge.crdt.TypedState;
import dev.converge.store.NodeIdentity;
import dev.converge.store.ReplicaStore;
import dev.converge.store.ReplicaStores;
import dev.converge.store.StoreException;
import dev.converge.sync.ChangeListener;
import dev.converge.sync.ClusterMember;
import dev.converge.sync.Consistency;
import dev.converge.sync.ConsistencyException;
import dev.converge.sync.LinkFaults;
import dev.converge.sync.PeerAddress;
import dev.converge.sync.Replicator;
import dev.converge.sync.Subscription;
import dev.converge.sync.SyncMetrics;
import dev.converge.sync.SyncOptions;
import dev.converge.sync.internal.Message.DeltaAck;
import dev.converge.sync.internal.Message.Deltas;
import dev.converge.sync.internal.Message.Heartbeat;
import dev.converge.sync.internal.Message.Hello;
import dev.converge.sync.internal.Message.KeyBytes;
import dev.converge.sync.internal.Message.MemberInfo;
import dev.converge.sync.internal.Message.Members;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

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

  /**
   * Most buffered deltas joined into one frame for one peer: a burst of writes to a few keys joins
   * into a few small deltas, so this bounds the work per tick, not the frame (see below).
   */
  private static final int MAX_DELTAS_PER_FRAME = 65_536;

  /** Most distinct keys in one delta frame; with the frame size limit, bounds a frame's size. */
  private static final int MAX_KEYS_PER_FRAME = 4_096;

  private final Vertx vertx;
  private final Context context;
  private final SyncOptions options;
  private final LinkFilter filter = new LinkFilter();
  private final Metrics metrics = new Metrics();
  private final Random random;
  private final long epoch;
  private final Map<String, Member> members = new ConcurrentHashMap<>();
  private final Map<String, List<Consumer<TypedState<?>>>> keyListeners = new ConcurrentHashMap<>();
  private final List<PrefixListener> prefixListeners = new CopyOnWriteArrayList<>();
  private final List<Long> timers = new ArrayList<>();

  private volatile ReplicaStore store;
  private volatile NodeIdentity identity;
  private volatile int port;
  private final Transport.Factory transportFactory;
  private Transport transport;
  private SeedDiscovery seeds;
  private DeltaBuffer buffer;
  private AntiEntropy antiEntropy;
  private QuorumCoordinator quorum;
  private int fanoutCursor;
  private volatile boolean started;
  private volatile boolean closed;

  private record PrefixListener(String prefix, ChangeListener listener) {}

  /** What this node knows of a peer. */
  private static final class Member {
    final String nodeId;
    volatile String incarnation;
    volatile PeerAddress address;
    volatile Map<String, String> metadata = Map.of();
    /* As last seen by heartbeatTick; confined to the context. */
    boolean reachable;
    final PhiAccrualDetector detector;

    Member(String nodeId, PeerAddress address, SyncOptions options) {
      this.nodeId = nodeId;
      this.address = address;
      this.detector =
          new PhiAccrualDetector(
              options.getHeartbeatIntervalMillis(), options.getAcceptablePauseMillis());
    }
  }

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
              buffer = new DeltaBuffer(epoch, options.getDeltaBufferMaxEntries());
              antiEntropy =
                  new AntiEntropy(
                      context,
                      opened,
                      options.getCodec(),
                      metrics,
                      this::send,
                      this::mergeRemote,
                      options.getAntiEntropyMaxBuckets(),
                      Math.max(1024, options.getMaxFrameBytes() / 2),
                      random);
              quorum =
                  new QuorumCoordinator(
                      vertx,
                      context,
                      opened,
                      options.getCodec(),
                      this::send,
                      this::mergeRemote,
                      random);
              transport = transportFactory.create(new TransportEvents(), this::hello);
              return transport.listen();
            })
        .compose(
            bound -> {
              port = bound;
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
            })
        .onFailure(
            e -> LOG.log(Level.ERROR, "node " + options.getNodeId() + " failed to start", e));
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
          timers.forEach(vertx::cancelTimer);
          if (seeds != null) {
            seeds.close();
          }
          Future<Void> links = transport == null ? Future.succeededFuture() : transport.close();
          links
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
        options.getMetadata(),
        HandshakeAuth.nonce());
  }

  /* ================================================================ API */

  private <T> Future<T> whenRunning() {
    if (closed) {
      return Future.failedFuture(new StoreException.Closed());
    }
    if (store == null) {
      return Future.failedFuture(new IllegalStateException("the replicator has not started"));
    }
    return null;
  }

  @Override
  public <T extends Crdt<T>> Future<T> get(Key<T> key) {
    Future<T> refused = whenRunning();
    return refused != null ? refused : Future.fromCompletionStage(store.read(key), context);
  }

  @Override
  public <T extends Crdt<T>> Future<T> get(Key<T> key, Consistency consistency) {
    Future<T> refused = whenRunning();
    if (refused != null) {
      return refused;
    }
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> quorum.read(key, consistency, peerIds()).onComplete(promise));
    return promise.future();
  }

  @Override
  public <T extends Crdt<T>> Future<T> update(Key<T> key, Mutator<T> mutator) {
    return update(key, mutator, Consistency.local());
  }

  @Override
  public <T extends Crdt<T>> Future<T> update(
      Key<T> key, Mutator<T> mutator, Consistency consistency) {
    Future<T> refused = whenRunning();
    if (refused != null) {
      return refused;
    }
    if (consistency.level() == Consistency.Level.LOCAL) {
      return applyLocally(key, mutator).map(Mutation::state);
    }
    // Read-before-write: merge the states of the same quorum first, so the mutator sees every
    // write a quorum acknowledged before this one (a check-then-decrement acts on the latest
    // balance, an LWW assignment is stamped above every acknowledged one). Then write locally and
    // to the quorum. In a minority the read fails: the write is still kept locally (it will
    // converge) and fails with the counts the read reached.
    Promise<T> promise = Promise.promise();
    context.runOnContext(
        v ->
            quorum
                .read(key, consistency, peerIds())
                .onComplete(
                    read ->
                        applyLocally(key, mutator)
                            .compose(
                                mutation ->
                                    read.succeeded()
                                        ? quorum.write(
                                            key,
                                            mutation.delta(),
                                            mutation.state(),
                                            consistency,
                                            peerIds())
                                        : Future.<T>failedFuture(asWriteFailure(read.cause())))
                            .onComplete(promise)));
    return promise.future();
  }

  private <T extends Crdt<T>> Future<Mutation<T>> applyLocally(Key<T> key, Mutator<T> mutator) {
    return Future.fromCompletionStage(store.update(key, mutator), context)
        .map(
            mutation -> {
              localMutation(key, mutation);
              return mutation;
            });
  }

  private static Throwable asWriteFailure(Throwable readFailure) {
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

  /* Every member but this node, reachable or not: quorums count them all. */
  private List<String> peerIds() {
    List<String> ids = new ArrayList<>(members.keySet());
    Collections.sort(ids);
    return ids;
  }

  private <T extends Crdt<T>> void localMutation(Key<T> key, Mutation<T> mutation) {
    if (mutation.delta().equals(key.type().empty())) {
      return; // a no-op (an increment by 0, removing an absent element)
    }
    buffer.append(key.name(), new TypedState<>(key.type(), mutation.delta()));
    TypedState<T> state = new TypedState<>(key.type(), mutation.state());
    antiEntropy.changed(key.name());
    notifyListeners(key.name(), state, true);
  }

  @Override
  public <T extends Crdt<T>> Subscription subscribe(Key<T> key, Consumer<? super T> listener) {
    Consumer<TypedState<?>> typed =
        state -> {
          if (state.type().tag().equals(key.type().tag())) {
            listener.accept(key.type().cast(state.state()));
          }
        };
    keyListeners.computeIfAbsent(key.name(), k -> new CopyOnWriteArrayList<>()).add(typed);
    return () -> {
      List<Consumer<TypedState<?>>> list = keyListeners.get(key.name());
      if (list != null) {
        list.remove(typed);
      }
    };
  }

  @Override
  public Subscription subscribePrefix(String prefix, ChangeListener listener) {
    PrefixListener registered = new PrefixListener(prefix, listener);
    prefixListeners.add(registered);
    return () -> prefixListeners.remove(registered);
  }

  private void notifyListeners(String key, TypedState<?> state, boolean local) {
    List<Consumer<TypedState<?>>> list = keyListeners.get(key);
    if (list != null) {
      for (Consumer<TypedState<?>> listener : list) {
        try {
          listener.accept(state);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "a listener of key " + key + " failed", e);
        }
      }
    }
    for (PrefixListener p : prefixListeners) {
      if (key.startsWith(p.prefix())) {
        try {
          p.listener().changed(key, state, local);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "a listener of prefix " + p.prefix() + " failed", e);
        }
      }
    }
  }

  @Override
  public Future<List<String>> keys(String after, int limit) {
    Future<List<String>> refused = whenRunning();
    return refused != null
        ? refused
        : Future.fromCompletionStage(store.keys(after, limit), context);
  }

  @Override
  public List<ClusterMember> members() {
    long now = System.currentTimeMillis();
    List<ClusterMember> result = new ArrayList<>();
    for (Member m : members.values()) {
      double phi = m.detector.phi(now);
      result.add(
          new ClusterMember(
              m.nodeId,
              m.incarnation == null ? "" : m.incarnation,
              m.address,
              m.detector.everHeard()
                  && phi < options.getPhiThreshold()
                  && !filter.isPartitioned(m.nodeId),
              phi == Double.MAX_VALUE ? Double.POSITIVE_INFINITY : phi,
              m.detector.lastHeardMillis(),
              m.metadata));
    }
    result.sort((a, b) -> a.nodeId().compareTo(b.nodeId()));
    return Collections.unmodifiableList(result);
  }

  @Override
  public LinkFaults faults() {
    return filter;
  }

  @Override
  public SyncMetrics metrics() {
    DeltaBuffer b = buffer;
    return metrics.snapshot(peer -> b == null ? 0 : b.unacked(peer));
  }

  /* ================================================================ membership */

  private final class TransportEvents implements Transport.Listener {
    @Override
    public void peerHello(Hello hello) {
      Member member = learn(hello.nodeId(), new PeerAddress(hello.host(), hello.port()));
      member.metadata = Map.copyOf(hello.metadata());
      member.detector.heartbeat(System.currentTimeMillis());
      observeIncarnation(member, hello.incarnation());
    }

    @Override
    public void message(String peer, Message message) {
      Member member = members.get(peer);
      if (member != null) {
        member.detector.heartbeat(System.currentTimeMillis());
      }
      handle(peer, message);
    }

    @Override
    public void linked(PeerAddress address, String peer, String incarnation) {
      observeIncarnation(learn(peer, address), incarnation);
    }
  }

  private Member learn(String nodeId, PeerAddress address) {
    Member member = members.get(nodeId);
    if (member == null) {
      member = new Member(nodeId, address, options);
      members.put(nodeId, member);
      buffer.track(nodeId);
      LOG.log(
          Level.INFO, "node {0} learnt member {1} at {2}", options.getNodeId(), nodeId, address);
    } else if (!member.address.equals(address)) {
      member.address = address;
    }
    transport.connect(address);
    return member;
  }

  /* A peer seen with a new incarnation lost its state: resend nothing, repair by anti-entropy. */
  private void observeIncarnation(Member member, String incarnation) {
    String previous = member.incarnation;
    member.incarnation = incarnation;
    if (previous == null || !previous.equals(incarnation)) {
      if (previous != null) {
        buffer.reset(member.nodeId);
      }
      // First contact or a new incarnation: bring each other up to date right away.
      vertx.setTimer(1 + random.nextInt(20), t -> startAntiEntropy(member.nodeId));
    }
  }

  /** One heartbeat round; run by a timer, or by a simulation. */
  void heartbeatTick() {
    long now = System.currentTimeMillis();
    Heartbeat beat = new Heartbeat(now);
    List<String> peers = new ArrayList<>(members.keySet());
    for (String peer : peers) {
      send(peer, beat);
    }
    if (peers.isEmpty()) {
      return;
    }
    // A peer that comes back (a partition healed, a restart) is repaired at once rather than at
    // the next anti-entropy round; its unacknowledged deltas go out at the next gossip tick. A peer
    // that stops answering is dialled afresh, so that the heal is noticed within a connect
    // attempt rather than a TCP retransmission back-off.
    for (String peer : peers) {
      Member m = members.get(peer);
      boolean up =
          !filter.isPartitioned(peer)
              && m.detector.everHeard()
              && m.detector.phi(now) < options.getPhiThreshold();
      if (up && !m.reachable) {
        startAntiEntropy(peer);
      } else if (!up && m.reachable && !filter.isPartitioned(peer)) {
        transport.relink(peer);
      }
      m.reachable = up;
    }
    // Member list gossip to one random peer per heartbeat: a joiner learns everyone in O(log N).
    List<MemberInfo> infos = new ArrayList<>();
    infos.add(
        new MemberInfo(
            options.getNodeId(),
            identity.incarnation(),
            options.getAdvertisedHost(),
            port,
            options.getMetadata()));
    for (Member m : members.values()) {
      infos.add(
          new MemberInfo(
              m.nodeId,
              m.incarnation == null ? "" : m.incarnation,
              m.address.host(),
              m.address.port(),
              m.metadata));
    }
    send(peers.get(random.nextInt(peers.size())), new Members(infos));
  }

  /* ================================================================ delta propagation */

  private boolean send(String peer, Message message) {
    return transport.send(peer, message);
  }

  /** One delta-propagation round; run by a timer, or by a simulation. */
  void gossipTick() {
    List<String> peers = new ArrayList<>(members.keySet());
    if (peers.isEmpty()) {
      return;
    }
    Collections.sort(peers);
    // Deltas to up to `fanout` peers that lack some, rotating.
    int sent = 0;
    Map<Long, Deltas> prepared = new java.util.HashMap<>();
    for (int i = 0; i < peers.size() && sent < options.getGossipFanout(); i++) {
      String peer = peers.get((fanoutCursor + i) % peers.size());
      if (filter.isPartitioned(peer) || !transport.isLinked(peer)) {
        continue;
      }
      Deltas frame = nextFrame(peer, prepared);
      if (frame != null && send(peer, frame)) {
        metrics.deltasSent.add(frame.deltas().size());
        sent++;
      }
    }
    fanoutCursor++;
    for (String laggard : buffer.takeLaggards()) {
      startAntiEntropy(laggard);
    }
  }

  /*
   * The next delta frame for `peer`, shared by peers at the same acknowledgement (`prepared`). An
   * interval whose encoding would not fit a frame is halved until it does.
   */
  private Deltas nextFrame(String peer, Map<Long, Deltas> prepared) {
    int maxDeltas = MAX_DELTAS_PER_FRAME;
    while (true) {
      DeltaBuffer.Interval interval = buffer.next(peer, maxDeltas, MAX_KEYS_PER_FRAME);
      if (interval == null) {
        return null;
      }
      Deltas cached = prepared.get(interval.from());
      if (cached != null && cached.to() == interval.to()) {
        return cached;
      }
      Deltas frame = encode(interval);
      long size = 64;
      for (KeyBytes kb : frame.deltas()) {
        size += kb.key().length() * 3L + kb.state().length + 8;
      }
      long count = interval.to() - interval.from() + 1;
      if (size <= options.getMaxFrameBytes() - 1024 || count == 1) {
        prepared.put(interval.from(), frame);
        return frame;
      }
      maxDeltas = (int) Math.max(1, count / 2);
    }
  }

  private Deltas encode(DeltaBuffer.Interval interval) {
    List<KeyBytes> entries = new ArrayList<>(interval.deltas().size());
    interval
        .deltas()
        .forEach((key, delta) -> entries.add(new KeyBytes(key, options.getCodec().encode(delta))));
    return new Deltas(epoch, interval.from(), interval.to(), entries);
  }

  private void handle(String peer, Message message) {
    if (message instanceof Deltas m) {
      onDeltas(peer, m);
    } else if (message instanceof DeltaAck m) {
      buffer.ack(peer, m.epoch(), m.upTo());
    } else if (message instanceof Heartbeat) {
      // liveness only: already recorded
    } else if (message instanceof Members m) {
      for (MemberInfo info : m.members()) {
        if (!info.nodeId().equals(options.getNodeId())
            && info.nodeId().matches("[A-Za-z0-9._-]{1,64}")
            && !info.host().isBlank()
            && info.port() > 0
            && info.port() <= 65_535) {
          Member member = learn(info.nodeId(), new PeerAddress(info.host(), info.port()));
          if (!info.metadata().isEmpty()) {
            member.metadata = Map.copyOf(info.metadata());
          }
        }
      }
    } else if (!antiEntropy.handle(peer, message) && !quorum.handle(peer, message)) {
      throw new ProtocolException("unexpected " + message.getClass().getSimpleName() + " frame");
    }
  }

  private void onDeltas(String peer, Deltas m) {
    // Decode the whole frame first: a frame with one bad entry is rejected whole.
    List<TypedState<?>> deltas = AntiEntropy.decodeAll(options.getCodec(), m.deltas());
    List<Future<Boolean>> merges = new ArrayList<>(deltas.size());
    for (int i = 0; i < deltas.size(); i++) {
      metrics.deltasReceived.increment();
      merges.add(mergeRemote(peer, m.deltas().get(i).key(), deltas.get(i)));
    }
    // Acknowledge once every delta of the interval is durable here (or failed for good).
    Future.join(merges).onComplete(x -> send(peer, new DeltaAck(m.epoch(), m.to())));
  }

  /* Key names were validated while decoding the frame (AntiEntropy.decodeOne). */
  private Future<Boolean> mergeRemote(String peer, String key, TypedState<?> stateOrDelta) {
    return Future.fromCompletionStage(store.merge(key, stateOrDelta), context)
        .map(
            merged -> {
              if (merged.changed()) {
                TypedState<?> state = typed(stateOrDelta, merged.state());
                antiEntropy.changed(key);
                notifyListeners(key, state, false);
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
    for (String peer : members.keySet()) {
      if (!filter.isPartitioned(peer) && transport.isLinked(peer)) {
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
    if (!closed && !filter.isPartitioned(peer) && transport.isLinked(peer)) {
      antiEntropy.startSession(peer);
    }
  }
}
