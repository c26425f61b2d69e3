package dev.converge.sync.internal;

import dev.converge.sync.ClusterMember;
import dev.converge.sync.MemberStatus;
import dev.converge.sync.PeerAddress;
import dev.converge.sync.SyncOptions;
import dev.converge.sync.internal.Message.Heartbeat;
import dev.converge.sync.internal.Message.Hello;
import dev.converge.sync.internal.Message.MemberInfo;
import dev.converge.sync.internal.Message.Members;
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
      long goneAtMillis) {

    MemberInfo info() {
      return new MemberInfo(
          nodeId, incarnation, status.ordinal(), since, address.host(), address.port(), metadata);
    }

    Entry withStatus(MemberStatus s, long now) {
      return new Entry(
          nodeId, incarnation, s, since, address, metadata, s.isGone() ? now : goneAtMillis);
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
  private final Map<String, Peer> peers = new ConcurrentHashMap<>();
  private final Map<String, Entry> tombstones = new HashMap<>();
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
      LongSupplier clock) {
    this.options = options;
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

  /** This node's own entry and every current member, as sent to everyone when it leaves. */
  Members view() {
    long now = clock.getAsLong();
    tombstones.values().removeIf(t -> now - t.goneAtMillis > TOMBSTONE_RETENTION_MILLIS);
    List<MemberInfo> infos = new ArrayList<>();
    infos.add(self.info());
    for (Peer p : peers.values()) {
      infos.add(p.entry.info());
    }
    for (Entry t : tombstones.values()) {
      infos.add(t.info());
    }
    return new Members(infos);
  }

  /* ------------------------------------------------------------------ the view */

  /** Why a peer saying {@code hello} must be refused (its incarnation is gone), or null. */
  String refusal(Hello hello) {
    Entry gone = tombstones.get(key(hello.nodeId(), hello.incarnation()));
    if (gone == null || gone.status != MemberStatus.REMOVED) {
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
    MemberInfo info =
        new MemberInfo(
            hello.nodeId(),
            hello.incarnation(),
            MemberStatus.JOINING.ordinal(),
            hello.since(),
            hello.host(),
            hello.port(),
            hello.metadata());
    merge(info, true);
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
      merge(info, false);
    }
  }

  /*
   * `direct`: the incarnation itself said hello. Only then may a new incarnation of a known node id
   * supersede the current one: every node hears every member's Hello (full mesh), and a gossiped
   * claim of a newer incarnation (from a buggy peer, or stale) must not evict a live member.
   */
  private void merge(MemberInfo info, boolean direct) {
    if (!info.nodeId().matches("[A-Za-z0-9._-]{1,64}")
        || info.incarnation().isEmpty()
        || info.host().isBlank()
        || info.port() <= 0
        || info.port() > 65_535
        || info.status() < 0
        || info.status() >= MemberStatus.values().length) {
      return;
    }
    long now = clock.getAsLong();
    MemberStatus status = MemberStatus.values()[info.status()];
    Entry in =
        new Entry(
            info.nodeId(),
            info.incarnation(),
            status,
            info.since(),
            new PeerAddress(info.host(), info.port()),
            Map.copyOf(info.metadata()),
            status.isGone() ? now : 0);
    if (in.nodeId.equals(self.nodeId)) {
      mergeAboutSelf(in);
      return;
    }
    if (!direct && !in.status.isGone()) {
      Peer known = peers.get(in.nodeId);
      if (known != null
          && !known.entry.incarnation.equals(in.incarnation)
          && in.supersedes(known.entry)) {
        return; // heard about, not from: wait for its own Hello
      }
    }
    String key = key(in.nodeId, in.incarnation);
    Entry t = tombstones.get(key);
    if (t != null) {
      if (t.status == MemberStatus.REMOVED || in.since <= t.since) {
        if (in.status.compareTo(t.status) > 0 && in.since >= t.since) {
          tombstones.put(key, t.withStatus(in.status, t.goneAtMillis));
        }
        return;
      }
      tombstones.remove(key); // a LEFT durable node back on its data: a new session
    }
    Peer current = peers.get(in.nodeId);
    if (in.status.isGone()) {
      if (current != null && current.entry.incarnation.equals(in.incarnation)) {
        if (in.status != MemberStatus.REMOVED && in.since < current.entry.since) {
          return; // the leave of an earlier session of a node now back
        }
        drop(current, in.status);
      }
      tombstones.put(key, in);
      return;
    }
    if (current == null) {
      Peer p = new Peer(in, options, now);
      peers.put(in.nodeId, p);
      LOG.log(
          Level.INFO,
          "node {0} learnt member {1} ({2}) at {3}",
          self.nodeId,
          in.nodeId,
          in.incarnation,
          in.address);
      events.learnt(in.nodeId, in.address);
      return;
    }
    Entry mine = current.entry;
    if (mine.incarnation.equals(in.incarnation)) {
      boolean newer = in.since > mine.since;
      if (in.since < mine.since) {
        return; // about an earlier session
      }
      MemberStatus s = newer || in.status.compareTo(mine.status) > 0 ? in.status : mine.status;
      Entry base = newer ? in : mine;
      current.entry =
          new Entry(base.nodeId, base.incarnation, s, base.since, base.address, base.metadata, 0);
      if (!base.address.equals(mine.address)) {
        events.learnt(in.nodeId, base.address);
      }
    } else if (in.supersedes(mine)) {
      tombstones.put(
          key(mine.nodeId, mine.incarnation), mine.withStatus(MemberStatus.REMOVED, now));
      current.entry = in;
      LOG.log(
          Level.INFO,
          "node {0}: member {1} restarted as incarnation {2}; {3} is superseded",
          self.nodeId,
          in.nodeId,
          in.incarnation,
          mine.incarnation);
      events.newIncarnation(in.nodeId);
      events.learnt(in.nodeId, in.address);
    } else {
      tombstones.put(key, in.withStatus(MemberStatus.REMOVED, now));
    }
  }

  private void mergeAboutSelf(Entry in) {
    if (in.incarnation.equals(self.incarnation)) {
      if (in.status == MemberStatus.REMOVED && self.status != MemberStatus.REMOVED) {
        self = self.withStatus(MemberStatus.REMOVED, clock.getAsLong());
        announceSelfRemoved("this incarnation was removed from the cluster");
      }
      return;
    }
    if (!in.status.isGone() && in.supersedes(self)) {
      // Another process claims this node id with a newer incarnation: a misconfiguration (or a
      // buggy peer). Not grounds to stop: an operator removes the wrong one.
      LOG.log(
          Level.WARNING,
          "node {0}: a peer reports a newer incarnation {1} of this very node id",
          self.nodeId,
          in.incarnation);
    } else {
      // An earlier incarnation of this node: it is gone for good.
      tombstones.putIfAbsent(
          key(in.nodeId, in.incarnation), in.withStatus(MemberStatus.REMOVED, clock.getAsLong()));
    }
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
    Entry removed = p.entry.withStatus(MemberStatus.REMOVED, clock.getAsLong());
    tombstones.put(key(nodeId, removed.incarnation), removed);
    drop(p, MemberStatus.REMOVED);
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

  private static String key(String nodeId, String incarnation) {
    return nodeId + "/" + incarnation;
  }
}
