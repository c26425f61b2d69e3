package dev.converge.demo.fault;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Injects faults on a seeded schedule: calm, fault, calm, fault... until stopped. Faults: a
 * partition into a majority and a minority, a bridge (two halves that each still reach one middle
 * node), 30% random packet loss between all nodes, {@code kill -9} of a node (restarted when the
 * fault ends), and — at most once per run, so that no write acknowledged by a majority can lose
 * every copy — {@code kill -9} of a node whose data directory is then deleted before it restarts.
 * Every action is written to the {@link #timeline()}.
 */
final class Nemesis {

  /** One thing the nemesis did, at client monotonic and wall-clock time. */
  record Event(long nanos, long millis, String what) {}

  /** A node's data directory was lost: it was killed at {@code nanos}, then wiped. */
  record Wipe(int node, long nanos) {}

  private final NetworkNamespaces net;
  private final NodeProcesses nodes;
  private final Random random;
  private final List<Event> timeline = new CopyOnWriteArrayList<>();
  private final List<Wipe> wipes = new CopyOnWriteArrayList<>();
  private volatile boolean stopping;
  private Thread thread;
  private volatile Throwable failure;

  Nemesis(NetworkNamespaces net, NodeProcesses nodes, long seed) {
    this.net = net;
    this.nodes = nodes;
    this.random = new Random(seed ^ 0x5EED_FA17L);
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
    KILL_AND_WIPE
  }

  private void loop() {
    List<Fault> deck = new ArrayList<>();
    boolean wiped = false;
    try {
      while (!stopping) {
        if (deck.isEmpty()) {
          for (Fault f : Fault.values()) {
            if (f != Fault.KILL_AND_WIPE || !wiped) {
              deck.add(f);
            }
          }
          Collections.shuffle(deck, random);
        }
        Fault fault = deck.remove(deck.size() - 1);
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
            record("kill -9 n" + victim);
            pause(faultMillis);
            restart(victim, Duration.ofSeconds(60));
          }
          case KILL_AND_WIPE -> {
            wiped = true;
            nodes.kill(victim);
            wipes.add(new Wipe(victim, System.nanoTime()));
            record("kill -9 n" + victim + ", data directory deleted");
            nodes.wipe(victim);
            pause(faultMillis);
            restart(victim, Duration.ofSeconds(60));
          }
        }
      }
    } catch (InterruptedException e) {
      // stopping
    } catch (IOException | RuntimeException e) {
      failure = e;
    }
  }

  private void restart(int node, Duration timeout) throws IOException, InterruptedException {
    nodes.start(node);
    boolean up = nodes.awaitHealthy(node, timeout);
    record("restart n" + node + (up ? ": serving" : ": NOT serving after " + timeout));
    if (!up) {
      throw new IOException("n" + node + " did not come back within " + timeout);
    }
  }

  /* Cuts every pair across `sides`; a node in no side (a bridge's middle) keeps every link. */
  private void partition(List<Set<Integer>> sides, String name, long millis)
      throws IOException, InterruptedException {
    net.apply(NetworkNamespaces.split(sides), 0);
    List<List<String>> named = new ArrayList<>();
    for (Set<Integer> side : sides) {
      named.add(side.stream().map(i -> "n" + i).toList());
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
