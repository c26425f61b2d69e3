package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.sync.LoopbackDnsServer;
import dev.converge.sync.LoopbackDnsServer.Srv;
import dev.converge.sync.PeerAddress;
import dev.converge.sync.SyncOptions;
import io.netty.handler.codec.dns.DnsRecordType;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SeedDiscovery} against a real DNS server on loopback: what each kind of name resolves to,
 * that DNS failures yield the static seeds and one warning (not one per interval), that servers are
 * tried in order, and that {@code dialNew} hands out each address once.
 */
class DnsSeedDiscoveryTest {

  private static final int OWN_PORT = 7005;

  private Vertx vertx;
  private Context context;
  private LoopbackDnsServer dns;
  private final RecordingLogger log = new RecordingLogger();
  private final List<SeedDiscovery> discoveries = new ArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    dns = LoopbackDnsServer.start();
  }

  @AfterEach
  void stop() {
    onContext(
        () -> {
          discoveries.forEach(SeedDiscovery::close);
          return Future.succeededFuture();
        });
    dns.close();
    vertx.close().await();
  }

  private SyncOptions options(String seedDns) {
    return SyncOptions.localTest()
        .setNodeId("me")
        .setSeeds(List.of("10.9.9.9:7001"))
        .setSeedDns(seedDns)
        .setDnsServers(List.of(dns.address()));
  }

  private SeedDiscovery discovery(SyncOptions options) {
    SeedDiscovery d =
        onContext(() -> Future.succeededFuture(new SeedDiscovery(vertx, options, OWN_PORT, log)));
    discoveries.add(d);
    return d;
  }

  private Set<PeerAddress> resolve(SeedDiscovery d) {
    return onContext(d::resolve);
  }

  /**
   * Runs {@code body} on the discovery's context, as the replicator does, and awaits its future.
   */
  private <T> T onContext(Callable<Future<T>> body) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(
        v -> {
          try {
            body.call().onComplete(promise);
          } catch (Exception e) {
            promise.fail(e);
          }
        });
    return promise.future().await();
  }

  private static PeerAddress at(String host, int port) {
    return new PeerAddress(host, port);
  }

  @Test
  void aPlainNameGivesItsAAndAaaaAddressesWithThisNodesPortAndTheStaticSeeds() {
    dns.a("seeds.converge.test", "127.0.0.1", "127.0.0.2").aaaa("seeds.converge.test", "::1");
    Set<PeerAddress> found = resolve(discovery(options("seeds.converge.test")));
    assertThat(found)
        .containsExactlyInAnyOrder(
            at("10.9.9.9", 7001),
            at("127.0.0.1", OWN_PORT),
            at("127.0.0.2", OWN_PORT),
            at("0:0:0:0:0:0:0:1", OWN_PORT));
    assertThat(log.at("WARNING")).isEmpty();
  }

  @Test
  void theSeedDnsPortOverridesThisNodesPortAndATrailingDotIsAccepted() {
    dns.a("seeds.converge.test", "127.0.0.1");
    Set<PeerAddress> found =
        resolve(discovery(options("seeds.converge.test.").setSeedDnsPort(7777)));
    assertThat(found).containsExactlyInAnyOrder(at("10.9.9.9", 7001), at("127.0.0.1", 7777));
  }

  @Test
  void anSrvNameGivesEachTargetsAddressesWithTheRecordsPort() {
    dns.srv(
            "_converge._tcp.svc.converge.test",
            new Srv(0, 10, 7101, "n1.svc.converge.test"),
            new Srv(0, 10, 7102, "n2.svc.converge.test"),
            new Srv(0, 0, 7103, "127.0.0.3")) // a target that is an address already
        .a("n1.svc.converge.test", "127.0.0.1")
        .a("n2.svc.converge.test", "127.0.0.2")
        .aaaa("n2.svc.converge.test", "::1");
    Set<PeerAddress> found = resolve(discovery(options("srv:_converge._tcp.svc.converge.test")));
    assertThat(found)
        .containsExactlyInAnyOrder(
            at("10.9.9.9", 7001),
            at("127.0.0.1", 7101),
            at("127.0.0.2", 7102),
            at("0:0:0:0:0:0:0:1", 7102),
            at("127.0.0.3", 7103));
    assertThat(dns.queries("n1.svc.converge.test", DnsRecordType.A)).isEqualTo(1);
    assertThat(log.at("WARNING")).isEmpty();
  }

  @Test
  void anSrvTargetThatDoesNotResolveIsWarnedAboutAndTheOthersAreUsed() {
    dns.srv(
            "_converge._tcp.svc.converge.test",
            new Srv(0, 10, 7101, "n1.svc.converge.test"),
            new Srv(0, 10, 7102, "gone.svc.converge.test"))
        .a("n1.svc.converge.test", "127.0.0.1");
    Set<PeerAddress> found = resolve(discovery(options("srv:_converge._tcp.svc.converge.test")));
    assertThat(found).containsExactlyInAnyOrder(at("10.9.9.9", 7001), at("127.0.0.1", 7101));
    assertThat(log.at("WARNING"))
        .singleElement()
        .asString()
        .contains("gone.svc.converge.test", "NXDOMAIN");
  }

  @Test
  void noSuchNameYieldsTheStaticSeedsAndOneWarningUntilTheFailureChanges() {
    SeedDiscovery d = discovery(options("missing.converge.test"));
    for (int i = 0; i < 5; i++) {
      assertThat(resolve(d)).containsExactly(at("10.9.9.9", 7001));
    }
    assertThat(log.at("WARNING"))
        .as("the same failure five times: one warning")
        .singleElement()
        .asString()
        .contains("missing.converge.test", "NXDOMAIN", "1 static seeds");
    assertThat(log.at("DEBUG")).filteredOn(l -> l.contains("still fails")).hasSize(4);

    dns.a("missing.converge.test", "127.0.0.1");
    assertThat(resolve(d)).contains(at("127.0.0.1", OWN_PORT));
    assertThat(log.at("INFO"))
        .singleElement()
        .asString()
        .contains("resolves again", "after 5 failed lookups");

    dns.a("missing.converge.test"); // known, but no address any more
    assertThat(resolve(d)).containsExactly(at("10.9.9.9", 7001));
    assertThat(resolve(d)).containsExactly(at("10.9.9.9", 7001));
    assertThat(log.at("WARNING"))
        .as("a new failure after a success warns again, once")
        .hasSize(2)
        .last()
        .asString()
        .contains("no A or AAAA records for missing.converge.test");
  }

  @Test
  void aDeadServerIsFollowedByTheNextAndAloneYieldsTheStaticSeeds() throws SocketException {
    dns.a("seeds.converge.test", "127.0.0.1");
    String dead = deadServer();
    Set<PeerAddress> found =
        resolve(
            discovery(options("seeds.converge.test").setDnsServers(List.of(dead, dns.address()))));
    assertThat(found).containsExactlyInAnyOrder(at("10.9.9.9", 7001), at("127.0.0.1", OWN_PORT));
    assertThat(log.at("WARNING")).isEmpty();

    SeedDiscovery alone = discovery(options("seeds.converge.test").setDnsServers(List.of(dead)));
    assertThat(resolve(alone)).containsExactly(at("10.9.9.9", 7001));
    assertThat(resolve(alone)).containsExactly(at("10.9.9.9", 7001));
    assertThat(log.at("WARNING")).singleElement().asString().contains("seeds.converge.test");
  }

  @Test
  void dialNewHandsOutEachAddressOnceStaticSeedsFirst() {
    dns.a("seeds.converge.test", "127.0.0.1");
    SeedDiscovery d = discovery(options("seeds.converge.test"));
    List<PeerAddress> dialled = new CopyOnWriteArrayList<>();
    dialNew(d, dialled);
    assertThat(dialled).containsExactly(at("10.9.9.9", 7001), at("127.0.0.1", OWN_PORT));

    dialNew(d, dialled);
    assertThat(dialled).as("nothing new").hasSize(2);

    dns.a("seeds.converge.test", "127.0.0.1", "127.0.0.2");
    dialNew(d, dialled);
    assertThat(dialled).hasSize(3).last().isEqualTo(at("127.0.0.2", OWN_PORT));
  }

  @Test
  void withoutADnsNameTheStaticSeedsAreAllAndNothingIsAsked() {
    SeedDiscovery d = discovery(options(null).setDnsServers(List.of()));
    assertThat(resolve(d)).containsExactly(at("10.9.9.9", 7001));
    List<PeerAddress> dialled = new ArrayList<>();
    dialNew(d, dialled);
    dialNew(d, dialled);
    assertThat(dialled).containsExactly(at("10.9.9.9", 7001));
  }

  @Test
  void closingDuringALookupLogsNothingAndDialsNothing() throws SocketException {
    SeedDiscovery d =
        discovery(options("seeds.converge.test").setDnsServers(List.of(deadServer())));
    List<PeerAddress> dialled = new CopyOnWriteArrayList<>();
    LogWatch watch = LogWatch.install(); // Vert.x and Netty log through java.util.logging
    try {
      Future<Void> dialling =
          onContext(
              () -> {
                // The static seed now, then a lookup that cannot finish before close().
                Future<Void> lookup = d.dialNew(dialled::add);
                d.close();
                return Future.succeededFuture(lookup);
              });
      dialling.await(); // the query times out: then the DNS client is closed
      assertThat(resolve(d)).containsExactly(at("10.9.9.9", 7001));
      assertThat(dialled).containsExactly(at("10.9.9.9", 7001));
      assertThat(log.at("WARNING")).isEmpty();
      watch.assertQuiet();
    } finally {
      watch.uninstall();
    }
  }

  private void dialNew(SeedDiscovery d, List<PeerAddress> dialled) {
    onContext(() -> d.dialNew(dialled::add));
  }

  /** The address of a UDP port on loopback where nothing answers. */
  private static String deadServer() throws SocketException {
    try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return "127.0.0.1:" + probe.getLocalPort();
    }
  }

  /** A {@link System.Logger} that keeps every line, formatted, as "LEVEL text". */
  static final class RecordingLogger implements System.Logger {
    private final List<String> lines = new CopyOnWriteArrayList<>();

    List<String> at(String level) {
      return lines.stream()
          .filter(l -> l.startsWith(level + " "))
          .map(l -> l.substring(level.length() + 1))
          .toList();
    }

    @Override
    public String getName() {
      return "recording";
    }

    @Override
    public boolean isLoggable(Level level) {
      return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
      lines.add(level.getName() + " " + msg);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
      lines.add(level.getName() + " " + MessageFormat.format(format, params));
    }
  }
}
