package dev.converge.sync;

import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.store.Durability;
import dev.converge.store.StoreOptions;
import io.netty.util.NetUtil;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Options of a {@link Replicator} node, in the Vert.x style: documented {@code DEFAULT_*} values, a
 * copy constructor, a JSON constructor and {@link #toJson()}, and fluent setters that reject bad
 * values with a message. Profiles: {@link #lan()} and {@link #localTest()}.
 */
public final class SyncOptions {

  /** Default bind and advertised host: {@code 127.0.0.1}. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  /** Default gossip port: 7001. */
  public static final int DEFAULT_PORT = 7001;

  /** Default cluster name: {@code converge}. Nodes of different clusters refuse each other. */
  public static final String DEFAULT_CLUSTER_NAME = "converge";

  /** Default delta propagation interval: 200 ms. */
  public static final long DEFAULT_GOSSIP_INTERVAL_MILLIS = 200;

  /** Default anti-entropy interval: 1,000 ms. */
  public static final long DEFAULT_ANTI_ENTROPY_INTERVAL_MILLIS = 1_000;

  /** Default heartbeat interval: 250 ms. */
  public static final long DEFAULT_HEARTBEAT_INTERVAL_MILLIS = 250;

  /** Default failure-detector threshold (phi): 8, as Cassandra and Akka. */
  public static final double DEFAULT_PHI_THRESHOLD = 8.0;

  /** Default pause tolerated before a silent peer counts as unreachable: 2,000 ms. */
  public static final long DEFAULT_ACCEPTABLE_PAUSE_MILLIS = 2_000;

  /** Default {@link #setMaxValueBytes maximum value size}: 32 MiB encoded. */
  public static final int DEFAULT_MAX_VALUE_BYTES = StoreOptions.DEFAULT_MAX_VALUE_BYTES;

  /** Default largest frame accepted or sent: 8 MiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

  /** Default most peers sent deltas per gossip tick: 8 (rotating). */
  public static final int DEFAULT_GOSSIP_FANOUT = 8;

  /** Default most unacknowledged deltas kept per node before peers fall back to anti-entropy. */
  public static final int DEFAULT_DELTA_BUFFER_MAX_ENTRIES = 100_000;

  /** Default most leaf buckets repaired per anti-entropy session: 64 (of 1,024). */
  public static final int DEFAULT_ANTI_ENTROPY_MAX_BUCKETS = 64;

  /**
   * Default first reconnect delay: 100 ms, doubling up to {@link #DEFAULT_RECONNECT_MAX_MILLIS}.
   */
  public static final long DEFAULT_RECONNECT_MIN_MILLIS = 100;

  /** Default longest reconnect delay: 5,000 ms. */
  public static final long DEFAULT_RECONNECT_MAX_MILLIS = 5_000;

  /** Default bound on a graceful leave's hand-off ({@link #setLeaveTimeoutMillis}): 10 seconds. */
  public static final long DEFAULT_LEAVE_TIMEOUT_MILLIS = 10_000;

  /** Default automatic removal of unreachable members: 0, off. */
  public static final long DEFAULT_AUTO_REMOVE_UNREACHABLE_AFTER_MILLIS = 0;

  /**
   * Default time a gracefully left incarnation may come back on its data before its replica id is
   * pruned ({@link #setPruneLeftAfterMillis}): 5 minutes.
   */
  public static final long DEFAULT_PRUNE_LEFT_AFTER_MILLIS = 300_000;

  /** Default floor of a majority ({@link #setMinQuorumSize}): 1, no floor beyond ⌊N/2⌋+1. */
  public static final int DEFAULT_MIN_QUORUM_SIZE = 1;

  /** Default seed DNS port: 0, which means this node's own gossip port. */
  public static final int DEFAULT_SEED_DNS_PORT = 0;

  /** Default period between two resolutions of the seed DNS name: 10,000 ms. */
  public static final long DEFAULT_SEED_DNS_INTERVAL_MILLIS = 10_000;

  /** Shortest period between two resolutions of the seed DNS name accepted: 100 ms. */
  public static final long MIN_SEED_DNS_INTERVAL_MILLIS = 100;

  /** Prefix of a {@link #setSeedDns(String) seed DNS name} that is looked up as SRV records. */
  public static final String SRV_PREFIX = "srv:";

  /** Shortest cluster secret accepted: 16 characters. */
  public static final int MIN_CLUSTER_SECRET_LENGTH = 16;

  /**
   * Default: a node checks that a peer's TLS certificate names the host it dialled (RFC 2818), as
   * well as being signed by a trusted authority.
   */
  public static final boolean DEFAULT_TLS_HOSTNAME_VERIFICATION = true;

  private String nodeId;
  private String host = DEFAULT_HOST;
  private String advertisedHost;
  private int port = DEFAULT_PORT;
  private List<String> seeds = new ArrayList<>();
  private String seedDns;
  private int seedDnsPort = DEFAULT_SEED_DNS_PORT;
  private long seedDnsIntervalMillis = DEFAULT_SEED_DNS_INTERVAL_MILLIS;
  private List<String> dnsServers = new ArrayList<>();
  private String clusterName = DEFAULT_CLUSTER_NAME;
  private Path dataDir;
  private Durability durability = StoreOptions.DEFAULT_DURABILITY;
  private int cacheMaxEntries = StoreOptions.DEFAULT_CACHE_MAX_ENTRIES;
  private long gossipIntervalMillis = DEFAULT_GOSSIP_INTERVAL_MILLIS;
  private long antiEntropyIntervalMillis = DEFAULT_ANTI_ENTROPY_INTERVAL_MILLIS;
  private long heartbeatIntervalMillis = DEFAULT_HEARTBEAT_INTERVAL_MILLIS;
  private double phiThreshold = DEFAULT_PHI_THRESHOLD;
  private long acceptablePauseMillis = DEFAULT_ACCEPTABLE_PAUSE_MILLIS;
  private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
  private int gossipFanout = DEFAULT_GOSSIP_FANOUT;
  private int deltaBufferMaxEntries = DEFAULT_DELTA_BUFFER_MAX_ENTRIES;
  private int antiEntropyMaxBuckets = DEFAULT_ANTI_ENTROPY_MAX_BUCKETS;
  private long reconnectMinMillis = DEFAULT_RECONNECT_MIN_MILLIS;
  private long reconnectMaxMillis = DEFAULT_RECONNECT_MAX_MILLIS;
  private long leaveTimeoutMillis = DEFAULT_LEAVE_TIMEOUT_MILLIS;
  private long autoRemoveUnreachableAfterMillis = DEFAULT_AUTO_REMOVE_UNREACHABLE_AFTER_MILLIS;
  private long pruneLeftAfterMillis = DEFAULT_PRUNE_LEFT_AFTER_MILLIS;
  private int minQuorumSize = DEFAULT_MIN_QUORUM_SIZE;
  private CrdtCodec codec = CrdtCodec.standard();
  private Map<String, String> metadata = Map.of();
  private String clusterSecret;
  private Path tlsCertPath;
  private Path tlsKeyPath;
  private Path tlsTrustPath;
  private boolean tlsClientAuth;
  private boolean tlsHostnameVerification = DEFAULT_TLS_HOSTNAME_VERIFICATION;

  /** Options with every default; set at least the node id. */
  public SyncOptions() {}

  /** A copy of {@code other}. */
  public SyncOptions(SyncOptions other) {
    this(other.toJson());
    this.codec = other.codec;
  }

  /** Options from JSON as written by {@link #toJson()}; absent fields keep their defaults. */
  public SyncOptions(JsonObject json) {
    if (json.containsKey("nodeId")) {
      setNodeId(json.getString("nodeId"));
    }
    setHost(json.getString("host", host));
    setAdvertisedHost(json.getString("advertisedHost"));
    setPort(json.getInteger("port", port));
    JsonArray seedArray = json.getJsonArray("seeds", new JsonArray());
    List<String> parsed = new ArrayList<>();
    for (Object seed : seedArray) {
      parsed.add(String.valueOf(seed));
    }
    setSeeds(parsed);
    setSeedDns(json.getString("seedDns"));
    setSeedDnsPort(json.getInteger("seedDnsPort", seedDnsPort));
    setSeedDnsIntervalMillis(json.getLong("seedDnsIntervalMillis", seedDnsIntervalMillis));
    List<String> servers = new ArrayList<>();
    for (Object server : json.getJsonArray("dnsServers", new JsonArray())) {
      servers.add(String.valueOf(server));
    }
    setDnsServers(servers);
    setClusterName(json.getString("clusterName", clusterName));
    String dir = json.getString("dataDir");
    setDataDir(dir == null ? null : Path.of(dir));
    setDurability(Durability.valueOf(json.getString("durability", durability.name())));
    setCacheMaxEntries(json.getInteger("cacheMaxEntries", cacheMaxEntries));
    setGossipIntervalMillis(json.getLong("gossipIntervalMillis", gossipIntervalMillis));
    setAntiEntropyIntervalMillis(
        json.getLong("antiEntropyIntervalMillis", antiEntropyIntervalMillis));
    setHeartbeatIntervalMillis(json.getLong("heartbeatIntervalMillis", heartbeatIntervalMillis));
    setPhiThreshold(json.getDouble("phiThreshold", phiThreshold));
    setAcceptablePauseMillis(json.getLong("acceptablePauseMillis", acceptablePauseMillis));
    setMaxFrameBytes(json.getInteger("maxFrameBytes", maxFrameBytes));
    setMaxValueBytes(json.getInteger("maxValueBytes", maxValueBytes));
    setGossipFanout(json.getInteger("gossipFanout", gossipFanout));
    setDeltaBufferMaxEntries(json.getInteger("deltaBufferMaxEntries", deltaBufferMaxEntries));
    setAntiEntropyMaxBuckets(json.getInteger("antiEntropyMaxBuckets", antiEntropyMaxBuckets));
    setReconnectMinMillis(json.getLong("reconnectMinMillis", reconnectMinMillis));
    setReconnectMaxMillis(json.getLong("reconnectMaxMillis", reconnectMaxMillis));
    setLeaveTimeoutMillis(json.getLong("leaveTimeoutMillis", leaveTimeoutMillis));
    setAutoRemoveUnreachableAfterMillis(
        json.getLong("autoRemoveUnreachableAfterMillis", autoRemoveUnreachableAfterMillis));
    setMinQuorumSize(json.getInteger("minQuorumSize", minQuorumSize));
    setPruneLeftAfterMillis(json.getLong("pruneLeftAfterMillis", pruneLeftAfterMillis));
    JsonObject meta = json.getJsonObject("metadata", new JsonObject());
    Map<String, String> parsedMeta = new LinkedHashMap<>();
    meta.forEach(e -> parsedMeta.put(e.getKey(), String.valueOf(e.getValue())));
    setMetadata(parsedMeta);
    setClusterSecret(json.getString("clusterSecret"));
    setTlsCertPath(path(json.getString("tlsCertPath")));
    setTlsKeyPath(path(json.getString("tlsKeyPath")));
    setTlsTrustPath(path(json.getString("tlsTrustPath")));
    setTlsClientAuth(json.getBoolean("tlsClientAuth", tlsClientAuth));
    setTlsHostnameVerification(json.getBoolean("tlsHostnameVerification", tlsHostnameVerification));
  }

  private static Path path(String value) {
    return value == null ? null : Path.of(value);
  }

  /** Defaults for nodes on a LAN: the documented {@code DEFAULT_*} values. */
  public static SyncOptions lan() {
    return new SyncOptions();
  }

  /**
   * For several nodes on one machine (tests, the demo): an ephemeral port (0), in memory, and
   * timers five times faster than {@link #lan()}.
   */
  public static SyncOptions localTest() {
    return new SyncOptions()
        .setPort(0)
        .setGossipIntervalMillis(40)
        .setAntiEntropyIntervalMillis(200)
        .setHeartbeatIntervalMillis(50)
        .setAcceptablePauseMillis(1_000)
        .setReconnectMinMillis(20)
        .setReconnectMaxMillis(500);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    if (nodeId != null) {
      json.put("nodeId", nodeId);
    }
    json.put("host", host).put("port", port).put("seeds", new JsonArray(new ArrayList<>(seeds)));
    putIfSet(json, "seedDns", seedDns);
    json.put("seedDnsPort", seedDnsPort)
        .put("seedDnsIntervalMillis", seedDnsIntervalMillis)
        .put("dnsServers", new JsonArray(new ArrayList<>(dnsServers)));
    json.put("clusterName", clusterName);
    putIfSet(json, "advertisedHost", advertisedHost);
    putIfSet(json, "dataDir", dataDir);
    json.put("durability", durability.name())
        .put("cacheMaxEntries", cacheMaxEntries)
        .put("gossipIntervalMillis", gossipIntervalMillis)
        .put("antiEntropyIntervalMillis", antiEntropyIntervalMillis)
        .put("heartbeatIntervalMillis", heartbeatIntervalMillis)
        .put("phiThreshold", phiThreshold)
        .put("acceptablePauseMillis", acceptablePauseMillis)
        .put("maxFrameBytes", maxFrameBytes)
        .put("maxValueBytes", maxValueBytes)
        .put("gossipFanout", gossipFanout)
        .put("deltaBufferMaxEntries", deltaBufferMaxEntries)
        .put("antiEntropyMaxBuckets", antiEntropyMaxBuckets)
        .put("reconnectMinMillis", reconnectMinMillis)
        .put("reconnectMaxMillis", reconnectMaxMillis)
        .put("leaveTimeoutMillis", leaveTimeoutMillis)
        .put("autoRemoveUnreachableAfterMillis", autoRemoveUnreachableAfterMillis)
        .put("minQuorumSize", minQuorumSize)
        .put("pruneLeftAfterMillis", pruneLeftAfterMillis)
        .put("metadata", new JsonObject(new LinkedHashMap<>(metadata)))
        .put("tlsClientAuth", tlsClientAuth)
        .put("tlsHostnameVerification", tlsHostnameVerification);
    putIfSet(json, "clusterSecret", clusterSecret);
    putIfSet(json, "tlsCertPath", tlsCertPath);
    putIfSet(json, "tlsKeyPath", tlsKeyPath);
    putIfSet(json, "tlsTrustPath", tlsTrustPath);
    return json;
  }

  private static void putIfSet(JsonObject json, String name, Object value) {
    if (value != null) {
      json.put(name, value.toString());
    }
  }

  public String getNodeId() {
    return nodeId;
  }

  /** This node's stable name: 1–64 letters, digits, {@code -_.}. Required. */
  public SyncOptions setNodeId(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    if (!nodeId.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException(
          "node id must be 1-64 letters, digits, '-', '_' or '.', got \"" + nodeId + "\"");
    }
    this.nodeId = nodeId;
    return this;
  }

  public String getHost() {
    return host;
  }

  /** The address gossip binds to and tells peers. */
  public SyncOptions setHost(String host) {
    Objects.requireNonNull(host, "host");
    if (host.isBlank() || host.length() > 255) {
      throw new IllegalArgumentException("bad host \"" + host + "\"");
    }
    this.host = host;
    return this;
  }

  /**
   * The host peers are told to connect to: the advertised host if set; else the bind host, unless
   * that is a wildcard ({@code 0.0.0.0}, {@code ::}), in which case this machine's address as the
   * JDK resolves it (set an advertised host when that is not what peers can reach).
   */
  public String getAdvertisedHost() {
    if (advertisedHost != null) {
      return advertisedHost;
    }
    if (host.equals("0.0.0.0") || host.equals("::")) {
      try {
        return java.net.InetAddress.getLocalHost().getHostAddress();
      } catch (java.net.UnknownHostException e) {
        return host;
      }
    }
    return host;
  }

  /**
   * The host peers should use to reach this node, when it differs from the bind address (binding
   * {@code 0.0.0.0}, NAT); null to advertise the bind host.
   */
  public SyncOptions setAdvertisedHost(String advertisedHost) {
    if (advertisedHost != null && (advertisedHost.isBlank() || advertisedHost.length() > 255)) {
      throw new IllegalArgumentException("bad advertised host \"" + advertisedHost + "\"");
    }
    this.advertisedHost = advertisedHost;
    return this;
  }

  public int getPort() {
    return port;
  }

  /** Gossip TCP port; 0 picks a free one (see {@link Replicator#port()}). */
  public SyncOptions setPort(int port) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0-65535, got " + port);
    }
    this.port = port;
    return this;
  }

  public List<String> getSeeds() {
    return List.copyOf(seeds);
  }

  /** Addresses {@code host:port} contacted to join; this node's own address may be among them. */
  public SyncOptions setSeeds(List<String> seeds) {
    List<String> checked = new ArrayList<>();
    for (String seed : Objects.requireNonNull(seeds, "seeds")) {
      PeerAddress.parse(seed);
      checked.add(seed);
    }
    this.seeds = checked;
    return this;
  }

  public String getSeedDns() {
    return seedDns;
  }

  /**
   * A DNS name whose records list seeds, looked up at start and again every {@link
   * #setSeedDnsIntervalMillis(long) interval}; null (the default) for none. Two forms:
   *
   * <ul>
   *   <li>{@code srv:_converge._tcp.my-svc.ns.svc.cluster.local}: SRV records; each gives a target
   *       host and a port, and the target is then looked up as A and AAAA records;
   *   <li>{@code my-svc.ns.svc.cluster.local}: A and AAAA records, each address with {@link
   *       #setSeedDnsPort(int) the seed DNS port}.
   * </ul>
   *
   * <p>The addresses found are dialled as {@link #setSeeds(List) seeds} are, in addition to them.
   * The name is queried as written (no search domains): give it fully qualified. A failed lookup
   * leaves the static seeds, logs a warning and is retried at the next interval; it never stops the
   * node.
   */
  public SyncOptions setSeedDns(String seedDns) {
    if (seedDns != null) {
      String name =
          seedDns.startsWith(SRV_PREFIX) ? seedDns.substring(SRV_PREFIX.length()) : seedDns;
      if (!isDnsName(name)) {
        throw new IllegalArgumentException(
            "seedDns must be a DNS name (letters, digits, '-', '_', dot-separated labels of 1-63"
                + " characters, at most 253 in all), optionally prefixed with \""
                + SRV_PREFIX
                + "\" for SRV records; got \""
                + seedDns
                + "\"");
      }
    }
    this.seedDns = seedDns;
    return this;
  }

  private static boolean isDnsName(String name) {
    String bare = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    if (bare.isEmpty() || bare.length() > 253) {
      return false;
    }
    for (String label : bare.split("\\.", -1)) {
      if (!label.matches("[A-Za-z0-9_-]{1,63}")) {
        return false;
      }
    }
    return true;
  }

  public int getSeedDnsPort() {
    return seedDnsPort;
  }

  /**
   * The gossip port of the addresses an A/AAAA {@link #setSeedDns(String) seed DNS name} gives: 0
   * (the default) for this node's own gossip port, which suits nodes that all listen on the same
   * port. Not used with an {@code srv:} name, whose records carry their ports.
   */
  public SyncOptions setSeedDnsPort(int seedDnsPort) {
    if (seedDnsPort < 0 || seedDnsPort > 65_535) {
      throw new IllegalArgumentException(
          "seedDnsPort must be 0-65535 (0: this node's port), got " + seedDnsPort);
    }
    this.seedDnsPort = seedDnsPort;
    return this;
  }

  public long getSeedDnsIntervalMillis() {
    return seedDnsIntervalMillis;
  }

  /**
   * How often the {@link #setSeedDns(String) seed DNS name} is looked up again (default {@value
   * #DEFAULT_SEED_DNS_INTERVAL_MILLIS} ms, at least {@value #MIN_SEED_DNS_INTERVAL_MILLIS}).
   * Addresses not dialled before are dialled; a lookup that is due while the previous one still
   * runs is skipped.
   */
  public SyncOptions setSeedDnsIntervalMillis(long millis) {
    if (millis < MIN_SEED_DNS_INTERVAL_MILLIS) {
      throw new IllegalArgumentException(
          "seedDnsIntervalMillis must be >= " + MIN_SEED_DNS_INTERVAL_MILLIS + ", got " + millis);
    }
    this.seedDnsIntervalMillis = millis;
    return this;
  }

  public List<String> getDnsServers() {
    return List.copyOf(dnsServers);
  }

  /**
   * The DNS servers asked for the {@link #setSeedDns(String) seed DNS name}, as {@code ip:port} (an
   * IPv6 address as {@code [::1]:53} or {@code ::1:53}); empty (the default) for the first name
   * server of the system's configuration ({@code /etc/resolv.conf}). A server that does not answer,
   * or answers with an error other than "no such name", is followed by the next. Addresses, not
   * host names: looking up the DNS server itself would need a DNS server.
   */
  public SyncOptions setDnsServers(List<String> dnsServers) {
    List<String> checked = new ArrayList<>();
    for (String server : Objects.requireNonNull(dnsServers, "dnsServers")) {
      String problem = "a DNS server must be ip:port (an IP address, not a host name), got \"";
      PeerAddress address;
      try {
        address = PeerAddress.parse(server);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(problem + server + "\"", e);
      }
      if (!isIpLiteral(unbracketed(address.host()))) {
        throw new IllegalArgumentException(problem + server + "\"");
      }
      checked.add(server);
    }
    this.dnsServers = checked;
    return this;
  }

  /** {@code host} without the brackets of an IPv6 literal such as {@code [::1]}. */
  private static String unbracketed(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /** Whether {@code host} is an IPv4 or IPv6 literal; never looks anything up. */
  private static boolean isIpLiteral(String host) {
    return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host);
  }

  public String getClusterName() {
    return clusterName;
  }

  /** Nodes join only peers of the same cluster name. */
  public SyncOptions setClusterName(String clusterName) {
    Objects.requireNonNull(clusterName, "clusterName");
    if (!clusterName.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("bad cluster name \"" + clusterName + "\"");
    }
    this.clusterName = clusterName;
    return this;
  }

  public Path getDataDir() {
    return dataDir;
  }

  /** Where the durable store lives; null keeps state in memory only. */
  public SyncOptions setDataDir(Path dataDir) {
    this.dataDir = dataDir;
    return this;
  }

  public Durability getDurability() {
    return durability;
  }

  public SyncOptions setDurability(Durability durability) {
    this.durability = Objects.requireNonNull(durability, "durability");
    return this;
  }

  public int getCacheMaxEntries() {
    return cacheMaxEntries;
  }

  public SyncOptions setCacheMaxEntries(int cacheMaxEntries) {
    this.cacheMaxEntries = positive("cacheMaxEntries", cacheMaxEntries);
    return this;
  }

  public long getGossipIntervalMillis() {
    return gossipIntervalMillis;
  }

  public SyncOptions setGossipIntervalMillis(long millis) {
    this.gossipIntervalMillis = positive("gossipIntervalMillis", millis);
    return this;
  }

  public long getAntiEntropyIntervalMillis() {
    return antiEntropyIntervalMillis;
  }

  public SyncOptions setAntiEntropyIntervalMillis(long millis) {
    this.antiEntropyIntervalMillis = positive("antiEntropyIntervalMillis", millis);
    return this;
  }

  public long getHeartbeatIntervalMillis() {
    return heartbeatIntervalMillis;
  }

  public SyncOptions setHeartbeatIntervalMillis(long millis) {
    this.heartbeatIntervalMillis = positive("heartbeatIntervalMillis", millis);
    return this;
  }

  public double getPhiThreshold() {
    return phiThreshold;
  }

  public SyncOptions setPhiThreshold(double phiThreshold) {
    if (!(phiThreshold > 0)) {
      throw new IllegalArgumentException("phiThreshold must be > 0, got " + phiThreshold);
    }
    this.phiThreshold = phiThreshold;
    return this;
  }

  public long getAcceptablePauseMillis() {
    return acceptablePauseMillis;
  }

  /** Silence longer than this (beyond the usual heartbeat gaps) makes a peer unreachable. */
  public SyncOptions setAcceptablePauseMillis(long millis) {
    this.acceptablePauseMillis = positive("acceptablePauseMillis", millis);
    return this;
  }

  public int getMaxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * Largest frame sent or accepted; a larger incoming frame closes its connection. A message larger
   * than a chunk ({@code min(256 KiB, maxFrameBytes / 2)}) travels in chunks, so this does not
   * limit the size of a value ({@link #setMaxValueBytes}).
   */
  public SyncOptions setMaxFrameBytes(int maxFrameBytes) {
    if (maxFrameBytes < 1024) {
      throw new IllegalArgumentException("maxFrameBytes must be >= 1024, got " + maxFrameBytes);
    }
    this.maxFrameBytes = maxFrameBytes;
    return this;
  }

  public int getMaxValueBytes() {
    return maxValueBytes;
  }

  /**
   * The one size limit: a local write that would make a key's state encode larger than this fails
   * with {@code StoreException.ValueTooLarge} before anything is stored or sent. The other limits
   * derive from it: states are read, stored and accepted from peers up to twice this (concurrent
   * writes on several replicas can each stay under it and join above it), and a message carrying
   * one such state travels in chunks of the frame size. See the README's "Limits".
   *
   * @throws IllegalArgumentException unless 1 KiB to {@link StoreOptions#MAX_MAX_VALUE_BYTES}
   */
  public SyncOptions setMaxValueBytes(int maxValueBytes) {
    this.maxValueBytes = StoreOptions.checkMaxValueBytes(maxValueBytes);
    return this;
  }

  /** The largest encoded state read or accepted: twice {@link #getMaxValueBytes}. */
  public int readLimitBytes() {
    return 2 * maxValueBytes;
  }

  public int getGossipFanout() {
    return gossipFanout;
  }

  public SyncOptions setGossipFanout(int gossipFanout) {
    this.gossipFanout = positive("gossipFanout", gossipFanout);
    return this;
  }

  public int getDeltaBufferMaxEntries() {
    return deltaBufferMaxEntries;
  }

  public SyncOptions setDeltaBufferMaxEntries(int entries) {
    this.deltaBufferMaxEntries = positive("deltaBufferMaxEntries", entries);
    return this;
  }

  public int getAntiEntropyMaxBuckets() {
    return antiEntropyMaxBuckets;
  }

  public SyncOptions setAntiEntropyMaxBuckets(int buckets) {
    this.antiEntropyMaxBuckets = positive("antiEntropyMaxBuckets", buckets);
    return this;
  }

  public long getReconnectMinMillis() {
    return reconnectMinMillis;
  }

  public SyncOptions setReconnectMinMillis(long millis) {
    this.reconnectMinMillis = positive("reconnectMinMillis", millis);
    return this;
  }

  public long getLeaveTimeoutMillis() {
    return leaveTimeoutMillis;
  }

  /**
   * Bound on a graceful leave ({@link Replicator#close()}): how long the node waits for its peers
   * to acknowledge every delta they have not yet acknowledged before it leaves anyway (default
   * {@link #DEFAULT_LEAVE_TIMEOUT_MILLIS}). Give the process at least this long to stop (a pod's
   * {@code terminationGracePeriodSeconds}).
   */
  public SyncOptions setLeaveTimeoutMillis(long millis) {
    this.leaveTimeoutMillis = positive("leaveTimeoutMillis", millis);
    return this;
  }

  public long getAutoRemoveUnreachableAfterMillis() {
    return autoRemoveUnreachableAfterMillis;
  }

  /**
   * Removes a member that has been unreachable for longer than {@code millis} (0, the default,
   * turns it off). Risky: on both sides of a long partition, each side removes the other, and the
   * removed incarnations are refused when the partition heals (they may rejoin only as new
   * incarnations). Writes that never left a removed node are lost. Prefer {@link
   * Replicator#removeMember} by an operator who knows the node is gone.
   */
  public SyncOptions setAutoRemoveUnreachableAfterMillis(long millis) {
    if (millis < 0) {
      throw new IllegalArgumentException(
          "autoRemoveUnreachableAfterMillis must be >= 0 (0 = off), got " + millis);
    }
    this.autoRemoveUnreachableAfterMillis = millis;
    return this;
  }

  public long getPruneLeftAfterMillis() {
    return pruneLeftAfterMillis;
  }

  /**
   * How long after a graceful leave the left incarnation's replica id is pruned from every key
   * (default {@link #DEFAULT_PRUNE_LEFT_AFTER_MILLIS}). Until then a durable node may restart on
   * its data under the same incarnation and rejoin; after it, that incarnation is removed and
   * refused, and must rejoin as a new one (an empty data directory: nothing is lost, its leave
   * handed every write off). Removed and superseded incarnations are pruned at once. 0 prunes left
   * incarnations at once too.
   */
  public SyncOptions setPruneLeftAfterMillis(long millis) {
    if (millis < 0) {
      throw new IllegalArgumentException("pruneLeftAfterMillis must be >= 0, got " + millis);
    }
    this.pruneLeftAfterMillis = millis;
    return this;
  }

  public int getMinQuorumSize() {
    return minQuorumSize;
  }

  /**
   * Floor of a {@code majority}: it needs {@code max(⌊N/2⌋+1, minQuorumSize)} replicas (Pekko's
   * {@code minCap}), and fails while fewer than that many members are known. Set it to the majority
   * of the cluster's planned size so that a node that knows few members (while joining, or cut off
   * since it started) cannot reach a too-small majority (default {@link #DEFAULT_MIN_QUORUM_SIZE}).
   */
  public SyncOptions setMinQuorumSize(int size) {
    this.minQuorumSize = positive("minQuorumSize", size);
    return this;
  }

  public long getReconnectMaxMillis() {
    return reconnectMaxMillis;
  }

  public SyncOptions setReconnectMaxMillis(long millis) {
    this.reconnectMaxMillis = positive("reconnectMaxMillis", millis);
    return this;
  }

  public Map<String, String> getMetadata() {
    return metadata;
  }

  /**
   * Small facts about this node that every member learns with it (e.g. its HTTP URL): at most 16
   * entries, keys of 1–64 characters of letters, digits, {@code -_.}, values up to 256 characters.
   */
  public SyncOptions setMetadata(Map<String, String> metadata) {
    Objects.requireNonNull(metadata, "metadata");
    if (metadata.size() > 16) {
      throw new IllegalArgumentException("at most 16 metadata entries");
    }
    metadata.forEach(
        (k, v) -> {
          if (k == null || !k.matches("[A-Za-z0-9._-]{1,64}") || v == null || v.length() > 256) {
            throw new IllegalArgumentException("bad metadata entry " + k + "=" + v);
          }
        });
    this.metadata = Map.copyOf(metadata);
    return this;
  }

  public CrdtCodec getCodec() {
    return codec;
  }

  /**
   * The codec; its registry must know every type replicated (user types included). Its byte limit
   * is replaced by {@link #readLimitBytes()}.
   */
  public SyncOptions setCodec(CrdtCodec codec) {
    this.codec = Objects.requireNonNull(codec, "codec");
    return this;
  }

  /** The cluster secret, or {@code null} if the cluster has none. Never logged. */
  public String getClusterSecret() {
    return clusterSecret;
  }

  /**
   * A secret shared by every node of the cluster ({@code null}: none, the default). When set, a
   * peer joins, sends state and receives state only after proving in the handshake that it knows
   * the same secret (HMAC-SHA256 challenge-response in both directions); the secret itself never
   * crosses the network. Nodes with different secrets, or one with and one without, refuse each
   * other. At least {@value #MIN_CLUSTER_SECRET_LENGTH} characters; use a random value (e.g. 32
   * bytes from a CSPRNG, base64). Without TLS the secret keeps out a process that dials in, not an
   * attacker who can hijack TCP connections on the network path.
   */
  public SyncOptions setClusterSecret(String clusterSecret) {
    if (clusterSecret != null
        && (clusterSecret.length() < MIN_CLUSTER_SECRET_LENGTH || clusterSecret.length() > 1024)) {
      throw new IllegalArgumentException(
          "cluster secret must be "
              + MIN_CLUSTER_SECRET_LENGTH
              + "-1024 characters, got "
              + clusterSecret.length());
    }
    this.clusterSecret = clusterSecret;
    return this;
  }

  /** Whether node-to-node links use TLS: true when a certificate is set. */
  public boolean isTlsEnabled() {
    return tlsCertPath != null;
  }

  public Path getTlsCertPath() {
    return tlsCertPath;
  }

  /**
   * This node's certificate chain (PEM), presented as a server and, with {@link
   * #setTlsClientAuth(boolean) client authentication}, as a client. Setting it enables TLS on every
   * link; then the key and the trusted authorities must be set too.
   */
  public SyncOptions setTlsCertPath(Path tlsCertPath) {
    this.tlsCertPath = tlsCertPath;
    return this;
  }

  public Path getTlsKeyPath() {
    return tlsKeyPath;
  }

  /** The private key of {@link #setTlsCertPath(Path) the certificate} (PEM, PKCS#8 or PKCS#1). */
  public SyncOptions setTlsKeyPath(Path tlsKeyPath) {
    this.tlsKeyPath = tlsKeyPath;
    return this;
  }

  public Path getTlsTrustPath() {
    return tlsTrustPath;
  }

  /**
   * The certificate authorities (PEM) a peer's certificate must chain to: a node dials only peers
   * whose certificate they signed, and with client authentication accepts only such callers.
   */
  public SyncOptions setTlsTrustPath(Path tlsTrustPath) {
    this.tlsTrustPath = tlsTrustPath;
    return this;
  }

  public boolean isTlsClientAuth() {
    return tlsClientAuth;
  }

  /**
   * Mutual TLS ({@code false} by default): the node refuses a caller that does not present a
   * certificate signed by a {@link #setTlsTrustPath(Path) trusted authority}. Requires TLS.
   */
  public SyncOptions setTlsClientAuth(boolean tlsClientAuth) {
    this.tlsClientAuth = tlsClientAuth;
    return this;
  }

  public boolean isTlsHostnameVerification() {
    return tlsHostnameVerification;
  }

  /**
   * Whether a peer's certificate must name the host this node dialled (default {@value
   * #DEFAULT_TLS_HOSTNAME_VERIFICATION}). Turn it off only when every certificate is issued by a
   * private authority for this cluster alone, which then is what identifies a node.
   */
  public SyncOptions setTlsHostnameVerification(boolean tlsHostnameVerification) {
    this.tlsHostnameVerification = tlsHostnameVerification;
    return this;
  }

  /**
   * @throws IllegalStateException if options contradict each other or a required one is unset
   */
  public void validate() {
    if (nodeId == null) {
      throw new IllegalStateException("node id is not set");
    }
    if (reconnectMinMillis > reconnectMaxMillis) {
      throw new IllegalStateException(
          "reconnectMinMillis "
              + reconnectMinMillis
              + " > reconnectMaxMillis "
              + reconnectMaxMillis);
    }
    if (acceptablePauseMillis < heartbeatIntervalMillis) {
      throw new IllegalStateException("acceptablePauseMillis must be >= heartbeatIntervalMillis");
    }
    boolean cert = tlsCertPath != null;
    if (cert != (tlsKeyPath != null) || cert != (tlsTrustPath != null)) {
      throw new IllegalStateException(
          "TLS needs all three of tlsCertPath, tlsKeyPath and tlsTrustPath, or none of them");
    }
    if (tlsClientAuth && !cert) {
      throw new IllegalStateException("tlsClientAuth requires TLS (set tlsCertPath)");
    }
    if (seedDns == null && !dnsServers.isEmpty()) {
      throw new IllegalStateException("dnsServers are set but seedDns is not: set both or neither");
    }
    if (seedDns == null && seedDnsPort != DEFAULT_SEED_DNS_PORT) {
      throw new IllegalStateException("seedDnsPort is set but seedDns is not");
    }
    if (seedDns != null && seedDns.startsWith(SRV_PREFIX) && seedDnsPort != DEFAULT_SEED_DNS_PORT) {
      throw new IllegalStateException(
          "seedDnsPort applies to an A/AAAA name only: the SRV records of \""
              + seedDns
              + "\" carry their own ports");
    }
  }

  /** The store options these sync options imply. */
  public StoreOptions toStoreOptions() {
    return new StoreOptions()
        .setNodeId(nodeId)
        .setDataDir(dataDir)
        .setDurability(durability)
        .setCacheMaxEntries(cacheMaxEntries)
        .setMaxValueBytes(maxValueBytes)
        .setCodec(codec);
  }

  private static int positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + value);
    }
    return value;
  }

  private static long positive(String name, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + value);
    }
    return value;
  }
}
