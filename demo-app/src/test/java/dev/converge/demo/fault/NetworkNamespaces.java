package dev.converge.demo.fault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * One network namespace per node, joined by veth pairs to a bridge in the test's own namespace, so
 * that each node is a separate host with its own address, and the test (the clients) reaches every
 * node. Faults are iptables rules in a {@code CONVERGE} chain of each node's INPUT: a partition
 * drops packets from the peers on the other side, loss drops a random share of packets from peers.
 * Client traffic from the bridge address is never dropped, as in Jepsen, so clients keep talking to
 * nodes on both sides of a partition.
 *
 * <p>Names carry this JVM's pid ({@code cvgf<pid><letter>...}), so leftovers of a run that was
 * killed can be told apart and removed ({@link #removeLeftovers()}). {@link #close()} deletes
 * everything this instance made; a shutdown hook does the same if the JVM exits early.
 */
final class NetworkNamespaces implements AutoCloseable {

  private static final String PREFIX = "cvgf";

  private final String tag;
  private final int nodes;
  private final String subnet;
  private final List<String> created = new ArrayList<>();
  private final Thread cleanupHook = new Thread(this::deleteAll, "netns-cleanup");
  private boolean bridgeCreated;

  private static final java.util.concurrent.atomic.AtomicInteger INSTANCES =
      new java.util.concurrent.atomic.AtomicInteger();

  private NetworkNamespaces(int nodes) {
    long pid = ProcessHandle.current().pid();
    // The kernel tears a deleted namespace down asynchronously: a second instance in the same JVM
    // gets names of its own (one letter per instance) rather than wait for the first's to vanish.
    this.tag = PREFIX + pid + (char) ('a' + INSTANCES.getAndIncrement() % 26);
    this.nodes = nodes;
    this.subnet = "10.213." + (20 + pid % 200);
  }

  /** Whether this machine can run it: root, and a working {@code ip netns}. */
  static boolean available() {
    try {
      return run(List.of("ip", "netns", "list"), false).exit() == 0
          && dev.converge.demo.SystemPackages.isRoot();
    } catch (IOException e) {
      return false;
    }
  }

  /** Creates {@code nodes} namespaces and the bridge that joins them. */
  static NetworkNamespaces create(int nodes) throws IOException {
    NetworkNamespaces net = new NetworkNamespaces(nodes);
    Runtime.getRuntime().addShutdownHook(net.cleanupHook);
    try {
      net.build();
      return net;
    } catch (IOException | RuntimeException e) {
      net.close();
      throw e;
    }
  }

  private void build() throws IOException {
    String bridge = tag;
    sh("ip", "link", "add", bridge, "type", "bridge");
    bridgeCreated = true;
    sh("ip", "addr", "add", hostAddress() + "/24", "dev", bridge);
    sh("ip", "link", "set", bridge, "up");
    for (int i = 0; i < nodes; i++) {
      String ns = namespace(i);
      sh("ip", "netns", "add", ns);
      created.add(ns);
      String hostEnd = hostEnd(i);
      sh("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", ns);
      sh("ip", "link", "set", hostEnd, "master", bridge, "up");
      sh("ip", "-n", ns, "addr", "add", address(i) + "/24", "dev", "eth0");
      sh("ip", "-n", ns, "link", "set", "eth0", "up");
      sh("ip", "-n", ns, "link", "set", "lo", "up");
      sh("ip", "netns", "exec", ns, "iptables", "-N", "CONVERGE");
      sh("ip", "netns", "exec", ns, "iptables", "-A", "INPUT", "-j", "CONVERGE");
    }
  }

  private String hostEnd(int node) {
    return tag + node; // at most 4 + 7 + 1 + 1 characters: interface names have 15
  }

  String namespace(int node) {
    return tag + "-n" + node;
  }

  /** The address of node {@code node}, as seen by every other node and by the test. */
  String address(int node) {
    return subnet + "." + (node + 1);
  }

  /** The test's own address on the bridge: clients connect from it. */
  String hostAddress() {
    return subnet + ".254";
  }

  /** The command prefix that runs a program inside node {@code node}'s namespace. */
  List<String> inside(int node) {
    return List.of("ip", "netns", "exec", namespace(node));
  }

  /**
   * Replaces every fault with these: {@code cut} pairs {@code [a, b]} cannot exchange packets in
   * either direction; every other pair of nodes loses each packet with probability {@code loss}.
   */
  void apply(Set<List<Integer>> cut, double loss) throws IOException {
    for (int i = 0; i < nodes; i++) {
      StringBuilder rules = new StringBuilder("*filter\n-F CONVERGE\n");
      for (int j = 0; j < nodes; j++) {
        if (i == j) {
          continue;
        }
        if (cut.contains(List.of(Math.min(i, j), Math.max(i, j)))) {
          rules.append("-A CONVERGE -s ").append(address(j)).append(" -j DROP\n");
        } else if (loss > 0) {
          rules
              .append("-A CONVERGE -s ")
              .append(address(j))
              .append(" -m statistic --mode random --probability ")
              .append(loss)
              .append(" -j DROP\n");
        }
      }
      rules.append("COMMIT\n");
      Result r =
          run(
              List.of("ip", "netns", "exec", namespace(i), "iptables-restore", "--noflush"),
              true,
              rules.toString());
      if (r.exit() != 0) {
        throw new IOException("iptables-restore in " + namespace(i) + " failed: " + r.output());
      }
    }
  }

  /** Pairs cut by splitting the nodes into {@code sides}: every pair across two sides. */
  static Set<List<Integer>> split(List<Set<Integer>> sides) {
    Set<List<Integer>> cut = new java.util.HashSet<>();
    for (int s = 0; s < sides.size(); s++) {
      for (int t = s + 1; t < sides.size(); t++) {
        for (int a : sides.get(s)) {
          for (int b : sides.get(t)) {
            cut.add(List.of(Math.min(a, b), Math.max(a, b)));
          }
        }
      }
    }
    return cut;
  }

  /** Removes every fault. */
  void heal() throws IOException {
    apply(Set.of(), 0);
  }

  @Override
  public void close() {
    deleteAll();
    try {
      Runtime.getRuntime().removeShutdownHook(cleanupHook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook runs anyway
    }
  }

  private synchronized void deleteAll() {
    for (int i = 0; i < created.size(); i++) {
      quietly("ip", "link", "del", hostEnd(i)); // deletes both ends of the pair, at once
      quietly("ip", "netns", "del", created.get(i));
    }
    created.clear();
    if (bridgeCreated) {
      quietly("ip", "link", "del", tag);
      bridgeCreated = false;
    }
  }

  /**
   * Deletes namespaces and bridges that earlier runs made and did not remove, if the process that
   * made them is gone (a run killed with SIGKILL cannot clean up after itself).
   */
  static void removeLeftovers() throws IOException {
    Set<String> dead = new TreeSet<>();
    for (String line : run(List.of("ip", "netns", "list"), false).output().split("\n")) {
      String name = line.split(" ")[0];
      if (name.startsWith(PREFIX)) {
        String tagOfRun = name.substring(0, Math.max(name.indexOf('-'), PREFIX.length()));
        String pid = tagOfRun.substring(PREFIX.length()).replaceAll("[^0-9].*", "");
        if (!pid.isEmpty() && ProcessHandle.of(Long.parseLong(pid)).isEmpty()) {
          dead.add(tagOfRun);
          quietly("ip", "netns", "del", name);
        }
      }
    }
    for (String tagOfRun : dead) {
      quietly("ip", "link", "del", tagOfRun); // the bridge; the veths went with their namespaces
    }
  }

  /* ------------------------------------------------------------------ processes */

  record Result(int exit, String output) {}

  private static void sh(String... command) throws IOException {
    Result r = run(List.of(command), true);
    if (r.exit() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + r.output());
    }
  }

  private static void quietly(String... command) {
    try {
      run(List.of(command), true);
    } catch (IOException e) {
      // best effort: cleanup goes on with the next item
    }
  }

  static Result run(List<String> command, boolean mergeErrors) throws IOException {
    return run(command, mergeErrors, null);
  }

  static Result run(List<String> command, boolean mergeErrors, String stdin) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(mergeErrors).start();
    try {
      if (stdin != null) {
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish in 60 s");
      }
      return new Result(p.exitValue(), out.trim());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
  }
}
