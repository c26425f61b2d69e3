package dev.converge.sync.internal;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.ReplicaPruning;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.store.ReplicaStore;
import dev.converge.sync.MemberStatus;
import dev.converge.sync.internal.Message.KeyBytes;
import dev.converge.sync.internal.Message.PruneAck;
import dev.converge.sync.internal.Message.PruneInfo;
import dev.converge.sync.internal.Message.PrunePull;
import dev.converge.sync.internal.Message.PrunePush;
import dev.converge.sync.internal.Message.PruneStates;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Prunes the replica ids of gone incarnations from every key on every node: the cluster protocol of
 * decision 0011 (section "Cluster protocol", as built: decision 0012). Confined to the replicator's
 * context, except {@link #maySendState} and {@link #inbound}, which read volatile fields. Not part
 * of the public API.
 *
 * <p>One record at a time, numbered ({@code seq}), gossiped with the membership view as a small
 * lattice: {@code PruneRecord(seq, removed ids, owner, phase, collected)}. Each node has a
 * <em>prune epoch</em>, the highest record it has switched to, announced in its own membership
 * entry.
 *
 * <ol>
 *   <li><b>Start.</b> The smallest-id member that is up, when every member is reachable and every
 *       earlier record is finished, creates a record for the gone incarnations (removed,
 *       superseded, or left longer than {@code pruneLeftAfterMillis} ago, which it marks removed
 *       first), with itself as owner.
 *   <li><b>Collect.</b> Every member that refuses those incarnations sends the owner the full state
 *       of each key that names one of them, waits for the owner's durable acknowledgement, and adds
 *       itself to {@code collected}. The owner then holds every piece of the removed ids that any
 *       member holds.
 *   <li><b>Perform.</b> When every current member has collected, the owner rewrites each such key
 *       with {@link ReplicaPruning#prune} (a store rewrite, not a join), keeps each key's {@link
 *       ReplicaPruning#pruneOffset offset}, and marks the record PERFORMED.
 *   <li><b>Switch.</b> Every other node scans its keys; for those that name a removed id it pulls
 *       the state of a node already at that epoch and stores {@code cleanup(local) ⊔ pulled} in one
 *       rewrite; it waits until the owner has acknowledged its delta buffer (so late removes are
 *       translated there), then announces the epoch.
 *   <li><b>Gate.</b> A node sends no state-carrying frame to a peer whose announced epoch is below
 *       the epoch it has started, so an unswitched node never meets folded data; every node cleans
 *       (the owner translates) the removed ids out of whatever it receives once its own key no
 *       longer names them.
 * </ol>
 *
 * A record whose owner is gone before it performed is abandoned and its ids are tried again.
 */
final class Pruning {

  private static final Logger LOG = System.getLogger(Pruning.class.getName());

  /** Store property: the prune epoch this node has started (its gate), persisted before work. */
  static final String STARTED_PROPERTY = "converge.prune.started";

  /** Store property: the prune epoch this node has completed. */
  static final String EPOCH_PROPERTY = "converge.prune.epoch";

  /**
   * Store property: the records up to the started epoch, so that a node restarted on its data
   * cleans what it receives before gossip has told it anything.
   */
  static final String RECORDS_PROPERTY = "converge.prune.records";

  /** A push or pull not answered within this is given up and retried at a later round. */
  static final long REQUEST_TIMEOUT_MILLIS = 10_000;

  private static final int KEY_PAGE = 1_000;
  /* The epoch a PruneStates reply gives when it refuses: not at the epoch asked for, or busy. */
  private static final long REFUSED = -1;
  private static final int MAX_KEYS_PER_PULL = 256;

  /** What pruning needs from the rest of the node: narrow callbacks. */
  interface Node {
    /** Sends a frame, ungated (pruning's own frames cross epochs by design). */
    boolean send(String peer, Message message);

    /** Joins a state into the store as any received state; completes with "changed". */
    Future<Boolean> merge(String peer, String key, TypedState<?> state);

    /** {@code key} was rewritten to {@code state}: refresh its digest, tell its listeners. */
    void rewritten(String key, TypedState<?> state);

    /** The sequence number of this node's newest delta. */
    long lastDeltaSeq();

    /** The highest delta of this node that {@code peer} acknowledged; -1 if it is not tracked. */
    long deltaAckedBy(String peer);

    /** This node switched to a new epoch: peers may now send it their state; repair at once. */
    void switched();
  }

  private final Vertx vertx;
  private final Context context;
  private final ReplicaStore store;
  private final CrdtCodec codec;
  private final InboundStates decoder;
  private final Membership membership;
  private final Node node;
  private final ReplicaId self;
  private final String selfId;
  private final long pruneLeftAfterMillis;
  private final int maxChunkBytes;
  private final long retryMillis;
  private final LongSupplier clock;

  private final TreeMap<Long, PruneRecord> records = new TreeMap<>();
  /* The owner's offsets, per record: "key \0 replica" -> the key's pruneOffset before the prune. */
  private final Map<Long, Map<String, Long>> offsets = new ConcurrentHashMap<>();
  private final Map<Long, Promise<Message>> requests = new HashMap<>();
  private volatile long started;
  private volatile long epoch;
  /* Replica ids that this node cleans out of what it receives; replaced whole, read anywhere. */
  private volatile Set<ReplicaId> cleaned = Set.of();
  /* The owners of the records of this node's current switch, and the delta they must have. */
  private volatile Map<ReplicaId, String> ownerOf = Map.of();
  private boolean busy;
  private boolean kicked;
  private long nextRequest;

  Pruning(
      Vertx vertx,
      Context context,
      ReplicaStore store,
      InboundStates decoder,
      Membership membership,
      Node node,
      String selfId,
      ReplicaId self,
      long pruneLeftAfterMillis,
      int maxChunkBytes,
      long retryMillis,
      LongSupplier clock) {
    this.vertx = vertx;
    this.context = context;
    this.store = store;
    this.decoder = decoder;
    this.codec = decoder.codec();
    this.membership = membership;
    this.node = node;
    this.selfId = selfId;
    this.self = self;
    this.pruneLeftAfterMillis = pruneLeftAfterMillis;
    this.maxChunkBytes = maxChunkBytes;
    this.retryMillis = Math.max(10, retryMillis);
    this.clock = clock;
    this.started = parse(store.property(STARTED_PROPERTY));
    this.epoch = parse(store.property(EPOCH_PROPERTY));
    store.property(RECORDS_PROPERTY).ifPresent(this::loadRecords);
    refreshCleaned();
    this.nextRequest = new java.util.Random().nextLong();
    membership.advancePruneEpoch(epoch);
  }

  private static long parse(Optional<String> value) {
    try {
      return value.map(Long::parseLong).orElse(0L);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /* One line per record: "seq phase owner createdMillis id,id,...". */
  private String recordsText() {
    StringBuilder b = new StringBuilder();
    for (PruneRecord r : records.headMap(started, true).values()) {
      b.append(r.seq())
          .append(' ')
          .append(r.phase().ordinal())
          .append(' ')
          .append(r.owner())
          .append(' ')
          .append(r.createdMillis())
          .append(' ');
      for (int i = 0; i < r.removed().size(); i++) {
        b.append(i == 0 ? "" : ",").append(r.removed().get(i).value());
      }
      b.append('\n');
    }
    return b.toString();
  }

  private void loadRecords(String text) {
    for (String line : text.split("\n")) {
      String[] f = line.split(" ");
      if (f.length != 5) {
        continue;
      }
      try {
        PruneRecord r =
            PruneRecord.of(
                new PruneInfo(
                    Long.parseLong(f[0]),
                    List.of(f[4].split(",")),
                    f[2],
                    Integer.parseInt(f[1]),
                    List.of(),
                    Long.parseLong(f[3])));
        if (r != null) {
          records.put(r.seq(), r);
        }
      } catch (NumberFormatException e) {
        LOG.log(Level.WARNING, "node {0}: skipping a damaged stored prune record", selfId);
      }
    }
  }

  /* ================================================================ queries */

  /** The prune epoch this node has completed. */
  long epoch() {
    return epoch;
  }

  /** How many replica ids the remembered records up to this node's epoch pruned. */
  long prunedReplicaIds() {
    long n = 0;
    for (PruneRecord r : records.headMap(epoch, true).values()) {
      n += r.phase() == PruneRecord.Phase.PERFORMED ? r.removed().size() : 0;
    }
    return n;
  }

  /** The records as gossiped. */
  List<PruneInfo> infos() {
    List<PruneInfo> infos = new ArrayList<>(records.size());
    for (PruneRecord r : records.values()) {
      infos.add(r.info());
    }
    return infos;
  }

  /** The records this node knows, in seq order (for tests and the inspector). */
  List<PruneRecord> records() {
    return List.copyOf(records.values());
  }

  /**
   * True if a frame carrying states may go to {@code peer}: the peer has switched to every epoch
   * this node has started, so it never meets data folded for a record it has not switched to.
   */
  boolean maySendState(String peer) {
    long s = started;
    return s == 0 || membership.pruneEpochOf(peer) >= s;
  }

  /* ================================================================ the lattice */

  /** Merges gossiped records; malformed ones are skipped. */
  void merge(List<PruneInfo> infos) {
    boolean changed = false;
    for (PruneInfo info : infos) {
      PruneRecord in = PruneRecord.of(info);
      if (in == null) {
        continue;
      }
      PruneRecord known = records.get(in.seq());
      PruneRecord joined = known == null ? in : PruneRecord.join(known, in);
      if (joined != known) {
        records.put(in.seq(), joined);
        changed = true;
      }
    }
    if (changed) {
      refreshCleaned();
      kick();
    }
  }

  /* Runs a round soon, rather than at the next heartbeat: news worth acting on arrived. */
  private void kick() {
    if (!kicked) {
      kicked = true;
      context.runOnContext(
          v -> {
            kicked = false;
            tick();
          });
    }
  }

  private void put(PruneRecord r) {
    records.put(r.seq(), r);
    refreshCleaned();
  }

  /*
   * The ids this node cleans out of received data: those of every record up to the epoch it has
   * started, but abandoned ones.
   */
  private void refreshCleaned() {
    Set<ReplicaId> ids = new HashSet<>();
    for (PruneRecord r : records.headMap(started, true).values()) {
      if (r.phase() != PruneRecord.Phase.ABANDONED) {
        ids.addAll(r.removed());
      }
    }
    if (!ids.equals(cleaned)) {
      cleaned = Set.copyOf(ids);
    }
  }

  /* ================================================================ inbound */

  /**
   * Joins a received state or delta into {@code key}, first cleaning out (translating, at the
   * owner) every pruned id that this node's own state of the key no longer names. Data that names
   * no pruned id takes the plain merge.
   */
  Future<Boolean> inbound(String peer, String key, TypedState<?> in) {
    Set<ReplicaId> ids = cleaned;
    if (ids.isEmpty() || !(in.state() instanceof ReplicaPruning<?> p)) {
      return node.merge(peer, key, in);
    }
    List<ReplicaId> named = new ArrayList<>();
    for (ReplicaId r : p.replicas()) {
      if (ids.contains(r)) {
        named.add(r);
      }
    }
    if (named.isEmpty()) {
      return node.merge(peer, key, in);
    }
    AtomicReference<TypedState<?>> before = new AtomicReference<>();
    return Future.fromCompletionStage(
            store.rewrite(
                key,
                current -> {
                  before.set(current);
                  return joinCleaned(key, current, in, named);
                }),
            context)
        .compose(
            after -> {
              if (after.isEmpty()) { // a key new here: nothing of the pruned ids is wanted raw
                return node.merge(peer, key, cleanup(in, named));
              }
              boolean changed = !after.get().state().equals(before.get().state());
              if (changed) {
                node.rewritten(key, after.get());
              }
              return Future.succeededFuture(changed);
            });
  }

  /* Runs on the store's writer: current ⊔ (in, cleaned of the ids current no longer names). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private TypedState<?> joinCleaned(
      String key, TypedState<?> current, TypedState<?> in, List<ReplicaId> named) {
    if (!current.type().tag().equals(in.type().tag())) {
      throw new IllegalArgumentException(
          "key " + key + " holds " + current.type().tag() + ", received " + in.type().tag());
    }
    Crdt x = in.state();
    ReplicaPruning local = (ReplicaPruning) current.state();
    for (ReplicaId r : named) {
      if (local.mentions(r)) {
        continue; // this key is not pruned or switched yet: the id's data is still wanted raw
      }
      Long offset = offsetOf(key, r);
      x =
          offset != null
              ? ((ReplicaPruning) x).translatePruned(r, self, offset)
              : ((ReplicaPruning) x).pruningCleanup(r);
    }
    return new TypedState(current.type(), ((Crdt) current.state()).merge(x));
  }

  private Long offsetOf(String key, ReplicaId r) {
    for (Map<String, Long> perRecord : offsets.values()) {
      Long o = perRecord.get(key + '\0' + r.value());
      if (o != null) {
        return o;
      }
    }
    return null;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static TypedState<?> cleanup(TypedState<?> typed, List<ReplicaId> ids) {
    if (!(typed.state() instanceof ReplicaPruning)) {
      return typed;
    }
    Crdt x = typed.state();
    for (ReplicaId r : ids) {
      x = ((ReplicaPruning) x).pruningCleanup(r);
    }
    return x == typed.state() ? typed : new TypedState(typed.type(), x);
  }

  private static boolean namesAny(TypedState<?> typed, List<ReplicaId> ids) {
    if (!(typed.state() instanceof ReplicaPruning<?> p)) {
      return false;
    }
    for (ReplicaId r : ids) {
      if (p.mentions(r)) {
        return true;
      }
    }
    return false;
  }

  /* ================================================================ frames */

  /** Handles a pruning frame; returns false if {@code message} is not one. */
  boolean handle(String peer, Message message) {
    if (message instanceof PrunePush m) {
      // A state of a type this build cannot read is skipped: the owner cannot fold it anyway.
      decoder
          .decode(peer, m.states())
          .onSuccess(
              states -> {
                List<Future<Boolean>> merges = new ArrayList<>();
                for (int i = 0; i < states.size(); i++) {
                  if (states.get(i) != null) {
                    merges.add(inbound(peer, m.states().get(i).key(), states.get(i)));
                  }
                }
                Future.all(merges).onSuccess(x -> node.send(peer, new PruneAck(m.request())));
              });
    } else if (message instanceof PrunePull m) {
      answerPull(peer, m);
    } else if (message instanceof PruneAck m) {
      answered(m.request(), m);
    } else if (message instanceof PruneStates m) {
      answered(m.request(), m);
    } else {
      return false;
    }
    return true;
  }

  /* Answers only at the epoch asked for and not mid-switch: else with its epoch and no states. */
  private void answerPull(String peer, PrunePull m) {
    long e = epoch;
    if (e != m.epoch() || started != e || m.keys().size() > MAX_KEYS_PER_PULL) {
      node.send(peer, new PruneStates(m.request(), REFUSED, List.of()));
      return;
    }
    List<Future<Optional<TypedState<?>>>> reads = new ArrayList<>();
    for (String key : m.keys()) {
      reads.add(Future.fromCompletionStage(store.read(key), context));
    }
    Future.all(reads)
        .onSuccess(
            x -> {
              if (epoch != e || started != e) {
                node.send(peer, new PruneStates(m.request(), REFUSED, List.of()));
                return;
              }
              List<KeyBytes> states = new ArrayList<>();
              for (int i = 0; i < reads.size(); i++) {
                Optional<TypedState<?>> s = reads.get(i).result();
                if (s.isPresent()) {
                  states.add(new KeyBytes(m.keys().get(i), codec.encode(s.get())));
                }
              }
              node.send(peer, new PruneStates(m.request(), e, states));
            });
  }

  /*
   * Sends a request and completes with its answer. Both requests are idempotent, so the frame is
   * sent again every `retryMillis` until answered (a lossy link), and given up after
   * REQUEST_TIMEOUT_MILLIS.
   */
  private Future<Message> request(String peer, java.util.function.LongFunction<Message> frame) {
    long id = nextRequest++;
    Message m = frame.apply(id);
    Promise<Message> promise = Promise.promise();
    requests.put(id, promise);
    long deadline = clock.getAsLong() + REQUEST_TIMEOUT_MILLIS;
    long timer =
        vertx.setPeriodic(
            retryMillis,
            t -> {
              if (!requests.containsKey(id)) {
                vertx.cancelTimer(t);
              } else if (clock.getAsLong() > deadline) {
                requests.remove(id);
                vertx.cancelTimer(t);
                promise.tryFail("no answer from " + peer + " within " + REQUEST_TIMEOUT_MILLIS);
              } else {
                node.send(peer, m);
              }
            });
    if (!node.send(peer, m)) {
      requests.remove(id);
      vertx.cancelTimer(timer);
      promise.tryFail("no link to " + peer);
    }
    return promise.future().andThen(x -> vertx.cancelTimer(timer));
  }

  private void answered(long request, Message answer) {
    Promise<Message> p = requests.remove(request);
    if (p != null) {
      p.tryComplete(answer);
    }
  }

  /* ================================================================ the rounds */

  /** One pruning round, run with each heartbeat: at most one step of work at a time. */
  void tick() {
    if (busy
        || membership.isSelfRemoved()
        || membership.selfStatus().compareTo(MemberStatus.UP) > 0) {
      return; // a node that leaves or was removed starts no pruning work
    }
    long now = clock.getAsLong();
    dropExpired(now);
    forgetFinishedOffsets();
    Future<Void> step = nextStep(now);
    if (step != null) {
      busy = true;
      step.onComplete(
          r -> {
            busy = false;
            if (r.succeeded()) {
              kick(); // the next step, if any, at once
            } else {
              LOG.log(
                  Level.INFO,
                  "node {0}: pruning step deferred: {1}",
                  selfId,
                  r.cause().getMessage());
            }
          });
    }
  }

  private Future<Void> nextStep(long now) {
    for (PruneRecord r : records.values()) {
      if (r.seq() <= epoch) {
        if (r.phase() == PruneRecord.Phase.COLLECTING && ownedHere(r)) {
          // Performed here, but the node stopped before it said so.
          put(r.with(PruneRecord.Phase.PERFORMED, r.collected()));
          membership.gossipToAll();
        }
        continue;
      }
      if (r.phase() != PruneRecord.Phase.COLLECTING) {
        return switchUp();
      }
      if (ownedHere(r)
          && (r.seq() <= started // begun before a restart: resumed
              || (epoch >= previousSeq(r) && everyoneCollected(r)))) {
        return perform(r);
      }
      LOG.log(
          Level.DEBUG,
          "node {0}: prune record {1} collecting; collected {2}, members {3}",
          selfId,
          r.seq(),
          r.collected(),
          membership.counted());
      if (!r.collected().contains(selfId) && epoch >= previousSeq(r) && refusesAll(r)) {
        Future<Void> step = collect(r);
        if (step != null) {
          return step;
        }
      }
      break; // later records wait for this one
    }
    maybeAbandonOrCreate(now);
    return null;
  }

  private boolean ownedHere(PruneRecord r) {
    return r.owner().equals(self.value());
  }

  /* The owner's incarnation is a current member (or this node). */
  private boolean ownerCurrent(PruneRecord r) {
    String incarnation = membership.incarnationOf(r.ownerNode());
    return incarnation != null && r.owner().equals(r.ownerNode() + "." + incarnation);
  }

  private long previousSeq(PruneRecord r) {
    Long lower = records.lowerKey(r.seq());
    return lower == null ? 0 : lower;
  }

  private boolean everyoneCollected(PruneRecord r) {
    for (String member : membership.counted()) {
      if (!r.collected().contains(member)) {
        return false;
      }
    }
    return true;
  }

  private boolean refusesAll(PruneRecord r) {
    for (ReplicaId id : r.removed()) {
      String v = id.value();
      int dot = v.lastIndexOf('.');
      if (!membership.isRemoved(v.substring(0, dot), v.substring(dot + 1))) {
        return false;
      }
    }
    return true;
  }

  /* ---------------------------------------------------------------- collect */

  private Future<Void> collect(PruneRecord r) {
    if (ownedHere(r)) {
      return markCollected(r); // the owner's own data is where the fold happens
    }
    if (!ownerCurrent(r) || !membership.isReachable(r.ownerNode())) {
      return null; // waits for the owner (or for the record to be abandoned)
    }
    LOG.log(Level.DEBUG, "node {0}: collecting for prune record {1}", selfId, r.seq());
    return scan(r.removed(), null, new ArrayList<>())
        .compose(keys -> pushAll(r, keys, 0))
        .compose(x -> markCollected(r));
  }

  private Future<Void> pushAll(PruneRecord r, List<String> keys, int from) {
    if (from >= keys.size()) {
      return Future.succeededFuture();
    }
    List<Future<Optional<TypedState<?>>>> reads = new ArrayList<>();
    int to = Math.min(keys.size(), from + MAX_KEYS_PER_PULL);
    for (String key : keys.subList(from, to)) {
      reads.add(Future.fromCompletionStage(store.read(key), context));
    }
    return Future.all(reads)
        .compose(
            x -> {
              List<KeyBytes> chunk = new ArrayList<>();
              int bytes = 0;
              int i = from;
              for (; i < to; i++) {
                Optional<TypedState<?>> s = reads.get(i - from).result();
                if (s.isEmpty()) {
                  continue;
                }
                byte[] encoded = codec.encode(s.get());
                if (!chunk.isEmpty() && bytes + encoded.length > maxChunkBytes) {
                  break;
                }
                chunk.add(new KeyBytes(keys.get(i), encoded));
                bytes += encoded.length + keys.get(i).length() + 8;
              }
              int next = i;
              if (chunk.isEmpty()) {
                return pushAll(r, keys, next);
              }
              return request(r.ownerNode(), id -> new PrunePush(id, r.seq(), chunk))
                  .compose(ack -> pushAll(r, keys, next));
            });
  }

  private Future<Void> markCollected(PruneRecord r) {
    PruneRecord now = records.get(r.seq());
    if (now == null || !now.sameProposal(r)) {
      return Future.failedFuture("record " + r.seq() + " changed while collecting");
    }
    Set<String> c = new HashSet<>(now.collected());
    c.add(selfId);
    put(now.with(now.phase(), Set.copyOf(c)));
    membership.gossipToAll();
    return Future.succeededFuture();
  }

  /* ---------------------------------------------------------------- perform (owner) */

  private Future<Void> perform(PruneRecord r) {
    LOG.log(
        Level.INFO,
        "node {0}: prune record {1}: folding {2} into {3}",
        selfId,
        r.seq(),
        r.removed(),
        self);
    Map<String, Long> recordOffsets =
        offsets.computeIfAbsent(r.seq(), k -> new ConcurrentHashMap<>());
    return begin(r.seq())
        .compose(x -> scan(r.removed(), null, new ArrayList<>()))
        .compose(keys -> pruneAll(r, keys, recordOffsets))
        .compose(x -> complete(r.seq()))
        .onSuccess(
            x -> {
              PruneRecord now = records.get(r.seq());
              if (now != null && now.sameProposal(r)) {
                put(now.with(PruneRecord.Phase.PERFORMED, now.collected()));
              }
              membership.gossipToAll();
            });
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Future<Void> pruneAll(PruneRecord r, List<String> keys, Map<String, Long> recordOffsets) {
    List<Future<Optional<TypedState<?>>>> writes = new ArrayList<>(keys.size());
    for (String key : keys) {
      writes.add(
          Future.fromCompletionStage(
                  store.rewrite(
                      key,
                      current -> {
                        if (!(current.state() instanceof ReplicaPruning)) {
                          return current;
                        }
                        Crdt s = current.state();
                        for (ReplicaId id : r.removed()) {
                          ReplicaPruning p = (ReplicaPruning) s;
                          if (p.mentions(id)) {
                            recordOffsets.put(key + '\0' + id.value(), p.pruneOffset(self));
                            s = p.prune(id, self);
                          }
                        }
                        return new TypedState(current.type(), s);
                      }),
                  context)
              .andThen(
                  w -> {
                    if (w.succeeded() && w.result().isPresent()) {
                      node.rewritten(key, w.result().get());
                    }
                  }));
    }
    return Future.all(writes).mapEmpty();
  }

  /* ---------------------------------------------------------------- switch */

  /*
   * Switches this node to the highest PERFORMED record of the contiguous run of finished records
   * (performed or abandoned) above its epoch; a run of abandoned records only moves the epoch.
   */
  private Future<Void> switchUp() {
    long target = epoch;
    long end = epoch;
    List<ReplicaId> ids = new ArrayList<>();
    Map<ReplicaId, String> owners = new HashMap<>();
    for (PruneRecord r : records.tailMap(epoch, false).values()) {
      if (r.phase() == PruneRecord.Phase.COLLECTING) {
        break;
      }
      end = r.seq();
      if (r.phase() == PruneRecord.Phase.PERFORMED) {
        target = r.seq();
        ids.addAll(r.removed());
        if (ownerCurrent(r)) {
          r.removed().forEach(id -> owners.put(id, r.ownerNode()));
        }
      }
    }
    if (target == epoch) { // abandoned records only
      long e = end;
      return begin(e).compose(x -> complete(e));
    }
    long t = target;
    ownerOf = Map.copyOf(owners);
    if (started < t && sourceAt(t) == null) {
      // Nobody to pull from: do not close the gate on every peer for a switch that cannot run.
      return Future.failedFuture("no reachable member at prune epoch " + t + " yet");
    }
    LOG.log(Level.DEBUG, "node {0}: switching to prune epoch {1}", selfId, t);
    return begin(t)
        .compose(x -> scan(ids, null, new ArrayList<>()))
        .compose(keys -> pullAll(t, ids, keys, 0))
        .compose(x -> flushed(Set.copyOf(owners.values()), node.lastDeltaSeq()))
        .compose(x -> complete(t))
        .onSuccess(x -> node.switched());
  }

  private Future<Void> pullAll(long target, List<ReplicaId> ids, List<String> keys, int from) {
    if (from >= keys.size()) {
      return Future.succeededFuture();
    }
    String source = sourceAt(target);
    if (source == null) {
      return Future.failedFuture("no reachable member at prune epoch " + target + " to pull from");
    }
    return batchAt(keys, from)
        .compose(to -> pullBatch(source, target, ids, keys.subList(from, to)).map(to))
        .compose(to -> pullAll(target, ids, keys, to));
  }

  /*
   * The end of the next pull batch from `from`: at most MAX_KEYS_PER_PULL keys whose local states
   * encode to at most half a chunk (the pulled states hold the same and a little more), one key
   * at least.
   */
  private Future<Integer> batchAt(List<String> keys, int from) {
    int to = Math.min(keys.size(), from + MAX_KEYS_PER_PULL);
    List<Future<Optional<TypedState<?>>>> reads = new ArrayList<>();
    for (String key : keys.subList(from, to)) {
      reads.add(Future.fromCompletionStage(store.read(key), context));
    }
    return Future.all(reads)
        .map(
            x -> {
              long bytes = 0;
              for (int i = 0; i < reads.size(); i++) {
                Optional<TypedState<?>> s = reads.get(i).result();
                bytes += s.map(typed -> codec.encode(typed).length).orElse(0) + 64;
                if (i > 0 && bytes > maxChunkBytes / 2) {
                  return from + i;
                }
              }
              return to;
            });
  }

  private Future<Void> pullBatch(
      String source, long target, List<ReplicaId> ids, List<String> keys) {
    List<String> batch = List.copyOf(keys);
    return request(source, id -> new PrunePull(id, target, batch))
        .compose(
            answer -> {
              PruneStates states = (PruneStates) answer;
              if (states.epoch() != target) {
                return Future.failedFuture(
                    source + " cannot answer a pull at prune epoch " + target + " yet");
              }
              Map<String, TypedState<?>> pulled = new HashMap<>();
              List<TypedState<?>> decoded = decoder.decodeNow(states.states());
              for (int i = 0; i < decoded.size(); i++) {
                pulled.put(states.states().get(i).key(), decoded.get(i));
              }
              List<Future<?>> writes = new ArrayList<>();
              for (String key : batch) {
                writes.add(switchKey(key, ids, pulled.get(key)));
              }
              return Future.all(writes).<Void>mapEmpty();
            });
  }

  /* One rewrite: cleanup(local) ⊔ the pulled state (cleaned too), atomically. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private Future<Void> switchKey(String key, List<ReplicaId> ids, TypedState<?> pulled) {
    return Future.fromCompletionStage(
            store.rewrite(
                key,
                current -> {
                  TypedState<?> cleanedLocal = cleanup(current, ids);
                  if (pulled == null || !pulled.type().tag().equals(current.type().tag())) {
                    return cleanedLocal;
                  }
                  Crdt joined =
                      ((Crdt) cleanedLocal.state()).merge((Crdt) cleanup(pulled, ids).state());
                  return new TypedState(current.type(), joined);
                }),
            context)
        .onSuccess(after -> after.ifPresent(s -> node.rewritten(key, s)))
        .mapEmpty();
  }

  /* A reachable member that announced exactly `target`, the record owners first. */
  private String sourceAt(long target) {
    List<String> candidates = new ArrayList<>();
    for (String member : membership.counted()) {
      if (membership.pruneEpochOf(member) == target && membership.isReachable(member)) {
        if (ownerOf.containsValue(member)) {
          return member;
        }
        candidates.add(member);
      }
    }
    return candidates.isEmpty() ? null : candidates.get(0);
  }

  /*
   * Waits until every owner that is still a member has acknowledged this node's deltas up to
   * `upTo`: deltas made before the switch may name a pruned id (a late remove), and the owner is
   * the one node that translates them instead of cleaning them away.
   */
  private Future<Void> flushed(Set<String> owners, long upTo) {
    Promise<Void> promise = Promise.promise();
    long deadline = clock.getAsLong() + REQUEST_TIMEOUT_MILLIS;
    vertx.setPeriodic(
        50,
        timer -> {
          boolean done = true;
          for (String owner : owners) {
            if (owner.equals(selfId) || membership.statusOf(owner) == null) {
              continue;
            }
            if (node.deltaAckedBy(owner) < upTo) {
              done = false;
            }
          }
          if (done) {
            vertx.cancelTimer(timer);
            promise.tryComplete();
          } else if (clock.getAsLong() > deadline) {
            vertx.cancelTimer(timer);
            promise.tryFail("the record owner has not acknowledged this node's deltas");
          }
        });
    return promise.future();
  }

  /* ---------------------------------------------------------------- epochs */

  /* Raises the started epoch (the gate and the cleaning) and persists it before any rewrite. */
  private Future<Void> begin(long seq) {
    if (seq > started) {
      started = seq;
      refreshCleaned();
    }
    store.putProperty(RECORDS_PROPERTY, recordsText());
    return Future.fromCompletionStage(
        store.putProperty(STARTED_PROPERTY, Long.toString(started)), context);
  }

  private Future<Void> complete(long seq) {
    return Future.fromCompletionStage(
            store.putProperty(EPOCH_PROPERTY, Long.toString(seq)), context)
        .onSuccess(
            x -> {
              epoch = Math.max(epoch, seq);
              membership.advancePruneEpoch(epoch);
              LOG.log(Level.INFO, "node {0}: at prune epoch {1}", selfId, epoch);
              membership.gossipToAll();
            });
  }

  /* ---------------------------------------------------------------- scanning */

  /* Every key, page by page, whose state names one of `ids`. */
  private Future<List<String>> scan(List<ReplicaId> ids, String after, List<String> found) {
    return Future.fromCompletionStage(store.keys(after, KEY_PAGE), context)
        .compose(
            names -> {
              if (names.isEmpty()) {
                return Future.succeededFuture(found);
              }
              List<Future<Optional<TypedState<?>>>> reads = new ArrayList<>(names.size());
              for (String name : names) {
                reads.add(Future.fromCompletionStage(store.read(name), context));
              }
              return Future.all(reads)
                  .compose(
                      x -> {
                        for (int i = 0; i < names.size(); i++) {
                          Optional<TypedState<?>> s = reads.get(i).result();
                          if (s.isPresent() && namesAny(s.get(), ids)) {
                            found.add(names.get(i));
                          }
                        }
                        return scan(ids, names.get(names.size() - 1), found);
                      });
            });
  }

  /* ---------------------------------------------------------------- start, abandon */

  /*
   * At the smallest-id member that is up, with every member reachable and every record finished:
   * abandons records whose owner is gone before they performed, then starts a record for the
   * gone incarnations not yet pruned.
   */
  private void maybeAbandonOrCreate(long now) {
    if (membership.selfStatus() != MemberStatus.UP) {
      return;
    }
    List<String> members = membership.counted();
    for (String member : members) {
      if (!membership.isReachable(member)) {
        return;
      }
      if (member.compareTo(selfId) < 0 && membership.statusOf(member) == MemberStatus.UP) {
        return;
      }
    }
    for (PruneRecord r : records.values()) {
      if (r.phase() == PruneRecord.Phase.COLLECTING && !ownedHere(r) && !ownerCurrent(r)) {
        LOG.log(
            Level.INFO,
            "node {0}: abandoning prune record {1}: its owner is gone",
            selfId,
            r.seq());
        put(r.with(PruneRecord.Phase.ABANDONED, r.collected()));
        membership.gossipToAll();
        return;
      }
    }
    long last = records.isEmpty() ? 0 : records.lastKey();
    if (epoch < last || unfinished(members)) {
      return;
    }
    Set<ReplicaId> pruned = new HashSet<>();
    for (PruneRecord r : records.values()) {
      if (r.phase() == PruneRecord.Phase.PERFORMED) {
        pruned.addAll(r.removed());
      }
    }
    List<Membership.Gone> candidates = new ArrayList<>();
    for (Membership.Gone g : membership.gone()) {
      ReplicaId id = ReplicaId.of(g.nodeId() + "." + g.incarnation());
      boolean due =
          g.status() == MemberStatus.REMOVED || now - g.goneAtMillis() >= pruneLeftAfterMillis;
      if (due && !pruned.contains(id) && !id.equals(self)) {
        candidates.add(g);
      }
    }
    if (candidates.isEmpty()) {
      return;
    }
    candidates.sort(
        (a, b) ->
            a.goneAtMillis() != b.goneAtMillis()
                ? Long.compare(a.goneAtMillis(), b.goneAtMillis())
                : (a.nodeId() + "." + a.incarnation())
                    .compareTo(b.nodeId() + "." + b.incarnation()));
    List<ReplicaId> removed = new ArrayList<>();
    for (Membership.Gone g :
        candidates.subList(0, Math.min(PruneRecord.MAX_IDS_PER_RECORD, candidates.size()))) {
      membership.removeGone(g.nodeId(), g.incarnation()); // a left incarnation is refused from now
      removed.add(ReplicaId.of(g.nodeId() + "." + g.incarnation()));
    }
    Collections.sort(removed);
    PruneRecord r =
        new PruneRecord(
            last + 1,
            List.copyOf(removed),
            self.value(),
            PruneRecord.Phase.COLLECTING,
            Set.of(),
            now);
    LOG.log(Level.INFO, "node {0}: prune record {1} started for {2}", selfId, r.seq(), removed);
    put(r);
    membership.gossipToAll();
  }

  /* A record still running: collecting, or performed with a member not yet switched to it. */
  private boolean unfinished(List<String> members) {
    for (PruneRecord r : records.values()) {
      if (r.phase() == PruneRecord.Phase.COLLECTING) {
        return true;
      }
      if (r.phase() == PruneRecord.Phase.PERFORMED) {
        if (epoch < r.seq()) {
          return true;
        }
        for (String member : members) {
          if (membership.pruneEpochOf(member) < r.seq()) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /* The owner keeps its offsets until every member switched (then no late data can need them). */
  private void forgetFinishedOffsets() {
    if (offsets.isEmpty()) {
      return;
    }
    List<String> members = membership.counted();
    offsets
        .keySet()
        .removeIf(
            seq -> {
              for (String member : members) {
                if (membership.pruneEpochOf(member) < seq) {
                  return false;
                }
              }
              return true;
            });
  }

  /* Records older than the tombstone retention go, but the newest, which carries the epoch. */
  private void dropExpired(long now) {
    if (records.size() <= 1) {
      return;
    }
    long last = records.lastKey();
    boolean removed =
        records
            .values()
            .removeIf(
                r ->
                    r.seq() != last
                        && r.seq() <= epoch
                        && now - r.createdMillis() > Membership.TOMBSTONE_RETENTION_MILLIS);
    if (removed) {
      refreshCleaned();
    }
  }
}
