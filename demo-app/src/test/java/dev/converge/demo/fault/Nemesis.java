package dev.converge.demo.fault;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Injects faults on a seeded schedule: calm, fault, calm, fault... until stopped. Faults: a
 * partition into a majority and a minority, a bridge (two halves that each still reach one middle
 * node), 30% random packet loss between all nodes, {@code kill -9} of a node (restarted when the
 * fault ends), and once per run each:
 *
 * <ul>
 *   <li>{@code kill -9} of a node whose data directory is then deleted before it restarts (under
 *       the same node id: a new incarnation supersedes the old);
 *   <li>a node replacement: {@code kill -9} of a node, its data directory deleted, a new node
 *       started under a new node id at the same address, then {@code POST /admin/remove} of the old
 *       id on a surviving node;
 *   <li>a graceful leave: {@code POST /admin/leave} and, once the node reports {@code left},
 *       SIGTERM (odd seeds); or SIGTERM alone, the node's shutdown hook leaving (even seeds); then
 *       the node restarts on its data directory (same incarnation).
 * </ul>
 *
 * <p>The two membership changes are dealt among the first three faults, so that a short run has
 * both. Two disks are lost per run (the wipe and the replacement), never more: every node runs with
 * a majority floor of 3 of 5 ({@link NodeProcesses}), so a write acknowledged by a majority lives
 * on 3 disks, of which two wipes leave one (decision 0009). Every action is written to the {@link
 * #timeline()}.
 */
final class Nemesis {

  /** One thing the nemesis did, at client monotonic and wall-clock time. */
  record Event(long nanos, long millis, String what) {}

  /**
   * A node's data directory was lost: it was killed at {@code nanos}, then wiped (and restarted
   * under the same node id, or replaced by a node of a new id).
   */
  record Wipe(int node, long nanos) {}

  private final NetworkNamespaces net;
  private final NodeProcesses nodes;
  private final Random random;
  private final boolean leaveByAdminRoute;
  private final List<Event> timeline = new CopyOnWriteArrayList<>();
  private final List<Wipe> wipes = new CopyOnWriteArrayList<>();
  private volatile boolean stopping;
  private Thread thread;
  private volatile Throwable failure;

  Nemesis(NetworkNamespaces net, NodeProcesses nodes, long seed) {
    this.net = net;
    this.nodes = nodes;
    this.random = new Random(seed ^ 0x5EED_FA17L);
    // Odd seeds (the default run's 1 among them) leave through the admin route, even ones by
    // SIGTERM alone: ten consecutive seeds try each way five times.
    this.leaveByAdminRoute = (seed & 1) == 1;
  }

  List<Event> timeline() {
    return List.copyOf(timeline);
  }

  List<Wipe> wipes() {
    return List.copyOf(wipes);
  }

  void record(String what) {
    timeline.add(new Event(System.nanoTime(), System.currentTimeMillis(), what));
  }

  void start() {
    thread = new Thread(this::loop, "nemesis");
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops after the current step, then heals the network and restarts every stopped node. */
  void stopAndHeal(Duration startTimeout) throws IOException, InterruptedException {
    stopping = true; // the current fault ends early (pauses return), and is undone
    thread.join();
    if (failure != null) {
      throw new IOException("the nemesis failed", failure);
    }
    net.heal();
    record("heal: network healed");
    for (int i = 0; i < nodes.size(); i++) {
      if (!nodes.running(i)) {
        restart(i, startTimeout);
      }
    }
  }

  /** The kinds of fault, dealt from a shuffled deck so that every kind comes up early. */
  private enum Fault {
    MAJORITY_MINORITY,
    BRIDGE,
    LOSS,
    KILL,
    KILL_AND_WIPE,
    REPLACE,
    LEAVE;

    /* Dealt at most once per run. */
    boolean once() {
      return this == KILL_AND_WIPE || this == REPLACE || this == LEAVE;
    }
  }

  private void loop() {
    List<Fault> deck = new ArrayList<>();
    Set<Fault> dealt = EnumSet.noneOf(Fault.class);
    try {
      while (!stopping) {
        if (deck.isEmpty()) {
          for (Fault f : Fault.values()) {
            if (!(f.once() && dealt.contains(f))) {
              deck.add(f);
            }
          }
          Collections.shuffle(deck, random);
          if (dealt.isEmpty()) {
            // The deck is dealt from its end: the membership changes go among the first three.
            deck.remove(Fault.REPLACE);
            deck.add(deck.size() - random.nextInt(2), Fault.REPLACE);
            deck.remove(Fault.LEAVE);
            deck.add(deck.size() - random.nextInt(3), Fault.LEAVE);
          }
        }
        Fault fault = deck.remove(deck.size() - 1);
        dealt.add(fault);
        pause(1_500 + random.nextInt(1_500));
        if (stopping) {
          return;
        }
        long faultMillis = 3_000 + random.nextInt(3_000);
        int victim = random.nextInt(nodes.size());
        switch (fault) {
          case MAJORITY_MINORITY -> partition(majorityMinority(), "majority/minority", faultMillis);
          case BRIDGE -> partition(bridge(), "bridge", faultMillis);
          case LOSS -> {
            net.apply(Set.of(), 0.3);
            record("loss: 30% of packets between nodes dropped");
            pause(faultMillis);
            net.heal();
            record("heal: loss removed");
          }
          case KILL -> {
            nodes.kill(victim);
            record("kill -9 " + nodes.nodeId(victim));
            pause(faultMillis);
            restart(victim, Duration.ofSeconds(60));
          }
          case KILL_AND_WIPE -> {
            nodes.kill(victim);
            wipes.add(new Wipe(victim, System.nanoTime()));
            record("kill -9 " + nodes.nodeId(victim) + ", data directory deleted");
            nodes.wipe(victim);
            pause(faultMillis);
            restart(victim, Duration.ofSeconds(60));
          }
          case REPLACE -> replace(victim, faultMillis);
          case LEAVE -> leave(victim, faultMillis);
        }
      }
    } catch (InterruptedException e) {
      // stopping
    } catch (IOException | RuntimeException e) {
      failure = e;
    }
  }

  /*
   * The node is gone for good: killed, its disk lost. A new node takes its place (its slot and
   * address) under a new id, then a surviving node removes the old id. Runs to the end even when
   * stopping, so that no run leaves a dead member behind.
   */
  private void replace(int victim, long downMillis) throws IOException, InterruptedException {
    String old = nodes.nodeId(victim);
    nodes.kill(victim);
    wipes.add(new Wipe(victim, System.nanoTime()));
    nodes.wipe(victim);
    String fresh = nodes.replace(victim);
    record("replace " + old + ": kill -9, data directory deleted; its successor will be " + fresh);
    pause(downMillis);
    restart(victim, Duration.ofSeconds(60));
    int survivor = other(victim);
    HttpResponse<String> answer =
        nodes.admin(survivor, "/admin/remove", "{\"nodeId\": \"" + old + "\"}");
    record(
        "remove "
            + old
            + " (POST /admin/remove on "
            + nodes.nodeId(survivor)
            + "): "
            + answer.statusCode()
            + " "
            + answer.body());
    if (answer.statusCode() != 200) {
      throw new IOException("removing " + old + " failed: " + answer.statusCode() + answer.body());
    }
    awaitDropped(survivor, old);
  }

  /*
   * A graceful leave, by the admin route (then SIGTERM once the node has left) or by SIGTERM alone;
   * then the node restarts on its data directory and rejoins as the same incarnation.
   */
  private void leave(int victim, long downMillis) throws IOException, InterruptedException {
    String id = nodes.nodeId(victim);
    Duration exit = Duration.ofSeconds(60); // far above the leave timeout (10 s) and a close
    if (leaveByAdminRoute) {
      HttpResponse<String> answer = nodes.admin(victim, "/admin/leave", null);
      record("leave " + id + ": POST /admin/leave: " + answer.statusCode() + " " + answer.body());
      if (answer.statusCode() / 100 != 2) {
        throw new IOException("leave of " + id + " refused: " + answer.statusCode());
      }
      long deadline = System.nanoTime() + exit.toNanos();
      JsonObject view = nodes.cluster(victim);
      while ((view == null || !"left".equals(view.getString("status")))
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
        view = nodes.cluster(victim);
      }
      boolean left = view != null && "left".equals(view.getString("status"));
      record(id + (left ? " reports status left" : " did NOT report status left within " + exit));
      if (!left) {
        throw new IOException(id + " did not leave within " + exit);
      }
      boolean exited = nodes.stop(victim, exit);
      record(
          "SIGTERM " + id + (exited ? ": exited" : ": did NOT exit within " + exit + ", killed"));
    } else {
      boolean exited = nodes.stop(victim, exit);
      record(
          "leave "
              + id
              + ": SIGTERM, the shutdown hook leaves"
              + (exited ? "; exited" : "; did NOT exit within " + exit + ", killed"));
    }
    awaitDropped(other(victim), id);
    pause(downMillis);
    restart(victim, Duration.ofSeconds(60));
  }

  /* Records whether `observer` stopped listing `nodeId` as a member within 10 s. */
  private void awaitDropped(int observer, String nodeId) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    boolean dropped = false;
    while (!dropped && System.nanoTime() < deadline) {
      JsonObject view = nodes.cluster(observer);
      dropped =
          view != null
              && view.getJsonArray("peers").stream()
                  .noneMatch(p -> nodeId.equals(((JsonObject) p).getString("id")));
      if (!dropped) {
        Thread.sleep(50);
      }
    }
    record(
        nodes.nodeId(observer)
            + (dropped ? " no longer lists " : " still lists, after 10 s, ")
            + nodeId
            + " as a member");
  }

  /* A random slot other than `node` (all the others are running between faults). */
  private int other(int node) {
    int pick = random.nextInt(nodes.size() - 1);
    return pick >= node ? pick + 1 : pick;
  }

  private void restart(int node, Duration timeout) throws IOException, InterruptedException {
    nodes.start(node);
    boolean up = nodes.awaitHealthy(node, timeout);
    record("restart " + nodes.nodeId(node) + (up ? ": serving" : ": NOT serving after " + timeout));
    if (!up) {
      throw new IOException(nodes.nodeId(node) + " did not come back within " + timeout);
    }
  }

  /* Cuts every pair across `sides`; a node in no side (a bridge's middle) keeps every link. */
  private void partition(List<Set<Integer>> sides, String name, long millis)
      throws IOException, InterruptedException {
    net.apply(NetworkNamespaces.split(sides), 0);
    List<List<String>> named = new ArrayList<>();
    for (Set<Integer> side : sides) {
      named.add(side.stream().map(nodes::nodeId).toList());
    }
    record("partition " + name + " " + named);
    pause(millis);
    net.heal();
    record("heal: partition removed");
  }

  private List<Set<Integer>> majorityMinority() {
    List<Integer> order = shuffled();
    int minority = 1 + random.nextInt(nodes.size() / 2); // 1 or 2 of 5
    return List.of(
        new TreeSet<>(order.subList(0, minority)),
        new TreeSet<>(order.subList(minority, order.size())));
  }

  /* Two halves that cannot reach each other, and a middle node both halves reach. */
  private List<Set<Integer>> bridge() {
    List<Integer> order = shuffled();
    int half = (order.size() - 1) / 2;
    return List.of(
        new TreeSet<>(order.subList(1, 1 + half)),
        new TreeSet<>(order.subList(1 + half, order.size())));
  }

  private List<Integer> shuffled() {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      order.add(i);
    }
    Collections.shuffle(order, random);
    return order;
  }

  /* Sleeps, but returns at once when stopping, so that the step in progress is undone early. */
  private void pause(long millis) throws InterruptedException {
    long end = System.nanoTime() + millis * 1_000_000;
    while (!stopping && System.nanoTime() < end) {
      Thread.sleep(20);
    }
  }
}
