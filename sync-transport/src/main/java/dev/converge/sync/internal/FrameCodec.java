package dev.converge.sync.internal;

import dev.converge.sync.internal.Message.AeKeys;
import dev.converge.sync.internal.Message.AeLevel;
import dev.converge.sync.internal.Message.AeMatch;
import dev.converge.sync.internal.Message.AePull;
import dev.converge.sync.internal.Message.AeRoot;
import dev.converge.sync.internal.Message.AeStates;
import dev.converge.sync.internal.Message.Chunk;
import dev.converge.sync.internal.Message.DeltaAck;
import dev.converge.sync.internal.Message.Deltas;
import dev.converge.sync.internal.Message.Heartbeat;
import dev.converge.sync.internal.Message.Hello;
import dev.converge.sync.internal.Message.HelloAuth;
import dev.converge.sync.internal.Message.HelloChallenge;
import dev.converge.sync.internal.Message.HelloOk;
import dev.converge.sync.internal.Message.HelloReject;
import dev.converge.sync.internal.Message.KeyBytes;
import dev.converge.sync.internal.Message.KeyDigest;
import dev.converge.sync.internal.Message.MemberInfo;
import dev.converge.sync.internal.Message.Members;
import dev.converge.sync.internal.Message.PruneAck;
import dev.converge.sync.internal.Message.PruneInfo;
import dev.converge.sync.internal.Message.PrunePull;
import dev.converge.sync.internal.Message.PrunePush;
import dev.converge.sync.internal.Message.PruneStates;
import dev.converge.sync.internal.Message.QuorumRead;
import dev.converge.sync.internal.Message.QuorumReadReply;
import dev.converge.sync.internal.Message.QuorumWrite;
import dev.converge.sync.internal.Message.QuorumWriteAck;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes and decodes {@link Message} frames: {@code [int length][byte type][body]}, big-endian,
 * strings as {@code [int length][UTF-8]}, byte arrays as {@code [int length][bytes]}, lists as
 * {@code [int count][items]}. Decoding treats the body as hostile ({@link FrameReader}).
 */
final class FrameCodec {

  static final byte HELLO = 1;
  static final byte HELLO_OK = 2;
  static final byte HELLO_REJECT = 3;
  static final byte HEARTBEAT = 4;
  static final byte MEMBERS = 5;
  static final byte DELTAS = 6;
  static final byte DELTA_ACK = 7;
  static final byte AE_ROOT = 8;
  static final byte AE_MATCH = 9;
  static final byte AE_LEVEL = 10;
  static final byte AE_KEYS = 11;
  static final byte AE_STATES = 12;
  static final byte AE_PULL = 13;
  static final byte QUORUM_WRITE = 14;
  static final byte QUORUM_WRITE_ACK = 15;
  static final byte QUORUM_READ = 16;
  static final byte QUORUM_READ_REPLY = 17;
  static final byte HELLO_CHALLENGE = 18;
  static final byte HELLO_AUTH = 19;
  static final byte PRUNE_PUSH = 20;
  static final byte PRUNE_ACK = 21;
  static final byte PRUNE_PULL = 22;
  static final byte PRUNE_STATES = 23;
  static final byte CHUNK = 24;

  /** Bytes of the length prefix. */
  static final int LENGTH_BYTES = 4;

  private FrameCodec() {}

  /** The whole frame, length prefix included. */
  static Buffer encode(Message message) {
    Buffer b = Buffer.buffer(64);
    b.appendInt(0); // length, patched below
    if (message instanceof Hello m) {
      b.appendByte(HELLO);
      str(b, m.cluster());
      b.appendInt(m.protocolVersion());
      str(b, m.nodeId());
      str(b, m.incarnation());
      str(b, m.host());
      b.appendInt(m.port());
      b.appendLong(m.epoch());
      b.appendLong(m.since());
      map(b, m.metadata());
      bytes(b, m.nonce());
    } else if (message instanceof HelloChallenge m) {
      b.appendByte(HELLO_CHALLENGE);
      bytes(b, m.nonce());
      bytes(b, m.proof());
    } else if (message instanceof HelloAuth m) {
      b.appendByte(HELLO_AUTH);
      bytes(b, m.proof());
    } else if (message instanceof HelloOk m) {
      b.appendByte(HELLO_OK);
      str(b, m.nodeId());
      str(b, m.incarnation());
    } else if (message instanceof HelloReject m) {
      b.appendByte(HELLO_REJECT);
      b.appendInt(m.code());
      str(b, m.reason());
    } else if (message instanceof Heartbeat m) {
      b.appendByte(HEARTBEAT).appendLong(m.sentMillis());
    } else if (message instanceof Members m) {
      b.appendByte(MEMBERS).appendInt(m.members().size());
      for (MemberInfo info : m.members()) {
        str(b, info.nodeId());
        str(b, info.incarnation());
        b.appendByte((byte) info.status());
        b.appendLong(info.since());
        str(b, info.host());
        b.appendInt(info.port());
        map(b, info.metadata());
        b.appendLong(info.pruneEpoch());
      }
      b.appendInt(m.prunes().size());
      for (PruneInfo p : m.prunes()) {
        b.appendLong(p.seq());
        strings(b, p.removed());
        str(b, p.owner());
        b.appendByte((byte) p.phase());
        strings(b, p.collected());
        b.appendLong(p.createdMillis());
      }
    } else if (message instanceof Deltas m) {
      b.appendByte(DELTAS).appendLong(m.epoch()).appendLong(m.from()).appendLong(m.to());
      keyBytes(b, m.deltas());
    } else if (message instanceof DeltaAck m) {
      b.appendByte(DELTA_ACK).appendLong(m.epoch()).appendLong(m.from()).appendLong(m.to());
    } else if (message instanceof AeRoot m) {
      b.appendByte(AE_ROOT).appendLong(m.session()).appendLong(m.digest());
    } else if (message instanceof AeMatch m) {
      b.appendByte(AE_MATCH).appendLong(m.session());
    } else if (message instanceof AeLevel m) {
      b.appendByte(AE_LEVEL).appendLong(m.session()).appendInt(m.level());
      b.appendInt(m.indices().length);
      for (int i = 0; i < m.indices().length; i++) {
        b.appendInt(m.indices()[i]).appendLong(m.digests()[i]);
      }
    } else if (message instanceof AeKeys m) {
      b.appendByte(AE_KEYS).appendLong(m.session()).appendInt(m.buckets().length);
      for (int bucket : m.buckets()) {
        b.appendInt(bucket);
      }
      b.appendInt(m.keys().size());
      for (KeyDigest kd : m.keys()) {
        str(b, kd.key());
        b.appendLong(kd.digest());
      }
    } else if (message instanceof AeStates m) {
      b.appendByte(AE_STATES).appendLong(m.session());
      keyBytes(b, m.states());
    } else if (message instanceof AePull m) {
      b.appendByte(AE_PULL).appendLong(m.session());
      strings(b, m.keys());
    } else if (message instanceof QuorumWrite m) {
      b.appendByte(QUORUM_WRITE).appendLong(m.request());
      str(b, m.key());
      bytes(b, m.delta());
    } else if (message instanceof QuorumWriteAck m) {
      b.appendByte(QUORUM_WRITE_ACK).appendLong(m.request());
    } else if (message instanceof QuorumRead m) {
      b.appendByte(QUORUM_READ).appendLong(m.request());
      str(b, m.key());
      b.appendLong(m.digest());
    } else if (message instanceof QuorumReadReply m) {
      b.appendByte(QUORUM_READ_REPLY).appendLong(m.request());
      b.appendByte((byte) (m.sameAsYours() ? 1 : 0));
      bytes(b, m.state());
    } else if (message instanceof PrunePush m) {
      b.appendByte(PRUNE_PUSH).appendLong(m.request()).appendLong(m.seq());
      keyBytes(b, m.states());
    } else if (message instanceof PruneAck m) {
      b.appendByte(PRUNE_ACK).appendLong(m.request());
    } else if (message instanceof PrunePull m) {
      b.appendByte(PRUNE_PULL).appendLong(m.request()).appendLong(m.epoch());
      strings(b, m.keys());
    } else if (message instanceof PruneStates m) {
      b.appendByte(PRUNE_STATES).appendLong(m.request()).appendLong(m.epoch());
      keyBytes(b, m.states());
    } else if (message instanceof Chunk m) {
      b.appendByte(CHUNK).appendLong(m.transfer()).appendInt(m.total()).appendInt(m.offset());
      bytes(b, m.bytes());
    } else {
      throw new IllegalArgumentException("unknown message " + message);
    }

    b.setInt(0, b.length() - LENGTH_BYTES);
    return b;
  }

  private static void str(Buffer b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    b.appendInt(bytes.length).appendBytes(bytes);
  }

  private static void strings(Buffer b, List<String> strings) {
    b.appendInt(strings.size());
    for (String s : strings) {
      str(b, s);
    }
  }

  private static void map(Buffer b, Map<String, String> map) {
    b.appendInt(map.size());
    map.forEach(
        (k, v) -> {
          str(b, k);
          str(b, v);
        });
  }

  private static Map<String, String> readMap(FrameReader in) {
    int n = in.readCount(8, "metadata entry");
    if (n > 16) {
      throw new ProtocolException("more than 16 metadata entries");
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      map.put(in.readString(), in.readString());
    }
    return map;
  }

  private static void bytes(Buffer b, byte[] bytes) {
    b.appendInt(bytes.length).appendBytes(bytes);
  }

  private static void keyBytes(Buffer b, List<KeyBytes> entries) {
    b.appendInt(entries.size());
    for (KeyBytes kb : entries) {
      str(b, kb.key());
      bytes(b, kb.state());
    }
  }

  /**
   * Decodes a frame body (type byte onwards) of {@code length} bytes at {@code from}.
   *
   * @throws ProtocolException if the body is malformed or of an unknown type
   */
  static Message decode(Buffer frame, int from, int length, int maxStateBytes) {
    FrameReader in = new FrameReader(frame, from, from + length);
    byte type = in.readByte();
    Message message =
        switch (type) {
          case HELLO ->
              new Hello(
                  in.readString(),
                  in.readInt(),
                  in.readString(),
                  in.readString(),
                  in.readString(),
                  in.readInt(),
                  in.readLong(),
                  in.readLong(),
                  readMap(in),
                  in.readBytes(HandshakeAuth.MAX_NONCE_BYTES));
          case HELLO_CHALLENGE ->
              new HelloChallenge(
                  in.readBytes(HandshakeAuth.MAX_NONCE_BYTES),
                  in.readBytes(HandshakeAuth.MAX_NONCE_BYTES));
          case HELLO_AUTH -> new HelloAuth(in.readBytes(HandshakeAuth.MAX_NONCE_BYTES));
          case HELLO_OK -> new HelloOk(in.readString(), in.readString());
          case HELLO_REJECT -> new HelloReject(in.readInt(), in.readString());
          case HEARTBEAT -> new Heartbeat(in.readLong());
          case MEMBERS -> {
            int n = in.readCount(20, "member");
            List<MemberInfo> members = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
              members.add(
                  new MemberInfo(
                      in.readString(),
                      in.readString(),
                      in.readByte(),
                      in.readLong(),
                      in.readString(),
                      in.readInt(),
                      readMap(in),
                      in.readLong()));
            }
            int np = in.readCount(21, "prune record");
            List<PruneInfo> prunes = new ArrayList<>(np);
            for (int i = 0; i < np; i++) {
              long seq = in.readLong();
              List<String> removed = readStrings(in, "pruned replica");
              String owner = in.readString();
              int phase = in.readByte();
              List<String> collected = readStrings(in, "collected node");
              prunes.add(new PruneInfo(seq, removed, owner, phase, collected, in.readLong()));
            }
            yield new Members(members, prunes);
          }
          case DELTAS ->
              new Deltas(
                  in.readLong(), in.readLong(), in.readLong(), readKeyBytes(in, maxStateBytes));
          case DELTA_ACK -> new DeltaAck(in.readLong(), in.readLong(), in.readLong());
          case AE_ROOT -> new AeRoot(in.readLong(), in.readLong());
          case AE_MATCH -> new AeMatch(in.readLong());
          case AE_LEVEL -> {
            long session = in.readLong();
            int level = in.readInt();
            int n = in.readCount(12, "digest");
            int[] indices = new int[n];
            long[] digests = new long[n];
            for (int i = 0; i < n; i++) {
              indices[i] = in.readInt();
              digests[i] = in.readLong();
            }
            yield new AeLevel(session, level, indices, digests);
          }
          case AE_KEYS -> {
            long session = in.readLong();
            int nb = in.readCount(4, "bucket");
            int[] buckets = new int[nb];
            for (int i = 0; i < nb; i++) {
              buckets[i] = in.readInt();
            }
            int n = in.readCount(12, "key digest");
            List<KeyDigest> keys = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
              keys.add(new KeyDigest(in.readString(), in.readLong()));
            }
            yield new AeKeys(session, buckets, keys);
          }
          case AE_STATES -> new AeStates(in.readLong(), readKeyBytes(in, maxStateBytes));
          case AE_PULL -> new AePull(in.readLong(), readStrings(in, "key"));
          case QUORUM_WRITE ->
              new QuorumWrite(in.readLong(), in.readString(), in.readBytes(maxStateBytes));
          case QUORUM_WRITE_ACK -> new QuorumWriteAck(in.readLong());
          case QUORUM_READ -> new QuorumRead(in.readLong(), in.readString(), in.readLong());
          case QUORUM_READ_REPLY -> {
            long request = in.readLong();
            boolean sameAsYours = in.readBoolean();
            yield new QuorumReadReply(request, in.readBytes(maxStateBytes), sameAsYours);
          }
          case PRUNE_PUSH ->
              new PrunePush(in.readLong(), in.readLong(), readKeyBytes(in, maxStateBytes));
          case PRUNE_ACK -> new PruneAck(in.readLong());
          case PRUNE_PULL -> new PrunePull(in.readLong(), in.readLong(), readStrings(in, "key"));
          case PRUNE_STATES ->
              new PruneStates(in.readLong(), in.readLong(), readKeyBytes(in, maxStateBytes));
          case CHUNK ->
              new Chunk(in.readLong(), in.readInt(), in.readInt(), in.readBytes(maxStateBytes));
          default -> throw new ProtocolException("unknown frame type " + type);
        };
    in.expectEnd();
    return message;
  }

  /* A list of strings: [int count][strings], each at least its 4-byte length. */
  private static List<String> readStrings(FrameReader in, String what) {
    int n = in.readCount(4, what);
    List<String> strings = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      strings.add(in.readString());
    }
    return strings;
  }

  private static List<KeyBytes> readKeyBytes(FrameReader in, int maxStateBytes) {
    int n = in.readCount(8, "state");
    List<KeyBytes> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      entries.add(new KeyBytes(in.readString(), in.readBytes(maxStateBytes)));
    }
    return entries;
  }
}
