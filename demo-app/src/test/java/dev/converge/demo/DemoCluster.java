package dev.converge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Real demo nodes in this JVM on free loopback ports (in memory; node i is "n{i+1}"; each seeds on
 * the nodes started before it), and an HTTP client for them. Closes every node on {@link #close()}.
 */
final class DemoCluster implements AutoCloseable {

  /** Upper bound for anything eventual; far above what it takes, so never the flaky part. */
  static final Duration DEADLINE = Duration.ofSeconds(45);

  static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private final List<DemoNode> nodes = new ArrayList<>();

  private DemoCluster() {}

  static DemoCluster start(int n) {
    return start(n, UnaryOperator.identity());
  }

  /** Like {@link #start(int)}, each node's config passed through {@code configure} first. */
  static DemoCluster start(int n, UnaryOperator<DemoConfig> configure) {
    DemoCluster cluster = new DemoCluster();
    try {
      for (int i = 0; i < n; i++) {
        List<String> seeds = new ArrayList<>();
        for (DemoNode earlier : cluster.nodes) {
          seeds.add("127.0.0.1:" + earlier.gossipPort());
        }
        DemoConfig config = DemoConfig.ephemeral("n" + (i + 1)).withSeeds(seeds);
        cluster.nodes.add(DemoNode.start(configure.apply(config)));
      }
      cluster.awaitMembership();
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  DemoNode node(int i) {
    return nodes.get(i);
  }

  String url(int i) {
    return nodes.get(i).url();
  }

  /** Waits until every node is up and sees every other node up and reachable. */
  void awaitMembership() {
    for (int i = 0; i < nodes.size(); i++) {
      int index = i;
      awaitJson(
          "GET",
          url(i) + "/api/cluster",
          json -> {
            JsonArray peers = json.getJsonArray("peers");
            return json.getString("status").equals("up")
                && peers.size() == nodes.size() - 1
                && peers.stream()
                    .map(p -> (JsonObject) p)
                    .allMatch(p -> p.getBoolean("reachable") && p.getString("status").equals("up"));
          },
          "node " + nodes.get(index).nodeId() + " is up and sees every peer up and reachable");
    }
  }

  /** Polls {@code url} until its JSON object satisfies {@code condition}; returns that JSON. */
  static JsonObject awaitJson(
      String method, String url, Predicate<JsonObject> condition, String description) {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    Response last = null;
    while (System.nanoTime() < deadline) {
      last = send(method, url, null, Map.of());
      if (last.status() == 200 && condition.test(last.json())) {
        return last.json();
      }
      sleep(100);
    }
    throw new AssertionError(
        "not within " + DEADLINE + ": " + description + "; last answer " + last);
  }

  /** An HTTP answer. */
  record Response(int status, String contentType, String body, HttpResponse<String> raw) {
    JsonObject json() {
      assertThat(contentType).as("content type of " + body).startsWith("application/json");
      return new JsonObject(body);
    }

    JsonArray jsonArray() {
      assertThat(contentType).startsWith("application/json");
      return new JsonArray(body);
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  static Response get(String url) {
    return send("GET", url, null, Map.of());
  }

  static Response send(String method, String url, String body, Map<String, String> headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    try {
      HttpResponse<String> response =
          HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(
          response.statusCode(),
          response.headers().firstValue("content-type").orElse(""),
          response.body(),
          response);
    } catch (IOException e) {
      throw new AssertionError(method + " " + url + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    for (DemoNode node : nodes) {
      try {
        node.close();
      } catch (RuntimeException e) {
        System.getLogger(DemoCluster.class.getName())
            .log(System.Logger.Level.WARNING, "closing " + node.nodeId(), e);
      }
    }
  }
}
