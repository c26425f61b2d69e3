package dev.converge.sync;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.Key;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * N real nodes on loopback in one JVM (one Vert.x instance each, so each node has its own event
 * loops as separate processes would), for cluster tests. Node i is "n{i}"; every node seeds on node
 * 0. Closes everything on {@link #close()}.
 */
public final class TestCluster implements AutoCloseable {

  /** Upper bound for a cluster to converge; far above what it takes, so never the flaky part. */
  public static final Duration CONVERGENCE_DEADLINE = Duration.ofSeconds(60);

  private final List<Vertx> vertxes = new ArrayList<>();
  private final List<Replicator> nodes = new ArrayList<>();
  private final List<SyncOptions> options = new ArrayList<>();

  private TestCluster() {}

  /** Starts {@code n} in-memory nodes with {@link SyncOptions#localTest()} settings. */
  public static TestCluster start(int n) {
    return start(n, UnaryOperator.identity());
  }

  /** Starts {@code n} nodes; {@code customize} adjusts each node's options. */
  public static TestCluster start(int n, UnaryOperator<SyncOptions> customize) {
    TestCluster cluster = new TestCluster();
    try {
      for (int i = 0; i < n; i++) {
        cluster.add(customize.apply(SyncOptions.localTest().setNodeId("n" + i)));
      }
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** Starts one more node seeded on node 0 (a late joiner); returns its index. */
  public int add(SyncOptions nodeOptions) {
    SyncOptions o = new SyncOptions(nodeOptions);
    if (!nodes.isEmpty() && o.getSeeds().isEmpty()) {
      o.setSeeds(List.of("127.0.0.1:" + nodes.get(0).port()));
    }
    Vertx vertx = Vertx.vertx();
    Replicator node = Replicator.create(vertx, o);
    node.start().await();
    vertxes.add(vertx);
    nodes.add(node);
    options.add(o);
    return nodes.size() - 1;
  }

  /** Stops node {@code i} (closes it cleanly) and starts it again with the same options. */
  public void restart(int i, Path dataDir) {
    nodes.get(i).close().await();
    vertxes.get(i).close().await();
    SyncOptions o = new SyncOptions(options.get(i)).setPort(nodes.get(i).port());
    if (dataDir != null) {
      o.setDataDir(dataDir);
    }
    Vertx vertx = Vertx.vertx();
    Replicator node = Replicator.create(vertx, o);
    node.start().await();
    vertxes.set(i, vertx);
    nodes.set(i, node);
  }

  public Replicator node(int i) {
    return nodes.get(i);
  }

  public int size() {
    return nodes.size();
  }

  public List<Replicator> nodes() {
    return List.copyOf(nodes);
  }

  /** Cuts nodes {@code a} and {@code b} into two sides that cannot talk. */
  public void partition(List<Integer> a, List<Integer> b) {
    for (int i : a) {
      nodes.get(i).faults().partition(ids(b));
    }
    for (int i : b) {
      nodes.get(i).faults().partition(ids(a));
    }
  }

  private java.util.Set<String> ids(List<Integer> indices) {
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (int i : indices) {
      ids.add("n" + i);
    }
    return ids;
  }

  /** Removes every fault on every node. */
  public void heal() {
    nodes.forEach(n -> n.faults().heal());
  }

  /** Every node's state of {@code key}. */
  public <T extends Crdt<T>> List<T> states(Key<T> key) {
    List<T> states = new ArrayList<>();
    for (Replicator node : nodes) {
      states.add(node.get(key).await());
    }
    return states;
  }

  /**
   * Waits until every node holds the same state of every key in {@code keys}; returns the time it
   * took. Fails (AssertionError, with every node's states) after {@link #CONVERGENCE_DEADLINE}.
   */
  public Duration awaitConvergence(List<? extends Key<?>> keys) {
    long start = System.nanoTime();
    long deadline = start + CONVERGENCE_DEADLINE.toNanos();
    while (true) {
      boolean converged = true;
      StringBuilder report = new StringBuilder();
      for (Key<?> key : keys) {
        List<?> states = statesOf(key);
        report.append(key).append(" -> ").append(states).append('\n');
        for (Object s : states) {
          converged &= Objects.equals(s, states.get(0));
        }
      }
      if (converged) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no convergence within " + CONVERGENCE_DEADLINE + ":\n" + report);
      }
      sleep(20);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private List<?> statesOf(Key<?> key) {
    return states((Key) key);
  }

  /** Waits until every node sees every other node as a reachable member. */
  public void awaitMembership() {
    long deadline = System.nanoTime() + CONVERGENCE_DEADLINE.toNanos();
    while (true) {
      boolean complete = true;
      for (Replicator node : nodes) {
        long reachable = node.members().stream().filter(ClusterMember::reachable).count();
        complete &= reachable == nodes.size() - 1;
      }
      if (complete) {
        return;
      }
      if (System.nanoTime() > deadline) {
        StringBuilder report = new StringBuilder();
        nodes.forEach(
            n ->
                report.append(n.identity().nodeId()).append(": ").append(n.members()).append('\n'));
        throw new AssertionError("membership incomplete:\n" + report);
      }
      sleep(20);
    }
  }

  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    List<Future<Void>> closing = new ArrayList<>();
    for (Replicator node : nodes) {
      closing.add(node.close());
    }
    Future.join(closing).await();
    for (Vertx vertx : vertxes) {
      vertx.close().await();
    }
  }
}
