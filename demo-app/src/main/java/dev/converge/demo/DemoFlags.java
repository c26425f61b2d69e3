package dev.converge.demo;

import dev.converge.sync.SyncOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The command line of {@link DemoNode}. Accepts {@code --flag value} and {@code --flag=value};
 * every flag at most once. Pure: parsing prints nothing and never exits, so tests can run it.
 */
public final class DemoFlags {

  /** Exit code for bad flags. */
  public static final int EXIT_USAGE = 2;

  /** What the command line asks for. */
  public sealed interface Result permits Run, Help, Invalid {}

  /** Start a node with {@code config}. */
  public record Run(DemoConfig config) implements Result {}

  /** Print the usage and exit 0. */
  public record Help() implements Result {}

  /**
   * The flags are wrong: print {@code message} and the usage on stderr, exit {@link #EXIT_USAGE}.
   */
  public record Invalid(String message) implements Result {}

  private static final Set<String> VALUED =
      Set.of(
          "--node-id",
          "--host",
          "--http-port",
          "--gossip-port",
          "--seeds",
          "--seed-dns",
          "--seed-dns-port",
          "--dns-server",
          "--data-dir",
          "--cluster",
          "--admin-token",
          "--cluster-secret-file",
          "--tls-cert",
          "--tls-key",
          "--tls-ca",
          "--leave-timeout-ms",
          "--auto-remove-unreachable-ms",
          "--min-quorum-size",
          "--prune-left-after-ms");

  /** Flags that take no value. */
  private static final Set<String> SWITCHES = Set.of("--in-memory", "--tls-client-auth");

  private DemoFlags() {}

  /** The usage text. */
  public static String usage() {
    return String.join(
        "\n",
        "Usage: java -jar demo-app/target/converge-demo.jar --node-id ID [options]",
        "",
        "Runs one Converge demo node: the like-counter web app and its replica.",
        "",
        "Options:",
        "  --node-id ID           this node's stable name: 1-64 letters, digits, - _ . (required)",
        "  --host ADDRESS         bind address of HTTP and gossip, told to peers"
            + " (default "
            + DemoConfig.DEFAULT_HOST
            + ")",
        "  --http-port N          HTTP port, 0 for any free one (default "
            + DemoConfig.DEFAULT_HTTP_PORT
            + ")",
        "  --gossip-port N        gossip port, 0 for any free one (default "
            + DemoConfig.DEFAULT_GOSSIP_PORT
            + ")",
        "  --seeds H:P,H:P        gossip addresses of nodes to join (may include this node)",
        "  --seed-dns NAME        also join the addresses a DNS name lists, looked up again every"
            + " 10 s:",
        "                         NAME: its A/AAAA records, with --seed-dns-port;",
        "                         srv:NAME: its SRV records (host and port of each)",
        "                         e.g. srv:_gossip._tcp.converge.default.svc.cluster.local",
        "  --seed-dns-port N      gossip port of the A/AAAA addresses of --seed-dns"
            + " (default: --gossip-port)",
        "  --dns-server IP:PORT[,IP:PORT]",
        "                         DNS servers to ask for --seed-dns, in order"
            + " (default: the system's)",
        "  --data-dir PATH        where the durable store lives (default data/<node-id>)",
        "  --in-memory            keep state in memory only (lost when the node stops)",
        "  --cluster NAME         cluster name; nodes join only their own cluster"
            + " (default "
            + DemoConfig.DEFAULT_CLUSTER
            + ")",
        "  --admin-token TOKEN    let any client call /admin/* with 'Authorization: Bearer TOKEN'",
        "                         (without it, /admin/* answers loopback clients only)",
        "  --cluster-secret-file PATH",
        "                         file holding the cluster secret (16+ characters, trimmed);",
        "                         peers must prove they know it before they join or send state",
        "  --tls-cert PATH        this node's certificate chain (PEM): gossip links use TLS",
        "  --tls-key PATH         the certificate's private key (PEM)",
        "  --tls-ca PATH          authorities (PEM) a peer's certificate must chain to",
        "  --tls-client-auth      mutual TLS: refuse peers without a trusted certificate",
        "  --leave-timeout-ms N   how long a graceful leave (POST /admin/leave, SIGTERM) may hand",
        "                         off unacknowledged writes to peers, "
            + MembershipSettings.MIN_LEAVE_TIMEOUT_MILLIS
            + "-"
            + MembershipSettings.MAX_LEAVE_TIMEOUT_MILLIS
            + " (default "
            + MembershipSettings.DEFAULT.leaveTimeoutMillis()
            + ")",
        "  --auto-remove-unreachable-ms N",
        "                         remove a member unreachable for N ms: 0 for never (default),",
        "                         else "
            + MembershipSettings.MIN_AUTO_REMOVE_MILLIS
            + "-"
            + MembershipSettings.MAX_AUTO_REMOVE_MILLIS
            + "; risky: both sides of a long partition remove each other",
        "  --min-quorum-size N    floor of a majority, e.g. 3 in a 5-node cluster, so a node that",
        "                         knows few members cannot reach a too-small majority, 1-"
            + MembershipSettings.MAX_MIN_QUORUM_SIZE
            + " (default "
            + MembershipSettings.DEFAULT.minQuorumSize()
            + ")",
        "  --prune-left-after-ms N",
        "                         prune a gracefully left node's replica id from every key N ms",
        "                         after it left; a durable node restarted later is refused and",
        "                         must rejoin with an empty data directory, 0-"
            + MembershipSettings.MAX_PRUNE_LEFT_AFTER_MILLIS
            + " (default "
            + MembershipSettings.DEFAULT.pruneLeftAfterMillis()
            + ")",
        "  --help                 print this help",
        "",
        "Example: --node-id n1 --http-port 8081 --gossip-port 7001"
            + " --seeds 127.0.0.1:7002,127.0.0.1:7003",
        "");
  }

  /** Parses {@code args}; never throws for bad input. */
  public static Result parse(List<String> args) {
    Objects.requireNonNull(args, "args");
    String nodeId = null;
    String host = DemoConfig.DEFAULT_HOST;
    int httpPort = DemoConfig.DEFAULT_HTTP_PORT;
    int gossipPort = DemoConfig.DEFAULT_GOSSIP_PORT;
    List<String> seeds = List.of();
    Path dataDir = null;
    boolean inMemory = false;
    String cluster = DemoConfig.DEFAULT_CLUSTER;
    String adminToken = null;
    String secret = null;
    Path tlsCert = null;
    Path tlsKey = null;
    Path tlsCa = null;
    boolean tlsClientAuth = false;
    String seedDns = null;
    Integer seedDnsPort = null;
    List<String> dnsServers = List.of();
    long leaveTimeout = MembershipSettings.DEFAULT.leaveTimeoutMillis();
    long autoRemove = MembershipSettings.DEFAULT.autoRemoveUnreachableAfterMillis();
    int minQuorum = MembershipSettings.DEFAULT.minQuorumSize();
    long pruneLeftAfter = MembershipSettings.DEFAULT.pruneLeftAfterMillis();
    Set<String> seen = new HashSet<>();

    for (int i = 0; i < args.size(); i++) {
      String arg = Objects.requireNonNullElse(args.get(i), "");
      String flag = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        flag = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      if (flag.equals("--help") || flag.equals("-h")) {
        if (value != null) {
          return new Invalid("--help takes no value");
        }
        return new Help();
      }
      if (!SWITCHES.contains(flag) && !VALUED.contains(flag)) {
        return new Invalid(
            arg.startsWith("-") ? "unknown flag " + flag : "unexpected argument \"" + arg + "\"");
      }
      if (!seen.add(flag)) {
        return new Invalid(flag + " given twice");
      }
      if (SWITCHES.contains(flag)) {
        if (value != null) {
          return new Invalid(flag + " takes no value");
        }
        if (flag.equals("--in-memory")) {
          inMemory = true;
        } else {
          tlsClientAuth = true;
        }
        continue;
      }
      if (value == null) {
        if (i + 1 >= args.size() || args.get(i + 1) == null || args.get(i + 1).startsWith("--")) {
          return new Invalid(flag + " needs a value");
        }
        value = args.get(++i);
      }
      switch (flag) {
        case "--node-id" -> nodeId = value;
        case "--host" -> host = value;
        case "--http-port" -> {
          Integer port = port(value);
          if (port == null) {
            return new Invalid("--http-port must be a number 0-65535, got \"" + value + "\"");
          }
          httpPort = port;
        }
        case "--gossip-port" -> {
          Integer port = port(value);
          if (port == null) {
            return new Invalid("--gossip-port must be a number 0-65535, got \"" + value + "\"");
          }
          gossipPort = port;
        }
        case "--seeds" -> {
          List<String> parsed = new ArrayList<>();
          for (String seed : value.split(",", -1)) {
            if (!seed.matches("[^\\s:]+:[0-9]{1,5}") || port(seed.replaceAll(".*:", "")) == null) {
              return new Invalid("--seeds must be host:port,host:port..., got \"" + value + "\"");
            }
            parsed.add(seed);
          }
          seeds = parsed;
        }
        case "--seed-dns" -> {
          try {
            seedDns = new SyncOptions().setSeedDns(value).getSeedDns();
          } catch (IllegalArgumentException e) {
            return new Invalid(
                "--seed-dns must be a DNS name or srv:NAME"
                    + " (e.g. srv:_gossip._tcp.converge.default.svc.cluster.local), got \""
                    + value
                    + "\"");
          }
        }
        case "--seed-dns-port" -> {
          seedDnsPort = port(value);
          if (seedDnsPort == null || seedDnsPort == 0) {
            return new Invalid("--seed-dns-port must be a number 1-65535, got \"" + value + "\"");
          }
        }
        case "--dns-server" -> {
          try {
            dnsServers =
                new SyncOptions().setDnsServers(List.of(value.split(",", -1))).getDnsServers();
          } catch (IllegalArgumentException e) {
            return new Invalid(
                "--dns-server must be ip:port[,ip:port...] (addresses, not host names), got \""
                    + value
                    + "\"");
          }
        }
        case "--data-dir" -> {
          if (value.isBlank()) {
            return new Invalid("--data-dir needs a path");
          }
          try {
            dataDir = Path.of(value);
          } catch (InvalidPathException e) {
            return new Invalid("--data-dir: bad path \"" + value + "\"");
          }
        }
        case "--cluster" -> cluster = value;
        case "--admin-token" -> adminToken = value;
        case "--cluster-secret-file" -> {
          Path file = path(value);
          try {
            secret = file == null ? null : Files.readString(file).strip();
          } catch (IOException | UncheckedIOException e) {
            secret = null;
          }
          if (secret == null) {
            return new Invalid("--cluster-secret-file: cannot read \"" + value + "\"");
          }
        }
        case "--tls-cert", "--tls-key", "--tls-ca" -> {
          Path file = path(value);
          if (file == null || !Files.isReadable(file)) {
            return new Invalid(flag + ": cannot read \"" + value + "\"");
          }
          switch (flag) {
            case "--tls-cert" -> tlsCert = file;
            case "--tls-key" -> tlsKey = file;
            default -> tlsCa = file;
          }
        }
        case "--leave-timeout-ms" -> {
          Long millis =
              number(
                  value,
                  MembershipSettings.MIN_LEAVE_TIMEOUT_MILLIS,
                  MembershipSettings.MAX_LEAVE_TIMEOUT_MILLIS);
          if (millis == null) {
            return new Invalid(
                "--leave-timeout-ms must be a number of milliseconds "
                    + MembershipSettings.MIN_LEAVE_TIMEOUT_MILLIS
                    + "-"
                    + MembershipSettings.MAX_LEAVE_TIMEOUT_MILLIS
                    + ", got \""
                    + value
                    + "\"");
          }
          leaveTimeout = millis;
        }
        case "--auto-remove-unreachable-ms" -> {
          Long millis =
              value.equals("0")
                  ? Long.valueOf(0)
                  : number(
                      value,
                      MembershipSettings.MIN_AUTO_REMOVE_MILLIS,
                      MembershipSettings.MAX_AUTO_REMOVE_MILLIS);
          if (millis == null) {
            return new Invalid(
                "--auto-remove-unreachable-ms must be 0 (off) or a number of milliseconds "
                    + MembershipSettings.MIN_AUTO_REMOVE_MILLIS
                    + "-"
                    + MembershipSettings.MAX_AUTO_REMOVE_MILLIS
                    + " (the failure detector needs about a second to call a peer unreachable),"
                    + " got \""
                    + value
                    + "\"");
          }
          autoRemove = millis;
        }
        case "--min-quorum-size" -> {
          Long size = number(value, 1, MembershipSettings.MAX_MIN_QUORUM_SIZE);
          if (size == null) {
            return new Invalid(
                "--min-quorum-size must be a number 1-"
                    + MembershipSettings.MAX_MIN_QUORUM_SIZE
                    + ", got \""
                    + value
                    + "\"");
          }
          minQuorum = size.intValue();
        }
        case "--prune-left-after-ms" -> {
          Long millis = number(value, 0, MembershipSettings.MAX_PRUNE_LEFT_AFTER_MILLIS);
          if (millis == null) {
            return new Invalid(
                "--prune-left-after-ms must be a number of milliseconds 0-"
                    + MembershipSettings.MAX_PRUNE_LEFT_AFTER_MILLIS
                    + ", got \""
                    + value
                    + "\"");
          }
          pruneLeftAfter = millis;
        }
        default -> throw new AssertionError(flag);
      }
    }
    if (nodeId == null) {
      return new Invalid("--node-id is required");
    }
    if (inMemory && dataDir != null) {
      return new Invalid("--data-dir and --in-memory exclude each other");
    }
    if (seedDns == null && (seedDnsPort != null || !dnsServers.isEmpty())) {
      return new Invalid(
          (seedDnsPort != null ? "--seed-dns-port" : "--dns-server") + " needs --seed-dns");
    }
    if (seedDnsPort != null && seedDns.startsWith(SyncOptions.SRV_PREFIX)) {
      return new Invalid(
          "--seed-dns-port applies to an A/AAAA name only: the SRV records of "
              + seedDns
              + " carry their own ports");
    }
    try {
      Path dir = inMemory ? null : dataDir != null ? dataDir : DemoConfig.defaultDataDir(nodeId);
      NodeSecurity security = new NodeSecurity(secret, tlsCert, tlsKey, tlsCa, tlsClientAuth);
      DnsSeeds dns =
          new DnsSeeds(seedDns, seedDnsPort == null ? 0 : seedDnsPort, List.copyOf(dnsServers));
      MembershipSettings membership =
          new MembershipSettings(leaveTimeout, autoRemove, minQuorum, pruneLeftAfter);
      return new Run(
          new DemoConfig(
              nodeId,
              host,
              httpPort,
              gossipPort,
              seeds,
              dir,
              cluster,
              adminToken,
              security,
              dns,
              membership));
    } catch (IllegalArgumentException | IllegalStateException e) {
      return new Invalid(e.getMessage());
    }
  }

  private static Path path(String text) {
    try {
      return text.isBlank() ? null : Path.of(text);
    } catch (InvalidPathException e) {
      return null;
    }
  }

  /* A decimal number in [min, max], or null: no sign, no spaces, no overflow. */
  private static Long number(String text, long min, long max) {
    if (!text.matches("[0-9]{1,12}")) {
      return null;
    }
    long n = Long.parseLong(text);
    return n >= min && n <= max ? n : null;
  }

  private static Integer port(String text) {
    if (!text.matches("[0-9]{1,5}")) {
      return null;
    }
    int port = Integer.parseInt(text);
    return port <= 65_535 ? port : null;
  }
}
