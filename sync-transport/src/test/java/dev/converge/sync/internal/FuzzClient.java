package dev.converge.sync.internal;

import dev.converge.crdt.TypedState;
import dev.converge.sync.internal.Message.Hello;
import dev.converge.sync.internal.Message.HelloAuth;
import dev.converge.sync.internal.Message.HelloChallenge;
import io.vertx.core.buffer.Buffer;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The fuzzer's client side: {@code workers} threads, each with its own seeded {@link Random} and
 * share of the frames, open connection after connection to the node's gossip port over real TCP and
 * send fuzz inputs from a {@link FrameMutator}, predicted by a {@link NodeModel}.
 *
 * <p>Each connection is written in as few writes as it can be (the handshake, when the fuzzer
 * authenticates, needs one round trip for the node's challenge) and always ends with the node
 * closing it: after the input the node refuses, or after a frame length of -1 that the fuzzer
 * appends, or (for a frame cut short) after the fuzzer closes its side or pads the frame. The
 * fuzzer then reads until the node's close, with a deadline: a node that keeps a connection open
 * fails the run. It closes its socket with an abortive close (SO_LINGER 0) after the node's FIN, so
 * neither side keeps the connection in TIME_WAIT and a million connections do not exhaust
 * loopback's ephemeral ports.
 *
 * <p>Per connection it checks the frames the node answers against the model; it adds up what the
 * node must have counted (protocol errors, authentication failures, frames delivered from the
 * fuzzer as a peer) and the states it must have merged, for the test to check on the node.
 */
final class FuzzClient {

  /** Whether the fuzzer proves the cluster secret before its fuzz inputs. */
  enum Mode {
    UNAUTHENTICATED,
    AUTHENTICATED
  }

  /** Node id of the fuzzer when it authenticates: the only member it may add to the node. */
  static final String FUZZER_ID = "fuzzer";

  static final int CONNECT_DEADLINE_MILLIS = 10_000;

  /** How long the node may take to close a connection: far above the milliseconds it takes. */
  static final int CLOSE_DEADLINE_MILLIS = 30_000;

  /** Most fuzz inputs on one authenticated connection (while the node accepts them). */
  static final int MAX_INPUTS_PER_CONNECTION = 16;

  private static final byte[] TERMINATOR = {-1, -1, -1, -1};

  /** What the fuzzer sent and what the node must therefore have counted. */
  static final class Tally {
    final LongAdder frames = new LongAdder();
    final LongAdder connections = new LongAdder();
    final LongAdder bytes = new LongAdder();
    final LongAdder endedByClose = new LongAdder();
    final LongAdder padded = new LongAdder();
    final LongAdder resets = new LongAdder();
    final LongAdder withheld = new LongAdder();
    final LongAdder expectedErrors = new LongAdder();
    final LongAdder expectedAuthFailures = new LongAdder();
    final LongAdder expectedDelivered = new LongAdder();
    final LongAdder mergedEntries = new LongAdder();
    final Map<String, LongAdder> strategies = new ConcurrentHashMap<>();
    /* The join of every state the node merged per key, unless two types were sent for a key. */
    final Map<String, TypedState<?>> merged = new ConcurrentHashMap<>();
    final Set<String> typeConflicts = ConcurrentHashMap.newKeySet();

    void strategy(String name) {
      String top = name.contains("+") ? name.substring(0, name.indexOf('+')) + "+stacked" : name;
      strategies.computeIfAbsent(top, k -> new LongAdder()).increment();
    }

    void merged(String key, TypedState<?> state) {
      mergedEntries.increment();
      if (typeConflicts.contains(key)) {
        return;
      }
      merged.compute(
          key,
          (k, old) -> {
            if (old == null) {
              return state;
            }
            if (!old.type().tag().equals(state.type().tag())) {
              typeConflicts.add(k);
              return old;
            }
            return old.merge(state);
          });
    }
  }

  private final InetSocketAddress node;
  private final HandshakeAuth auth;
  private final NodeModel.Target target;
  private final FuzzCorpus corpus;
  private final Tally tally = new Tally();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  FuzzClient(int port, String secret, NodeModel.Target target, FuzzCorpus corpus) {
    this.node = new InetSocketAddress("127.0.0.1", port);
    this.auth = HandshakeAuth.forSecret(secret);
    this.target = target;
    this.corpus = corpus;
  }

  Tally tally() {
    return tally;
  }

  /** The first failure of any worker, or null. */
  Throwable failure() {
    return failure.get();
  }

  /**
   * Starts {@code workers} threads sending {@code frames} fuzz inputs in all; returns them (join to
   * wait). Worker {@code w} draws from {@code new Random(seed, mode, w)} only, so a seed replays.
   */
  List<Thread> start(Mode mode, long frames, long seed, int workers) {
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      long quota = frames / workers + (w < frames % workers ? 1 : 0);
      long workerSeed = seed * 0x9E3779B97F4A7C15L + 31L * mode.ordinal() + 1_000_003L * w;
      int worker = w;
      Thread t =
          new Thread(
              () -> work(mode, worker, new Random(workerSeed), quota), "fuzz-" + mode + "-" + w);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
    return threads;
  }

  private void work(Mode mode, int worker, Random random, long quota) {
    FrameMutator mutator =
        new FrameMutator(random, corpus, mode == Mode.AUTHENTICATED, target.maxFrameBytes());
    long sent = 0;
    for (long c = 0; sent < quota && failure.get() == null; c++) {
      Connection conn = new Connection(mode, worker, c, random, mutator);
      try {
        sent +=
            mode == Mode.AUTHENTICATED
                ? conn.authenticated(quota - sent)
                : conn.unauthenticated(quota - sent);
      } catch (Throwable t) {
        failure.compareAndSet(null, conn.failure(t));
        return;
      }
    }
  }

  /** One connection: its plan, its model of the node, and its bytes. */
  private final class Connection {
    final Mode mode;
    final int worker;
    final long index;
    final Random random;
    final FrameMutator mutator;
    final ByteArrayOutputStream wire = new ByteArrayOutputStream();
    final List<String> inputs = new ArrayList<>();
    final List<Byte> replies = new ArrayList<>();
    NodeModel model = NodeModel.connection(target);
    int written;
    boolean closeOurSide;

    Connection(Mode mode, int worker, long index, Random random, FrameMutator mutator) {
      this.mode = mode;
      this.worker = worker;
      this.index = index;
      this.random = random;
      this.mutator = mutator;
    }

    /* Without the secret: an input as the first frame, or after a valid Hello (the node then
     * waits for HelloAuth). Nothing gets past the handshake. */
    long unauthenticated(long budget) throws IOException {
      if (random.nextBoolean()) {
        byte[] hello =
            FrameMutator.encode(
                FuzzCorpus.hello(random, "intruder-" + worker, target.clusterName()));
        model.feed(hello);
        wire.writeBytes(hello);
      }
      long frames = 0;
      do {
        byte[] input = mutator.next();
        int read = model.feed(input);
        wire.write(input, 0, read);
        record(mutator.strategy());
        frames++;
      } while (model.reading() && model.missing() == 0 && frames < Math.min(2, budget));
      end();
      try (Socket socket = open()) {
        flush(socket);
        readUntilClosed(socket);
      }
      check();
      return frames;
    }

    /* With the secret: a real handshake (now and then with an odd Hello), then inputs while the
     * node accepts them. */
    long authenticated(long budget) throws IOException {
      boolean odd = random.nextInt(50) == 0;
      Hello hello = odd ? oddHello() : fuzzerHello("fz1");
      byte[] helloFrame = FrameMutator.encode(hello);
      Buffer helloBody =
          Buffer.buffer(Arrays.copyOfRange(helloFrame, FrameCodec.LENGTH_BYTES, helloFrame.length));
      model.feed(helloFrame);
      wire.writeBytes(helloFrame);
      long frames = 0;
      if (odd) {
        record("odd-hello");
        frames++;
      }
      try (Socket socket = open()) {
        flush(socket);
        if (model.state() != NodeModel.State.AUTH) {
          readUntilClosed(socket);
          check();
          return frames;
        }
        byte[] challenge = readFrame(socket);
        if (challenge == null) {
          throw new AssertionError("the node closed the connection instead of challenging");
        }
        replies.add(challenge[0]);
        if (!(FrameCodec.decode(Buffer.buffer(challenge), 0, challenge.length, 1024)
            instanceof HelloChallenge c)) {
          throw new AssertionError("expected a HelloChallenge, got frame type " + challenge[0]);
        }
        if (!HandshakeAuth.matches(auth.serverProof(helloBody, c.nonce()), c.proof())) {
          throw new AssertionError("the node's proof of the cluster secret does not verify");
        }
        model.authenticated();
        wire.writeBytes(FrameMutator.encode(new HelloAuth(auth.clientProof(helloBody, c.nonce()))));
        while (model.state() == NodeModel.State.OPEN
            && model.missing() == 0
            && frames < Math.min(MAX_INPUTS_PER_CONNECTION, budget)) {
          byte[] input = mutator.next();
          NodeModel trial = model.copy();
          int read = trial.feed(input);
          if (trial.toldNewMember()) {
            // Gossip naming members the node does not know is not malformed: a peer that holds
            // the secret may send it, and the node would dial them. Not sent (see the test).
            tally.withheld.increment();
            continue;
          }
          model = trial;
          wire.write(input, 0, read);
          record(mutator.strategy());
          frames++;
        }
        end();
        flush(socket);
        readUntilClosed(socket);
      }
      check();
      for (Map.Entry<String, TypedState<?>> e : model.merged()) {
        tally.merged(e.getKey(), e.getValue());
      }
      return frames;
    }

    private Hello fuzzerHello(String incarnation) {
      return fuzzerHello(incarnation, 1L);
    }

    private Hello fuzzerHello(String incarnation, long since) {
      return new Hello(
          target.clusterName(),
          Message.PROTOCOL_VERSION,
          FUZZER_ID,
          incarnation,
          "127.0.0.1",
          1, // nothing listens there: the node's link back to the fuzzer never comes up
          7L,
          since,
          Map.of(),
          FuzzCorpus.bytes(random, HandshakeAuth.NONCE_BYTES));
    }

    /* The fuzzer's Hello with one field out of line (or a new incarnation, which is fine). */
    private Hello oddHello() {
      Hello h = fuzzerHello("fz1");
      String host = h.host();
      int port = h.port();
      int version = h.protocolVersion();
      String cluster = h.cluster();
      String incarnation = h.incarnation();
      byte[] nonce = h.nonce();
      long since = h.since();
      switch (random.nextInt(7)) {
        case 0 -> host = new String[] {"", " ", "\t\n"}[random.nextInt(3)];
        case 1 -> port = new int[] {0, -1, 65_536, Integer.MIN_VALUE}[random.nextInt(4)];
        case 2 -> nonce = FuzzCorpus.bytes(random, new int[] {0, 31, 33, 64}[random.nextInt(4)]);
        case 3 -> version = new int[] {1, 2, 4, -1}[random.nextInt(4)];
        case 4 -> cluster = "another-cluster";
        case 5 -> since = 2L + random.nextInt(1_000_000); // the same incarnation, restarted
        default -> host = "";
      }
      return new Hello(
          cluster,
          version,
          FUZZER_ID,
          incarnation,
          host,
          port,
          h.epoch(),
          since,
          h.metadata(),
          nonce);
    }

    /* Ends the input so that the node closes the connection. */
    private void end() {
      if (model.reading() && model.missing() > 0) {
        if (random.nextBoolean()) {
          closeOurSide = true; // a frame cut short by the end of the stream
          model.endOfStream();
          tally.endedByClose.increment();
          return;
        }
        tally.padded.increment();
        while (model.reading() && model.missing() > 0) {
          byte[] pad = new byte[model.missing()];
          Arrays.fill(pad, (byte) 0xff);
          wire.write(pad, 0, model.feed(pad));
        }
      }
      if (model.reading() || model.state() == NodeModel.State.UNSURE) {
        model.feed(TERMINATOR);
        wire.writeBytes(TERMINATOR);
      }
    }

    private void record(String strategy) {
      inputs.add(strategy);
      tally.strategy(strategy);
      tally.frames.increment();
    }

    private Socket open() throws IOException {
      Socket socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.setSoLinger(true, 0);
      socket.setSoTimeout(CLOSE_DEADLINE_MILLIS);
      socket.connect(node, CONNECT_DEADLINE_MILLIS);
      tally.connections.increment();
      return socket;
    }

    /* Writes what the wire holds beyond what was written; closes our side once the input ends. */
    private void flush(Socket socket) throws IOException {
      byte[] bytes = wire.toByteArray();
      OutputStream out = socket.getOutputStream();
      out.write(bytes, written, bytes.length - written);
      out.flush();
      tally.bytes.add(bytes.length - written);
      written = bytes.length;
      if (closeOurSide) {
        socket.shutdownOutput();
      }
    }

    private DataInputStream in;

    private byte[] readFrame(Socket socket) throws IOException {
      if (in == null) {
        in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
      }
      int length;
      try {
        length = in.readInt();
      } catch (EOFException e) {
        return null;
      } catch (SocketException e) {
        tally.resets.increment(); // closed with bytes unread: a reset instead of a FIN
        return null;
      } catch (SocketTimeoutException e) {
        throw new AssertionError(
            "the node kept the connection open for " + CLOSE_DEADLINE_MILLIS + " ms (a hang)", e);
      }
      if (length < 1 || length > 1 << 16) {
        throw new AssertionError("the node answered a frame of length " + length);
      }
      byte[] body = new byte[length];
      in.readFully(body);
      return body;
    }

    private void readUntilClosed(Socket socket) throws IOException {
      for (byte[] frame = readFrame(socket); frame != null; frame = readFrame(socket)) {
        replies.add(frame[0]);
      }
    }

    private void check() {
      if (model.reading()) {
        throw new AssertionError("the fuzzer left the connection open: " + model.state());
      }
      if (!replies.equals(model.replies())) {
        throw new AssertionError(
            "the node answered frame types " + replies + ", expected " + model.replies());
      }
      tally.expectedErrors.add(model.protocolErrors());
      tally.expectedAuthFailures.add(model.authFailures());
      tally.expectedDelivered.add(model.delivered());
    }

    AssertionError failure(Throwable t) {
      byte[] bytes = wire.toByteArray();
      return new AssertionError(
          mode
              + " connection "
              + index
              + " of worker "
              + worker
              + " (inputs "
              + inputs
              + ", "
              + bytes.length
              + " bytes, node model "
              + model.state()
              + "): "
              + t
              + "\n  bytes: "
              + HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 400))
              + (bytes.length > 400 ? "..." : ""),
          t);
    }
  }
}
