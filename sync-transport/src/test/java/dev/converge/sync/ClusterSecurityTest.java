package dev.converge.sync;

import static dev.converge.sync.RawFrames.HELLO_CHALLENGE;
import static dev.converge.sync.RawFrames.HELLO_REJECT;
import static dev.converge.sync.RawFrames.PROTOCOL_VERSION;
import static dev.converge.sync.RawFrames.concat;
import static dev.converge.sync.RawFrames.deltas;
import static dev.converge.sync.RawFrames.hello;
import static dev.converge.sync.RawFrames.helloAuth;
import static dev.converge.sync.RawFrames.reason;
import static dev.converge.sync.RawFrames.sendUntilClosed;
import static dev.converge.sync.RawFrames.types;
import static dev.converge.sync.RawFrames.validState;
import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.PNCounter;
import dev.converge.sync.TestCertificates.NodeFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster secret and TLS keep strangers out: a node without the secret (or with another one), a
 * plaintext caller at a TLS node, a caller without a trusted certificate under mutual TLS, and a
 * peer whose certificate names another host can neither join nor inject state, nor receive any.
 * Each refusal is shown next to its control (the same setup with the right credentials works).
 */
class ClusterSecurityTest {

  private static final String SECRET = "correct horse battery staple";
  private static final int CLOSE_DEADLINE_MILLIS = 15_000;

  private final Key<PNCounter> key = Key.pnCounter("likes");
  private final Key<PNCounter> strangerKey = Key.pnCounter("from-stranger");

  @TempDir Path tmp;

  /* ------------------------------------------------------------------ cluster secret */

  @Test
  void nodesWithTheSameSecretFormAClusterAndReplicate() {
    try (TestCluster cluster = TestCluster.start(3, o -> o.setClusterSecret(SECRET))) {
      cluster.awaitMembership();
      cluster.node(2).update(key, PNCounter.incrementBy(5)).await();
      cluster.awaitConvergence(List.of(key));
      assertThat(cluster.node(0).get(key).await().value()).isEqualTo(5);
      assertThat(cluster.node(0).metrics().authFailures()).isZero();
    }
  }

  @Test
  void aNodeWithAnotherSecretCanNeitherJoinNorInjectNorReceiveState() {
    assertStrangerKeptOut(o -> o.setClusterSecret(SECRET), o -> o.setClusterSecret(SECRET + "!"));
  }

  @Test
  void aNodeWithoutTheSecretCanNeitherJoinNorInjectNorReceiveState() {
    assertStrangerKeptOut(o -> o.setClusterSecret(SECRET), o -> o.setClusterSecret(null));
  }

  /**
   * The other way round: a node with a secret neither sends its state to a peer that cannot prove
   * the secret nor accepts state from it. (A cluster without a secret admits anyone as a member:
   * that is what running without one means.)
   */
  @Test
  void aNodeWithASecretRefusesAPeerThatCannotProveIt() {
    assertStrangerKeptOut(o -> o.setClusterSecret(null), o -> o.setClusterSecret(SECRET), true);
  }

  @Test
  void aForgedProofIsRejectedAndTheFramesAfterItAreNotApplied() throws IOException {
    try (TestCluster cluster = TestCluster.start(1, o -> o.setClusterSecret(SECRET))) {
      Replicator node = cluster.node(0);
      byte[] attack =
          concat(
              hello(SyncOptions.DEFAULT_CLUSTER_NAME, PROTOCOL_VERSION, "forger"),
              helloAuth(new byte[32]),
              strangerDeltas());
      List<byte[]> replies = sendUntilClosed(node.port(), attack, CLOSE_DEADLINE_MILLIS);
      assertThat(types(replies)).containsExactly(HELLO_CHALLENGE, HELLO_REJECT);
      assertThat(reason(replies.get(1))).isEqualTo("wrong cluster secret");
      assertThat(node.metrics().authFailures()).isEqualTo(1);
      assertThat(node.get(strangerKey).await().value()).isZero();
      assertThat(memberIds(node)).doesNotContain("forger");
    }
  }

  @Test
  void framesSentInsteadOfTheProofAreRejectedAndNotApplied() throws IOException {
    try (TestCluster cluster = TestCluster.start(1, o -> o.setClusterSecret(SECRET))) {
      Replicator node = cluster.node(0);
      byte[] attack =
          concat(
              hello(SyncOptions.DEFAULT_CLUSTER_NAME, PROTOCOL_VERSION, "skipper"),
              strangerDeltas());
      List<byte[]> replies = sendUntilClosed(node.port(), attack, CLOSE_DEADLINE_MILLIS);
      assertThat(types(replies)).containsExactly(HELLO_CHALLENGE, HELLO_REJECT);
      assertThat(reason(replies.get(1))).contains("expected HelloAuth");
      assertThat(node.get(strangerKey).await().value()).isZero();
      assertThat(memberIds(node)).doesNotContain("skipper");
    }
  }

  /* ------------------------------------------------------------------ TLS */

  @Test
  void nodesWithCertificatesFromTheClusterAuthorityReplicateOverMutualTls() throws IOException {
    TestCertificates ca = TestCertificates.authority(tmp, "cluster");
    NodeFiles files = ca.node("node", "ip:127.0.0.1");
    try (TestCluster cluster = TestCluster.start(3, o -> mutualTls(o, files))) {
      cluster.awaitMembership();
      cluster.node(1).update(key, PNCounter.incrementBy(2)).await();
      cluster.awaitConvergence(List.of(key));
      assertThat(cluster.node(2).get(key).await().value()).isEqualTo(2);
    }
  }

  @Test
  void aPlaintextCallerAtATlsNodeIsRefused() throws IOException {
    TestCertificates ca = TestCertificates.authority(tmp, "cluster");
    NodeFiles files = ca.node("node", "ip:127.0.0.1");
    try (TestCluster cluster = TestCluster.start(1, o -> mutualTls(o, files))) {
      Replicator node = cluster.node(0);
      byte[] plaintext =
          concat(
              hello(SyncOptions.DEFAULT_CLUSTER_NAME, PROTOCOL_VERSION, "plain"), strangerDeltas());
      List<byte[]> replies = sendUntilClosed(node.port(), plaintext, CLOSE_DEADLINE_MILLIS);
      assertThat(replies).as("no gossip frame answers a plaintext caller").isEmpty();
      assertThat(node.get(strangerKey).await().value()).isZero();
      assertThat(memberIds(node)).doesNotContain("plain");
    }
    // A whole plaintext node fares no better.
    assertStrangerKeptOut(o -> mutualTls(o, files), UnaryOperator.identity());
  }

  @Test
  void underMutualTlsANodeWithACertificateFromAnotherAuthorityIsRefused() throws IOException {
    NodeFiles good = TestCertificates.authority(tmp, "cluster").node("node", "ip:127.0.0.1");
    NodeFiles rogue = TestCertificates.authority(tmp, "rogue").node("rogue", "ip:127.0.0.1");
    // The rogue trusts the cluster's authority, so only the cluster's check of its certificate
    // can keep it out.
    NodeFiles rogueTrustingCluster = new NodeFiles(rogue.cert(), rogue.key(), good.ca());
    assertStrangerKeptOut(o -> mutualTls(o, good), o -> mutualTls(o, rogueTrustingCluster));
  }

  @Test
  void aPeerWhoseCertificateNamesAnotherHostExchangesNoState() throws IOException {
    TestCertificates ca = TestCertificates.authority(tmp, "cluster");
    NodeFiles good = ca.node("node", "ip:127.0.0.1");
    NodeFiles elsewhere = ca.node("elsewhere", "dns:elsewhere.example");
    // The stranger can dial in (its own check of node 0 passes, and without client
    // authentication node 0 does not check it back), so node 0 may list it; but node 0 never
    // completes a link to it, because its certificate does not name 127.0.0.1: no state is sent
    // to it, and without node 0's heartbeats the stranger never deems node 0 reachable either.
    assertStrangerKeptOut(o -> tls(o, good), o -> tls(o, elsewhere), true);
    // Control: without hostname verification the same certificates form a cluster.
    try (TestCluster cluster =
        TestCluster.start(1, o -> tls(o, good).setTlsHostnameVerification(false))) {
      int other =
          cluster.add(
              tls(SyncOptions.localTest().setNodeId("other"), elsewhere)
                  .setTlsHostnameVerification(false));
      cluster.node(0).update(key, PNCounter.incrementBy(9)).await();
      ConvergenceProbe.await(cluster.nodes(), List.of(key));
      assertThat(cluster.node(other).get(key).await().value()).isEqualTo(9);
    }
  }

  /** The README's security snippet, verbatim between the markers; keep both in sync. */
  @Test
  void readmeSecuritySnippetSetsEveryOption() {
    String secret = SECRET;
    SyncOptions options =
        // README-BEGIN
        SyncOptions.lan()
            .setClusterSecret(secret) // 16+ characters, the same on every node
            .setTlsCertPath(Path.of("node.pem")) // TLS on every link...
            .setTlsKeyPath(Path.of("node.key"))
            .setTlsTrustPath(Path.of("ca.pem")) // ...to peers whose certificate it signed
            .setTlsClientAuth(true); // mutual: callers must present one too
    // README-END
    options.setNodeId("n1").validate();
    assertThat(options.getClusterSecret()).isEqualTo(SECRET);
    assertThat(options.isTlsEnabled()).isTrue();
    assertThat(options.isTlsClientAuth()).isTrue();
    assertThat(options.isTlsHostnameVerification()).isTrue();
  }

  /* ------------------------------------------------------------------ helpers */

  /** A Deltas frame that would create {@link #strangerKey} if it were applied. */
  private byte[] strangerDeltas() {
    List<Object[]> states = new ArrayList<>();
    states.add(new Object[] {strangerKey.name(), validState()});
    return deltas(states);
  }

  private static SyncOptions tls(SyncOptions o, NodeFiles files) {
    return o.setTlsCertPath(files.cert()).setTlsKeyPath(files.key()).setTlsTrustPath(files.ca());
  }

  private static SyncOptions mutualTls(SyncOptions o, NodeFiles files) {
    return tls(o, files).setTlsClientAuth(true);
  }

  private static List<String> memberIds(Replicator node) {
    return node.members().stream().map(ClusterMember::nodeId).toList();
  }

  /**
   * Starts a two-node cluster configured by {@code member} and a third node, "stranger", seeded on
   * it and configured by {@code stranger}. Both sides write; then, once each side has tried to link
   * to the other, checks that no state crossed in either direction and that the stranger is not a
   * member of the cluster (unless {@code clusterAdmitsAnyone}), while the cluster itself still
   * replicates.
   */
  private void assertStrangerKeptOut(
      UnaryOperator<SyncOptions> member, UnaryOperator<SyncOptions> stranger) {
    assertStrangerKeptOut(member, stranger, false);
  }

  private void assertStrangerKeptOut(
      UnaryOperator<SyncOptions> member,
      UnaryOperator<SyncOptions> stranger,
      boolean clusterAdmitsAnyone) {
    try (TestCluster cluster = TestCluster.start(2, member)) {
      cluster.awaitMembership();
      int s = cluster.add(stranger.apply(SyncOptions.localTest().setNodeId("stranger")));
      Replicator intruder = cluster.node(s);
      cluster.node(0).update(key, PNCounter.incrementBy(3)).await();
      intruder.update(strangerKey, PNCounter.incrementBy(100)).await();
      // Give the stranger every chance: wait until it has dialled node 0 several times (its
      // reconnect back-off is at most 500 ms with localTest timers) and node 0 has run many
      // gossip and anti-entropy rounds.
      TestCluster.sleep(3_000);
      cluster.node(1).update(key, PNCounter.incrementBy(4)).await();
      ConvergenceProbe.await(cluster.nodes().subList(0, 2), List.of(key));

      for (int i = 0; i < 2; i++) {
        Replicator node = cluster.node(i);
        if (!clusterAdmitsAnyone) {
          assertThat(memberIds(node)).as("members of n" + i).doesNotContain("stranger");
        }
        assertThat(node.get(strangerKey).await().value())
            .as("the stranger's write on n" + i)
            .isZero();
        assertThat(node.get(key).await().value()).as("the cluster's own writes").isEqualTo(7);
      }
      assertThat(intruder.get(key).await().value())
          .as("the cluster's state on the stranger")
          .isZero();
      assertThat(memberIds(intruder)).as("members the stranger knows").doesNotContain("n1");
    }
  }
}
