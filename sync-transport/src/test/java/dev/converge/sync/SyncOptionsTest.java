package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.crdt.codec.CodecLimits;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.crdt.codec.TypeRegistry;
import dev.converge.store.Durability;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class SyncOptionsTest {

  /** Options with every field away from its default. */
  private static SyncOptions nonDefault() {
    return new SyncOptions()
        .setNodeId("node-7.a_b")
        .setHost("10.1.2.3")
        .setAdvertisedHost("gossip.example.org")
        .setPort(7123)
        .setSeeds(List.of("10.1.2.4:7001", "seed.example.org:7002"))
        .setSeedDns("converge.prod.svc.cluster.local")
        .setSeedDnsPort(7002)
        .setSeedDnsIntervalMillis(2_500)
        .setDnsServers(List.of("10.96.0.10:53", "[fd00::a]:5353"))
        .setClusterName("prod-eu.1")
        .setDataDir(Path.of("data", "n7"))
        .setDurability(Durability.EVERY_WRITE)
        .setCacheMaxEntries(1234)
        .setGossipIntervalMillis(77)
        .setAntiEntropyIntervalMillis(1777)
        .setHeartbeatIntervalMillis(111)
        .setPhiThreshold(9.5)
        .setAcceptablePauseMillis(3333)
        .setMaxFrameBytes(65_536)
        .setMaxValueBytes(1 << 20)
        .setGossipFanout(3)
        .setDeltaBufferMaxEntries(4242)
        .setAntiEntropyMaxBuckets(17)
        .setReconnectMinMillis(55)
        .setReconnectMaxMillis(9999)
        .setLeaveTimeoutMillis(3_333)
        .setAutoRemoveUnreachableAfterMillis(60_000)
        .setMinQuorumSize(3)
        .setPruneLeftAfterMillis(60_000)
        .setMetadata(Map.of("http", "http://10.1.2.3:8080", "zone", "eu-1a"))
        .setClusterSecret("0123456789abcdef-secret")
        .setTlsCertPath(Path.of("tls", "node.pem"))
        .setTlsKeyPath(Path.of("tls", "node.key"))
        .setTlsTrustPath(Path.of("tls", "ca.pem"))
        .setTlsClientAuth(true)
        .setTlsHostnameVerification(false)
        .setCodec(new CrdtCodec(TypeRegistry.builtins(), CodecLimits.defaults()));
  }

  /** Every instance field of {@code o}, by name. */
  private static Map<String, Object> fields(SyncOptions o) {
    Map<String, Object> values = new HashMap<>();
    for (Field f : SyncOptions.class.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers())) {
        continue;
      }
      f.setAccessible(true);
      try {
        values.put(f.getName(), f.get(o));
      } catch (IllegalAccessException e) {
        throw new AssertionError(e);
      }
    }
    return values;
  }

  private static Map<String, Object> fieldsBut(SyncOptions o, String excluded) {
    Map<String, Object> values = fields(o);
    values.remove(excluded);
    return values;
  }

  @Test
  void theNonDefaultFixtureSetsEveryField() {
    Map<String, Object> defaults = fields(new SyncOptions());
    Map<String, Object> set = fields(nonDefault());
    List<String> unset = new ArrayList<>();
    set.forEach(
        (name, value) -> {
          if (Objects.equals(value, defaults.get(name))) {
            unset.add(name);
          }
        });
    assertThat(unset)
        .as("fields nonDefault() leaves at their default: set them, so the round trips cover them")
        .isEmpty();
  }

  @Test
  void securityOptionsAreValidatedTogether() {
    assertThatThrownBy(() -> new SyncOptions().setClusterSecret("short"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("16-1024 characters, got 5");
    assertThatThrownBy(
            () -> new SyncOptions().setNodeId("a").setTlsCertPath(Path.of("c.pem")).validate())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("all three of tlsCertPath, tlsKeyPath and tlsTrustPath");
    assertThatThrownBy(() -> new SyncOptions().setNodeId("a").setTlsClientAuth(true).validate())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("tlsClientAuth requires TLS");
    assertThat(new SyncOptions().isTlsEnabled()).isFalse();
    assertThat(new SyncOptions().getClusterSecret()).isNull();
    assertThat(new SyncOptions().toJson().containsKey("clusterSecret")).isFalse();
  }

  @Test
  void jsonRoundTripKeepsEveryField() {
    SyncOptions original = nonDefault();
    JsonObject json = original.toJson();
    SyncOptions back = new SyncOptions(json);
    // The codec is code, not configuration: JSON cannot carry it.
    assertThat(fieldsBut(back, "codec")).isEqualTo(fieldsBut(original, "codec"));
    assertThat(back.toJson()).isEqualTo(json);
    assertThat(new SyncOptions(new JsonObject(json.encode())).toJson())
        .as("through text")
        .isEqualTo(json);
  }

  @Test
  void jsonRoundTripOfTheProfiles() {
    for (SyncOptions profile : List.of(SyncOptions.lan(), SyncOptions.localTest().setNodeId("t"))) {
      assertThat(fields(new SyncOptions(profile.toJson()))).isEqualTo(fields(profile));
    }
  }

  @Test
  void absentJsonFieldsKeepTheirDefaults() {
    assertThat(fields(new SyncOptions(new JsonObject()))).isEqualTo(fields(new SyncOptions()));
    SyncOptions partial = new SyncOptions(new JsonObject().put("nodeId", "x").put("port", 0));
    assertThat(partial.getNodeId()).isEqualTo("x");
    assertThat(partial.getPort()).isZero();
    assertThat(partial.getGossipFanout()).isEqualTo(SyncOptions.DEFAULT_GOSSIP_FANOUT);
  }

  @Test
  void copyConstructorKeepsEveryFieldAndTheCodecAndIsIndependent() {
    SyncOptions original = nonDefault();
    SyncOptions copy = new SyncOptions(original);
    assertThat(fields(copy)).isEqualTo(fields(original));
    assertThat(copy.getCodec()).isSameAs(original.getCodec());
    copy.setSeeds(List.of()).setPort(1);
    assertThat(original.getSeeds()).hasSize(2);
    assertThat(original.getPort()).isEqualTo(7123);
  }

  @Test
  void badJsonValuesAreRejected() {
    assertThatThrownBy(() -> new SyncOptions(new JsonObject().put("port", -1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SyncOptions(new JsonObject().put("durability", "SOMETIMES")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SyncOptions(new JsonObject().put("nodeId", "no spaces")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SyncOptions(new JsonObject().put("gossipFanout", 0)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static void rejects(String what, Consumer<SyncOptions> setter) {
    SyncOptions o = nonDefault();
    Map<String, Object> before = fields(o);
    assertThatThrownBy(() -> setter.accept(o))
        .as(what)
        .isInstanceOfAny(IllegalArgumentException.class, NullPointerException.class);
    assertThat(fields(o)).as("%s leaves the options unchanged", what).isEqualTo(before);
  }

  @Test
  void settersRejectBadValuesAndKeepTheOldOne() {
    rejects("null node id", o -> o.setNodeId(null));
    rejects("empty node id", o -> o.setNodeId(""));
    rejects("node id with a space", o -> o.setNodeId("a b"));
    rejects("node id with a slash", o -> o.setNodeId("a/b"));
    rejects("65-character node id", o -> o.setNodeId("n".repeat(65)));
    rejects("null host", o -> o.setHost(null));
    rejects("blank host", o -> o.setHost("  "));
    rejects("256-character host", o -> o.setHost("h".repeat(256)));
    rejects("blank advertised host", o -> o.setAdvertisedHost(" "));
    rejects("port -1", o -> o.setPort(-1));
    rejects("port 65536", o -> o.setPort(65_536));
    rejects("null seeds", o -> o.setSeeds(null));
    rejects("seed without port", o -> o.setSeeds(List.of("host")));
    rejects("seed with port 0", o -> o.setSeeds(List.of("host:0")));
    rejects("seed with a text port", o -> o.setSeeds(List.of("host:http")));
    rejects("seed without host", o -> o.setSeeds(List.of(":7001")));
    rejects("a bad seed among good ones", o -> o.setSeeds(List.of("a:1", "b:99999")));
    rejects("seed DNS name with a port", o -> o.setSeedDns("svc.example.org:7001"));
    rejects("seed DNS name with a space", o -> o.setSeedDns("my svc.example.org"));
    rejects("empty seed DNS name", o -> o.setSeedDns(""));
    rejects("srv: without a name", o -> o.setSeedDns("srv:"));
    rejects("seed DNS name with an empty label", o -> o.setSeedDns("a..example.org"));
    rejects("seed DNS name starting with a dot", o -> o.setSeedDns(".example.org"));
    rejects("seed DNS label of 64 characters", o -> o.setSeedDns("l".repeat(64) + ".org"));
    rejects("seed DNS name of 254 characters", o -> o.setSeedDns(longName(254)));
    rejects("seed DNS name with a scheme", o -> o.setSeedDns("dns://svc.example.org"));
    rejects("seed DNS port -1", o -> o.setSeedDnsPort(-1));
    rejects("seed DNS port 65536", o -> o.setSeedDnsPort(65_536));
    rejects("seed DNS interval 99 ms", o -> o.setSeedDnsIntervalMillis(99));
    rejects("seed DNS interval 0", o -> o.setSeedDnsIntervalMillis(0));
    rejects("null DNS servers", o -> o.setDnsServers(null));
    rejects("DNS server without a port", o -> o.setDnsServers(List.of("10.96.0.10")));
    rejects("DNS server with port 0", o -> o.setDnsServers(List.of("10.96.0.10:0")));
    rejects("DNS server by host name", o -> o.setDnsServers(List.of("kube-dns.local:53")));
    rejects("DNS server with a bad IPv4", o -> o.setDnsServers(List.of("10.96.0.300:53")));
    rejects(
        "a bad DNS server among good ones",
        o -> o.setDnsServers(List.of("127.0.0.1:53", "resolver:53")));
    rejects("null cluster name", o -> o.setClusterName(null));
    rejects("cluster name with a space", o -> o.setClusterName("my cluster"));
    rejects("null durability", o -> o.setDurability(null));
    rejects("null codec", o -> o.setCodec(null));
    rejects("phi threshold 0", o -> o.setPhiThreshold(0));
    rejects("negative phi threshold", o -> o.setPhiThreshold(-1));
    rejects("NaN phi threshold", o -> o.setPhiThreshold(Double.NaN));
    rejects("max frame bytes 1023", o -> o.setMaxFrameBytes(1023));
    rejects("max value bytes 1023", o -> o.setMaxValueBytes(1023));
    rejects("max value bytes over 512 MiB", o -> o.setMaxValueBytes((512 << 20) + 1));
    rejects("null metadata", o -> o.setMetadata(null));
    rejects("metadata key with a space", o -> o.setMetadata(Map.of("a b", "v")));
    rejects("257-character metadata value", o -> o.setMetadata(Map.of("k", "v".repeat(257))));
    Map<String, String> seventeen = new HashMap<>();
    for (int i = 0; i < 17; i++) {
      seventeen.put("k" + i, "v");
    }
    rejects("17 metadata entries", o -> o.setMetadata(seventeen));
    for (long bad : new long[] {0, -1}) {
      rejects("cache size " + bad, o -> o.setCacheMaxEntries((int) bad));
      rejects("gossip interval " + bad, o -> o.setGossipIntervalMillis(bad));
      rejects("anti-entropy interval " + bad, o -> o.setAntiEntropyIntervalMillis(bad));
      rejects("heartbeat interval " + bad, o -> o.setHeartbeatIntervalMillis(bad));
      rejects("acceptable pause " + bad, o -> o.setAcceptablePauseMillis(bad));
      rejects("gossip fanout " + bad, o -> o.setGossipFanout((int) bad));
      rejects("delta buffer size " + bad, o -> o.setDeltaBufferMaxEntries((int) bad));
      rejects("anti-entropy buckets " + bad, o -> o.setAntiEntropyMaxBuckets((int) bad));
      rejects("reconnect min " + bad, o -> o.setReconnectMinMillis(bad));
      rejects("reconnect max " + bad, o -> o.setReconnectMaxMillis(bad));
      rejects("leave timeout " + bad, o -> o.setLeaveTimeoutMillis(bad));
      rejects("min quorum size " + bad, o -> o.setMinQuorumSize((int) bad));
    }
    rejects("auto removal -1", o -> o.setAutoRemoveUnreachableAfterMillis(-1));
  }

  /** A valid DNS name of exactly {@code length} characters: labels of 63 and shorter. */
  private static String longName(int length) {
    StringBuilder name = new StringBuilder();
    while (name.length() < length) {
      if (name.length() > 0) {
        name.append('.');
      }
      int label = Math.min(63, length - name.length());
      name.append("x".repeat(Math.max(1, label)));
    }
    return name.toString();
  }

  @Test
  void dnsOptionsExplainWhatIsWrong() {
    assertThatThrownBy(() -> new SyncOptions().setSeedDns("svc.example.org:7001"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("seedDns must be a DNS name")
        .hasMessageContaining("\"srv:\"")
        .hasMessageContaining("svc.example.org:7001");
    assertThatThrownBy(() -> new SyncOptions().setSeedDnsPort(70_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("seedDnsPort must be 0-65535 (0: this node's port), got 70000");
    assertThatThrownBy(() -> new SyncOptions().setSeedDnsIntervalMillis(50))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("seedDnsIntervalMillis must be >= 100, got 50");
    assertThatThrownBy(() -> new SyncOptions().setDnsServers(List.of("kube-dns:53")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "a DNS server must be ip:port (an IP address, not a host name), got \"kube-dns:53\"");
    assertThatThrownBy(() -> new SyncOptions(new JsonObject().put("seedDnsIntervalMillis", 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("seedDnsIntervalMillis");
  }

  @Test
  void dnsOptionsAcceptTheBoundariesAndBothForms() {
    SyncOptions o =
        new SyncOptions()
            .setNodeId("n")
            .setSeedDns("srv:_gossip._tcp.converge.default.svc.cluster.local.")
            .setSeedDnsIntervalMillis(SyncOptions.MIN_SEED_DNS_INTERVAL_MILLIS)
            .setDnsServers(List.of("127.0.0.1:53", "[::1]:53", "::1:5353"));
    o.validate();
    assertThat(o.getSeedDns()).isEqualTo("srv:_gossip._tcp.converge.default.svc.cluster.local.");
    o.setSeedDns(longName(253)).setSeedDnsPort(65_535).validate();
    o.setSeedDns("l".repeat(63) + ".svc").setSeedDnsPort(0).validate();
    o.setSeedDns(null).setDnsServers(List.of()).validate();
    SyncOptions defaults = new SyncOptions();
    assertThat(defaults.getSeedDns()).isNull();
    assertThat(defaults.getSeedDnsPort()).isEqualTo(SyncOptions.DEFAULT_SEED_DNS_PORT).isZero();
    assertThat(defaults.getSeedDnsIntervalMillis()).isEqualTo(10_000);
    assertThat(defaults.getDnsServers()).isEmpty();
    assertThat(defaults.toJson().containsKey("seedDns")).isFalse();
  }

  @Test
  void validateRejectsDnsOptionsThatWouldNeverBeUsed() {
    assertThatThrownBy(
            () ->
                new SyncOptions().setNodeId("n").setDnsServers(List.of("127.0.0.1:53")).validate())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("dnsServers are set but seedDns is not: set both or neither");
    assertThatThrownBy(() -> new SyncOptions().setNodeId("n").setSeedDnsPort(7001).validate())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("seedDnsPort is set but seedDns is not");
    assertThatThrownBy(
            () ->
                new SyncOptions()
                    .setNodeId("n")
                    .setSeedDns("srv:_gossip._tcp.svc.example.org")
                    .setSeedDnsPort(7001)
                    .validate())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("seedDnsPort applies to an A/AAAA name only")
        .hasMessageContaining("carry their own ports");
    new SyncOptions().setNodeId("n").setSeedDns("svc.example.org").setSeedDnsPort(7001).validate();
  }

  @Test
  void settersAcceptTheBoundaries() {
    SyncOptions o =
        new SyncOptions()
            .setNodeId("n".repeat(64))
            .setPort(0)
            .setPort(65_535)
            .setMaxFrameBytes(1024)
            .setGossipFanout(1)
            .setSeeds(List.of())
            .setAdvertisedHost(null)
            .setDataDir(null)
            .setMetadata(Map.of());
    assertThat(o.getPort()).isEqualTo(65_535);
    assertThat(o.getAdvertisedHost()).isEqualTo(o.getHost());
  }

  @Test
  void validateRejectsAMissingNodeId() {
    assertThatThrownBy(() -> new SyncOptions().validate())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("node id");
    assertThatThrownBy(() -> SyncOptions.localTest().validate())
        .isInstanceOf(IllegalStateException.class);
    SyncOptions.localTest().setNodeId("ok").validate();
  }

  @Test
  void validateRejectsContradictions() {
    assertThatThrownBy(
            () ->
                new SyncOptions()
                    .setNodeId("n")
                    .setReconnectMinMillis(600)
                    .setReconnectMaxMillis(500)
                    .validate())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("reconnect");
    assertThatThrownBy(
            () ->
                new SyncOptions()
                    .setNodeId("n")
                    .setHeartbeatIntervalMillis(500)
                    .setAcceptablePauseMillis(100)
                    .validate())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("acceptablePause");
    // A wildcard bind host is fine; peers are told this machine's address, or the advertised one.
    SyncOptions wildcard = new SyncOptions().setNodeId("n").setHost("0.0.0.0");
    wildcard.validate();
    assertThat(wildcard.getAdvertisedHost()).isNotEqualTo("0.0.0.0");
    assertThat(wildcard.setAdvertisedHost("10.0.0.1").getAdvertisedHost()).isEqualTo("10.0.0.1");
    assertThat(new SyncOptions().setHost("127.0.0.2").getAdvertisedHost()).isEqualTo("127.0.0.2");
  }

  @Test
  void startingWithoutANodeIdFailsTheFutureAndDoesNotThrow() {
    Vertx vertx = Vertx.vertx();
    try {
      Replicator node = Replicator.create(vertx, SyncOptions.localTest());
      Throwable failure =
          node.start().transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())).await();
      assertThat(failure).isInstanceOf(IllegalStateException.class).hasMessageContaining("node id");
      node.close().await();
    } finally {
      vertx.close().await();
    }
  }
}
