package dev.converge.sync.internal;

import dev.converge.sync.ClusterMember;
import dev.converge.sync.MemberStatus;
import dev.converge.sync.PeerAddress;
import dev.converge.sync.SyncOptions;
import dev.converge.sync.internal.Message.Heartbeat;
import dev.converge.sync.internal.Message.Hello;
import dev.converge.sync.internal.Message.MemberInfo;
import dev.converge.sync.internal.Message.Members;
import dev.converge.sync.internal.Message.PruneInfo;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One node's view of the cluster: every member incarnation with its {@link MemberStatus}, and the
 * failure detector's reachability beside it. Confined to the replicator's context, except {@link
 * #members()} and {@link #counted()}, which read a concurrent map. Not part of the public API.
 *
 * <p>The view is a join-semilattice, gossiped whole to one random peer per heartbeat, so every node
 * ends with the same view (decision 0010):
 *
 * <ul>
 *   <li>An entry is keyed by (node id, incarnation) and ordered by (session start {@code since},
 *       status), with REMOVED above everything: within one session the status only moves forward
 *       JOINING &lt; UP &lt; LEAVING &lt; LEFT; a durable node restarted on its data (same
 *       incarnation, later {@code since}) starts a new session; REMOVED is final for the
 *       incarnation. Only the incarnation itself moves to UP, LEAVING and LEFT; anyone may move it
 *       to REMOVED ({@code removeMember}, automatic removal).
 *   <li>Of two live incarnations of one node id, the one started later ({@code since}, then the
 *       incarnation text) supersedes the other, which becomes REMOVED: a node that lost its data
 *       directory, or an in-memory node restarted, replaces its previous self.
 *   <li>LEFT and REMOVED entries are tombstones: they are not counted and not dialled; a REMOVED
 *       incarnation is refused at the handshake. Tombstones are kept for {@link
 *       #TOMBSTONE_RETENTION_MILLIS}.
 * </ul>
 *
 * <p>Quorums count the current incarnation of every node id that is not gone, reachable or not,
 * plus this node ({@link #counted()}).
 */
final class Membership {

  private static final Logger LOG = System.getLogger(Membership.class.getName());

  /** How long a LEFT or REMOVED incarnation is remembered (and refused): seven days. */
  static final long TOMBSTONE_RETENTION_MILLIS = 7L * 24 * 3600 * 1000;

  /** What membership changes mean for the rest of the node: narrow callbacks. */
  interface Events {
    /** A new member (or a new address of one): link to it. */
    void learnt(String nodeId, PeerAddress address);

    /** {@code nodeId} restarted as a new incarnation: it lost what it had acknowledged. */
    void newIncarnation(String nodeId);

    /** {@code nodeId}'s incarnation left or was removed: stop counting and linking it. */
    void gone(String nodeId, MemberStatus status);

    /** {@code nodeId} became reachable again: repair it at once. */
    void reachable(String nodeId);

    /** {@code nodeId} stopped answering: dial it afresh. */
    void stalled(String nodeId);

    /** This very incarnation was removed from the cluster, or superseded. */
    void selfRemoved(String reason);
  }

  /** One incarnation as gossiped. */
  private record Entry(
      String nodeId,
      String incarnation,
      MemberStatus status,
      long since,
      PeerAddress address,
      Map<String, String> metadata,
      long goneAtMillis,
      long pruneEpoch) {

    MemberInfo info() {
      return new MemberInfo(
          nodeId,
          incarnation,
          status.ordinal(),
          since,
          address.host(),
          address.port(),
          metadata,
          pruneEpoch);
    }

    Entry withStatus(MemberStatus s, long now) {
      return new Entry(
          nodeId,
          incarnation,
          s,
          since,
          address,
          metadata,
          s.isGone() ? now : goneAtMillis,
          pruneEpoch);
    }

    /* The prune epoch belongs to the incarnation's store, so it joins by max across sessions. */
    Entry withPruneEpoch(long e) {
      if (e <= pruneEpoch) {
        return this;
      }
      return new Entry(nodeId, incarnation, status, since, address, metadata, goneAtMillis, e);
    }

    /* Newer incarnation first: started later, then by incarnation text (deterministic). */
    boolean supersedes(Entry other) {
      int c = Long.compare(since, other.since);
      return c != 0 ? c > 0 : incarnation.compareTo(other.incarnation) > 0;
    }
  }

  /** A current member: its entry and the failure detector's view of it. */
  private static final class Peer {
    volatile Entry entry;
    final PhiAccrualDetector detector;
    boolean reachable;
    long unreachableSinceMillis;

    Peer(Entry entry, SyncOptions options, long now) {
      this.entry = entry;
      this.detector =
          new PhiAccrualDetector(
              options.getHeartbeatIntervalMillis(), options.getAcceptablePauseMillis());
      this.unreachableSinceMillis = now;
    }
  }

  private final SyncOptions options;
  private final LinkFilter filter;
  private final AntiEntropy.Sender sender;
  private final Events events;
  private final Random random;
  private final LongSupplier clock;
  private final Supplier<List<PruneInfo>> prunes;
  private final Map<String, Peer> peers = new ConcurrentHashMap<>();
  /* Every incarnation known but this node's own, by node id then incarnation; context only. */
  private final Map<String, Map<String, Entry>> entries = new HashMap<>();
  private volatile Entry self;
  private boolean selfRemoved;

  Membership(
      SyncOptions options,
      String incarnation,
      long since,
      PeerAddress address,
      LinkFilter filter,
      AntiEntropy.Sender sender,
      Events events,
      Random random,
      LongSupplier clock,
      Supplier<List<PruneInfo>> prunes) {
    this.options = options;
    this.prunes = prunes;
    this.filter = filter;
    this.sender = sender;
    this.events = events;
    this.random = random;
    this.clock = clock;
    this.self =
        new Entry(
            options.getNodeId(),
            incarnation,
            MemberStatus.JOINING,
            since,
            address,
            options.getMetadata(),
            0,
            0);
  }

  /* ------------------------------------------------------------------ this node */

  MemberStatus selfStatus() {
    return self.status;
  }

  /** Moves this node's own status forward (never back). */
  void advanceSelf(MemberStatus status) {
    if (status.compareTo(self.status) > 0) {
      self = self.withStatus(status, clock.getAsLong());
    }
  }

  /** Records this node's own prune epoch (never back): announced with its entry. */
  void advancePruneEpoch(long pruneEpoch) {
    self = self.withPruneEpoch(pruneEpoch);
  }

  /** This node's own entry and every incarnation it knows, as gossiped. */
  Members view() {
    long now = clock.getAsLong();
    List<MemberInfo> infos = new ArrayList<>();
    infos.add(self.info());
    for (Map<String, Entry> incarnations : entries.values()) {
      incarnations
          .values()
          .removeIf(e -> e.status.isGone() && now - e.goneAtMillis > TOMBSTONE_RETENTION_MILLIS);
      for (Entry e : incarnations.values()) {
        infos.add(e.info());
      }
    }
    entries.values().removeIf(Map::isEmpty);
    return new Members(infos, prunes.get());
  }

  /* ------------------------------------------------------------------ the view */

  /** Why a peer saying {@code hello} must be refused (its incarnation is gone), or null. */
  String refusal(Hello hello) {
    Entry e = entries.getOrDefault(hello.nodeId(), Map.of()).get(hello.incarnation());
    if (e == null || e.status != MemberStatus.REMOVED) {
      return null;
    }
    return "incarnation "
        + hello.incarnation()
        + " of node "
        + hello.nodeId()
        + " was removed from the cluster; it may rejoin only as a new incarnation (restart it"
        + " with an empty data directory, or in memory)";
  }

  /** A peer completed the handshake: it is alive and its incarnation is current. */
  void hello(Hello hello) {
    merge(
        new MemberInfo(
            hello.nodeId(),
            hello.incarnation(),
            MemberStatus.JOINING.ordinal(),
            hello.since(),
            hello.host(),
            hello.port(),
            hello.metadata()));
    heard(hello.nodeId());
  }

  /** Anything received from {@code nodeId}: a heartbeat for the failure detector. */
  void heard(String nodeId) {
    Peer p = peers.get(nodeId);
    if (p != null) {
      p.detector.heartbeat(clock.getAsLong());
    }
  }

  /** Merges a gossiped view. Malformed entries are skipped. */
  void merge(Members members) {
    for (MemberInfo info : members.members()) {
      merge(info);
    }
  }

  private void merge(MemberInfo info) {
    if (!info.nodeId().matches("[A-Za-z0-9._-]{1,64}")
        || info.incarnation().isEmpty()
        || info.host().isBlank()
        || info.port() <= 0
        || info.port() > 65_535
        || info.status() < 0
        || info.status() >= MemberStatus.values().length) {
      return;
    }
    MemberStatus status = MemberStatus.values()[info.status()];
    Entry in =
        new Entry(
            info.nodeId(),
            info.incarnation(),
            status,
            info.since(),
            new PeerAddress(info.host(), info.port()),
            Map.copyOf(info.metadata()),
            status.isGone() ? clock.getAsLong() : 0,
            Math.max(0, info.pruneEpoch()));
    if (in.nodeId.equals(self.nodeId) && !mergeAboutSelf(in)) {
      return;
    }
    Map<String, Entry> incarnations = entries.computeIfAbsent(in.nodeId, k -> new HashMap<>());
    Entry known = incarnations.get(in.incarnation);
    Entry joined = known == null ? in : join(known, in);
    if (joined != known) {
      incarnations.put(in.incarnation, joined);
      reconcile(in.nodeId, incarnations);
    }
  }

  /*
   * The join of two entries of one incarnation: REMOVED is final (and carries the latest session
   * either side knew); otherwise the later session (`since`) wins, and within one session the
   * further status. Returns `a` when `b` adds nothing.
   */
  private static Entry join(Entry a, Entry b) {
    Entry joined = joinStatus(a, b);
    Entry other = joined == a ? b : a;
    Entry result = joined.withPruneEpoch(other.pruneEpoch);
    return result.equals(a) ? a : result;
  }

  private static Entry joinStatus(Entry a, Entry b) {
    if (a.status == MemberStatus.REMOVED || b.status == MemberStatus.REMOVED) {
      if (a.status == MemberStatus.REMOVED && a.since >= b.since) {
        return a;
      }
      Entry later = a.since >= b.since ? a : b;
      long goneAt = a.status == MemberStatus.REMOVED ? a.goneAtMillis : b.goneAtMillis;
      return new Entry(
          later.nodeId,
          later.incarnation,
          MemberStatus.REMOVED,
          later.since,
          later.address,
          later.metadata,
          goneAt,
          later.pruneEpoch);
    }
    if (a.since != b.since) {
      return a.since > b.since ? a : b;
    }
    return b.status.compareTo(a.status) > 0 ? b : a;
  }

  /*
   * Derives the current incarnation of `nodeId` from its entries: the latest started one, if it is
   * not gone. Every older one is superseded (that node id restarted as a newer incarnation, so the
   * older process is gone for good): it becomes REMOVED. A pure function of the entries, so every
   * node that holds the same entries derives the same, whatever the order of the gossip.
   */
  private void reconcile(String nodeId, Map<String, Entry> incarnations) {
    long now = clock.getAsLong();
    boolean own = nodeId.equals(self.nodeId); // earlier incarnations of this very node
    Entry latest = null;
    for (Entry e : incarnations.values()) {
      if (!own && (latest == null || e.supersedes(latest))) {
        latest = e;
      }
    }
    for (Entry e : List.copyOf(incarnations.values())) {
      if (e != latest && e.status != MemberStatus.REMOVED) {
        incarnations.put(e.incarnation, e.withStatus(MemberStatus.REMOVED, now));
      }
    }
    Entry best = latest == null || latest.status.isGone() ? null : latest;
    if (own) {
      return; // kept as tombstones only
    }
    Peer p = peers.get(nodeId);
    if (best == null) {
      if (p != null) {
        drop(p, incarnations.get(p.entry.incarnation).status);
      }
    } else if (p == null) {
      peers.put(nodeId, new Peer(best, options, now));
      LOG.log(
          Level.INFO,
          "node {0} learnt member {1} ({2}) at {3}",
          self.nodeId,
          nodeId,
          best.incarnation,
          best.address);
      events.learnt(nodeId, best.address);
    } else if (!p.entry.incarnation.equals(best.incarnation)) {
      LOG.log(
          Level.INFO,
          "node {0}: member {1} restarted as incarnation {2}; {3} is superseded",
          self.nodeId,
          nodeId,
          best.incarnation,
          p.entry.incarnation);
      p.entry = best;
      events.newIncarnation(nodeId);
      events.learnt(nodeId, best.address);
    } else {
      PeerAddress before = p.entry.address;
      p.entry = best;
      if (!before.equals(best.address)) {
        events.learnt(nodeId, best.address);
      }
    }
  }

  /* What gossip says of this node id; true if it is an earlier incarnation to record. */
  private boolean mergeAboutSelf(Entry in) {
    if (in.incarnation.equals(self.incarnation)) {
      if (in.status == MemberStatus.REMOVED && self.status != MemberStatus.REMOVED) {
        self = self.withStatus(MemberStatus.REMOVED, clock.getAsLong());
        announceSelfRemoved("this incarnation was removed from the cluster");
      }
      return false;
    }
    if (!in.status.isGone() && in.supersedes(self)) {
      // Another process claims this node id with a newer incarnation: a misconfiguration (or a
      // buggy peer). Not grounds to stop, nor to spread: an operator removes the wrong one.
      LOG.log(
          Level.WARNING,
          "node {0}: a peer reports a newer incarnation {1} of this very node id",
          self.nodeId,
          in.incarnation);
      return false;
    }
    return true; // an earlier incarnation of this node: gone for good (reconcile marks it)
  }

  void announceSelfRemoved(String reason) {
    if (!selfRemoved) {
      selfRemoved = true;
      events.selfRemoved(reason);
    }
  }

  boolean isSelfRemoved() {
    return selfRemoved;
  }

  /**
   * Marks the current incarnation of {@code nodeId} REMOVED, as an operator's decision; false if
   * this node knows no such member.
   */
  boolean remove(String nodeId) {
    Peer p = peers.get(nodeId);
    if (p == null) {
      return false;
    }
    merge(p.entry.withStatus(MemberStatus.REMOVED, clock.getAsLong()).info());
    gossipToAll();
    return true;
  }

  private void drop(Peer p, MemberStatus status) {
    peers.remove(p.entry.nodeId, p);
    LOG.log(
        Level.INFO,
        "node {0}: member {1} ({2}) is {3}",
        self.nodeId,
        p.entry.nodeId,
        p.entry.incarnation,
        status);
    events.gone(p.entry.nodeId, status);
  }

  /** Sends this node's view to every current member (a leave, a removal: news that matters). */
  void gossipToAll() {
    Members view = view();
    for (String peer : peers.keySet()) {
      sender.send(peer, view);
    }
  }

  /* ------------------------------------------------------------------ heartbeats */

  /**
   * One heartbeat round: beats to every member, reachability updates, automatic removal, and the
   * view to one random member.
   */
  void tick() {
    long now = clock.getAsLong();
    List<String> ids = new ArrayList<>(peers.keySet());
    if (self.status == MemberStatus.JOINING
        && (ids.isEmpty() || ids.stream().anyMatch(id -> isReachable(id)))) {
      advanceSelf(MemberStatus.UP); // alone, or linked: nothing left to wait for
    }
    if (ids.isEmpty()) {
      return;
    }
    Heartbeat beat = new Heartbeat(System.currentTimeMillis());
    for (String id : ids) {
      sender.send(id, beat);
    }
    long autoRemove = options.getAutoRemoveUnreachableAfterMillis();
    for (String id : ids) {
      Peer p = peers.get(id);
      if (p == null) {
        continue;
      }
      boolean up = isUp(p, now);
      if (up && !p.reachable) {
        events.reachable(id);
      } else if (!up && p.reachable && !filter.isPartitioned(id)) {
        events.stalled(id);
      }
      if (up) {
        p.unreachableSinceMillis = 0;
      } else if (p.reachable || p.unreachableSinceMillis == 0) {
        p.unreachableSinceMillis = now;
      }
      p.reachable = up;
      if (!up && autoRemove > 0 && now - p.unreachableSinceMillis > autoRemove) {
        LOG.log(
            Level.WARNING,
            "node {0}: removing member {1}, unreachable for more than {2} ms"
                + " (autoRemoveUnreachableAfterMillis)",
            self.nodeId,
            id,
            autoRemove);
        remove(id);
      }
    }
    List<String> live = new ArrayList<>(peers.keySet());
    if (!live.isEmpty()) {
      sender.send(live.get(random.nextInt(live.size())), view());
    }
  }

  private boolean isUp(Peer p, long now) {
    return !filter.isPartitioned(p.entry.nodeId)
        && p.detector.everHeard()
        && p.detector.phi(now) < options.getPhiThreshold();
  }

  /* ------------------------------------------------------------------ queries */

  /** The node ids that count in quorums besides this node, sorted: every current member. */
  List<String> counted() {
    List<String> ids = new ArrayList<>(peers.keySet());
    Collections.sort(ids);
    return ids;
  }

  /** A gone incarnation: a candidate for pruning. */
  record Gone(String nodeId, String incarnation, MemberStatus status, long goneAtMillis) {}

  /** Every LEFT or REMOVED incarnation known (this node's earlier ones included). */
  List<Gone> gone() {
    List<Gone> result = new ArrayList<>();
    for (Map<String, Entry> incarnations : entries.values()) {
      for (Entry e : incarnations.values()) {
        if (e.status.isGone()) {
          result.add(new Gone(e.nodeId, e.incarnation, e.status, e.goneAtMillis));
        }
      }
    }
    return result;
  }

  /** True if incarnation {@code incarnation} of {@code nodeId} is known to be REMOVED. */
  boolean isRemoved(String nodeId, String incarnation) {
    Entry e = entries.getOrDefault(nodeId, Map.of()).get(incarnation);
    return e != null && e.status == MemberStatus.REMOVED;
  }

  /**
   * Marks a LEFT incarnation REMOVED (before its replica id is pruned, so it is refused from then
   * on); false if it is not known as gone.
   */
  boolean removeGone(String nodeId, String incarnation) {
    Entry e = entries.getOrDefault(nodeId, Map.of()).get(incarnation);
    if (e == null || !e.status.isGone()) {
      return false;
    }
    if (e.status != MemberStatus.REMOVED) {
      merge(e.withStatus(MemberStatus.REMOVED, clock.getAsLong()).info());
    }
    return true;
  }

  /** The status of the current incarnation of {@code nodeId}, or null if it is no member. */
  MemberStatus statusOf(String nodeId) {
    Peer p = peers.get(nodeId);
    return p == null ? null : p.entry.status;
  }

  /**
   * The prune epoch {@code nodeId}'s current incarnation announced (this node's own included); -1
   * if it is no current member.
   */
  long pruneEpochOf(String nodeId) {
    if (nodeId.equals(self.nodeId)) {
      return self.pruneEpoch;
    }
    Peer p = peers.get(nodeId);
    return p == null ? -1 : p.entry.pruneEpoch;
  }

  /** The incarnation of {@code nodeId} that is current, or null. */
  String incarnationOf(String nodeId) {
    if (nodeId.equals(self.nodeId)) {
      return self.incarnation;
    }
    Peer p = peers.get(nodeId);
    return p == null ? null : p.entry.incarnation;
  }

  /** True if {@code nodeId} is a current member that the failure detector hears. */
  boolean isReachable(String nodeId) {
    Peer p = peers.get(nodeId);
    return p != null && isUp(p, clock.getAsLong());
  }

  /** Current members but this node, with reachability as this node sees it. */
  List<ClusterMember> members() {
    long now = clock.getAsLong();
    List<ClusterMember> result = new ArrayList<>();
    for (Peer p : peers.values()) {
      Entry e = p.entry;
      double phi = p.detector.phi(now);
      result.add(
          new ClusterMember(
              e.nodeId,
              e.status,
              e.incarnation,
              e.address,
              isUp(p, now),
              phi == Double.MAX_VALUE ? Double.POSITIVE_INFINITY : phi,
              p.detector.lastHeardMillis(),
              e.metadata));
    }
    result.sort((a, b) -> a.nodeId().compareTo(b.nodeId()));
    return Collections.unmodifiableList(result);
  }
}
