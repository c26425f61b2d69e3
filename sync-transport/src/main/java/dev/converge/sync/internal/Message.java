package dev.converge.sync.internal;

import java.util.List;
import java.util.Map;

/**
 * The frames of the gossip protocol, version {@link #PROTOCOL_VERSION}. A frame on the wire is
 * {@code [int length][byte type][body]}; {@link FrameCodec} encodes and decodes them.
 *
 * <p>Connections are one-way after the handshake: a node sends on the connection it opened to a
 * peer and receives on the connections peers opened to it; a reply travels on the replier's own
 * connection. Every frame a node receives on an accepted connection is from the peer named in that
 * connection's handshake.
 */
sealed interface Message {

  /** Bumped on any incompatible change of a frame. */
  int PROTOCOL_VERSION = 5;

  /**
   * True for the frames that carry replica states (deltas, anti-entropy states, quorum writes and
   * read replies): the ones pruning's gate holds back from a peer at a lower prune epoch.
   */
  static boolean carriesState(Message message) {
    return message instanceof Deltas
        || message instanceof AeStates
        || message instanceof QuorumWrite
        || message instanceof QuorumReadReply;
  }

  /** Bytes of encoded states a frame carries (0 for frames that carry none). */
  static long stateBytes(Message message) {
    if (message instanceof Deltas m) {
      return KeyBytes.total(m.deltas());
    } else if (message instanceof AeStates m) {
      return KeyBytes.total(m.states());
    } else if (message instanceof PrunePush m) {
      return KeyBytes.total(m.states());
    } else if (message instanceof PruneStates m) {
      return KeyBytes.total(m.states());
    } else if (message instanceof QuorumWrite m) {
      return m.delta().length;
    } else if (message instanceof QuorumReadReply m) {
      return m.state().length;
    }
    return 0;
  }

  /** A key with an encoded {@code TypedState} (a delta or a full state). */
  record KeyBytes(String key, byte[] state) {

    /** The bytes of all their states. */
    static long total(List<KeyBytes> entries) {
      long n = 0;
      for (KeyBytes kb : entries) {
        n += kb.state().length;
      }
      return n;
    }
  }

  /** A key and the digest of its encoded state. */
  record KeyDigest(String key, long digest) {}

  /**
   * What a node tells about a member (possibly itself): one incarnation's entry of the membership
   * view ({@link Membership}). {@code status} is a {@code MemberStatus} ordinal; {@code since} is
   * the wall-clock time at which that incarnation's process started, by its own clock. {@code
   * pruneEpoch} is the highest prune record the incarnation switched to ({@link Pruning}).
   */
  record MemberInfo(
      String nodeId,
      String incarnation,
      int status,
      long since,
      String host,
      int port,
      Map<String, String> metadata,
      long pruneEpoch) {

    /** An entry with no pruning progress. */
    MemberInfo(
        String nodeId,
        String incarnation,
        int status,
        long since,
        String host,
        int port,
        Map<String, String> metadata) {
      this(nodeId, incarnation, status, since, host, port, metadata, 0);
    }
  }

  /**
   * One prune record of the gossiped view ({@link Pruning}): record {@code seq} folds the replica
   * ids {@code removed} into node {@code owner}'s; {@code phase} is a {@code PruneRecord.Phase}
   * ordinal; {@code collected} names the nodes that handed the owner their data for it; {@code
   * createdMillis} is the creator's wall clock.
   */
  record PruneInfo(
      long seq,
      List<String> removed,
      String owner,
      int phase,
      List<String> collected,
      long createdMillis) {}

  /**
   * Client → server, first frame: who is calling, for which cluster, with a fresh random {@code
   * nonce} that the server's proof of the cluster secret must cover.
   */
  record Hello(
      String cluster,
      int protocolVersion,
      String nodeId,
      String incarnation,
      String host,
      int port,
      long epoch,
      long since,
      Map<String, String> metadata,
      byte[] nonce)
      implements Message {}

  /**
   * Server → client, only when the server has a cluster secret: the server's fresh {@code nonce}
   * and its proof of the secret over the transcript ({@link HandshakeAuth}).
   */
  record HelloChallenge(byte[] nonce, byte[] proof) implements Message {}

  /** Client → server, answering {@link HelloChallenge}: the client's proof of the secret. */
  record HelloAuth(byte[] proof) implements Message {}

  /** Server → client: accepted. */
  record HelloOk(String nodeId, String incarnation) implements Message {}

  /**
   * Server → client: refused, and why; the server closes the connection. {@code code} tells the
   * client what to do: {@link #REJECT_OTHER}, {@link #REJECT_SELF} (stop dialling that address) or
   * {@link #REJECT_REMOVED} (the client's incarnation was removed from the cluster).
   */
  record HelloReject(int code, String reason) implements Message {}

  /** {@link HelloReject} code: any other reason. */
  int REJECT_OTHER = 0;

  /** {@link HelloReject} code: the client dialled itself. */
  int REJECT_SELF = 1;

  /** {@link HelloReject} code: the client's incarnation left or was removed. */
  int REJECT_REMOVED = 2;

  /** Liveness signal for the failure detector. */
  record Heartbeat(long sentMillis) implements Message {}

  /** Member list gossip, with the prune records. */
  record Members(List<MemberInfo> members, List<PruneInfo> prunes) implements Message {

    /** A member list without prune records. */
    Members(List<MemberInfo> members) {
      this(members, List.of());
    }
  }

  /**
   * The sender's own deltas with sequence numbers {@code from..to} of its buffer {@code epoch},
   * joined per key.
   */
  record Deltas(long epoch, long from, long to, List<KeyBytes> deltas) implements Message {}

  /**
   * The receiver has applied the deltas {@code from..to} of {@code epoch} (one {@link Deltas}
   * frame). Frames may be acknowledged out of order; the sender counts a peer as having everything
   * up to the end of the contiguous run from its last acknowledgement ({@link DeltaBuffer}).
   */
  record DeltaAck(long epoch, long from, long to) implements Message {}

  /** Anti-entropy: the initiator's root digest. */
  record AeRoot(long session, long digest) implements Message {}

  /** Anti-entropy: the roots match, nothing to repair. */
  record AeMatch(long session) implements Message {}

  /** Anti-entropy: the sender's digests of tree nodes {@code indices} at {@code level}. */
  record AeLevel(long session, int level, int[] indices, long[] digests) implements Message {}

  /** Anti-entropy: every key, with digest, that the sender holds in leaf {@code buckets}. */
  record AeKeys(long session, int[] buckets, List<KeyDigest> keys) implements Message {}

  /** Anti-entropy: full states, pushed or answering a pull. */
  record AeStates(long session, List<KeyBytes> states) implements Message {}

  /** Anti-entropy: please send your full states of these keys. */
  record AePull(long session, List<String> keys) implements Message {}

  /** Quorum write: store this delta and acknowledge once it is durable. */
  record QuorumWrite(long request, String key, byte[] delta) implements Message {}

  /** The quorum write {@code request} is durable on the sender. */
  record QuorumWriteAck(long request) implements Message {}

  /**
   * Quorum read: send back your state of {@code key}, unless its digest is {@code digest} (the
   * reader's own state's, 0 if it has none at hand): then say so instead of sending it.
   */
  record QuorumRead(long request, String key, long digest) implements Message {

    /** A read that asks for the state whatever it is. */
    QuorumRead(long request, String key) {
      this(request, key, 0);
    }
  }

  /**
   * Reply to a quorum read: the sender's state, or an empty array if it never saw the key; with
   * {@code sameAsYours}, no state: the sender's has the digest the reader sent.
   */
  record QuorumReadReply(long request, byte[] state, boolean sameAsYours) implements Message {

    /** A reply with a state (or none if the sender never saw the key). */
    QuorumReadReply(long request, byte[] state) {
      this(request, state, false);
    }
  }

  /** Pruning, collect: full states of keys that name a replica of record {@code seq}. */
  record PrunePush(long request, long seq, List<KeyBytes> states) implements Message {}

  /** Pruning: the states of {@code request} are durable on the sender. */
  record PruneAck(long request) implements Message {}

  /** Pruning, switch: send your states of these keys if you are at prune epoch {@code epoch}. */
  record PrunePull(long request, long epoch, List<String> keys) implements Message {}

  /**
   * Reply to {@link PrunePull}: the sender's prune {@code epoch} and, if it is the one asked for,
   * its states of the keys it holds.
   */
  record PruneStates(long request, long epoch, List<KeyBytes> states) implements Message {}

  /**
   * One piece of a frame too large to go whole ({@link ChunkedFrames}): bytes {@code offset..} of
   * the {@code total} body bytes of transfer {@code transfer}. The link's transport reassembles the
   * pieces; the frame is then handled as if it had come whole.
   */
  record Chunk(long transfer, int total, int offset, byte[] bytes) implements Message {}
}
