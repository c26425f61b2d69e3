package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Key;
import dev.converge.crdt.PNCounter;
import dev.converge.sync.LoopbackDnsServer.Srv;
import io.netty.handler.codec.dns.DnsRecordType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Seed discovery from DNS with real nodes on loopback and a real DNS server ({@link
 * LoopbackDnsServer}) that the test controls: a node with no static seeds joins through A or SRV
 * records, joins later when the records change, and starts and joins its static seeds when DNS is
 * down. Every wait polls for a behaviour up to {@link TestCluster#CONVERGENCE_DEADLINE}.
 */
class DnsDiscoveryTest {

  private static final String NAME = "converge.ns.svc.cluster.test";
  private static final String SRV_NAME = "_gossip._tcp." + NAME;
  private static final Key<PNCounter> LIKES = Key.pnCounter("post:dns:likes");

  private LoopbackDnsServer dns;
  private final List<Vertx> vertxes = new ArrayList<>();
  private final List<Replicator> nodes = new ArrayList<>();

  @BeforeEach
  void startDns() {
    dns = LoopbackDnsServer.start();
  }

  @AfterEach
  void stopAll() {
    List<Future<Void>> closing = new ArrayList<>();
    nodes.forEach(n -> closing.add(n.close()));
    Future.join(closing).await();
    vertxes.forEach(v -> v.close().await());
    dns.close();
  }

  /** Starts a node on a Vert.x instance of its own, with exactly the seeds {@code options} has. */
  private Replicator start(SyncOptions options) {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    Replicator node = Replicator.create(vertx, options);
    nodes.add(node);
    node.start().await();
    return node;
  }

  private SyncOptions dnsSeeded(String nodeId, String seedDns) {
    return SyncOptions.localTest()
        .setNodeId(nodeId)
        .setSeedDns(seedDns)
        .setDnsServers(List.of(dns.address()));
  }

  @Test
  void aNodeWithoutStaticSeedsJoinsThroughARecords() {
    try (TestCluster cluster = TestCluster.start(2)) {
      dns.a(NAME, "127.0.0.1");
      Replicator joiner =
          start(dnsSeeded("dns-joiner", NAME).setSeedDnsPort(cluster.node(0).port()));

      awaitReachable(joiner, "n0", "n1");
      awaitReachable(cluster.node(0), "n1", "dns-joiner");
      awaitReachable(cluster.node(1), "n0", "dns-joiner");
      writeOnEachAndAwaitTheSum(List.of(cluster.node(0), cluster.node(1), joiner));
    }
  }

  @Test
  void aNodeJoinsEveryNodeThatSrvRecordsName() {
    // Two nodes that know nothing of each other: only the SRV records name them both.
    Replicator a = start(SyncOptions.localTest().setNodeId("a"));
    Replicator b = start(SyncOptions.localTest().setNodeId("b"));
    dns.srv(SRV_NAME, new Srv(0, 50, a.port(), "a." + NAME), new Srv(0, 50, b.port(), "b." + NAME))
        .a("a." + NAME, "127.0.0.1")
        .a("b." + NAME, "127.0.0.1");
    Replicator joiner = start(dnsSeeded("dns-joiner", "srv:" + SRV_NAME));

    awaitReachable(joiner, "a", "b");
    // a and b meet through the member lists the joiner gossips.
    awaitReachable(a, "b", "dns-joiner");
    awaitReachable(b, "a", "dns-joiner");
    writeOnEachAndAwaitTheSum(List.of(a, b, joiner));
  }

  @Test
  void aNodeJoinsOnceTheRecordsNameALiveNode() {
    Replicator live = start(SyncOptions.localTest().setNodeId("live"));
    String later = "later." + NAME;
    Replicator joiner =
        start(
            dnsSeeded("dns-joiner", later)
                .setSeedDnsPort(live.port())
                .setSeedDnsIntervalMillis(SyncOptions.MIN_SEED_DNS_INTERVAL_MILLIS));

    // NXDOMAIN: looked up again and again, nothing to join.
    awaitLookups(later, 2);
    assertThat(joiner.members()).isEmpty();

    // An address where nothing listens (the live node binds 127.0.0.1 only).
    dns.a(later, "127.0.0.2");
    awaitLookups(later, 2);
    assertThat(joiner.members()).isEmpty();
    assertThat(live.members()).isEmpty();

    dns.a(later, "127.0.0.2", "127.0.0.1");
    awaitReachable(joiner, "live");
    awaitReachable(live, "dns-joiner");
    writeOnEachAndAwaitTheSum(List.of(live, joiner));
  }

  @Test
  void aNodeWhoseDnsServerIsDownStartsAndJoinsItsStaticSeeds() throws SocketException {
    Replicator seed = start(SyncOptions.localTest().setNodeId("seed"));
    Replicator joiner =
        start(
            SyncOptions.localTest()
                .setNodeId("dns-down")
                .setSeeds(List.of("127.0.0.1:" + seed.port()))
                .setSeedDns(NAME)
                .setDnsServers(List.of(deadServer()))
                .setSeedDnsIntervalMillis(SyncOptions.MIN_SEED_DNS_INTERVAL_MILLIS));
    awaitReachable(joiner, "seed");
    awaitReachable(seed, "dns-down");
    writeOnEachAndAwaitTheSum(List.of(seed, joiner));
    joiner.close().await(); // with a DNS query still unanswered: closes all the same
  }

  @Test
  void aNameThatDoesNotExistLeavesTheStaticSeeds() {
    Replicator seed = start(SyncOptions.localTest().setNodeId("seed"));
    Replicator joiner =
        start(
            dnsSeeded("nxdomain", "srv:_gossip._tcp.absent." + NAME)
                .setSeeds(List.of("127.0.0.1:" + seed.port()))
                .setSeedDnsIntervalMillis(SyncOptions.MIN_SEED_DNS_INTERVAL_MILLIS));
    awaitReachable(joiner, "seed");
    int asked = dns.queries("_gossip._tcp.absent." + NAME, DnsRecordType.SRV);
    awaitCount(() -> dns.queries("_gossip._tcp.absent." + NAME, DnsRecordType.SRV), asked + 2);
    assertThat(names(joiner)).containsExactly("seed");
  }

  @Test
  void contradictoryDnsOptionsFailTheStartNotTheCaller() {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    Replicator node =
        Replicator.create(
            vertx,
            SyncOptions.localTest()
                .setNodeId("bad")
                .setSeedDns("srv:" + SRV_NAME)
                .setSeedDnsPort(7001));
    nodes.add(node);
    Throwable failure = node.start().transform(ar -> Future.succeededFuture(ar.cause())).await();
    assertThat(failure)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("seedDnsPort applies to an A/AAAA name only");
  }

  /** The options shown in README.md's "Discovery through DNS": they must stay valid. */
  @Test
  void theReadmeExampleIsValid() {
    SyncOptions options =
        SyncOptions.lan()
            .setNodeId("converge-0")
            .setSeedDns("srv:_gossip._tcp.converge.default.svc.cluster.local") // SRV: host + port
            // or .setSeedDns("converge.default.svc.cluster.local") with .setSeedDnsPort(7001)
            .setSeedDnsIntervalMillis(10_000); // looked up again every 10 s (the default)
    options.validate();
    assertThat(options.getDnsServers()).isEmpty(); // the system's name server
  }

  /* ------------------------------------------------------------------ helpers */

  /** Every node writes to one counter; all of them must reach the sum, both ways. */
  private static void writeOnEachAndAwaitTheSum(List<Replicator> group) {
    for (int i = 0; i < group.size(); i++) {
      group.get(i).update(LIKES, PNCounter.incrementBy(i + 1)).await();
    }
    ConvergenceProbe.await(group, List.of(LIKES));
    long sum = group.size() * (group.size() + 1L) / 2;
    for (Replicator node : group) {
      assertThat(node.get(LIKES).await().value()).isEqualTo(sum);
    }
  }

  private static Set<String> names(Replicator node) {
    Set<String> names = new TreeSet<>();
    node.members().forEach(m -> names.add(m.nodeId()));
    return names;
  }

  private static void awaitReachable(Replicator node, String... peers) {
    long deadline = System.nanoTime() + TestCluster.CONVERGENCE_DEADLINE.toNanos();
    while (true) {
      Set<String> reachable = new TreeSet<>();
      node.members().stream()
          .filter(ClusterMember::reachable)
          .forEach(m -> reachable.add(m.nodeId()));
      if (reachable.containsAll(List.of(peers))) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            node.identity().nodeId() + " does not reach " + List.of(peers) + ": " + node.members());
      }
      TestCluster.sleep(20);
    }
  }

  /**
   * Waits for {@code more} further A lookups of {@code name}: they were answered since the call.
   */
  private void awaitLookups(String name, int more) {
    int before = dns.queries(name, DnsRecordType.A);
    awaitCount(() -> dns.queries(name, DnsRecordType.A), before + more);
  }

  private static void awaitCount(IntSupplier count, int atLeast) {
    long deadline = System.nanoTime() + TestCluster.CONVERGENCE_DEADLINE.toNanos();
    while (count.getAsInt() < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + count.getAsInt() + " lookups, expected " + atLeast);
      }
      TestCluster.sleep(20);
    }
  }

  /** The address of a UDP port on loopback where nothing answers. */
  private static String deadServer() throws SocketException {
    try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return "127.0.0.1:" + probe.getLocalPort();
    }
  }
}
