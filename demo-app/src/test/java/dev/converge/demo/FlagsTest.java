package dev.converge.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.sync.SyncOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line of {@link DemoNode}: good flags start a node, bad ones print usage, exit 2. */
class FlagsTest {

  /** One run of {@link DemoNode#launch} with a starter that records instead of starting. */
  private record Launch(int exitCode, String out, String err, List<DemoConfig> started) {}

  private static Launch launch(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<DemoConfig> started = new ArrayList<>();
    int code =
        DemoNode.launch(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            config -> {
              started.add(config);
              return 0;
            });
    return new Launch(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), started);
  }

  private static DemoConfig started(String... args) {
    Launch launch = launch(args);
    assertThat(launch.exitCode()).as(launch.err()).isZero();
    assertThat(launch.err()).isEmpty();
    assertThat(launch.started()).hasSize(1);
    return launch.started().get(0);
  }

  @Test
  void everyFlag() {
    DemoConfig config =
        started(
            "--node-id", "n1",
            "--host", "0.0.0.0",
            "--http-port", "8081",
            "--gossip-port", "7001",
            "--seeds", "127.0.0.1:7002,10.0.0.3:7003",
            "--data-dir", "/tmp/converge-n1",
            "--cluster", "demo",
            "--admin-token", "t0ken");
    assertThat(config)
        .isEqualTo(
            new DemoConfig(
                "n1",
                "0.0.0.0",
                8081,
                7001,
                List.of("127.0.0.1:7002", "10.0.0.3:7003"),
                Path.of("/tmp/converge-n1"),
                "demo",
                "t0ken"));
    assertThat(config.toString()).doesNotContain("t0ken");
  }

  @Test
  void defaultsAndTheEqualsForm() {
    DemoConfig config = started("--node-id=n2");
    assertThat(config).isEqualTo(DemoConfig.defaults("n2"));
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.gossipPort()).isEqualTo(7001);
    assertThat(config.seeds()).isEmpty();
    assertThat(config.dataDir()).isEqualTo(Path.of("data", "n2"));
    assertThat(config.clusterName()).isEqualTo("converge");
    assertThat(config.adminToken()).isNull();

    DemoConfig equalsForm = started("--node-id=n3", "--http-port=0", "--seeds=h:1", "--in-memory");
    assertThat(equalsForm.httpPort()).isZero();
    assertThat(equalsForm.seeds()).containsExactly("h:1");
    assertThat(equalsForm.inMemory()).isTrue();
    assertThat(equalsForm.dataDir()).isNull();
  }

  @Test
  void helpPrintsUsageAndExitsZero() {
    for (String flag : List.of("--help", "-h")) {
      Launch launch = launch("--node-id", "n1", flag);
      assertThat(launch.exitCode()).isZero();
      assertThat(launch.out()).startsWith("Usage: java -jar demo-app/target/converge-demo.jar");
      assertThat(launch.out())
          .contains("--node-id", "--host", "--http-port", "--gossip-port", "--seeds")
          .contains("--data-dir", "--in-memory", "--cluster", "--admin-token", "--help")
          .contains("--cluster-secret-file", "--tls-cert", "--tls-key", "--tls-ca")
          .contains("--tls-client-auth")
          .contains("--seed-dns NAME", "srv:NAME", "--seed-dns-port", "--dns-server")
          .contains(
              "--leave-timeout-ms",
              "--auto-remove-unreachable-ms",
              "--min-quorum-size",
              "--prune-left-after-ms");
      assertThat(launch.started()).isEmpty();
    }
  }

  @Test
  void badFlagsPrintUsageOnStderrAndExitTwo() {
    List<List<String>> bad =
        List.of(
            List.of(),
            List.of("--http-port", "8081"),
            List.of("--node-id"),
            List.of("--node-id", "--in-memory"),
            List.of("--node-id", "a b"),
            List.of("--node-id", "n".repeat(65)),
            List.of("--node-id", "n1", "--bogus"),
            List.of("--node-id", "n1", "stray"),
            List.of("--node-id", "n1", "--node-id", "n2"),
            List.of("--node-id", "n1", "--http-port", "70000"),
            List.of("--node-id", "n1", "--http-port", "-1"),
            List.of("--node-id", "n1", "--http-port", "eighty"),
            List.of("--node-id", "n1", "--gossip-port", "65536"),
            List.of("--node-id", "n1", "--seeds", "localhost"),
            List.of("--node-id", "n1", "--seeds", "a:1,,b:2"),
            List.of("--node-id", "n1", "--seeds", "a:99999"),
            List.of("--node-id", "n1", "--seeds", "a:1, b:2"),
            List.of("--node-id", "n1", "--data-dir", "d", "--in-memory"),
            List.of("--node-id", "n1", "--data-dir", ""),
            List.of("--node-id", "n1", "--in-memory=yes"),
            List.of("--node-id", "n1", "--cluster", "bad name"),
            List.of("--node-id", "n1", "--host", " "),
            List.of("--node-id", "n1", "--admin-token", " "),
            List.of("--node-id", "n1", "--help=please"));
    for (List<String> args : bad) {
      Launch launch = launch(args.toArray(String[]::new));
      assertThat(launch.exitCode()).as("exit code of %s", args).isEqualTo(2);
      assertThat(launch.err()).as("stderr of %s", args).startsWith("error: ").contains("Usage:");
      assertThat(launch.out()).as("stdout of %s", args).isEmpty();
      assertThat(launch.started()).as("started by %s", args).isEmpty();
    }
    assertThat(launch("--node-id", "n1", "--bogus").err()).contains("unknown flag --bogus");
    assertThat(launch("--http-port", "1").err()).contains("--node-id is required");
  }

  @Test
  void securityFlags(@TempDir Path dir) throws IOException {
    Path secretFile = Files.writeString(dir.resolve("secret"), "  s3cret-s3cret-s3cret\n");
    Path cert = Files.writeString(dir.resolve("node.pem"), "cert");
    Path key = Files.writeString(dir.resolve("node.key"), "key");
    Path ca = Files.writeString(dir.resolve("ca.pem"), "ca");
    DemoConfig config =
        started(
            "--node-id",
            "n1",
            "--cluster-secret-file",
            secretFile.toString(),
            "--tls-cert",
            cert.toString(),
            "--tls-key",
            key.toString(),
            "--tls-ca",
            ca.toString(),
            "--tls-client-auth");
    assertThat(config.security())
        .isEqualTo(new NodeSecurity("s3cret-s3cret-s3cret", cert, key, ca, true));
    assertThat(config.toString()).doesNotContain("s3cret").contains("mutual");
    assertThat(started("--node-id", "n2").security()).isEqualTo(NodeSecurity.NONE);

    Path shortSecret = Files.writeString(dir.resolve("short"), "tiny");
    String missing = dir.resolve("missing").toString();
    List<List<String>> bad =
        List.of(
            List.of("--cluster-secret-file", missing),
            List.of("--cluster-secret-file", shortSecret.toString()),
            List.of("--tls-cert", missing),
            List.of("--tls-cert", cert.toString()),
            List.of("--tls-cert", cert.toString(), "--tls-key", key.toString()),
            List.of("--tls-client-auth"),
            List.of("--tls-client-auth=yes"));
    for (List<String> flags : bad) {
      List<String> args = new ArrayList<>(List.of("--node-id", "n1"));
      args.addAll(flags);
      Launch launch = launch(args.toArray(String[]::new));
      assertThat(launch.exitCode()).as("exit code of %s", args).isEqualTo(2);
      assertThat(launch.err()).as("stderr of %s", args).startsWith("error: ");
      assertThat(launch.started()).isEmpty();
    }
    assertThat(launch("--node-id", "n1", "--cluster-secret-file", shortSecret.toString()).err())
        .contains("cluster secret must be 16-1024 characters, got 4")
        .doesNotContain("tiny");
  }

  @Test
  void dnsDiscoveryFlags() {
    DemoConfig plain =
        started(
            "--node-id", "n1",
            "--seed-dns", "converge.default.svc.cluster.local",
            "--seed-dns-port", "7002",
            "--dns-server", "10.96.0.10:53");
    assertThat(plain.dnsSeeds())
        .isEqualTo(
            new DnsSeeds("converge.default.svc.cluster.local", 7002, List.of("10.96.0.10:53")));
    SyncOptions options = DemoNode.syncOptions(plain, "http://127.0.0.1:8080");
    assertThat(options.getSeedDns()).isEqualTo("converge.default.svc.cluster.local");
    assertThat(options.getSeedDnsPort()).isEqualTo(7002);
    assertThat(options.getDnsServers()).containsExactly("10.96.0.10:53");
    assertThat(options.getSeedDnsIntervalMillis())
        .isEqualTo(SyncOptions.DEFAULT_SEED_DNS_INTERVAL_MILLIS);
    options.validate();

    DemoConfig srv =
        started(
            "--node-id=n2",
            "--seed-dns=srv:_gossip._tcp.converge.default.svc.cluster.local",
            "--dns-server=127.0.0.1:5353,[::1]:53",
            "--seeds=10.0.0.3:7001");
    assertThat(srv.dnsSeeds())
        .isEqualTo(
            new DnsSeeds(
                "srv:_gossip._tcp.converge.default.svc.cluster.local",
                0,
                List.of("127.0.0.1:5353", "[::1]:53")));
    assertThat(srv.seeds()).containsExactly("10.0.0.3:7001");
    assertThat(started("--node-id", "n3", "--seed-dns", "svc.local").dnsSeeds())
        .isEqualTo(new DnsSeeds("svc.local", 0, List.of()));
    assertThat(started("--node-id", "n4").dnsSeeds()).isEqualTo(DnsSeeds.NONE);
    assertThat(DemoNode.syncOptions(started("--node-id", "n4"), "http://h:1").getSeedDns())
        .isNull();
  }

  @Test
  void badDnsDiscoveryFlagsSayWhatIsWrong() {
    Map<List<String>, String> bad = new LinkedHashMap<>();
    bad.put(List.of("--seed-dns", "my svc.local"), "--seed-dns must be a DNS name or srv:NAME");
    bad.put(List.of("--seed-dns", "svc.local:7001"), "--seed-dns must be a DNS name or srv:NAME");
    bad.put(List.of("--seed-dns", "srv:"), "--seed-dns must be a DNS name or srv:NAME");
    bad.put(List.of("--seed-dns", "a..b"), "--seed-dns must be a DNS name or srv:NAME");
    bad.put(List.of("--seed-dns", "svc.local", "--seed-dns-port", "0"), "must be a number 1-65535");
    bad.put(
        List.of("--seed-dns", "svc.local", "--seed-dns-port", "70000"), "must be a number 1-65535");
    bad.put(
        List.of("--seed-dns", "svc.local", "--seed-dns-port", "gossip"),
        "must be a number 1-65535");
    bad.put(List.of("--seed-dns", "svc.local", "--dns-server", "kube-dns:53"), "not host names");
    bad.put(List.of("--seed-dns", "svc.local", "--dns-server", "10.96.0.10"), "ip:port");
    bad.put(List.of("--seed-dns", "svc.local", "--dns-server", "10.96.0.10:53,"), "ip:port");
    bad.put(List.of("--seed-dns-port", "7001"), "--seed-dns-port needs --seed-dns");
    bad.put(List.of("--dns-server", "127.0.0.1:53"), "--dns-server needs --seed-dns");
    bad.put(
        List.of("--seed-dns", "srv:_gossip._tcp.svc.local", "--seed-dns-port", "7001"),
        "--seed-dns-port applies to an A/AAAA name only");
    bad.put(List.of("--seed-dns", "a.local", "--seed-dns", "b.local"), "--seed-dns given twice");
    bad.put(List.of("--seed-dns"), "--seed-dns needs a value");
    bad.forEach(
        (flags, message) -> {
          List<String> args = new ArrayList<>(List.of("--node-id", "n1"));
          args.addAll(flags);
          Launch launch = launch(args.toArray(String[]::new));
          assertThat(launch.exitCode()).as("exit code of %s", args).isEqualTo(2);
          assertThat(launch.err())
              .as("stderr of %s", args)
              .startsWith("error: ")
              .contains(message)
              .contains("Usage:");
          assertThat(launch.started()).as("started by %s", args).isEmpty();
        });
  }

  /** The container arguments of docs/deploy-kubernetes.md, as Kubernetes expands them. */
  @Test
  void theKubernetesGuidesArgumentsAreValid(@TempDir Path dir) throws IOException {
    Path secret = Files.writeString(dir.resolve("secret"), "0123456789abcdef0123456789abcdef");
    List<String> guide = Files.readAllLines(Path.of("..", "docs", "deploy-kubernetes.md"));
    List<List<String>> argLists = new ArrayList<>();
    for (String line : guide) {
      String trimmed = line.strip();
      if (trimmed.equals("args:")) {
        argLists.add(new ArrayList<>());
      } else if (trimmed.startsWith("- --") && !argLists.isEmpty()) {
        argLists
            .get(argLists.size() - 1)
            .add(
                trimmed
                    .substring(2)
                    .replace("$(POD_NAME)", "converge-6c9f7d8b5-x2x7z")
                    .replace("$(POD_NAMESPACE)", "default")
                    .replace("/etc/converge/secret", secret.toString())
                    .replace("=/data", "=" + dir.resolve("data")));
      }
    }
    assertThat(argLists).as("a StatefulSet and a Deployment").hasSize(2);
    List<String> seedDns = new ArrayList<>();
    for (List<String> args : argLists) {
      DemoConfig config = started(args.toArray(String[]::new));
      assertThat(config.nodeId()).isEqualTo("converge-6c9f7d8b5-x2x7z");
      assertThat(config.host()).isEqualTo("0.0.0.0");
      assertThat(config.security().clusterSecret()).isNotNull();
      seedDns.add(config.dnsSeeds().name());
    }
    assertThat(seedDns)
        .containsExactly(
            "srv:_gossip._tcp.converge.default.svc.cluster.local",
            "converge.default.svc.cluster.local");
  }

  @Test
  void membershipFlags() {
    DemoConfig config =
        started(
            "--node-id",
            "n1",
            "--leave-timeout-ms",
            "2500",
            "--auto-remove-unreachable-ms=60000",
            "--min-quorum-size",
            "3",
            "--prune-left-after-ms",
            "120000");
    assertThat(config.membership()).isEqualTo(new MembershipSettings(2_500, 60_000, 3, 120_000));
    assertThat(config.membership().applyTo(DemoNode.demoTimers()).toJson().getMap())
        .containsEntry("leaveTimeoutMillis", 2_500L)
        .containsEntry("autoRemoveUnreachableAfterMillis", 60_000L)
        .containsEntry("minQuorumSize", 3)
        .containsEntry("pruneLeftAfterMillis", 120_000L);
    assertThat(started("--node-id", "n2").membership()).isEqualTo(MembershipSettings.DEFAULT);
    assertThat(MembershipSettings.DEFAULT)
        .as("the library's defaults")
        .isEqualTo(new MembershipSettings(10_000, 0, 1, 300_000));
    assertThat(started("--node-id", "n3", "--auto-remove-unreachable-ms", "0").membership())
        .isEqualTo(MembershipSettings.DEFAULT);
    assertThat(
            started(
                    "--node-id",
                    "n4",
                    "--leave-timeout-ms",
                    "3600000",
                    "--min-quorum-size",
                    "1024",
                    "--prune-left-after-ms",
                    "0")
                .membership())
        .isEqualTo(new MembershipSettings(3_600_000, 0, 1_024, 0));

    List<List<String>> bad =
        List.of(
            List.of("--leave-timeout-ms", "0"),
            List.of("--leave-timeout-ms", "-5"),
            List.of("--leave-timeout-ms", "3600001"),
            List.of("--leave-timeout-ms", "1s"),
            List.of("--leave-timeout-ms", "99999999999999999999"),
            List.of("--leave-timeout-ms", ""),
            List.of("--leave-timeout-ms"),
            List.of("--auto-remove-unreachable-ms", "999"),
            List.of("--auto-remove-unreachable-ms", "-1"),
            List.of("--auto-remove-unreachable-ms", "604800001"),
            List.of("--auto-remove-unreachable-ms", "00"),
            List.of("--auto-remove-unreachable-ms", "off"),
            List.of("--min-quorum-size", "0"),
            List.of("--min-quorum-size", "1025"),
            List.of("--min-quorum-size", "three"),
            List.of("--min-quorum-size", "2", "--min-quorum-size", "3"),
            List.of("--prune-left-after-ms", "-1"),
            List.of("--prune-left-after-ms", "604800001"),
            List.of("--prune-left-after-ms", "5m"));
    for (List<String> flags : bad) {
      List<String> args = new ArrayList<>(List.of("--node-id", "n1"));
      args.addAll(flags);
      Launch launch = launch(args.toArray(String[]::new));
      assertThat(launch.exitCode()).as("exit code of %s", args).isEqualTo(2);
      assertThat(launch.err()).as("stderr of %s", args).startsWith("error: ").contains("Usage:");
      assertThat(launch.started()).isEmpty();
    }
    assertThat(launch("--node-id", "n1", "--leave-timeout-ms", "0").err())
        .contains("--leave-timeout-ms must be a number of milliseconds 1-3600000, got \"0\"");
    assertThat(launch("--node-id", "n1", "--auto-remove-unreachable-ms", "500").err())
        .contains("--auto-remove-unreachable-ms must be 0 (off) or a number of milliseconds")
        .contains("got \"500\"");
    assertThat(launch("--node-id", "n1", "--min-quorum-size", "0").err())
        .contains("--min-quorum-size must be a number 1-1024, got \"0\"");
    assertThat(launch("--node-id", "n1", "--prune-left-after-ms", "5m").err())
        .contains("--prune-left-after-ms must be a number of milliseconds 0-604800000, got \"5m\"");
    assertThatThrownBy(() -> new MembershipSettings(10_000, 10, 1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("automatic removal must be 0 (off) or 1000-");
  }

  @Test
  void startFailureIsReportedAndReleasesEverything() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      DemoConfig config =
          new DemoConfig("n1", "127.0.0.1", taken.getLocalPort(), 0, List.of(), null, "c", null);
      assertThatThrownBy(() -> DemoNode.start(config))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("node n1 could not start");
    }
  }
}
