package dev.converge.demo.fault;

import dev.converge.demo.fault.Checker.Verdict;
import dev.converge.demo.fault.Nemesis.Event;
import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One whole-process fault run: five demo nodes in network namespaces, clients writing to all of
 * them, the nemesis injecting faults on a seeded schedule; then stop the clients, heal, wait for
 * every node to report the same posts, and let the {@link Checker} judge the history. Writes the
 * history ({@code history.jsonl}), the nodes' logs and a report ({@code report.md}) to {@code
 * <out>/seed-<seed>/}.
 *
 * <p>A seed fixes the schedule of faults and requests, not the timing: the processes and the
 * network run in real time.
 */
final class FaultRun {

  /** What to run. */
  record Settings(
      long seed,
      Duration duration,
      int nodes,
      int workers,
      double opsPerSecond,
      double majorityShare,
      Path jar,
      Path out) {}

  /** What came of it. */
  record Outcome(
      long seed, Verdict verdict, long healToConvergenceMillis, String line, Path report) {
    boolean valid() {
      return verdict.valid() && healToConvergenceMillis >= 0;
    }
  }

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration CONVERGENCE_DEADLINE = Duration.ofSeconds(120);

  private FaultRun() {}

  static Outcome run(Settings s) throws IOException, InterruptedException {
    Path dir = s.out().resolve("seed-" + s.seed());
    deleteRecursively(dir);
    Files.createDirectories(dir);
    NetworkNamespaces.removeLeftovers();
    try (NetworkNamespaces net = NetworkNamespaces.create(s.nodes());
        NodeProcesses nodes =
            new NodeProcesses(
                net,
                s.nodes(),
                s.jar(),
                dir,
                "fault-test-secret-" + s.seed(),
                "fault-test-admin-" + s.seed())) {
      for (int i = 0; i < s.nodes(); i++) {
        nodes.start(i);
      }
      for (int i = 0; i < s.nodes(); i++) {
        if (!nodes.awaitHealthy(i, START_TIMEOUT)) {
          throw new IOException("n" + i + " did not start; see " + dir.resolve("n" + i + ".log"));
        }
      }
      Nemesis nemesis = new Nemesis(net, nodes, s.seed());
      Workload workload =
          new Workload(nodes, s.seed(), s.workers(), s.opsPerSecond(), s.majorityShare());
      nemesis.record("start: " + s.nodes() + " nodes serving, clients begin");
      workload.start();
      nemesis.start();
      Thread.sleep(s.duration().toMillis());
      List<Op> history = workload.stop();
      nemesis.record("clients stopped");
      nemesis.stopAndHeal(START_TIMEOUT);
      long healed = System.nanoTime();
      nemesis.record("every node serving, network healed: waiting for convergence");
      Map<Integer, JsonArray> posts = awaitConvergence(nodes);
      long convergenceMillis = posts == null ? -1 : (System.nanoTime() - healed) / 1_000_000;
      if (posts == null) {
        posts = readAll(nodes);
        nemesis.record("NOT converged within " + CONVERGENCE_DEADLINE);
      } else {
        nemesis.record("converged " + convergenceMillis + " ms after the heal");
      }
      Verdict verdict = Checker.check(history, nemesis.wipes(), posts);
      String line = line(s, verdict, convergenceMillis, nemesis.timeline(), dir);
      writeHistory(dir.resolve("history.jsonl"), history);
      Path report = dir.resolve("report.md");
      Files.writeString(
          report, report(s, verdict, convergenceMillis, line, nemesis.timeline(), posts));
      return new Outcome(s.seed(), verdict, convergenceMillis, line, report);
    }
  }

  /* ------------------------------------------------------------------ convergence */

  /* Polls every node until all report the same posts; null after the deadline. */
  private static Map<Integer, JsonArray> awaitConvergence(NodeProcesses nodes)
      throws InterruptedException {
    long deadline = System.nanoTime() + CONVERGENCE_DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      Map<Integer, JsonArray> posts = readAll(nodes);
      if (posts.size() == nodes.size()) {
        Object first = Checker.byId(posts.get(0));
        if (posts.values().stream().allMatch(p -> Checker.byId(p).equals(first))) {
          return posts;
        }
      }
      Thread.sleep(50);
    }
    return null;
  }

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  private static Map<Integer, JsonArray> readAll(NodeProcesses nodes) throws InterruptedException {
    Map<Integer, JsonArray> posts = new TreeMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      try {
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(nodes.url(i) + "/api/posts"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          posts.put(i, new JsonArray(r.body()));
        }
      } catch (IOException e) {
        // not answering: not converged
      }
    }
    return posts;
  }

  /* ------------------------------------------------------------------ report */

  private static String line(
      Settings s, Verdict v, long convergenceMillis, List<Event> timeline, Path dir) {
    Map<String, Object> st = v.stats();
    return String.format(
        Locale.ROOT,
        "fault-test seed=%d: %s - %d ops (%d ok, %d fail, %d info; %d majority acks),"
            + " %d lost acknowledged writes, %d posts identical on %d nodes,"
            + " heal->convergence %s; faults: %s; report %s",
        s.seed(),
        v.valid() && convergenceMillis >= 0 ? "VALID" : "INVALID",
        st.get("ops"),
        st.get("ok"),
        st.get("fail"),
        st.get("info"),
        st.get("majorityAcked"),
        st.get("lostAcknowledgedWrites"),
        st.get("posts"),
        st.get("nodesCompared"),
        convergenceMillis >= 0 ? convergenceMillis + " ms" : "NONE within " + CONVERGENCE_DEADLINE,
        faults(timeline),
        dir.resolve("report.md"));
  }

  private static String faults(List<Event> timeline) {
    Map<String, Integer> counts = new TreeMap<>();
    for (Event e : timeline) {
      String what = e.what();
      String kind =
          what.startsWith("partition majority")
              ? "majority/minority partition"
              : what.startsWith("partition bridge")
                  ? "bridge partition"
                  : what.startsWith("loss")
                      ? "30% loss"
                      : what.startsWith("replace")
                          ? "replacement (kill -9 + wipe + new id + remove)"
                          : what.startsWith("leave")
                              ? "graceful leave + restart"
                              : what.contains("data directory deleted")
                                  ? "kill -9 + wipe"
                                  : what.startsWith("kill -9") ? "kill -9" : null;
      if (kind != null) {
        counts.merge(kind, 1, Integer::sum);
      }
    }
    List<String> parts = new ArrayList<>();
    counts.forEach((k, n) -> parts.add(n + " " + k));
    return parts.isEmpty() ? "none" : String.join(", ", parts);
  }

  private static String report(
      Settings s,
      Verdict v,
      long convergenceMillis,
      String line,
      List<Event> timeline,
      Map<Integer, JsonArray> posts) {
    StringBuilder r = new StringBuilder();
    r.append("# Fault run, seed ").append(s.seed()).append("\n\n");
    r.append("**Verdict:** `").append(line).append("`\n\n");
    r.append("## Settings\n\n");
    r.append("- nodes: ")
        .append(s.nodes())
        .append(", each a JVM in its own network namespace, majority floor")
        .append(" (--min-quorum-size) ")
        .append(s.nodes() / 2 + 1)
        .append('\n');
    r.append("- workload: ")
        .append(s.duration().toSeconds())
        .append(" s, ")
        .append(s.workers())
        .append(" clients, ")
        .append(s.opsPerSecond())
        .append(" requests/s in all, ")
        .append(Math.round(s.majorityShare() * 100))
        .append("% with consistency=majority\n");
    r.append("- posts ")
        .append(Workload.POSTS)
        .append(", users ")
        .append(Workload.USERS)
        .append("\n\n");
    r.append("## Statistics\n\n");
    v.stats().forEach((k, val) -> r.append("- ").append(k).append(": ").append(val).append('\n'));
    r.append("- healToConvergenceMillis: ").append(convergenceMillis).append("\n\n");
    r.append("## Anomalies\n\n");
    if (v.anomalies().isEmpty()) {
      r.append("None.\n\n");
    } else {
      v.anomalies().forEach(a -> r.append("- ").append(a).append('\n'));
      r.append('\n');
    }
    r.append("## Checks\n\n");
    v.details().forEach(d -> r.append("- ").append(d).append('\n'));
    r.append('\n');
    r.append("## Timeline\n\n");
    long t0 = timeline.isEmpty() ? 0 : timeline.get(0).nanos();
    for (Event e : timeline) {
      r.append(String.format(Locale.ROOT, "- %7.3f s  %s%n", (e.nanos() - t0) / 1e9, e.what()));
    }
    r.append("\n## Final posts (per node)\n\n");
    posts.forEach(
        (node, array) ->
            r.append("- n")
                .append(node)
                .append(": `")
                .append(Checker.byId(array).values())
                .append("`\n"));
    r.append("\n## Files\n\n- `history.jsonl`: every request and its outcome\n");
    r.append("- `n<i>.log`: each node's output; `data/n<i>`: its data directory\n");
    return r.toString();
  }

  private static void writeHistory(Path file, List<Op> history) throws IOException {
    StringBuilder b = new StringBuilder();
    for (Op o : history) {
      b.append(o.toJson().encode()).append('\n');
    }
    Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
  }

  /** Deletes {@code dir} and everything under it, if it exists. */
  static void deleteRecursively(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (var files = Files.walk(dir)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
