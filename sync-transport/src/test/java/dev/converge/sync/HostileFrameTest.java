package dev.converge.sync;

import static dev.converge.sync.RawFrames.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.PNCounter;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Hostile bytes on a live node's gossip port, sent over a raw socket: each time the node must close
 * the connection, count a protocol error, change none of its data and keep serving its peers.
 * Frames are built by hand from the layout documented in {@code FrameCodec}: {@code [int
 * length][byte type][body]}, big-endian, strings {@code [int length][UTF-8]}, byte arrays {@code
 * [int length][bytes]}, lists and maps {@code [int count][items]}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileFrameTest {

  /* How long a node may take to close a hostile connection: far above the milliseconds it takes. */
  private static final int CLOSE_DEADLINE_MILLIS = 15_000;

  private final Key<PNCounter> base = Key.pnCounter("base");
  private final Key<PNCounter> alive = Key.pnCounter("alive");
  /* A fresh key per test that hostile frames try to write; the node must never hold it. */
  private Key<PNCounter> victim;
  private final List<String> changes = new CopyOnWriteArrayList<>();
  private final AtomicInteger intruders = new AtomicInteger();
  private TestCluster cluster;
  private Replicator target;
  private Replicator peer;

  @BeforeAll
  void startCluster() {
    cluster = TestCluster.start(2);
    cluster.awaitMembership();
    target = cluster.node(0);
    peer = cluster.node(1);
    target.update(base, PNCounter.incrementBy(3)).await();
    peer.update(base, PNCounter.incrementBy(4)).await();
    ConvergenceProbe.await(cluster.nodes(), List.of(base));
    target.subscribePrefix("", (key, state, local) -> changes.add(key + (local ? " (local)" : "")));
  }

  @AfterAll
  void stopCluster() {
    cluster.close();
  }

  @BeforeEach
  void freshVictim() {
    changes.clear();
    victim = Key.pnCounter("victim-" + intruders.incrementAndGet());
  }

  /* ------------------------------------------------------------------ frame building */

  private byte[] validHello() {
    return hello(
        SyncOptions.DEFAULT_CLUSTER_NAME,
        PROTOCOL_VERSION,
        "intruder-" + intruders.incrementAndGet());
  }

  /* ------------------------------------------------------------------ the check */

  /**
   * Sends {@code bytes}, reads every frame the node answers until it closes the connection, checks
   * the frame types answered, then that a protocol error was counted, that no key changed and that
   * a peer's write still reaches the node. Returns the frames' bodies (type byte first).
   */
  private List<byte[]> assertRefused(byte[] bytes, byte... expectedReplies) throws IOException {
    long errorsBefore = target.metrics().protocolErrors();
    PNCounter baseBefore = target.get(base).await();
    List<byte[]> replies = sendUntilClosed(target.port(), bytes, CLOSE_DEADLINE_MILLIS);
    List<Byte> expected = new ArrayList<>();
    for (byte t : expectedReplies) {
      expected.add(t);
    }
    assertThat(types(replies)).as("frame types the node answered").isEqualTo(expected);

    ConvergenceProbe.until(
        "the node counts a protocol error", () -> target.metrics().protocolErrors() > errorsBefore);
    assertThat(changes).as("keys changed on the node by hostile frames").isEmpty();
    assertThat(target.get(victim).await().value()).as("victim key").isZero();
    assertThat(target.get(base).await()).isEqualTo(baseBefore);

    // Still serving: a peer's write replicates to it.
    peer.update(alive, PNCounter.incrementBy(1)).await();
    ConvergenceProbe.await(cluster.nodes(), List.of(alive, base));
    return replies;
  }

  /* ------------------------------------------------------------------ before the handshake */

  @Test
  void aValidHelloIsAcceptedSoTheHandBuiltLayoutIsRight() throws IOException {
    // Control for every case below: a well-formed Hello is answered HelloOk and the link stays
    // open; a Heartbeat after it is accepted.
    try (Socket socket = new Socket("127.0.0.1", target.port())) {
      socket.setSoTimeout((int) TestCluster.CONVERGENCE_DEADLINE.toMillis());
      socket
          .getOutputStream()
          .write(concat(validHello(), frame(HEARTBEAT, out -> out.writeLong(1))));
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] body = new byte[in.readInt()];
      in.readFully(body);
      assertThat(body[0]).as("HelloOk").isEqualTo(HELLO_OK);
    }
    assertThat(changes).isEmpty();
  }

  @Test
  void textGarbageIsRefused() throws IOException {
    assertRefused("GET / HTTP/1.1\r\nHost: converge\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void randomGarbageIsRefused() throws IOException {
    long seed = Seeds.seed(0xBADL);
    byte[] garbage = new byte[512];
    new Random(seed).nextBytes(garbage);
    garbage[0] |= (byte) 0x80; // a negative length, so the node cannot wait for more bytes
    Seeds.run(seed, () -> assertRefused(garbage));
  }

  @Test
  void aFrameLengthOf2Pow31Minus1IsRefusedBeforeItIsBuffered() throws IOException {
    assertRefused(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, HELLO, 0, 0, 0});
  }

  @Test
  void aZeroFrameLengthIsRefused() throws IOException {
    assertRefused(new byte[] {0, 0, 0, 0});
  }

  @Test
  void anUnknownFrameTypeIsRefused() throws IOException {
    assertRefused(frame(99, out -> out.writeLong(7)));
  }

  @Test
  void aHelloWithAnOversizedStringIsRefused() throws IOException {
    assertRefused(frame(HELLO, out -> out.writeInt(Integer.MAX_VALUE)));
  }

  @Test
  void aHelloForAnotherClusterIsRejectedWithTheReason() throws IOException {
    List<byte[]> replies =
        assertRefused(hello("another-cluster", PROTOCOL_VERSION, "stranger"), HELLO_REJECT);
    assertThat(reason(replies.get(0))).contains("cluster").contains("another-cluster");
  }

  @Test
  void aHelloOfAnotherProtocolVersionIsRejectedWithTheReason() throws IOException {
    List<byte[]> replies =
        assertRefused(hello(SyncOptions.DEFAULT_CLUSTER_NAME, 99, "future"), HELLO_REJECT);
    assertThat(reason(replies.get(0))).contains("protocol version");
  }

  @Test
  void aFrameBeforeTheHelloIsRejected() throws IOException {
    List<byte[]> replies = assertRefused(frame(HEARTBEAT, out -> out.writeLong(1)), HELLO_REJECT);
    assertThat(reason(replies.get(0))).contains("Hello");
  }

  @Test
  void aWellFormedDeltasFrameBeforeTheHelloIsRejectedAndNotApplied() throws IOException {
    List<Object[]> states = new ArrayList<>();
    states.add(new Object[] {victim.name(), validState()});
    assertRefused(deltas(states), HELLO_REJECT);
  }

  /* ------------------------------------------------------------------ after the handshake */

  @Test
  void anUnknownFrameTypeAfterTheHelloClosesTheConnection() throws IOException {
    assertRefused(concat(validHello(), frame(99, out -> out.writeLong(7))), HELLO_OK);
  }

  @Test
  void aSecondHelloClosesTheConnection() throws IOException {
    assertRefused(concat(validHello(), validHello()), HELLO_OK);
  }

  @Test
  void aTruncatedDeltasFrameClosesTheConnection() throws IOException {
    byte[] truncated =
        frame(
            DELTAS,
            out -> {
              out.writeLong(42);
              out.writeLong(1); // `to` and the entries are missing
            });
    assertRefused(concat(validHello(), truncated), HELLO_OK);
  }

  @Test
  void aDeltasFrameClaimingMoreEntriesThanItHoldsClosesTheConnection() throws IOException {
    byte[] lying =
        frame(
            DELTAS,
            out -> {
              out.writeLong(42);
              out.writeLong(1);
              out.writeLong(1);
              out.writeInt(1_000_000);
            });
    assertRefused(concat(validHello(), lying), HELLO_OK);
  }

  @Test
  void aDeltasFrameWhoseStateIsNotSmileClosesTheConnection() throws IOException {
    List<Object[]> states = new ArrayList<>();
    states.add(
        new Object[] {
          victim.name(), "{\"type\":\"pncounter\"} not smile".getBytes(StandardCharsets.UTF_8)
        });
    assertRefused(concat(validHello(), deltas(states)), HELLO_OK);
  }

  @Test
  void aDeltasFrameWithATruncatedSmileStateClosesTheConnection() throws IOException {
    byte[] valid = validState();
    List<Object[]> states = new ArrayList<>();
    states.add(new Object[] {victim.name(), java.util.Arrays.copyOf(valid, valid.length / 2)});
    assertRefused(concat(validHello(), deltas(states)), HELLO_OK);
  }

  /**
   * A frame is refused as a whole: a valid delta that precedes an undecodable one in the same frame
   * must not be applied either (the frame is never acknowledged, and the connection that carried it
   * is closed as hostile).
   */
  @Test
  void aDeltasFrameWithOneBadStateAppliesNoneOfIt() throws IOException {
    List<Object[]> states = new ArrayList<>();
    states.add(new Object[] {victim.name(), validState()});
    states.add(new Object[] {victim.name() + "-b", new byte[] {1, 2, 3}});
    assertRefused(concat(validHello(), deltas(states)), HELLO_OK);
  }

  /** A key name the API would refuse (a control character) is a protocol violation too. */
  @Test
  void aDeltasFrameWithAnInvalidKeyNameClosesTheConnection() throws IOException {
    List<Object[]> states = new ArrayList<>();
    states.add(new Object[] {victim.name() + "\u0001", validState()});
    assertRefused(concat(validHello(), deltas(states)), HELLO_OK);
  }
}
