package dev.converge.demo.fault;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The demo nodes of a fault run, each a separate JVM running {@code converge-demo.jar} inside its
 * own network namespace, with its data directory under the run's directory and its output appended
 * to {@code n<i>.log}. Crashes are real: {@link #kill(int)} is SIGKILL; {@link #stop(int)} is
 * SIGTERM, on which the node leaves the cluster gracefully before it exits.
 *
 * <p>Slot {@code i} runs node id {@code n<i>} until {@link #replace(int)} gives it a new one
 * ({@code n<i>-r1}, ...): a replacement node at the same address. Every node runs with {@code
 * --min-quorum-size} set to the majority of the slots, so that a node that knows few members (just
 * restarted on an empty disk, or while one is away) cannot reach a smaller majority, and with an
 * admin token, since the test calls {@code /admin/*} from outside the nodes' loopback.
 */
final class NodeProcesses implements AutoCloseable {

  static final int HTTP_PORT = 8080;
  static final int GOSSIP_PORT = 7000;

  private final NetworkNamespaces net;
  private final Path jar;
  private final Path dir;
  private final Path secretFile;
  private final String adminToken;
  private final Process[] processes;
  private final String[] ids;
  private final int[] replacements;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  NodeProcesses(
      NetworkNamespaces net, int nodes, Path jar, Path dir, String clusterSecret, String adminToken)
      throws IOException {
    this.net = net;
    this.jar = jar;
    this.dir = dir;
    this.processes = new Process[nodes];
    this.ids = new String[nodes];
    this.replacements = new int[nodes];
    for (int i = 0; i < nodes; i++) {
      ids[i] = "n" + i;
    }
    this.adminToken = adminToken;
    this.secretFile = Files.writeString(dir.resolve("cluster-secret"), clusterSecret);
  }

  int size() {
    return processes.length;
  }

  String url(int node) {
    return "http://" + net.address(node) + ":" + HTTP_PORT;
  }

  Path dataDir(int node) {
    return dir.resolve("data").resolve("n" + node);
  }

  /** The node id slot {@code node} runs. */
  String nodeId(int node) {
    return ids[node];
  }

  /**
   * Gives slot {@code node} (stopped) a new node id for its next start, {@code n<i>-r<k>}: the
   * replacement of a node that is gone for good. Returns it.
   */
  String replace(int node) {
    if (running(node)) {
      throw new IllegalStateException(ids[node] + " is running");
    }
    ids[node] = "n" + node + "-r" + ++replacements[node];
    return ids[node];
  }

  /** The majority of the slots: the floor of every node's majority. */
  int minQuorumSize() {
    return processes.length / 2 + 1;
  }

  /** Starts node {@code node} (it must not be running). */
  void start(int node) throws IOException {
    List<String> seeds = new ArrayList<>();
    for (int i = 0; i < processes.length; i++) {
      seeds.add(net.address(i) + ":" + GOSSIP_PORT);
    }
    List<String> command = new ArrayList<>(net.inside(node));
    command.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xms64m",
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-jar",
            jar.toString(),
            "--node-id",
            ids[node],
            "--host",
            net.address(node),
            "--http-port",
            String.valueOf(HTTP_PORT),
            "--gossip-port",
            String.valueOf(GOSSIP_PORT),
            "--seeds",
            String.join(",", seeds),
            "--data-dir",
            dataDir(node).toString(),
            "--cluster",
            "fault-test",
            "--cluster-secret-file",
            secretFile.toString(),
            "--admin-token",
            adminToken,
            "--min-quorum-size",
            String.valueOf(minQuorumSize())));
    Path log = dir.resolve("n" + node + ".log");
    processes[node] =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
  }

  boolean running(int node) {
    return processes[node] != null && processes[node].isAlive();
  }

  /** SIGKILL: no shutdown hook, no flush, no goodbye to peers. */
  void kill(int node) throws InterruptedException {
    Process p = processes[node];
    if (p != null) {
      p.destroyForcibly(); // `ip netns exec` execs java, so this is the JVM itself
      p.waitFor(30, TimeUnit.SECONDS);
      processes[node] = null;
    }
  }

  /**
   * SIGTERM: the node's shutdown hook leaves the cluster gracefully (or finishes a leave already
   * under way), then the JVM exits. Waits for the exit; if it has not come within {@code timeout},
   * SIGKILL. Returns whether the node exited by itself.
   */
  boolean stop(int node, Duration timeout) throws InterruptedException {
    Process p = processes[node];
    if (p == null) {
      return true;
    }
    p.destroy(); // `ip netns exec` execs java: SIGTERM reaches the JVM
    boolean exited = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!exited) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
    processes[node] = null;
    return exited;
  }

  /** {@code POST path} with {@code body} (JSON, or null for none) and the admin token. */
  HttpResponse<String> admin(int node, String path, String body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url(node) + path))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + adminToken)
            .header("Content-Type", "application/json")
            .POST(
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** {@code GET /api/cluster} of {@code node}; null if it does not answer 200. */
  JsonObject cluster(int node) throws InterruptedException {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url(node) + "/api/cluster"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Deletes node {@code node}'s data directory (the node must be stopped): a lost disk. */
  void wipe(int node) throws IOException {
    FaultRun.deleteRecursively(dataDir(node));
  }

  /** Waits until node {@code node} answers {@code /health}; false after {@code timeout}. */
  boolean awaitHealthy(int node, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!running(node)) {
        return false;
      }
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(url(node) + "/health"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return true;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(100);
    }
    return false;
  }

  @Override
  public void close() {
    for (int i = 0; i < processes.length; i++) {
      try {
        kill(i);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
