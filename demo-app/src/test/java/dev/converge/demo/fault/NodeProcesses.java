package dev.converge.demo.fault;

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
 * to {@code n<i>.log}. Crashes are real: {@link #kill(int)} is SIGKILL.
 */
final class NodeProcesses implements AutoCloseable {

  static final int HTTP_PORT = 8080;
  static final int GOSSIP_PORT = 7000;

  private final NetworkNamespaces net;
  private final Path jar;
  private final Path dir;
  private final Path secretFile;
  private final Process[] processes;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  NodeProcesses(NetworkNamespaces net, int nodes, Path jar, Path dir, String clusterSecret)
      throws IOException {
    this.net = net;
    this.jar = jar;
    this.dir = dir;
    this.processes = new Process[nodes];
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
            "n" + node,
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
            secretFile.toString()));
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
