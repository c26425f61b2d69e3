package dev.converge.demo.fault;

import dev.converge.demo.fault.Nemesis.Wipe;
import dev.converge.demo.fault.Op.Kind;
import dev.converge.demo.fault.Op.Status;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Judges a fault run from the client history alone — it uses none of Converge's CRDT code, only the
 * semantics the demo promises — and the posts every node reports after the heal.
 *
 * <p>What "acknowledged" promises. An {@link Status#OK} write is durable where its consistency
 * says: {@code majority} on a majority of nodes, {@code local} on the node that answered. So a
 * {@code local} write acknowledged by a node whose data directory is later destroyed, before the
 * destruction, has no promise left if it had not yet replicated: the checker treats such a write as
 * <em>fragile</em> (it may or may not count) and reports how many there were. A node replaced by a
 * node of a new id (its disk lost, the old id removed) is such a destruction: the history knows
 * nodes by slot, and the slot's writes before the replacement are the lost node's. Every other
 * acknowledged write must be reflected. {@link Status#INFO} writes may or may not count; {@link
 * Status#FAIL} writes must not.
 *
 * <p>Checks: (1) every node reports the same posts; (2) per post, likes (PN-counter) lies in
 * [certain + fragile/unknown unlikes, certain + fragile/unknown likes] and views (G-counter)
 * likewise; (3) likers (OR-Set, add wins): a user is present if an acknowledged add was not
 * possibly observed by any remove (every remove finished before the add began), absent if never
 * possibly added, and absent if every possible add was a majority write followed, with no disk lost
 * in between, by an acknowledged majority remove (a quorum write reads a quorum first, so it
 * observed the add); (4) title (LWW register, hybrid logical clock): the final title was written,
 * and no acknowledged write began after the winner's write completed (it would carry a larger
 * timestamp, since every node reads the same clock); (5) the majority writes among these are
 * counted separately in the report.
 */
final class Checker {

  /** The judgement: valid iff no anomaly. */
  record Verdict(
      boolean valid, List<String> anomalies, Map<String, Object> stats, List<String> details) {}

  private final List<Op> history;
  private final List<Wipe> wipes;
  private final List<String> anomalies = new ArrayList<>();
  private final List<String> details = new ArrayList<>();
  private final Map<String, Object> stats = new LinkedHashMap<>();

  private Checker(List<Op> history, List<Wipe> wipes) {
    this.history = history;
    this.wipes = wipes;
  }

  /**
   * @param finalPosts per node, the array {@code GET /api/posts} answered after the heal
   */
  static Verdict check(List<Op> history, List<Wipe> wipes, Map<Integer, JsonArray> finalPosts) {
    return new Checker(history, wipes).run(finalPosts);
  }

  private Verdict run(Map<Integer, JsonArray> finalPosts) {
    Map<String, JsonObject> posts = identical(finalPosts);
    long fragile = history.stream().filter(this::fragile).count();
    stats.put("ops", history.size());
    for (Status s : Status.values()) {
      stats.put(s.name().toLowerCase(java.util.Locale.ROOT), count(o -> o.status() == s));
    }
    stats.put("majorityAcked", count(o -> o.status() == Status.OK && o.majority()));
    stats.put("fragileLocalAcks", fragile);
    long invalid = count(o -> o.status() == Status.FAIL && o.http() / 100 == 4);
    if (invalid > 0) {
      anomalies.add(
          invalid + " requests refused as invalid (4xx): the workload sends only valid ones");
    }
    Set<String> ids = new TreeSet<>(posts.keySet());
    history.forEach(o -> ids.add(o.post()));
    for (String id : ids) {
      JsonObject post = posts.get(id);
      counter(id, "likes", post == null ? 0 : post.getLong("likes", 0L), Kind.LIKE, Kind.UNLIKE);
      counter(id, "views", post == null ? 0 : post.getLong("views", 0L), Kind.VIEW, null);
      likers(id, post == null ? new JsonArray() : post.getJsonArray("likers", new JsonArray()));
      title(id, post == null ? "" : post.getString("title", ""));
    }
    stats.put("lostAcknowledgedWrites", lost);
    return new Verdict(anomalies.isEmpty(), List.copyOf(anomalies), stats, List.copyOf(details));
  }

  private long lost;

  /* (1) The posts, if every node reports the same; else an anomaly and node 0's view. */
  private Map<String, JsonObject> identical(Map<Integer, JsonArray> finalPosts) {
    Map<Integer, Map<String, JsonObject>> byNode = new TreeMap<>();
    finalPosts.forEach((node, array) -> byNode.put(node, byId(array)));
    Map<String, JsonObject> first = byNode.values().iterator().next();
    byNode.forEach(
        (node, posts) -> {
          if (!posts.equals(first)) {
            anomalies.add(
                "nodes disagree after the heal: n"
                    + byNode.keySet().iterator().next()
                    + " has "
                    + first.values()
                    + ", n"
                    + node
                    + " has "
                    + posts.values());
          }
        });
    stats.put("nodesCompared", byNode.size());
    stats.put("posts", first.size());
    return first;
  }

  static Map<String, JsonObject> byId(JsonArray array) {
    Map<String, JsonObject> posts = new TreeMap<>();
    for (int i = 0; i < array.size(); i++) {
      JsonObject post = array.getJsonObject(i).copy();
      post.remove("node"); // which node answered: the only field that may differ
      posts.put(post.getString("id"), post);
    }
    return posts;
  }

  /* (2) A counter's value lies in the range the history allows. */
  private void counter(String id, String name, long actual, Kind up, Kind down) {
    long certain = 0;
    long mayAdd = 0;
    long maySubtract = 0;
    for (Op o : history) {
      if (!o.post().equals(id) || (o.kind() != up && o.kind() != down)) {
        continue;
      }
      int sign = o.kind() == up ? 1 : -1;
      if (certain(o)) {
        certain += sign;
      } else if (possible(o)) {
        if (sign > 0) {
          mayAdd++;
        } else {
          maySubtract++;
        }
      }
    }
    long low = certain - maySubtract;
    long high = certain + mayAdd;
    String range = id + " " + name + " = " + actual;
    String allowed = "[" + low + ", " + high + "] (" + certain + " certain)";
    details.add(range + ", allowed " + allowed);
    if (actual < low || actual > high) {
      anomalies.add(range + ", outside the range the history allows " + allowed);
      lost += Math.max(0, low - actual);
    }
  }

  /* (3) OR-Set, add wins. */
  private void likers(String id, JsonArray actualArray) {
    Set<String> actual = new HashSet<>();
    actualArray.forEach(u -> actual.add(String.valueOf(u)));
    Map<String, List<Op>> adds = new HashMap<>();
    Map<String, List<Op>> removes = new HashMap<>();
    for (Op o : history) {
      if (o.post().equals(id) && possible(o)) {
        if (o.kind() == Kind.ADD_LIKER) {
          adds.computeIfAbsent(o.arg(), u -> new ArrayList<>()).add(o);
        } else if (o.kind() == Kind.REMOVE_LIKER) {
          removes.computeIfAbsent(o.arg(), u -> new ArrayList<>()).add(o);
        }
      }
    }
    Set<String> users = new TreeSet<>(adds.keySet());
    users.addAll(actual);
    Set<String> mustHave = new TreeSet<>();
    Set<String> mustNotHave = new TreeSet<>(Workload.USERS);
    mustNotHave.removeAll(adds.keySet());
    for (String user : users) {
      List<Op> a = adds.getOrDefault(user, List.of());
      List<Op> r = removes.getOrDefault(user, List.of());
      boolean present = actual.contains(user);
      Op unobserved =
          a.stream()
              .filter(add -> certain(add) && noRemoveCouldSee(add, r))
              .findFirst()
              .orElse(null);
      boolean removedForSure =
          !a.isEmpty() && a.stream().allMatch(add -> observedByMajorityRemove(add, r));
      if (unobserved != null) {
        mustHave.add(user);
      }
      if (removedForSure) {
        mustNotHave.add(user);
      }
      if (!present && unobserved != null) {
        anomalies.add(
            id
                + " likers lost "
                + user
                + ": acknowledged add #"
                + unobserved.id()
                + " that no remove could have observed");
        lost++;
      }
      if (present && a.isEmpty()) {
        anomalies.add(id + " likers has " + user + ", who was never added");
      }
      if (present && removedForSure) {
        anomalies.add(
            id
                + " likers has "
                + user
                + " although every add was observed by an acknowledged"
                + " majority remove");
      }
    }
    details.add(
        id
            + " likers = "
            + new TreeSet<>(actual)
            + ", must contain "
            + mustHave
            + ", must not contain "
            + mustNotHave);
  }

  /* Every remove finished before the add began, so none of them can have seen it. */
  private static boolean noRemoveCouldSee(Op add, List<Op> removes) {
    for (Op r : removes) {
      long end = r.status() == Status.OK ? r.completeNanos() : Long.MAX_VALUE;
      if (end >= add.invokeNanos()) {
        return false;
      }
    }
    return true;
  }

  private boolean observedByMajorityRemove(Op add, List<Op> removes) {
    if (!(add.majority() && add.status() == Status.OK)) {
      return false;
    }
    for (Op r : removes) {
      if (r.majority()
          && r.status() == Status.OK
          && r.invokeNanos() > add.completeNanos()
          && wipes.stream()
              .noneMatch(w -> w.nanos() >= add.invokeNanos() && w.nanos() <= r.completeNanos())) {
        return true;
      }
    }
    return false;
  }

  /* (4) LWW register on one clock. */
  private void title(String id, String actual) {
    List<Op> writes = new ArrayList<>();
    for (Op o : history) {
      if (o.post().equals(id) && o.kind() == Kind.TITLE && possible(o)) {
        writes.add(o);
      }
    }
    Op winner = null;
    if (!actual.isEmpty()) {
      winner = writes.stream().filter(w -> w.arg().equals(actual)).findFirst().orElse(null);
      if (winner == null) {
        anomalies.add(id + " title \"" + actual + "\" was never written");
        return;
      }
    }
    details.add(
        id
            + " title = \""
            + actual
            + "\""
            + (winner == null
                ? ""
                : " (#"
                    + winner.id()
                    + ", "
                    + winner.status().name().toLowerCase(java.util.Locale.ROOT)
                    + ")")
            + ", "
            + writes.stream().filter(this::certain).count()
            + " certain writes");
    long winnerEnd =
        winner == null
            ? Long.MIN_VALUE
            : winner.status() == Status.OK ? winner.completeMillis() : Long.MAX_VALUE;
    for (Op s : writes) {
      if (certain(s) && s != winner && s.invokeMillis() > winnerEnd) {
        anomalies.add(
            id
                + " title is "
                + (winner == null ? "unset" : "\"" + actual + "\" (#" + winner.id() + ")")
                + " but acknowledged write #"
                + s.id()
                + " \""
                + s.arg()
                + "\" began after it completed, so it must have won");
        lost++;
        return;
      }
    }
  }

  /* ------------------------------------------------------------------ classification */

  /** Acknowledged, and durable through every fault of the run. */
  private boolean certain(Op o) {
    return o.status() == Status.OK && !fragile(o);
  }

  /** May have taken effect. */
  private static boolean possible(Op o) {
    return o.status() != Status.FAIL;
  }

  /* A local write acknowledged by a node before that node's disk was destroyed. */
  private boolean fragile(Op o) {
    return o.status() == Status.OK
        && !o.majority()
        && wipes.stream().anyMatch(w -> w.node() == o.node() && o.completeNanos() <= w.nanos());
  }

  private long count(java.util.function.Predicate<Op> p) {
    return history.stream().filter(p).count();
  }

  @Override
  public String toString() {
    return Objects.toString(anomalies);
  }
}
