package dev.converge.demo;

import dev.converge.sync.PeerAddress;
import dev.converge.sync.SyncOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How one demo node runs: what the command-line flags of {@link DemoNode} set. Immutable; the
 * {@code with*} methods return modified copies.
 *
 * @param nodeId the node's stable name (1–64 letters, digits, {@code -_.})
 * @param host the bind address of both HTTP and gossip, also told to peers
 * @param httpPort the HTTP port; 0 picks a free one
 * @param gossipPort the gossip port; 0 picks a free one
 * @param seeds gossip addresses {@code host:port} to join
 * @param dataDir the durable store's directory, or null to keep everything in memory
 * @param clusterName nodes only join peers of the same cluster name
 * @param adminToken if non-null, admin endpoints accept any client presenting {@code Authorization:
 *     Bearer <token>}; if null, they accept loopback clients only
 * @param security the gossip links' cluster secret and TLS settings
 * @param dnsSeeds the DNS name (and servers) that list more seeds, looked up again every 10 s
 * @param membership the leave timeout, automatic removal and majority floor
 */
public record DemoConfig(
    String nodeId,
    String host,
    int httpPort,
    int gossipPort,
    List<String> seeds,
    Path dataDir,
    String clusterName,
    String adminToken,
    NodeSecurity security,
    DnsSeeds dnsSeeds,
    MembershipSettings membership) {

  /** Default bind address: {@code 127.0.0.1}. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  /** Default HTTP port: 8080. */
  public static final int DEFAULT_HTTP_PORT = 8080;

  /** Default gossip port: 7001. */
  public static final int DEFAULT_GOSSIP_PORT = SyncOptions.DEFAULT_PORT;

  /** Default cluster name: {@code converge}. */
  public static final String DEFAULT_CLUSTER = SyncOptions.DEFAULT_CLUSTER_NAME;

  private static final String NAME = "[A-Za-z0-9._-]{1,64}";

  /** A node without a cluster secret or TLS. */
  public DemoConfig(
      String nodeId,
      String host,
      int httpPort,
      int gossipPort,
      List<String> seeds,
      Path dataDir,
      String clusterName,
      String adminToken) {
    this(
        nodeId,
        host,
        httpPort,
        gossipPort,
        seeds,
        dataDir,
        clusterName,
        adminToken,
        NodeSecurity.NONE);
  }

  /** A node without DNS discovery. */
  public DemoConfig(
      String nodeId,
      String host,
      int httpPort,
      int gossipPort,
      List<String> seeds,
      Path dataDir,
      String clusterName,
      String adminToken,
      NodeSecurity security) {
    this(
        nodeId,
        host,
        httpPort,
        gossipPort,
        seeds,
        dataDir,
        clusterName,
        adminToken,
        security,
        DnsSeeds.NONE,
        MembershipSettings.DEFAULT);
  }

  public DemoConfig {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(security, "security");
    Objects.requireNonNull(dnsSeeds, "dnsSeeds");
    Objects.requireNonNull(membership, "membership");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(clusterName, "clusterName");
    if (!nodeId.matches(NAME)) {
      throw new IllegalArgumentException(
          "node id must be 1-64 letters, digits, '-', '_' or '.', got \"" + nodeId + "\"");
    }
    if (host.isBlank() || host.length() > 255) {
      throw new IllegalArgumentException("bad host \"" + host + "\"");
    }
    checkPort("HTTP", httpPort);
    checkPort("gossip", gossipPort);
    seeds = List.copyOf(Objects.requireNonNull(seeds, "seeds"));
    seeds.forEach(PeerAddress::parse);
    if (!clusterName.matches(NAME)) {
      throw new IllegalArgumentException(
          "cluster name must be 1-64 letters, digits, '-', '_' or '.', got \""
              + clusterName
              + "\"");
    }
    if (adminToken != null && (adminToken.isBlank() || adminToken.length() > 256)) {
      throw new IllegalArgumentException("the admin token must have 1-256 non-blank characters");
    }
  }

  /** A node with every default and the embedded data directory {@code data/<nodeId>}. */
  public static DemoConfig defaults(String nodeId) {
    return new DemoConfig(
        nodeId,
        DEFAULT_HOST,
        DEFAULT_HTTP_PORT,
        DEFAULT_GOSSIP_PORT,
        List.of(),
        defaultDataDir(nodeId),
        DEFAULT_CLUSTER,
        null);
  }

  /** An in-memory node on free ports of the loopback interface: for tests. */
  public static DemoConfig ephemeral(String nodeId) {
    return new DemoConfig(nodeId, DEFAULT_HOST, 0, 0, List.of(), null, DEFAULT_CLUSTER, null);
  }

  /** The data directory used when neither {@code --data-dir} nor {@code --in-memory} is given. */
  public static Path defaultDataDir(String nodeId) {
    return Path.of("data", nodeId);
  }

  public DemoConfig withHost(String newHost) {
    return new DemoConfig(
        nodeId,
        newHost,
        httpPort,
        gossipPort,
        seeds,
        dataDir,
        clusterName,
        adminToken,
        security,
        dnsSeeds,
        membership);
  }

  public DemoConfig withSeeds(List<String> newSeeds) {
    return new DemoConfig(
        nodeId,
        host,
        httpPort,
        gossipPort,
        newSeeds,
        dataDir,
        clusterName,
        adminToken,
        security,
        dnsSeeds,
        membership);
  }

  public DemoConfig withDataDir(Path newDataDir) {
    return new DemoConfig(
        nodeId,
        host,
        httpPort,
        gossipPort,
        seeds,
        newDataDir,
        clusterName,
        adminToken,
        security,
        dnsSeeds,
        membership);
  }

  public DemoConfig withAdminToken(String token) {
    return new DemoConfig(
        nodeId,
        host,
        httpPort,
        gossipPort,
        seeds,
        dataDir,
        clusterName,
        token,
        security,
        dnsSeeds,
        membership);
  }

  public DemoConfig withSecurity(NodeSecurity newSecurity) {
    return new DemoConfig(
        nodeId,
        host,
        httpPort,
        gossipPort,
        seeds,
        dataDir,
        clusterName,
        adminToken,
        newSecurity,
        dnsSeeds,
        membership);
  }

  public DemoConfig withMembership(MembershipSettings newMembership) {
    return new DemoConfig(
        nodeId,
        host,
        httpPort,
        gossipPort,
        seeds,
        dataDir,
        clusterName,
        adminToken,
        security,
        dnsSeeds,
        newMembership);
  }

  public DemoConfig withDnsSeeds(DnsSeeds newDnsSeeds) {
    return new DemoConfig(
        nodeId,
        host,
        httpPort,
        gossipPort,
        seeds,
        dataDir,
        clusterName,
        adminToken,
        security,
        newDnsSeeds,
        membership);
  }

  /** Whether the node keeps its state in memory only. */
  public boolean inMemory() {
    return dataDir == null;
  }

  @Override
  public String toString() {
    // Never print the token.
    return "DemoConfig[nodeId="
        + nodeId
        + ", host="
        + host
        + ", httpPort="
        + httpPort
        + ", gossipPort="
        + gossipPort
        + ", seeds="
        + seeds
        + ", dataDir="
        + (dataDir == null ? "(in memory)" : dataDir)
        + ", cluster="
        + clusterName
        + ", adminToken="
        + (adminToken == null ? "(none: loopback only)" : "(set)")
        + ", security="
        + security
        + ", dnsSeeds="
        + dnsSeeds
        + ", membership="
        + membership
        + "]";
  }

  private static void checkPort(String what, int port) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException(what + " port must be 0-65535, got " + port);
    }
  }
}
