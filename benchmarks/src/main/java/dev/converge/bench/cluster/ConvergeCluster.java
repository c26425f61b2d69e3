package dev.converge.bench.cluster;

import dev.converge.crdt.Key;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.codec.ValueCodec;
import dev.converge.sync.ClusterMember;
import dev.converge.sync.Replicator;
import dev.converge.sync.SyncMetrics;
import dev.converge.sync.SyncOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * N Converge nodes on loopback, one {@link Vertx} each (so each has its own event loops, as
 * separate processes would), in memory, real TCP between them. Node i is {@code n<i>}; every node
 * seeds on node 0. Bytes come from {@link SyncMetrics#bytesSent()}: frame bytes written to peers.
 */
public final class ConvergeCluster implements ClusterDriver {

  private final String label;
  private final SyncOptions profile;
  private final List<Vertx> vertxes = new ArrayList<>();
  private final List<Replicator> nodes = new ArrayList<>();

  private ConvergeCluster(String label, SyncOptions profile) {
    this.label = label;
    this.profile = profile;
  }

  /**
   * Starts {@code n} nodes with {@code profile} (node id, port and seeds are set here) and waits
   * until every node sees every other one.
   */
  public static ConvergeCluster start(String label, int n, SyncOptions profile) {
    ConvergeCluster cluster = new ConvergeCluster(label, profile);
    String clusterName = "bench-" + Long.toHexString(System.nanoTime());
    try {
      for (int i = 0; i < n; i++) {
        SyncOptions o =
            new SyncOptions(profile)
                .setNodeId("n" + i)
                .setHost("127.0.0.1")
                .setPort(0)
                .setClusterName(clusterName);
        if (i > 0) {
          o.setSeeds(List.of("127.0.0.1:" + cluster.nodes.get(0).port()));
        }
        Vertx vertx = Vertx.vertx();
        cluster.vertxes.add(vertx);
        Replicator node = Replicator.create(vertx, o);
        node.start().await();
        cluster.nodes.add(node);
      }
      Waits.until(cluster::membershipComplete, 60_000, 20, "Converge membership of " + n);
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private static Key<PNCounter> counterKey(String name) {
    return Key.pnCounter(name);
  }

  private static Key<ORSet<String>> setKey(String name) {
    return Key.orSet(name, ValueCodec.string());
  }

  private static Key<LWWRegister<String>> registerKey(String name) {
    return Key.lwwRegister(name, ValueCodec.string());
  }

  @Override
  public String label() {
    return label;
  }

  @Override
  public int size() {
    return nodes.size();
  }

  @Override
  public long deltaIntervalMillis() {
    return profile.getGossipIntervalMillis();
  }

  @Override
  public long repairIntervalMillis() {
    return profile.getAntiEntropyIntervalMillis();
  }

  @Override
  public Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("system", "Converge (sync-transport, in-memory store)");
    s.put("delta gossip interval ms", profile.getGossipIntervalMillis());
    s.put("anti-entropy interval ms", profile.getAntiEntropyIntervalMillis());
    s.put("heartbeat interval ms", profile.getHeartbeatIntervalMillis());
    s.put("gossip fanout", profile.getGossipFanout());
    s.put("max frame bytes", profile.getMaxFrameBytes());
    s.put("delta buffer max entries", profile.getDeltaBufferMaxEntries());
    return s;
  }

  @Override
  public CompletionStage<?> increment(int node, String key, long amount) {
    return nodes
        .get(node)
        .update(counterKey(key), PNCounter.incrementBy(amount))
        .toCompletionStage();
  }

  @Override
  public CompletionStage<?> add(int node, String key, String element) {
    return nodes.get(node).update(setKey(key), ORSet.adding(element)).toCompletionStage();
  }

  @Override
  public CompletionStage<?> assign(int node, String key, String value) {
    return nodes
        .get(node)
        .update(registerKey(key), LWWRegister.assigning(value))
        .toCompletionStage();
  }

  @Override
  public long counter(int node, String key) {
    return nodes.get(node).get(counterKey(key)).await().value();
  }

  @Override
  public int setSize(int node, String key) {
    return nodes.get(node).get(setKey(key)).await().size();
  }

  @Override
  public String register(int node, String key) {
    return nodes.get(node).get(registerKey(key)).await().value().orElse(null);
  }

  @Override
  public int keyCount(int node) {
    int count = 0;
    String after = null;
    while (true) {
      List<String> page = nodes.get(node).keys(after, 10_000).await();
      count += page.size();
      if (page.size() < 10_000) {
        return count;
      }
      after = page.get(page.size() - 1);
    }
  }

  @Override
  public void isolate(int node) {
    Set<String> others = new HashSet<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (i != node) {
        others.add("n" + i);
      }
    }
    nodes.get(node).faults().partition(others);
  }

  @Override
  public void heal() {
    nodes.forEach(n -> n.faults().heal());
  }

  @Override
  public boolean seesAllUnreachable(int node) {
    List<ClusterMember> members = nodes.get(node).members();
    return members.size() == nodes.size() - 1
        && members.stream().noneMatch(ClusterMember::reachable);
  }

  @Override
  public boolean membershipComplete() {
    for (Replicator node : nodes) {
      long reachable = node.members().stream().filter(ClusterMember::reachable).count();
      if (reachable != nodes.size() - 1) {
        return false;
      }
    }
    return true;
  }

  @Override
  public long wireBytes() {
    long sum = 0;
    for (Replicator node : nodes) {
      sum += node.metrics().bytesSent();
    }
    return sum;
  }

  /** Anti-entropy rounds started and anti-entropy bytes sent, summed over the nodes. */
  public long[] antiEntropy() {
    long rounds = 0;
    long bytes = 0;
    for (Replicator node : nodes) {
      SyncMetrics m = node.metrics();
      rounds += m.antiEntropyRounds();
      bytes += m.antiEntropyBytesSent();
    }
    return new long[] {rounds, bytes};
  }

  @Override
  public void close() {
    List<Future<Void>> closing = new ArrayList<>();
    nodes.forEach(n -> closing.add(n.close()));
    Future.join(closing).await();
    vertxes.forEach(v -> v.close().await());
  }
}
