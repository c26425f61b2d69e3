package dev.converge.sync;

import static dev.converge.sync.RawFrames.HELLO;
import static dev.converge.sync.RawFrames.HELLO_OK;
import static dev.converge.sync.RawFrames.HELLO_REJECT;
import static dev.converge.sync.RawFrames.PROTOCOL_VERSION;
import static dev.converge.sync.RawFrames.concat;
import static dev.converge.sync.RawFrames.frame;
import static dev.converge.sync.RawFrames.hello;
import static dev.converge.sync.RawFrames.reason;
import static dev.converge.sync.RawFrames.sendUntilClosed;
import static dev.converge.sync.RawFrames.str;
import static dev.converge.sync.RawFrames.types;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for a bug found by {@code FrameFuzzTest}: a blank host, in a Hello or in a
 * member gossiped by a peer, passed validation and then made {@link PeerAddress} throw. A Hello was
 * answered HelloOk before the exception closed the connection (with a stack trace in the log); a
 * Members frame was applied only up to the blank entry, and an exception logged at ERROR. A blank
 * host is now a malformed identity in a Hello, and a gossiped member with one is ignored like one
 * with a bad node id or port.
 */
class BlankPeerHostTest {

  private static final int CLOSE_DEADLINE_MILLIS = 15_000;
  private static final byte MEMBERS = 5;
  /* A frame length the node refuses: ends a connection that is otherwise in good standing. */
  private static final byte[] END = {-1, -1, -1, -1};

  @Test
  void aHelloWithABlankHostIsRejectedAsMalformed() throws IOException {
    try (TestCluster cluster = TestCluster.start(1)) {
      Replicator node = cluster.node(0);
      byte[] blankHost =
          frame(
              HELLO,
              out -> {
                str(out, SyncOptions.DEFAULT_CLUSTER_NAME);
                out.writeInt(PROTOCOL_VERSION);
                str(out, "blank");
                str(out, "x1");
                str(out, " "); // host
                out.writeInt(7001);
                out.writeLong(42);
                out.writeLong(1); // since
                out.writeInt(0);
                out.writeInt(32);
                out.write(new byte[32]);
              });
      List<byte[]> replies = sendUntilClosed(node.port(), blankHost, CLOSE_DEADLINE_MILLIS);
      assertThat(types(replies)).containsExactly(HELLO_REJECT);
      assertThat(reason(replies.get(0))).contains("malformed identity");
      assertThat(node.metrics().protocolErrors()).isEqualTo(1);
      assertThat(node.members()).extracting(ClusterMember::nodeId).doesNotContain("blank");
    }
  }

  @Test
  void aGossipedMemberWithABlankHostIsIgnoredAndTheRestOfTheFrameApplied() throws IOException {
    try (TestCluster cluster = TestCluster.start(1)) {
      Replicator node = cluster.node(0);
      byte[] members =
          frame(
              MEMBERS,
              out -> {
                out.writeInt(2);
                member(out, "ghost-blank", " ");
                member(out, "ghost-good", "127.0.0.1");
                out.writeInt(0); // prune records
              });
      byte[] bytes =
          concat(
              hello(SyncOptions.DEFAULT_CLUSTER_NAME, PROTOCOL_VERSION, "gossiper"), members, END);
      List<byte[]> replies = sendUntilClosed(node.port(), bytes, CLOSE_DEADLINE_MILLIS);
      assertThat(types(replies)).containsExactly(HELLO_OK);
      assertThat(node.members())
          .extracting(ClusterMember::nodeId)
          .contains("gossiper", "ghost-good")
          .doesNotContain("ghost-blank");
    }
  }

  private static void member(java.io.DataOutputStream out, String nodeId, String host)
      throws IOException {
    str(out, nodeId);
    str(out, "i1");
    out.writeByte(1); // status UP
    out.writeLong(1); // since
    str(out, host);
    out.writeInt(1); // port: nothing listens there
    out.writeInt(0); // metadata entries
    out.writeLong(0); // prune epoch
  }
}
