package dev.converge.demo;

import static dev.converge.demo.DemoCluster.awaitJson;
import static dev.converge.demo.DemoCluster.get;
import static dev.converge.demo.DemoCluster.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.demo.DemoCluster.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP contract of issue 6 against three real nodes over loopback: JSON shapes, every write,
 * consistency levels incl. a refused majority write in a minority partition, bad input, admin
 * access rules, health, metrics and server-sent events; and the member lifecycle of issue 12 (a
 * graceful leave, a removal), each on a cluster of its own.
 */
class HttpContractTest {

  private static DemoCluster cluster;
  private static String n1;
  private static String n2;
  private static String n3;

  @BeforeAll
  static void startCluster() {
    cluster = DemoCluster.start(3);
    n1 = cluster.url(0);
    n2 = cluster.url(1);
    n3 = cluster.url(2);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Response post(String url) {
    return send("POST", url, null, Map.of());
  }

  private static Response put(String url, String body) {
    return send("PUT", url, body, Map.of("Content-Type", "application/json"));
  }

  private static JsonObject ok(Response response) {
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    return response.json();
  }

  private static void assertBadRequest(Response response, String errorPart) {
    assertThat(response.status()).as(response.toString()).isEqualTo(400);
    assertThat(response.json().getString("error")).containsIgnoringCase(errorPart);
  }

  private static JsonObject post(
      String id, String title, long likes, long views, List<String> who, String node) {
    return new JsonObject()
        .put("id", id)
        .put("title", title)
        .put("likes", likes)
        .put("views", views)
        .put("likers", new JsonArray(who))
        .put("node", node);
  }

  @Test
  void unknownPostIsZerosAndEmpties() {
    JsonObject json = ok(get(n1 + "/api/posts/never-written"));
    assertThat(json).isEqualTo(post("never-written", "", 0, 0, List.of(), "n1"));
    assertThat(json.fieldNames())
        .containsExactly("id", "title", "likes", "views", "likers", "node");
  }

  @Test
  void everyWriteAnswersTheUpdatedPostAndReplicates() {
    String p = n1 + "/api/posts/writes";
    assertThat(ok(post(p + "/like"))).isEqualTo(post("writes", "", 1, 0, List.of(), "n1"));
    assertThat(ok(post(p + "/like")).getLong("likes")).isEqualTo(2);
    assertThat(ok(post(p + "/unlike")).getLong("likes")).isEqualTo(1);
    assertThat(ok(post(p + "/view")).getLong("views")).isEqualTo(1);
    assertThat(ok(put(p + "/likers/alice", null)).getJsonArray("likers"))
        .isEqualTo(new JsonArray(List.of("alice")));
    assertThat(ok(put(p + "/likers/bob.b_-9", null)).getJsonArray("likers"))
        .isEqualTo(new JsonArray(List.of("alice", "bob.b_-9")));
    assertThat(ok(send("DELETE", p + "/likers/alice", null, Map.of())).getJsonArray("likers"))
        .isEqualTo(new JsonArray(List.of("bob.b_-9")));
    assertThat(ok(send("DELETE", p + "/likers/nobody", null, Map.of())).getJsonArray("likers"))
        .isEqualTo(new JsonArray(List.of("bob.b_-9")));
    assertThat(ok(put(p + "/title", "{\"title\": \"Hello, Converge\"}")))
        .isEqualTo(post("writes", "Hello, Converge", 1, 1, List.of("bob.b_-9"), "n1"));

    // Another node converges to the same value (its "node" field names itself).
    JsonObject expected = post("writes", "Hello, Converge", 1, 1, List.of("bob.b_-9"), "n2");
    awaitJson("GET", n2 + "/api/posts/writes", expected::equals, "n2 converges on post writes");
    // A write on n3 reaches n1.
    ok(post(n3 + "/api/posts/writes/like"));
    awaitJson("GET", n1 + "/api/posts/writes", j -> j.getLong("likes") == 2, "n1 sees n3's like");
  }

  @Test
  void listsEveryPostOnceInTheSameShape() {
    ok(post(n1 + "/api/posts/list-a/like"));
    ok(put(n1 + "/api/posts/list-a/title", "{\"title\":\"A\"}"));
    ok(post(n1 + "/api/posts/list-b/view"));
    Response response = get(n1 + "/api/posts");
    assertThat(response.status()).isEqualTo(200);
    JsonArray posts = response.jsonArray();
    List<String> ids = posts.stream().map(o -> ((JsonObject) o).getString("id")).toList();
    assertThat(ids).contains("list-a", "list-b").doesNotHaveDuplicates();
    assertThat(ids).isSorted();
    JsonObject a =
        posts.stream()
            .map(o -> (JsonObject) o)
            .filter(o -> o.getString("id").equals("list-a"))
            .findFirst()
            .orElseThrow();
    assertThat(a).isEqualTo(post("list-a", "A", 1, 0, List.of(), "n1"));
    assertThat(ok(post(n1 + "/api/posts/list-a/like?consistency=local")).getLong("likes"))
        .isEqualTo(2);
    assertThat(get(n1 + "/api/posts?consistency=majority").status()).isEqualTo(200);
  }

  @Test
  void quorumWritesAndReadsSucceedWhenEveryoneIsReachable() {
    String p = n2 + "/api/posts/quorum";
    assertThat(ok(post(p + "/like?consistency=majority")).getLong("likes")).isEqualTo(1);
    assertThat(ok(post(p + "/like?consistency=all")).getLong("likes")).isEqualTo(2);
    // A majority read on another node sees both writes: quorums intersect.
    assertThat(ok(get(n3 + "/api/posts/quorum?consistency=majority")).getLong("likes"))
        .isEqualTo(2);
    assertThat(ok(get(n1 + "/api/posts/quorum?consistency=all")).getLong("likes")).isEqualTo(2);
    assertThat(ok(get(n1 + "/api/posts/quorum?consistency=local")).getString("id"))
        .isEqualTo("quorum");
  }

  @Test
  void majorityWriteInAMinorityIsRefusedKeptLocallyAndConvergesAfterHeal() {
    String p = n1 + "/api/posts/minority";
    try {
      JsonObject cut =
          ok(send("POST", n1 + "/admin/partition", "{\"peers\": [\"n2\", \"n3\"]}", Map.of()));
      assertThat(cut)
          .isEqualTo(
              new JsonObject()
                  .put("node", "n1")
                  .put("partitioned", new JsonArray(List.of("n2", "n3"))));
      JsonObject view = ok(get(n1 + "/api/cluster"));
      assertThat(view.getJsonArray("partitioned")).isEqualTo(new JsonArray(List.of("n2", "n3")));
      for (Object peer : view.getJsonArray("peers")) {
        assertThat(((JsonObject) peer).getBoolean("partitioned")).isTrue();
        assertThat(((JsonObject) peer).getBoolean("reachable")).isFalse();
      }

      Response refused = post(p + "/like?consistency=majority");
      assertThat(refused.status()).as(refused.toString()).isEqualTo(503);
      JsonObject error = refused.json();
      assertThat(error.getString("error")).contains("1 of the 2 replicas").contains("kept locally");
      assertThat(error.getInteger("required")).isEqualTo(2);
      assertThat(error.getInteger("acknowledged")).isEqualTo(1);
      assertThat(error.getInteger("members")).isEqualTo(3);
      assertThat(error.getBoolean("keptLocally")).isTrue();

      // A local write in the minority is accepted; the refused one was kept locally.
      assertThat(ok(post(p + "/like")).getLong("likes")).isEqualTo(2);
      // The other side never received them (the link is cut), and a majority read here fails.
      assertThat(ok(get(n2 + "/api/posts/minority")).getLong("likes")).isZero();
      Response read = get(p + "?consistency=majority");
      assertThat(read.status()).isEqualTo(503);
      assertThat(read.json().getString("operation")).isEqualTo("read");
      // The majority side accepts majority writes.
      assertThat(ok(post(n2 + "/api/posts/minority/like?consistency=majority")).getLong("likes"))
          .isEqualTo(1);
    } finally {
      assertThat(ok(post(n1 + "/admin/heal")))
          .isEqualTo(new JsonObject().put("node", "n1").put("partitioned", new JsonArray()));
    }
    for (String node : List.of(n1, n2, n3)) {
      awaitJson(
          "GET",
          node + "/api/posts/minority",
          j -> j.getLong("likes") == 3,
          node + " converges to 3 likes after heal");
    }
    cluster.awaitMembership();
  }

  @Test
  void badInputIsA400WithAJsonError() throws IOException {
    String p = n1 + "/api/posts/";
    assertBadRequest(put(p + "bad/title", "{\"title\": "), "invalid JSON");
    assertBadRequest(put(p + "bad/title", "[1, 2]"), "JSON object");
    assertBadRequest(put(p + "bad/title", "{\"title\": 42}"), "title");
    assertBadRequest(put(p + "bad/title", "{}"), "title");
    assertBadRequest(put(p + "bad/title", null), "body");
    assertBadRequest(
        put(p + "bad/title", "{\"title\": \"" + "x".repeat(20_000) + "\"}"), "larger than");
    assertBadRequest(put(p + "bad/title", "{\"title\": \"" + "x".repeat(201) + "\"}"), "title");

    String tooLong = "a".repeat(65);
    assertThat(ok(get(p + "a".repeat(64))).getString("id")).hasSize(64);
    for (String badId : List.of(tooLong, "a%20b", "%C3%BC", "a:b", "%2e%2e%2fx")) {
      assertBadRequest(get(p + badId), "post id");
      assertBadRequest(post(p + badId + "/like"), "post id");
    }
    assertBadRequest(post(p + "/like"), "empty");
    for (String badUser : List.of(tooLong, "a%20b", "%C3%BC")) {
      assertBadRequest(put(p + "ok/likers/" + badUser, null), "user name");
      assertBadRequest(send("DELETE", p + "ok/likers/" + badUser, null, Map.of()), "user name");
    }
    assertBadRequest(put(p + "ok/likers/", null), "user name");

    for (String level : List.of("two", "MAJORITY", "", "2", "quorum")) {
      assertBadRequest(post(p + "ok/like?consistency=" + level), "consistency");
      assertBadRequest(get(p + "ok?consistency=" + level), "consistency");
    }
    assertBadRequest(get(p + "ok?consistency=local&consistency=all"), "consistency");
    // Malformed percent escapes (java.net.URI refuses to send them, so over a raw socket).
    for (String path :
        List.of(
            "/api/posts/ok?consistency=%zz",
            "/api/posts/%zz", "/api/posts/ok/likers/%zz", "/api/posts/%/like")) {
      String answer = rawRequest(cluster.node(0).httpPort(), "GET", path);
      assertThat(answer).as(path).startsWith("HTTP/1.1 400").contains("{\"error\":");
    }

    // Nothing was written by any refused request.
    assertThat(ok(get(p + "ok"))).isEqualTo(post("ok", "", 0, 0, List.of(), "n1"));
    assertThat(ok(get(p + "bad"))).isEqualTo(post("bad", "", 0, 0, List.of(), "n1"));
  }

  @Test
  void wrongMethodsAndPathsAreJsonErrors() {
    for (Response r :
        List.of(
            send("DELETE", n1 + "/api/posts/x", null, Map.of()),
            get(n1 + "/api/posts/x/like"),
            send("PUT", n1 + "/api/posts/x/like", null, Map.of()),
            post(n1 + "/api/posts/x/title"),
            get(n1 + "/admin/heal"),
            get(n1 + "/admin/leave"),
            send("DELETE", n1 + "/admin/leave", null, Map.of()),
            get(n1 + "/admin/remove"),
            send("PUT", n1 + "/admin/remove", "{\"nodeId\": \"n2\"}", Map.of()),
            post(n1 + "/health"))) {
      assertThat(r.status()).as(r.toString()).isEqualTo(405);
      assertThat(r.json().getString("error")).isNotBlank();
    }
    for (Response r :
        List.of(get(n1 + "/api/nope"), get(n1 + "/nope.html"), post(n1 + "/api/posts/x/y/z"))) {
      assertThat(r.status()).as(r.toString()).isIn(404, 405);
      assertThat(r.json().getString("error")).isNotBlank();
    }
  }

  @Test
  void clusterViewListsPeersWithTheirHttpUrls() {
    JsonObject view = ok(get(n2 + "/api/cluster"));
    assertThat(view.getString("node")).isEqualTo("n2");
    assertThat(view.getString("status")).isEqualTo("up");
    assertThat(view.getString("http")).isEqualTo(n2);
    assertThat(view.getString("cluster")).isEqualTo("converge");
    JsonArray peers = view.getJsonArray("peers");
    assertThat(peers.stream().map(o -> ((JsonObject) o).getString("id")))
        .containsExactly("n1", "n3");
    assertThat(peers.stream().map(o -> ((JsonObject) o).getString("http"))).containsExactly(n1, n3);
    assertThat(peers.stream().map(o -> ((JsonObject) o).getString("status")))
        .containsExactly("up", "up");
    JsonObject first = peers.getJsonObject(0);
    assertThat(first.fieldNames())
        .containsExactlyInAnyOrder(
            "id",
            "status",
            "reachable",
            "partitioned",
            "http",
            "gossip",
            "incarnation",
            "phi",
            "lastHeardMillis",
            "metadata");
    assertThat(first.getBoolean("reachable")).isTrue();
    assertThat(first.getBoolean("partitioned")).isFalse();
    assertThat(first.getString("gossip")).isEqualTo("127.0.0.1:" + cluster.node(0).gossipPort());
  }

  @Test
  void corsAllowsTheClusterPagesOnly() {
    Response preflight =
        send(
            "OPTIONS",
            n1 + "/api/posts/c/like",
            null,
            Map.of("Origin", n2, "Access-Control-Request-Method", "POST"));
    assertThat(preflight.status()).isEqualTo(204);
    assertThat(preflight.raw().headers().firstValue("access-control-allow-origin")).hasValue(n2);
    assertThat(preflight.raw().headers().firstValue("access-control-allow-methods").orElse(""))
        .contains("POST", "PUT", "DELETE");
    Response read = send("GET", n1 + "/api/posts/c", null, Map.of("Origin", n3));
    assertThat(read.raw().headers().firstValue("access-control-allow-origin")).hasValue(n3);

    String evil = "http://evil.example:8080";
    Response foreignWrite = send("POST", n1 + "/api/posts/c/like", null, Map.of("Origin", evil));
    assertThat(foreignWrite.status()).isEqualTo(403);
    assertThat(foreignWrite.json().getString("error")).contains("origin");
    Response foreignRead = send("GET", n1 + "/api/posts/c", null, Map.of("Origin", evil));
    assertThat(foreignRead.raw().headers().firstValue("access-control-allow-origin")).isEmpty();
    assertThat(ok(get(n1 + "/api/posts/c")).getLong("likes")).isZero();
    // Admin endpoints are same-origin only, even from a cluster page.
    Response crossAdmin = send("POST", n1 + "/admin/heal", null, Map.of("Origin", n2));
    assertThat(crossAdmin.status()).isEqualTo(403);
    assertThat(
            ok(send("POST", n1 + "/admin/heal", null, Map.of("Origin", n1)))
                .getJsonArray("partitioned"))
        .isEmpty();
  }

  @Test
  void adminPartitionRejectsBadBodies() {
    String url = n1 + "/admin/partition";
    assertBadRequest(send("POST", url, "{\"peers\": []}", Map.of()), "peers");
    assertBadRequest(send("POST", url, "{\"peers\": \"n2\"}", Map.of()), "peers");
    assertBadRequest(send("POST", url, "{\"peers\": [\"a b\"]}", Map.of()), "peers");
    assertBadRequest(send("POST", url, "{\"peers\": [\"n1\"]}", Map.of()), "itself");
    assertBadRequest(send("POST", url, "nope", Map.of()), "invalid JSON");
    assertThat(ok(get(n1 + "/api/cluster")).getJsonArray("partitioned")).isEmpty();
  }

  @Test
  void adminRemoveRejectsBadBodiesAndUnknownMembers() {
    String url = n1 + "/admin/remove";
    assertBadRequest(send("POST", url, "{}", Map.of()), "nodeId");
    assertBadRequest(send("POST", url, "{\"nodeId\": 42}", Map.of()), "nodeId");
    assertBadRequest(send("POST", url, "{\"nodeId\": [\"n2\"]}", Map.of()), "nodeId");
    assertBadRequest(send("POST", url, "{\"nodeId\": \"a b\"}", Map.of()), "nodeId");
    assertBadRequest(
        send("POST", url, "{\"nodeId\": \"" + "n".repeat(65) + "\"}", Map.of()), "nodeId");
    assertBadRequest(send("POST", url, "{\"nodeId\": \"n1\"}", Map.of()), "itself");
    assertBadRequest(send("POST", url, "nope", Map.of()), "invalid JSON");
    assertBadRequest(send("POST", url, null, Map.of()), "body");
    Response unknown = send("POST", url, "{\"nodeId\": \"n9\"}", Map.of());
    assertThat(unknown.status()).as(unknown.toString()).isEqualTo(404);
    assertThat(unknown.json().getString("error")).contains("n9");
    assertThat(unknown.json().getString("nodeId")).isEqualTo("n9");
    // A leave takes no body: a stray one is refused, and the node stays.
    assertBadRequest(send("POST", n1 + "/admin/leave", "{\"now\": true}", Map.of()), "no body");
    // Admin routes are same-origin only.
    assertThat(send("POST", n1 + "/admin/leave", null, Map.of("Origin", n2)).status())
        .isEqualTo(403);
    assertThat(send("POST", url, "{\"nodeId\": \"n2\"}", Map.of("Origin", n2)).status())
        .isEqualTo(403);
    cluster.awaitMembership(); // nobody left, nobody was removed
  }

  @Test
  void aNodeThatLeavesIsDroppedByTheOthersWhoKeepTheirMajority() {
    try (DemoCluster own = DemoCluster.start(3)) {
      String a = own.url(0);
      String b = own.url(1);
      String leaver = own.url(2);
      ok(post(leaver + "/api/posts/handed-off/like"));

      Response leaving = post(leaver + "/admin/leave");
      assertThat(leaving.status()).as(leaving.toString()).isEqualTo(202);
      assertThat(leaving.json().getString("node")).isEqualTo("n3");
      assertThat(leaving.json().getString("status")).isIn("leaving", "left");

      JsonObject left =
          awaitJson(
              "GET", leaver + "/api/cluster", j -> j.getString("status").equals("left"), "n3 left");
      assertThat(left.getJsonArray("peers")).as("a node that has left lists no peers").isEmpty();
      awaitJson("GET", a + "/api/cluster", j -> peerIds(j).equals(List.of("n2")), "n1 drops n3");
      awaitJson("GET", b + "/api/cluster", j -> peerIds(j).equals(List.of("n1")), "n2 drops n3");
      // The like taken by n3 before it left was handed off.
      awaitJson(
          "GET", a + "/api/posts/handed-off", j -> j.getLong("likes") == 1, "n1 has n3's like");

      // The remaining two are the whole cluster: majority and all need exactly them.
      assertThat(ok(post(a + "/api/posts/after-leave/like?consistency=majority")).getLong("likes"))
          .isEqualTo(1);
      assertThat(ok(post(b + "/api/posts/after-leave/like?consistency=all")).getLong("likes"))
          .isEqualTo(2);

      // The node that left still answers, with its status, and refuses what needs its store.
      for (Response r :
          List.of(
              post(leaver + "/api/posts/handed-off/like"),
              get(leaver + "/api/posts/handed-off"),
              get(leaver + "/api/posts"),
              get(leaver + "/health"),
              send("POST", leaver + "/admin/remove", "{\"nodeId\": \"n1\"}", Map.of()))) {
        assertThat(r.status()).as(r.toString()).isEqualTo(503);
        assertThat(r.json().getString("error")).contains("n3 has left the cluster");
        assertThat(r.json().getString("status")).isEqualTo("left");
      }
      assertThat(get(leaver + "/metrics").body())
          .contains("converge_node_status{status=\"left\"} 1")
          .doesNotContain("converge_peer_status{");
      // Leaving again is harmless: it answers the status.
      assertThat(ok(post(leaver + "/admin/leave")))
          .isEqualTo(new JsonObject().put("node", "n3").put("status", "left"));
      // The like n3 took before it left is on both remaining nodes.
      assertThat(ok(get(b + "/api/posts/handed-off?consistency=all")).getLong("likes"))
          .isEqualTo(1);
    }
  }

  @Test
  void aRemovedNodeIsDroppedAndItsWritesAreRefused() {
    try (DemoCluster own = DemoCluster.start(3)) {
      String a = own.url(0);
      String b = own.url(1);
      String gone = own.url(2);
      // n3 "is gone": cut off from both peers (gossip only; its HTTP still answers the test).
      ok(send("POST", gone + "/admin/partition", "{\"peers\": [\"n1\", \"n2\"]}", Map.of()));
      awaitJson(
          "GET",
          a + "/api/cluster",
          j -> peer(j, "n3").map(p -> !p.getBoolean("reachable")).orElse(false),
          "n1 sees n3 unreachable");
      JsonObject view = ok(get(a + "/api/cluster"));
      assertThat(peer(view, "n3").orElseThrow().getString("status")).isEqualTo("up");

      JsonObject removed = ok(send("POST", a + "/admin/remove", "{\"nodeId\": \"n3\"}", Map.of()));
      assertThat(removed).isEqualTo(new JsonObject().put("node", "n1").put("removed", "n3"));
      awaitJson("GET", a + "/api/cluster", j -> peerIds(j).equals(List.of("n2")), "n1 drops n3");
      awaitJson("GET", b + "/api/cluster", j -> peerIds(j).equals(List.of("n1")), "n2 drops n3");
      // Removing it again: it is no longer a member.
      assertThat(send("POST", b + "/admin/remove", "{\"nodeId\": \"n3\"}", Map.of()).status())
          .isEqualTo(404);
      // n3 no longer counts: majority and all need n1 and n2 only.
      assertThat(ok(post(a + "/api/posts/after-remove/like?consistency=majority")).getLong("likes"))
          .isEqualTo(1);
      assertThat(ok(post(b + "/api/posts/after-remove/like?consistency=all")).getLong("likes"))
          .isEqualTo(2);

      // n3 comes back: it learns it was removed, reports it, and refuses writes.
      ok(post(gone + "/admin/heal"));
      awaitJson(
          "GET",
          gone + "/api/cluster",
          j -> j.getString("status").equals("removed"),
          "n3 learns it was removed");
      Response write = post(gone + "/api/posts/after-remove/like");
      assertThat(write.status()).as(write.toString()).isEqualTo(503);
      assertThat(write.json().getString("error"))
          .contains("no longer a cluster member")
          .contains("new incarnation");
      assertThat(write.json().getString("status")).isEqualTo("removed");
      Response health = get(gone + "/health");
      assertThat(health.status()).isEqualTo(503);
      assertThat(health.json().getString("status")).isEqualTo("removed");
      assertThat(get(gone + "/metrics").body())
          .contains("converge_node_status{status=\"removed\"} 1");
      // Its local reads still answer what it holds; the others never see its refused write.
      assertThat(ok(get(gone + "/api/posts/after-remove")).getString("id"))
          .isEqualTo("after-remove");
      assertThat(ok(get(a + "/api/posts/after-remove?consistency=all")).getLong("likes"))
          .isEqualTo(2);
    }
  }

  private static List<String> peerIds(JsonObject cluster) {
    return cluster.getJsonArray("peers").stream()
        .map(p -> ((JsonObject) p).getString("id"))
        .toList();
  }

  private static Optional<JsonObject> peer(JsonObject cluster, String id) {
    return cluster.getJsonArray("peers").stream()
        .map(p -> (JsonObject) p)
        .filter(p -> p.getString("id").equals(id))
        .findFirst();
  }

  @Test
  void healthAndMetrics() {
    assertThat(ok(get(n1 + "/health")))
        .isEqualTo(new JsonObject().put("status", "ok").put("node", "n1"));
    ok(post(n1 + "/api/posts/metrics/like"));
    awaitJson("GET", n2 + "/api/posts/metrics", j -> j.getLong("likes") == 1, "n2 gets the like");
    Response metrics = get(n1 + "/metrics");
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.contentType()).startsWith("text/plain; version=0.0.4");
    assertThat(metrics.body())
        .contains("# TYPE converge_http_requests_total counter")
        .contains(
            "converge_http_requests_total{route=\"/api/posts/{id}/like\",method=\"POST\","
                + "status=\"200\"}")
        .contains("converge_replication_bytes_sent_total ")
        .contains("converge_replication_bytes_received_total ")
        .contains("converge_deltas_sent_total ")
        .contains("converge_deltas_received_total ")
        .contains("converge_full_states_sent_total ")
        .contains("converge_full_states_received_total ")
        .contains("converge_anti_entropy_rounds_total ")
        .contains("converge_keys_repaired_total ")
        .contains("converge_protocol_errors_total ")
        .contains("converge_peer_unacked_deltas{peer=\"n2\"} ")
        .contains("converge_peer_unacked_deltas{peer=\"n3\"} ")
        .contains("converge_peer_reachable{peer=\"n2\"} 1")
        .contains("converge_peer_status{peer=\"n2\",status=\"up\"} 1")
        .contains("converge_peer_status{peer=\"n2\",status=\"leaving\"} 0")
        .contains("converge_peer_status{peer=\"n3\",status=\"up\"} 1")
        .contains("converge_node_status{status=\"up\"} 1")
        .contains("converge_node_status{status=\"left\"} 0")
        .contains("converge_prune_epoch 0")
        .contains("converge_pruned_replica_ids 0")
        .contains("converge_unknown_types_skipped_total 0");
    for (String line : metrics.body().split("\n")) {
      assertThat(line).matches("# (HELP|TYPE) .*|[a-z_]+(\\{.*\\})? -?[0-9.E]+");
    }
  }

  @Test
  void eventsStreamRemoteUpdates() throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(n1 + "/api/events")).GET().build();
    HttpResponse<InputStream> response =
        DemoCluster.HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type").orElse(""))
        .startsWith("text/event-stream");
    CompletableFuture<JsonObject> event = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader lines =
                  new BufferedReader(
                      new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String type = null;
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                  if (line.startsWith("event: ")) {
                    type = line.substring(7);
                  } else if (line.startsWith("data: ") && "post".equals(type)) {
                    JsonObject post = new JsonObject(line.substring(6));
                    if (post.getString("id").equals("sse") && post.getLong("likes") == 1) {
                      event.complete(post);
                      return;
                    }
                  }
                }
                event.completeExceptionally(new AssertionError("stream ended without the event"));
              } catch (Exception e) {
                event.completeExceptionally(e);
              }
            },
            "sse-reader");
    reader.setDaemon(true);
    reader.start();

    ok(post(n2 + "/api/posts/sse/like")); // a write on another node
    JsonObject received = event.get(DemoCluster.DEADLINE.toSeconds(), TimeUnit.SECONDS);
    assertThat(received).isEqualTo(post("sse", "", 1, 0, List.of(), "n1"));
    reader.join(DemoCluster.DEADLINE.toMillis()); // the reader closed the stream

    // The server forgets the closed stream.
    long deadline = System.nanoTime() + DemoCluster.DEADLINE.toNanos();
    String metrics = "";
    while (System.nanoTime() < deadline) {
      metrics = get(n1 + "/metrics").body();
      if (metrics.contains("converge_sse_clients 0")) {
        break;
      }
      DemoCluster.sleep(100);
    }
    assertThat(metrics).contains("converge_sse_clients 0");
  }

  /** One request over a plain socket; returns the whole answer. */
  private static String rawRequest(int port, String method, String path) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(30_000);
      socket
          .getOutputStream()
          .write(
              (method
                      + " "
                      + path
                      + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      + "Connection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static Optional<InetAddress> nonLoopbackAddress() throws SocketException {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress address : Collections.list(nic.getInetAddresses())) {
        if (address instanceof Inet4Address && !address.isLoopbackAddress()) {
          return Optional.of(address);
        }
      }
    }
    return Optional.empty();
  }

  @Test
  void adminWithoutTokenAnswersLoopbackOnly() throws Exception {
    assertThat(AdminGuard.isLoopback(SocketAddress.inetSocketAddress(1, "127.0.0.1"))).isTrue();
    assertThat(AdminGuard.isLoopback(SocketAddress.inetSocketAddress(1, "::1"))).isTrue();
    assertThat(AdminGuard.isLoopback(SocketAddress.inetSocketAddress(1, "192.0.2.7"))).isFalse();
    assertThat(AdminGuard.isLoopback(SocketAddress.inetSocketAddress(1, "localhost.evil")))
        .isFalse();
    Optional<InetAddress> external = nonLoopbackAddress();
    if (external.isEmpty()) {
      System.getLogger(getClass().getName())
          .log(
              System.Logger.Level.WARNING,
              "no non-loopback IPv4 address: the over-the-network refusal is checked by unit only");
      return;
    }
    try (DemoNode node = DemoNode.start(DemoConfig.ephemeral("open").withHost("0.0.0.0"))) {
      String remote = "http://" + external.get().getHostAddress() + ":" + node.httpPort();
      Response refused = post(remote + "/admin/heal");
      assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
      assertThat(refused.json().getString("error")).contains("loopback");
      assertThat(
              send("POST", remote + "/admin/partition", "{\"peers\":[\"x\"]}", Map.of()).status())
          .isEqualTo(403);
      // The API itself answers remote clients; admin answers loopback ones.
      assertThat(get(remote + "/api/posts/x").status()).isEqualTo(200);
      assertThat(post("http://127.0.0.1:" + node.httpPort() + "/admin/heal").status())
          .isEqualTo(200);
      assertThat(node.replicator().faults().partitioned()).isEmpty();
    }
  }

  @Test
  void adminWithTokenNeedsTheBearerToken() {
    String token = "s3cret-token";
    try (DemoNode node = DemoNode.start(DemoConfig.ephemeral("tok").withAdminToken(token))) {
      String url = node.url() + "/admin/partition";
      String body = "{\"peers\": [\"other\"]}";
      Response missing = send("POST", url, body, Map.of());
      assertThat(missing.status()).isEqualTo(401);
      assertThat(missing.json().getString("error")).contains("Bearer");
      assertThat(missing.raw().headers().firstValue("www-authenticate")).hasValue("Bearer");
      assertThat(send("POST", url, body, Map.of("Authorization", "Bearer wrong")).status())
          .isEqualTo(401);
      assertThat(send("POST", url, body, Map.of("Authorization", token)).status()).isEqualTo(401);
      assertThat(node.replicator().faults().partitioned()).isEmpty();

      JsonObject cut = ok(send("POST", url, body, Map.of("Authorization", "Bearer " + token)));
      assertThat(cut.getJsonArray("partitioned")).isEqualTo(new JsonArray(List.of("other")));
      assertThat(node.replicator().faults().partitioned()).containsExactly("other");
      assertThat(post(node.url() + "/admin/heal").status()).isEqualTo(401);
      ok(
          send(
              "POST",
              node.url() + "/admin/heal",
              null,
              Map.of("Authorization", "Bearer " + token)));
      assertThat(node.replicator().faults().partitioned()).isEmpty();
    }
  }
}
