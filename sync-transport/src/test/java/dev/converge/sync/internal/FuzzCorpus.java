package dev.converge.sync.internal;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.GCounter;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.causal.HybridLogicalClock;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.crdt.codec.ValueCodec;
import dev.converge.sync.SyncOptions;
import dev.converge.sync.internal.Message.AeStates;
import dev.converge.sync.internal.Message.Chunk;
import dev.converge.sync.internal.Message.Deltas;
import dev.converge.sync.internal.Message.Hello;
import dev.converge.sync.internal.Message.HelloAuth;
import dev.converge.sync.internal.Message.KeyBytes;
import dev.converge.sync.internal.Message.MemberInfo;
import dev.converge.sync.internal.Message.Members;
import dev.converge.sync.internal.Message.QuorumRead;
import dev.converge.sync.internal.Message.QuorumReadReply;
import dev.converge.sync.internal.Message.QuorumWrite;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * The fuzzer's seed corpus: a valid instance of every frame type ({@link
 * FrameCodecTest#samples()}), valid Hellos, and frames that carry real encoded CRDT states, built
 * only by folding random operations of a few replicas (never by filling fields at random), so that
 * mutations reach the CRDT codec as well as the frame decoder. Immutable once built; shared by the
 * fuzzer's threads.
 */
final class FuzzCorpus {

  /** Prefix of every key named by the corpus's state-carrying frames. */
  static final String FUZZ_KEY_PREFIX = "fz-";

  static final CrdtCodec CODEC = CrdtCodec.standard();

  static final List<CrdtType<?>> TYPES =
      List.of(
          GCounter.TYPE,
          PNCounter.TYPE,
          ORSet.type(ValueCodec.string()),
          ORSet.type(ValueCodec.int64()),
          LWWRegister.type(ValueCodec.string()),
          LWWRegister.type(ValueCodec.int64()));

  private static final List<String> ELEMENTS =
      List.of("", "a", "b", "apple", "caf\u00e9", "\ud83d\ude00", "x".repeat(70), "tab\tnl\n");
  private static final List<Long> NUMBERS =
      List.of(0L, 1L, -1L, 16L, 1L << 31, Long.MAX_VALUE, Long.MIN_VALUE);
  private static final List<String> REPLICAS =
      List.of("r1", "r2", "replica-10", "node.eu-1", "~z", "Z");

  /** A state or delta of one type, with its encoding. */
  record State(CrdtType<?> type, byte[] bytes) {}

  /** Identity of a member the target node may be told about without learning anything new. */
  /** A member as the node knows it; gossip about it names its real incarnation. */
  record KnownMember(String nodeId, String incarnation, String host, int port) {}

  private final List<State> states;
  private final List<Message> preHandshake;
  private final List<Message> postHandshake;
  private final List<Message> stateFrames;
  private final List<String> strings;

  /**
   * Builds the corpus for a target node; {@code members} is what the target already knows (its
   * peers and the fuzzer's own authenticated identity) and goes into the post-handshake Members
   * seed, so that gossip from the fuzzer tells it nothing new.
   */
  FuzzCorpus(Random random, List<String> existingKeys, List<KnownMember> members, String selfId) {
    this.states = List.copyOf(foldStates(random));
    List<Message> withStates = new ArrayList<>();
    for (int i = 0; i < 96; i++) {
      withStates.add(stateFrame(random, i % 5));
    }
    this.stateFrames = List.copyOf(withStates);

    List<Message> samples = FrameCodecTest.samples();
    List<Message> pre = new ArrayList<>(samples);
    pre.add(hello(random, "intruder", SyncOptions.DEFAULT_CLUSTER_NAME));
    pre.add(hello(random, "n1", SyncOptions.DEFAULT_CLUSTER_NAME));
    pre.add(new HelloAuth(bytes(random, HandshakeAuth.NONCE_BYTES)));
    pre.addAll(withStates.subList(0, 8));
    this.preHandshake = List.copyOf(pre);

    List<Message> post = new ArrayList<>();
    for (Message m : samples) {
      post.add(m instanceof Members ? knownMembers(members, selfId) : m);
    }
    post.add(knownMembers(members, selfId));
    this.postHandshake = List.copyOf(post);

    List<String> s = new ArrayList<>();
    s.addAll(
        List.of(
            "",
            " ",
            "\t",
            "a",
            "converge",
            "n0",
            "n1",
            "fuzzer",
            "127.0.0.1",
            "localhost",
            "\u0000",
            "\u007f",
            "k\u0001ey",
            "caf\u00e9",
            "\ud800",
            "\ud83d\ude00",
            "x".repeat(256),
            "x".repeat(257),
            "y".repeat(FrameReader.MAX_STRING_BYTES),
            "y".repeat(FrameReader.MAX_STRING_BYTES + 1)));
    for (CrdtType<?> type : TYPES) {
      s.add(type.tag());
      s.add(fuzzKey(type, 0));
    }
    s.addAll(existingKeys);
    this.strings = List.copyOf(s);
  }

  static String fuzzKey(CrdtType<?> type, int i) {
    return FUZZ_KEY_PREFIX + type.tag() + "-" + i;
  }

  /** A valid Hello of this protocol version from {@code nodeId} (port 1: nothing listens). */
  static Hello hello(Random random, String nodeId, String cluster) {
    return new Hello(
        cluster,
        Message.PROTOCOL_VERSION,
        nodeId,
        "x1",
        "127.0.0.1",
        1,
        42L,
        1L,
        Map.of(),
        bytes(random, HandshakeAuth.NONCE_BYTES));
  }

  static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  /** A seed frame to mutate: before the handshake, or after it (as an admitted peer). */
  Message seed(Random random, boolean afterHandshake) {
    // Half of the seeds carry CRDT states, so that mutations reach the CRDT codec often.
    if (random.nextInt(afterHandshake ? 2 : 4) == 0) {
      return stateFrames.get(random.nextInt(stateFrames.size()));
    }
    List<Message> pool = afterHandshake ? postHandshake : preHandshake;
    return pool.get(random.nextInt(pool.size()));
  }

  State state(Random random) {
    return states.get(random.nextInt(states.size()));
  }

  /** A string the structured mutations put into string fields: names, tags, edge cases. */
  String string(Random random) {
    return strings.get(random.nextInt(strings.size()));
  }

  private Message stateFrame(Random random, int kind) {
    List<KeyBytes> entries = new ArrayList<>();
    for (int i = 1 + random.nextInt(3); i > 0; i--) {
      State s = state(random);
      entries.add(new KeyBytes(fuzzKey(s.type(), random.nextInt(24)), s.bytes()));
    }
    KeyBytes first = entries.get(0);
    return switch (kind) {
      case 0 -> new Deltas(random.nextLong(), 1, 1 + random.nextInt(10), entries);
      case 1 -> new AeStates(random.nextLong(), entries);
      case 2 -> new QuorumWrite(random.nextLong(), first.key(), first.state());
      case 3 -> {
        // A whole AeStates frame as a one-piece chunked transfer (ChunkedFrames).
        Buffer frame = FrameCodec.encode(new AeStates(random.nextLong(), entries));
        byte[] body = frame.getBytes(FrameCodec.LENGTH_BYTES, frame.length());
        yield new Chunk(random.nextLong(), body.length, 0, body);
      }
      default ->
          random.nextBoolean()
              ? new QuorumReadReply(random.nextLong(), first.state())
              : new QuorumRead(random.nextLong(), first.key());
    };
  }

  private static Members knownMembers(List<KnownMember> members, String selfId) {
    List<MemberInfo> infos = new ArrayList<>();
    infos.add(
        new MemberInfo(selfId, "any", 1, 0L, "127.0.0.1", 7001, Map.of("http", "http://x:1")));
    for (KnownMember m : members) {
      // The real incarnation: a made-up one would, as a trusted member's word, supersede or remove
      // the real member, which is a member's right and not what this test is after.
      infos.add(new MemberInfo(m.nodeId(), m.incarnation(), 1, 0L, m.host(), m.port(), Map.of()));
    }
    return new Members(infos);
  }

  /* ------------------------------------------------------------------ CRDT states */

  /** A replica's operation on a state of one type. */
  private interface Op<T extends Crdt<T>> {
    Mutation<T> apply(T state, ReplicaId replica, HybridLogicalClock clock, Random random);
  }

  private static List<State> foldStates(Random random) {
    List<State> all = new ArrayList<>();
    fold(random, GCounter.TYPE, (s, r, c, rnd) -> s.increment(r, amount(rnd)), all);
    fold(
        random,
        PNCounter.TYPE,
        (s, r, c, rnd) ->
            rnd.nextBoolean() ? s.increment(r, amount(rnd)) : s.decrement(r, amount(rnd)),
        all);
    fold(
        random, ORSet.type(ValueCodec.string()), (s, r, c, rnd) -> setOp(s, r, rnd, ELEMENTS), all);
    fold(random, ORSet.type(ValueCodec.int64()), (s, r, c, rnd) -> setOp(s, r, rnd, NUMBERS), all);
    fold(
        random,
        LWWRegister.type(ValueCodec.string()),
        (s, r, c, rnd) -> s.assign(pick(rnd, ELEMENTS), r, c),
        all);
    fold(
        random,
        LWWRegister.type(ValueCodec.int64()),
        (s, r, c, rnd) -> s.assign(pick(rnd, NUMBERS), r, c),
        all);
    return all;
  }

  /*
   * Folds random operations over 2..4 replicas (each with its own hybrid logical clock), merging
   * replicas now and then; keeps every final state and a sample of the deltas.
   */
  private static <T extends Crdt<T>> void fold(
      Random random, CrdtType<T> type, Op<T> op, List<State> out) {
    for (int run = 0; run < 12; run++) {
      int n = 2 + random.nextInt(3);
      List<String> names = new ArrayList<>(REPLICAS);
      Collections.shuffle(names, random);
      List<T> replicas = new ArrayList<>();
      List<HybridLogicalClock> clocks = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        long[] wall = {1_700_000_000_000L + random.nextInt(5_000)};
        clocks.add(new HybridLogicalClock(() -> wall[0]++));
        replicas.add(type.empty());
      }
      List<T> deltas = new ArrayList<>();
      for (int step = 1 + random.nextInt(25); step > 0; step--) {
        int i = random.nextInt(n);
        if (random.nextInt(5) == 0) {
          replicas.set(i, replicas.get(i).merge(replicas.get(random.nextInt(n))));
        } else {
          Mutation<T> m =
              op.apply(replicas.get(i), ReplicaId.of(names.get(i)), clocks.get(i), random);
          replicas.set(i, m.state());
          deltas.add(m.delta());
        }
      }
      Function<T, State> encode = s -> new State(type, CODEC.encode(type, s));
      out.add(encode.apply(replicas.get(random.nextInt(n))));
      if (!deltas.isEmpty()) {
        out.add(encode.apply(deltas.get(random.nextInt(deltas.size()))));
      }
    }
    out.add(new State(type, CODEC.encode(type, type.empty())));
  }

  private static long amount(Random random) {
    int kind = random.nextInt(10);
    return kind < 8 ? random.nextInt(20) : random.nextInt(1 << 30) * 1000L;
  }

  private static <E> Mutation<ORSet<E>> setOp(
      ORSet<E> set, ReplicaId replica, Random random, List<E> pool) {
    int op = random.nextInt(20);
    if (op == 0) {
      return set.clear();
    }
    return op < 6 ? set.remove(pick(random, pool)) : set.add(replica, pick(random, pool));
  }

  private static <E> E pick(Random random, List<E> values) {
    return values.get(random.nextInt(values.size()));
  }
}
