package dev.converge.demo;

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
          "--data-dir",
          "--cluster",
          "--admin-token");

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
        "  --data-dir PATH        where the durable store lives (default data/<node-id>)",
        "  --in-memory            keep state in memory only (lost when the node stops)",
        "  --cluster NAME         cluster name; nodes join only their own cluster"
            + " (default "
            + DemoConfig.DEFAULT_CLUSTER
            + ")",
        "  --admin-token TOKEN    let any client call /admin/* with 'Authorization: Bearer TOKEN'",
        "                         (without it, /admin/* answers loopback clients only)",
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
      if (!flag.equals("--in-memory") && !VALUED.contains(flag)) {
        return new Invalid(
            arg.startsWith("-") ? "unknown flag " + flag : "unexpected argument \"" + arg + "\"");
      }
      if (!seen.add(flag)) {
        return new Invalid(flag + " given twice");
      }
      if (flag.equals("--in-memory")) {
        if (value != null) {
          return new Invalid("--in-memory takes no value");
        }
        inMemory = true;
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
        default -> throw new AssertionError(flag);
      }
    }
    if (nodeId == null) {
      return new Invalid("--node-id is required");
    }
    if (inMemory && dataDir != null) {
      return new Invalid("--data-dir and --in-memory exclude each other");
    }
    try {
      Path dir = inMemory ? null : dataDir != null ? dataDir : DemoConfig.defaultDataDir(nodeId);
      return new Run(
          new DemoConfig(nodeId, host, httpPort, gossipPort, seeds, dir, cluster, adminToken));
    } catch (IllegalArgumentException e) {
      return new Invalid(e.getMessage());
    }
  }

  private static Integer port(String text) {
    if (!text.matches("[0-9]{1,5}")) {
      return null;
    }
    int port = Integer.parseInt(text);
    return port <= 65_535 ? port : null;
  }
}
