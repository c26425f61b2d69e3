package dev.converge.sync.internal;

import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.sync.SyncOptions;
import dev.converge.sync.internal.FuzzCorpus.KnownMember;
import dev.converge.sync.internal.Message.AeKeys;
import dev.converge.sync.internal.Message.AeLevel;
import dev.converge.sync.internal.Message.AeStates;
import dev.converge.sync.internal.Message.Chunk;
import dev.converge.sync.internal.Message.Deltas;
import dev.converge.sync.internal.Message.Hello;
import dev.converge.sync.internal.Message.HelloAuth;
import dev.converge.sync.internal.Message.HelloChallenge;
import dev.converge.sync.internal.Message.HelloOk;
import dev.converge.sync.internal.Message.HelloReject;
import dev.converge.sync.internal.Message.KeyBytes;
import dev.converge.sync.internal.Message.MemberInfo;
import dev.converge.sync.internal.Message.Members;
import dev.converge.sync.internal.Message.QuorumWrite;
import io.vertx.core.buffer.Buffer;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fuzzer's oracle: what a node with a cluster secret does with the bytes of one accepted
 * connection, written from the protocol as documented ({@link PeerTransport}, {@link
 * HandshakeAuth}, and the frame handling of {@code DefaultReplicator}, {@link AntiEntropy} and
 * {@link QuorumCoordinator}), not from its code paths. It splits the stream as {@link FrameParser}
 * does (16 KiB frames before the handshake, the node's limit after it), decodes each frame with the
 * node's own decoders, and tells, per connection: the frames the node answers, whether it counts a
 * protocol error or an authentication failure, how many frames it delivers from an admitted peer,
 * which states it merges, and where it stops reading.
 *
 * <p>One case cannot be told from outside: an {@code AeLevel} of level 2 with a leaf index out of
 * range is refused only if the node gets to that index before it has found enough differing leaves
 * (which depends on its digest tree and a random start). The model then reports {@link
 * State#UNSURE}: the fuzzer stops the connection there, so that every count stays exact.
 *
 * <p>Not thread-safe; one per connection, {@linkplain #copy() copied} to try bytes before sending.
 */
final class NodeModel {

  /** Where the node is with this connection. */
  enum State {
    /** Waiting for the Hello. */
    HELLO,
    /** Challenged the caller; waiting for its HelloAuth. */
    AUTH,
    /** Admitted the caller as a peer. */
    OPEN,
    /** Closed the connection. */
    CLOSED,
    /** Either closed or still open (see the class comment): nothing more may be sent. */
    UNSURE
  }

  private enum Verdict {
    ACCEPT,
    REJECT,
    UNSURE
  }

  /** What the model needs to know of the node. */
  record Target(
      String clusterName,
      String nodeId,
      int maxFrameBytes,
      CrdtCodec codec,
      Set<KnownMember> knownMembers) {}

  private static final String NODE_ID = "[A-Za-z0-9._-]{1,64}";

  private final Target target;
  private State state;
  private byte[] pending = new byte[0];
  private final List<Byte> replies;
  private final List<Map.Entry<String, TypedState<?>>> merged;
  /* The chunked transfer in progress (ChunkedFrames): its id, size and bytes so far, or null. */
  private byte[] chunked;
  private long chunkTransfer;
  private int chunkTotal;
  private int protocolErrors;
  private int authFailures;
  private int delivered;
  private boolean newMember;

  private NodeModel(
      Target target,
      State state,
      List<Byte> replies,
      List<Map.Entry<String, TypedState<?>>> merged) {
    this.target = target;
    this.state = state;
    this.replies = replies;
    this.merged = merged;
  }

  /** A fresh connection: the node waits for a Hello. */
  static NodeModel connection(Target target) {
    return new NodeModel(target, State.HELLO, new ArrayList<>(), new ArrayList<>());
  }

  /** A connection whose caller the node has admitted (for decoding inputs in-process). */
  static NodeModel admitted(Target target) {
    return new NodeModel(target, State.OPEN, new ArrayList<>(), new ArrayList<>());
  }

  NodeModel copy() {
    NodeModel c = new NodeModel(target, state, new ArrayList<>(replies), new ArrayList<>(merged));
    c.pending = pending;
    c.chunked = chunked;
    c.chunkTransfer = chunkTransfer;
    c.chunkTotal = chunkTotal;
    c.protocolErrors = protocolErrors;
    c.authFailures = authFailures;
    c.delivered = delivered;
    c.newMember = newMember;
    return c;
  }

  /**
   * Feeds bytes the caller sends; returns how many of them the node reads before it stops reading
   * (all of them if it is still reading).
   */
  int feed(byte[] data) {
    if (!reading()) {
      return 0;
    }
    byte[] buf = concat(pending, data);
    int base = pending.length;
    int off = 0;
    while (buf.length - off >= FrameCodec.LENGTH_BYTES) {
      int length = getInt(buf, off);
      int limit =
          state == State.OPEN ? target.maxFrameBytes() : PeerTransport.HANDSHAKE_MAX_FRAME_BYTES;
      if (length < 1 || length > limit) {
        close(true);
        pending = new byte[0];
        return Math.max(0, off + FrameCodec.LENGTH_BYTES - base);
      }
      if (buf.length - off - FrameCodec.LENGTH_BYTES < length) {
        break;
      }
      int start = off + FrameCodec.LENGTH_BYTES;
      off = start + length;
      frame(Arrays.copyOfRange(buf, start, off));
      if (!reading()) {
        pending = new byte[0];
        return off - base;
      }
    }
    pending = Arrays.copyOfRange(buf, off, buf.length);
    return data.length;
  }

  /** The caller proved the secret after the node's challenge: the node answers HelloOk. */
  void authenticated() {
    if (state != State.AUTH) {
      throw new IllegalStateException("not challenged: " + state);
    }
    replies.add(FrameCodec.HELLO_OK);
    state = State.OPEN;
  }

  /** The caller closed its side: the node closes the connection without counting an error. */
  void endOfStream() {
    if (reading()) {
      state = State.CLOSED;
    }
  }

  /** Bytes the node still needs to complete a frame it has started to read; 0 if none. */
  int missing() {
    if (pending.length == 0) {
      return 0;
    }
    if (pending.length < FrameCodec.LENGTH_BYTES) {
      return FrameCodec.LENGTH_BYTES - pending.length;
    }
    return FrameCodec.LENGTH_BYTES + getInt(pending, 0) - pending.length;
  }

  boolean reading() {
    return state == State.HELLO || state == State.AUTH || state == State.OPEN;
  }

  State state() {
    return state;
  }

  /** Types of the frames the node answers on this connection, in order. */
  List<Byte> replies() {
    return List.copyOf(replies);
  }

  int protocolErrors() {
    return protocolErrors;
  }

  int authFailures() {
    return authFailures;
  }

  /** Frames delivered from the admitted peer (the node's per-peer {@code framesReceived}). */
  int delivered() {
    return delivered;
  }

  /** Key and state of every entry of the frames the node merges, in order. */
  List<Map.Entry<String, TypedState<?>>> merged() {
    return List.copyOf(merged);
  }

  /** Whether a Members frame told the node of a member or address it does not know. */
  boolean toldNewMember() {
    return newMember;
  }

  /* ------------------------------------------------------------------ the node's rules */

  private void frame(byte[] body) {
    Message m;
    try {
      m = FrameCodec.decode(Buffer.buffer(body), 0, body.length, target.maxFrameBytes());
    } catch (ProtocolException e) {
      close(true);
      return;
    }
    switch (state) {
      case HELLO -> {
        if (helloAcceptable(m)) {
          replies.add(FrameCodec.HELLO_CHALLENGE);
          state = State.AUTH;
        } else {
          replies.add(FrameCodec.HELLO_REJECT);
          // A seed list naming the node itself is normal: refused, but not counted.
          close(!(m instanceof Hello h && h.nodeId().equals(target.nodeId())));
        }
      }
      case AUTH -> {
        if (m instanceof HelloAuth) {
          authFailures++; // the fuzzer never sends the right proof through the model
        }
        replies.add(FrameCodec.HELLO_REJECT);
        close(true);
      }
      case OPEN -> {
        delivered++;
        switch (verdict(m)) {
          case ACCEPT -> {}
          case REJECT -> close(true);
          case UNSURE -> {
            // Closed, or not: either way one protocol error is counted by the end of the
            // connection (the fuzzer ends it with a frame length the node refuses).
            protocolErrors++;
            state = State.UNSURE;
          }
        }
      }
      default -> throw new IllegalStateException(state.toString());
    }
  }

  private boolean helloAcceptable(Message m) {
    return m instanceof Hello h
        && h.protocolVersion() == Message.PROTOCOL_VERSION
        && h.cluster().equals(target.clusterName())
        && !h.nodeId().equals(target.nodeId())
        && h.nodeId().matches(NODE_ID)
        && !h.host().isBlank()
        && h.port() >= 1
        && h.port() <= 65_535
        && h.nonce().length == HandshakeAuth.NONCE_BYTES;
  }

  /* The largest frame reassembled from chunks: twice the default value size, plus an envelope. */
  private static final int MAX_MESSAGE_BYTES =
      new SyncOptions().readLimitBytes() + PeerTransport.MESSAGE_ENVELOPE_BYTES;

  /*
   * A chunk continues the transfer in progress (or starts one at offset 0 when none is); the frame
   * it completes is judged as if it had come whole, and may not itself be a chunk.
   */
  private Verdict chunk(Chunk c) {
    if (c.offset() == 0) {
      if (chunked != null || c.total() <= 0 || c.total() > MAX_MESSAGE_BYTES) {
        return Verdict.REJECT;
      }
      chunked = new byte[0];
      chunkTransfer = c.transfer();
      chunkTotal = c.total();
    } else if (chunked == null
        || c.transfer() != chunkTransfer
        || c.total() != chunkTotal
        || c.offset() != chunked.length) {
      return Verdict.REJECT;
    }
    if (c.bytes().length == 0 || (long) chunked.length + c.bytes().length > chunkTotal) {
      return Verdict.REJECT;
    }
    chunked = concat(chunked, c.bytes());
    if (chunked.length < chunkTotal) {
      return Verdict.ACCEPT;
    }
    byte[] whole = chunked;
    chunked = null;
    Message m;
    try {
      m = FrameCodec.decode(Buffer.buffer(whole), 0, whole.length, MAX_MESSAGE_BYTES);
    } catch (ProtocolException e) {
      return Verdict.REJECT;
    }
    return m instanceof Chunk ? Verdict.REJECT : verdict(m);
  }

  private Verdict verdict(Message m) {
    if (m instanceof Chunk c) {
      return chunk(c);
    } else if (m instanceof Deltas d) {
      return merge(d.deltas());
    } else if (m instanceof AeStates s) {
      return merge(s.states());
    } else if (m instanceof QuorumWrite q) {
      return merge(List.of(new KeyBytes(q.key(), q.delta())));
    } else if (m instanceof Message.PrunePush p) {
      return merge(p.states());
    } else if (m instanceof Members ms) {
      for (MemberInfo info : ms.members()) {
        boolean learnt =
            !info.nodeId().equals(target.nodeId())
                && info.nodeId().matches(NODE_ID)
                && !info.host().isBlank()
                && info.port() >= 1
                && info.port() <= 65_535;
        if (learnt
            && target.knownMembers().stream()
                .noneMatch(
                    k ->
                        k.nodeId().equals(info.nodeId())
                            && k.host().equals(info.host())
                            && k.port() == info.port())) {
          newMember = true;
        }
      }
      return Verdict.ACCEPT;
    } else if (m instanceof AeLevel l) {
      if (l.level() == 1) {
        return allBelow(l.indices(), DigestTree.FANOUT) ? Verdict.ACCEPT : Verdict.REJECT;
      } else if (l.level() == 2) {
        return allBelow(l.indices(), DigestTree.LEAVES) ? Verdict.ACCEPT : Verdict.UNSURE;
      }
      return Verdict.REJECT;
    } else if (m instanceof AeKeys k) {
      return allBelow(k.buckets(), DigestTree.LEAVES) ? Verdict.ACCEPT : Verdict.REJECT;
    } else if (m instanceof Hello
        || m instanceof HelloOk
        || m instanceof HelloReject
        || m instanceof HelloChallenge
        || m instanceof HelloAuth) {
      return Verdict.REJECT; // handshake frames after the handshake
    }
    // Heartbeat, DeltaAck, AeRoot, AeMatch, AePull, QuorumWriteAck, QuorumRead, QuorumReadReply,
    // PruneAck, PrunePull, PruneStates (a reply to a request the node never made is ignored).
    return Verdict.ACCEPT;
  }

  /*
   * A frame is decoded whole before any of it is merged: one bad key name or malformed state
   * refuses it; a state of an unknown type or newer format is skipped (InboundStates).
   */
  private Verdict merge(List<KeyBytes> entries) {
    List<TypedState<?>> states;
    try {
      states =
          new InboundStates(null, target.codec(), new Metrics(), Integer.MAX_VALUE)
              .decodeNow(entries);
    } catch (ProtocolException e) {
      long bytes = 0;
      for (KeyBytes kb : entries) {
        bytes += kb.state().length;
      }
      // A large frame is decoded on a worker: a bad one is dropped, the link stays up.
      return bytes > InboundStates.DEFAULT_INLINE_BYTES ? Verdict.UNSURE : Verdict.REJECT;
    }
    for (int i = 0; i < states.size(); i++) {
      if (states.get(i) != null) {
        merged.add(new SimpleImmutableEntry<>(entries.get(i).key(), states.get(i)));
      }
    }
    return Verdict.ACCEPT;
  }

  private static boolean allBelow(int[] indices, int size) {
    for (int i : indices) {
      if (i < 0 || i >= size) {
        return false;
      }
    }
    return true;
  }

  private void close(boolean countError) {
    if (countError) {
      protocolErrors++;
    }
    state = State.CLOSED;
  }

  static int getInt(byte[] b, int at) {
    return ((b[at] & 0xff) << 24)
        | ((b[at + 1] & 0xff) << 16)
        | ((b[at + 2] & 0xff) << 8)
        | (b[at + 3] & 0xff);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    if (a.length == 0) {
      return b;
    }
    byte[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
