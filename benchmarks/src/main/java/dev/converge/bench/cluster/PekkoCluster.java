package dev.converge.bench.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.DistributedData;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.LWWRegisterKey;
import org.apache.pekko.cluster.ddata.ORSet;
import org.apache.pekko.cluster.ddata.ORSetKey;
import org.apache.pekko.cluster.ddata.PNCounter;
import org.apache.pekko.cluster.ddata.PNCounterKey;
import org.apache.pekko.cluster.ddata.ReplicatedData;
import org.apache.pekko.cluster.ddata.Replicator;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.pattern.Patterns;

/**
 * N Pekko ActorSystems in this JVM forming a cluster over Artery TCP on loopback, each running the
 * Distributed Data {@code Replicator}: the peer Converge is compared with. Writes are {@code
 * Update(..., WriteLocal)} messages told to the local Replicator with an acknowledging actor as
 * sender (the cheapest correct local write, cheaper than {@code ask}); reads are {@code
 * Get(ReadLocal)} asks.
 *
 * <p>Partitions use Artery's test mode blackhole ({@code pekko.remote.artery.advanced.test-mode},
 * the mechanism Pekko's own multi-node tests use), which drops every message to and from a peer at
 * the node's remoting stages while connections stay up; it is switched on only when asked for.
 * Bytes are counted by a {@link ByteCountingRelay} in front of every node when asked for: the
 * node's canonical (advertised) port is the relay's, its bind port the real one.
 */
public final class PekkoCluster implements ClusterDriver {

  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

  private final String label;
  private final Duration gossipInterval;
  private final List<ActorSystem> systems = new ArrayList<>();
  private final List<ActorRef> replicators = new ArrayList<>();
  private final List<SelfUniqueAddress> selves = new ArrayList<>();
  private final List<ActorRef> ackers = new ArrayList<>();
  private final List<ByteCountingRelay> relays = new ArrayList<>();
  private final ConcurrentHashMap<Long, CompletableFuture<Void>> pending =
      new ConcurrentHashMap<>();
  private final AtomicLong requestIds = new AtomicLong();

  private PekkoCluster(String label, Duration gossipInterval) {
    this.label = label;
    this.gossipInterval = gossipInterval;
  }

  /**
   * Starts {@code n} nodes and waits until all are Up and see each other as reachable.
   *
   * @param gossipInterval Distributed Data's {@code gossip-interval}; null keeps Pekko's default
   * @param countBytes put a byte-counting relay in front of each node
   * @param partitions switch Artery's test mode on, so that {@link #isolate} works
   */
  public static PekkoCluster start(
      String label, int n, Duration gossipInterval, boolean countBytes, boolean partitions) {
    PekkoCluster cluster = new PekkoCluster(label, gossipInterval);
    try {
      String seed = null;
      for (int i = 0; i < n; i++) {
        int bindPort = ByteCountingRelay.freePort();
        int canonicalPort = bindPort;
        if (countBytes) {
          ByteCountingRelay relay = new ByteCountingRelay(bindPort);
          cluster.relays.add(relay);
          canonicalPort = relay.port();
        }
        if (seed == null) {
          seed = "pekko://bench@127.0.0.1:" + canonicalPort;
        }
        Config config = config(canonicalPort, bindPort, seed, gossipInterval, partitions);
        ActorSystem system = ActorSystem.create("bench", config);
        cluster.systems.add(system);
        DistributedData ddata = DistributedData.get(system);
        cluster.replicators.add(ddata.replicator());
        cluster.selves.add(ddata.selfUniqueAddress());
        cluster.ackers.add(system.actorOf(Props.create(Acker.class, cluster.pending), "acker"));
      }
      Waits.until(cluster::membershipComplete, 90_000, 50, "Pekko membership of " + n);
      return cluster;
    } catch (IOException e) {
      cluster.close();
      throw new IllegalStateException(e);
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  static Config config(
      int canonicalPort, int bindPort, String seed, Duration gossipInterval, boolean testMode) {
    StringBuilder c = new StringBuilder();
    c.append("pekko.loglevel = WARNING\n");
    c.append("pekko.stdout-loglevel = WARNING\n");
    c.append("pekko.log-dead-letters = off\n");
    c.append("pekko.log-dead-letters-during-shutdown = off\n");
    c.append("pekko.actor.provider = cluster\n");
    c.append("pekko.remote.artery.transport = tcp\n");
    c.append("pekko.remote.artery.canonical.hostname = \"127.0.0.1\"\n");
    c.append("pekko.remote.artery.canonical.port = ").append(canonicalPort).append('\n');
    c.append("pekko.remote.artery.bind.hostname = \"127.0.0.1\"\n");
    c.append("pekko.remote.artery.bind.port = ").append(bindPort).append('\n');
    c.append("pekko.remote.artery.advanced.test-mode = ").append(testMode ? "on" : "off");
    c.append('\n');
    c.append("pekko.cluster.seed-nodes = [\"").append(seed).append("\"]\n");
    c.append("pekko.cluster.jmx.enabled = off\n");
    c.append("pekko.cluster.log-info = off\n");
    c.append("pekko.cluster.distributed-data.log-data-size-exceeding = off\n");
    c.append("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n");
    if (gossipInterval != null) {
      c.append("pekko.cluster.distributed-data.gossip-interval = ")
          .append(gossipInterval.toMillis())
          .append("ms\n");
    }
    return ConfigFactory.parseString(c.toString()).withFallback(ConfigFactory.load());
  }

  /** Completes the future registered under an Update's request id when its reply arrives. */
  public static final class Acker extends AbstractActor {
    private final ConcurrentHashMap<Long, CompletableFuture<Void>> pending;

    public Acker(ConcurrentHashMap<Long, CompletableFuture<Void>> pending) {
      this.pending = pending;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(
              Replicator.UpdateResponse.class,
              r -> {
                Optional<Object> id = r.getRequest();
                CompletableFuture<Void> f = id.isPresent() ? pending.remove(id.get()) : null;
                if (f == null) {
                  return;
                }
                if (r instanceof Replicator.UpdateSuccess) {
                  f.complete(null);
                } else {
                  f.completeExceptionally(new IllegalStateException("update failed: " + r));
                }
              })
          .build();
    }
  }

  @Override
  public String label() {
    return label;
  }

  @Override
  public int size() {
    return systems.size();
  }

  private Duration effectiveGossip() {
    return systems
        .get(0)
        .settings()
        .config()
        .getDuration("pekko.cluster.distributed-data.gossip-interval");
  }

  @Override
  public long deltaIntervalMillis() {
    // Replicator: deltaPropagationInterval = max(gossip-interval / 5, 200 ms).
    return Math.max(effectiveGossip().toMillis() / 5, 200);
  }

  @Override
  public long repairIntervalMillis() {
    return effectiveGossip().toMillis();
  }

  @Override
  public Map<String, Object> settings() {
    Config c = systems.get(0).settings().config();
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("system", "Pekko Distributed Data " + ActorSystem.Version() + " (classic Replicator)");
    s.put(
        "gossip-interval ms",
        c.getDuration("pekko.cluster.distributed-data.gossip-interval").toMillis());
    s.put("delta propagation interval ms (max(gossip/5, 200ms))", deltaIntervalMillis());
    s.put("delta-crdt.enabled", c.getBoolean("pekko.cluster.distributed-data.delta-crdt.enabled"));
    s.put(
        "delta-crdt.max-delta-size",
        c.getInt("pekko.cluster.distributed-data.delta-crdt.max-delta-size"));
    s.put("max-delta-elements", c.getInt("pekko.cluster.distributed-data.max-delta-elements"));
    s.put(
        "artery.advanced.maximum-frame-size bytes",
        c.getBytes("pekko.remote.artery.advanced.maximum-frame-size"));
    s.put("artery.transport", c.getString("pekko.remote.artery.transport"));
    s.put(
        "cluster heartbeat interval ms",
        c.getDuration("pekko.cluster.failure-detector.heartbeat-interval").toMillis());
    s.put("artery test-mode (partitions)", c.getBoolean("pekko.remote.artery.advanced.test-mode"));
    s.put("bytes counted by loopback relay", !relays.isEmpty());
    s.put("configured gossip-interval", gossipInterval == null ? "default" : gossipInterval);
    return s;
  }

  private <A extends ReplicatedData> CompletionStage<?> update(
      int node, Key<A> key, A initial, java.util.function.Function<A, A> modify) {
    long id = requestIds.incrementAndGet();
    CompletableFuture<Void> done = new CompletableFuture<>();
    pending.put(id, done);
    replicators
        .get(node)
        .tell(
            new Replicator.Update<>(key, initial, Replicator.writeLocal(), Optional.of(id), modify),
            ackers.get(node));
    return done;
  }

  @Override
  public CompletionStage<?> increment(int node, String key, long amount) {
    SelfUniqueAddress self = selves.get(node);
    return update(
        node, PNCounterKey.create(key), PNCounter.create(), c -> c.increment(self, amount));
  }

  @Override
  public CompletionStage<?> add(int node, String key, String element) {
    SelfUniqueAddress self = selves.get(node);
    return update(
        node, ORSetKey.<String>create(key), ORSet.<String>create(), s -> s.add(self, element));
  }

  @Override
  public CompletionStage<?> assign(int node, String key, String value) {
    SelfUniqueAddress self = selves.get(node);
    return update(
        node,
        LWWRegisterKey.<String>create(key),
        LWWRegister.create(self, value),
        r -> r.withValue(self, value));
  }

  private <A extends ReplicatedData> A get(int node, Key<A> key) {
    Object reply =
        Patterns.ask(
                replicators.get(node),
                new Replicator.Get<>(key, Replicator.readLocal()),
                ASK_TIMEOUT)
            .toCompletableFuture()
            .join();
    if (reply instanceof Replicator.GetSuccess<?> success) {
      @SuppressWarnings("unchecked")
      A data = (A) success.dataValue();
      return data;
    }
    if (reply instanceof Replicator.NotFound<?>) {
      return null;
    }
    throw new IllegalStateException("get " + key + ": " + reply);
  }

  @Override
  public long counter(int node, String key) {
    PNCounter c = get(node, PNCounterKey.create(key));
    return c == null ? 0 : c.getValue().longValueExact();
  }

  @Override
  public int setSize(int node, String key) {
    ORSet<String> s = get(node, ORSetKey.<String>create(key));
    return s == null ? 0 : s.size();
  }

  @Override
  public String register(int node, String key) {
    LWWRegister<String> r = get(node, LWWRegisterKey.<String>create(key));
    return r == null ? null : r.getValue();
  }

  @Override
  public int keyCount(int node) {
    Object reply =
        Patterns.ask(replicators.get(node), Replicator.GetKeyIds$.MODULE$, ASK_TIMEOUT)
            .toCompletableFuture()
            .join();
    return ((Replicator.GetKeyIdsResult) reply).getKeyIds().size();
  }

  @Override
  public void isolate(int node) {
    for (int i = 0; i < systems.size(); i++) {
      if (i != node) {
        throttle(node, Cluster.get(systems.get(i)).selfAddress(), "Blackhole$");
      }
    }
  }

  @Override
  public void heal() {
    for (int a = 0; a < systems.size(); a++) {
      for (int b = 0; b < systems.size(); b++) {
        if (a != b) {
          throttle(a, Cluster.get(systems.get(b)).selfAddress(), "Unthrottled$");
        }
      }
    }
  }

  /**
   * Sends Artery's test-mode management command {@code SetThrottle(peer, Both, mode)} to the
   * transport of {@code node}. The classes are Pekko internals (Scala objects), reached by
   * reflection so that this file compiles against their binary names only.
   */
  private void throttle(int node, Address peer, String mode) {
    try {
      String base = "org.apache.pekko.remote.transport.ThrottlerTransportAdapter$";
      Object both = Class.forName(base + "Direction$Both$").getField("MODULE$").get(null);
      Object throttleMode = Class.forName(base + mode).getField("MODULE$").get(null);
      Class<?> setThrottle = Class.forName(base + "SetThrottle");
      Object command =
          setThrottle
              .getConstructor(
                  Address.class,
                  Class.forName(base + "Direction"),
                  Class.forName(base + "ThrottleMode"))
              .newInstance(peer, both, throttleMode);
      Object provider = ((ExtendedActorSystem) systems.get(node)).provider();
      Object transport = provider.getClass().getMethod("transport").invoke(provider);
      transport.getClass().getMethod("managementCommand", Object.class).invoke(transport, command);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("Artery test-mode throttle unavailable", e);
    }
  }

  @Override
  public boolean seesAllUnreachable(int node) {
    return Cluster.get(systems.get(node)).state().getUnreachable().size() == systems.size() - 1;
  }

  @Override
  public boolean membershipComplete() {
    for (ActorSystem system : systems) {
      Cluster cluster = Cluster.get(system);
      int up = 0;
      for (Member m : cluster.state().getMembers()) {
        if (m.status() == MemberStatus.up()) {
          up++;
        }
      }
      if (up != systems.size() || !cluster.state().getUnreachable().isEmpty()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public long wireBytes() {
    if (relays.isEmpty()) {
      return -1;
    }
    long sum = 0;
    for (ByteCountingRelay relay : relays) {
      sum += relay.bytes();
    }
    return sum;
  }

  @Override
  public void close() {
    List<CompletableFuture<?>> terminated = new ArrayList<>();
    for (ActorSystem system : systems) {
      system.terminate();
      terminated.add(system.getWhenTerminated().toCompletableFuture());
    }
    try {
      CompletableFuture.allOf(terminated.toArray(CompletableFuture[]::new))
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("pekko: not all systems terminated: " + e);
    }
    relays.forEach(ByteCountingRelay::close);
  }
}
