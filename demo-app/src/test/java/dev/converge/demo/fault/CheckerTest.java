package dev.converge.demo.fault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.demo.fault.Nemesis.Wipe;
import dev.converge.demo.fault.Op.Kind;
import dev.converge.demo.fault.Op.Status;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The fault test's checker on hand-made histories: it passes what the promises allow and catches
 * each kind of loss — so a VALID verdict from a real run means something.
 */
class CheckerTest {

  private final List<Op> history = new ArrayList<>();
  private long clock = 1_000;

  /** Appends an op that runs from now for 10 time units, on node 0 unless said otherwise. */
  private Op op(Kind kind, String arg, boolean majority, Status status, int node) {
    long start = clock;
    clock += 10;
    Op o =
        new Op(
            history.size() + 1,
            node,
            kind,
            "p0",
            arg,
            majority,
            start,
            start + 5,
            start,
            start + 5,
            status,
            status == Status.OK ? 200 : 0,
            "");
    history.add(o);
    return o;
  }

  private Op op(Kind kind, String arg, Status status) {
    return op(kind, arg, false, status, 0);
  }

  private static JsonArray posts(long likes, long views, List<String> likers, String title) {
    return new JsonArray()
        .add(
            new JsonObject()
                .put("id", "p0")
                .put("title", title)
                .put("likes", likes)
                .put("views", views)
                .put("likers", new JsonArray(new ArrayList<>(likers)))
                .put("node", "n0"));
  }

  private Checker.Verdict check(JsonArray posts, Wipe... wipes) {
    Map<Integer, JsonArray> byNode = new TreeMap<>();
    for (int i = 0; i < 3; i++) {
      JsonArray copy = posts.copy();
      copy.getJsonObject(0).put("node", "n" + i); // differs per node, and is ignored
      byNode.put(i, copy);
    }
    return Checker.check(history, List.of(wipes), byNode);
  }

  /** A small history: 2 likes (one unknown), a view, a title, u1 added, u2 added then removed. */
  private void typicalHistory() {
    op(Kind.LIKE, "", Status.OK);
    op(Kind.LIKE, "", Status.INFO);
    op(Kind.UNLIKE, "", Status.FAIL);
    op(Kind.VIEW, "", Status.OK);
    op(Kind.TITLE, "t5", Status.OK);
    op(Kind.ADD_LIKER, "u1", Status.OK);
    op(Kind.ADD_LIKER, "u2", true, Status.OK, 1);
    op(Kind.REMOVE_LIKER, "u2", true, Status.OK, 2);
  }

  @Test
  void aHistoryThatKeptItsPromisesIsValid() {
    typicalHistory();
    for (long likes : new long[] {1, 2}) { // the unknown like may or may not count
      Checker.Verdict v = check(posts(likes, 1, List.of("u1"), "t5"));
      assertThat(v.anomalies()).as("likes=" + likes).isEmpty();
      assertThat(v.valid()).isTrue();
      assertThat(v.stats()).containsEntry("lostAcknowledgedWrites", 0L);
    }
  }

  @Test
  void aLostAcknowledgedLikeIsCaught() {
    typicalHistory();
    Checker.Verdict v = check(posts(0, 1, List.of("u1"), "t5"));
    assertThat(v.valid()).isFalse();
    assertThat(v.anomalies()).singleElement().asString().contains("likes = 0, outside");
    assertThat(v.stats()).containsEntry("lostAcknowledgedWrites", 1L);
  }

  @Test
  void aLikeThatFailedButCountedIsCaught() {
    typicalHistory();
    op(Kind.LIKE, "", Status.FAIL);
    assertThat(check(posts(3, 1, List.of("u1"), "t5")).anomalies())
        .singleElement()
        .asString()
        .contains("likes = 3");
  }

  @Test
  void aLostViewIsCaught() {
    typicalHistory();
    assertThat(check(posts(1, 0, List.of("u1"), "t5")).anomalies())
        .singleElement()
        .asString()
        .contains("views = 0");
  }

  @Test
  void aLostAddIsCaught() {
    typicalHistory();
    assertThat(check(posts(1, 1, List.of(), "t5")).anomalies())
        .singleElement()
        .asString()
        .contains("likers lost u1");
  }

  @Test
  void anAddConcurrentWithARemoveMayGoEitherWay() {
    op(Kind.ADD_LIKER, "u1", Status.OK);
    // A remove still in flight when the add begins may or may not have observed it.
    Op remove = op(Kind.REMOVE_LIKER, "u1", Status.INFO);
    assertThat(remove.status()).isEqualTo(Status.INFO);
    assertThat(check(posts(0, 0, List.of(), "")).anomalies()).isEmpty();
    assertThat(check(posts(0, 0, List.of("u1"), "")).anomalies()).isEmpty();
  }

  @Test
  void aResurrectedRemoveIsCaught() {
    typicalHistory(); // u2: majority add, then majority remove after it
    assertThat(check(posts(1, 1, List.of("u1", "u2"), "t5")).anomalies())
        .singleElement()
        .asString()
        .contains("has u2 although every add was observed");
  }

  @Test
  void aUserNeverAddedIsCaught() {
    typicalHistory();
    assertThat(check(posts(1, 1, List.of("u1", "u9"), "t5")).anomalies())
        .singleElement()
        .asString()
        .contains("u9, who was never added");
  }

  @Test
  void anOlderTitleWinningOverALaterAcknowledgedOneIsCaught() {
    typicalHistory();
    op(Kind.TITLE, "t9", Status.OK); // began after t5 completed: must win
    Checker.Verdict v = check(posts(1, 1, List.of("u1"), "t5"));
    assertThat(v.anomalies())
        .singleElement()
        .asString()
        .contains("\"t9\" began after it completed");
    assertThat(check(posts(1, 1, List.of("u1"), "t9")).anomalies()).isEmpty();
    assertThat(check(posts(1, 1, List.of("u1"), "never")).anomalies())
        .singleElement()
        .asString()
        .contains("was never written");
  }

  @Test
  void nodesThatDisagreeAreCaught() {
    typicalHistory();
    Map<Integer, JsonArray> byNode = new TreeMap<>();
    byNode.put(0, posts(1, 1, List.of("u1"), "t5"));
    byNode.put(1, posts(2, 1, List.of("u1"), "t5"));
    assertThat(Checker.check(history, List.of(), byNode).anomalies())
        .anySatisfy(a -> assertThat(a).contains("nodes disagree"));
  }

  /**
   * A lost disk: local writes that node acknowledged before it are fragile and may be gone; its
   * majority writes, and local writes acknowledged after the wipe, are not.
   */
  @Test
  void aWipedDiskExcusesOnlyItsOwnEarlierLocalWrites() {
    op(Kind.LIKE, "", false, Status.OK, 3); // fragile
    op(Kind.ADD_LIKER, "u1", false, Status.OK, 3); // fragile
    op(Kind.LIKE, "", true, Status.OK, 3); // majority: survives
    Wipe wipe = new Wipe(3, clock);
    clock += 100;
    op(Kind.VIEW, "", false, Status.OK, 3); // after the restart
    Checker.Verdict v = check(posts(1, 1, List.of(), ""), wipe);
    assertThat(v.anomalies()).isEmpty();
    assertThat(v.stats()).containsEntry("fragileLocalAcks", 2L);
    assertThat(check(posts(0, 1, List.of(), ""), wipe).anomalies())
        .as("the majority like must survive")
        .singleElement()
        .asString()
        .contains("likes = 0");
    assertThat(check(posts(1, 0, List.of(), ""), wipe).anomalies())
        .as("a write after the wipe must survive")
        .singleElement()
        .asString()
        .contains("views = 0");
  }

  /**
   * Two disks lost in one run (a wiped node, and a node replaced under a new id, which the history
   * knows by its slot): each excuses only the local writes its own slot acknowledged before it.
   */
  @Test
  void twoLostDisksEachExcuseOnlyTheirOwnEarlierLocalWrites() {
    op(Kind.LIKE, "", false, Status.OK, 1); // fragile: slot 1 is wiped below
    op(Kind.LIKE, "", false, Status.OK, 2); // fragile: slot 2 is replaced below
    op(Kind.LIKE, "", false, Status.OK, 3); // certain: slot 3 keeps its disk
    Wipe wiped = new Wipe(1, clock);
    clock += 100;
    op(Kind.VIEW, "", false, Status.OK, 2); // fragile: before slot 2's replacement
    Wipe replaced = new Wipe(2, clock);
    clock += 100;
    op(Kind.VIEW, "", false, Status.OK, 2); // certain: acknowledged by the replacement
    op(Kind.LIKE, "", false, Status.OK, 1); // certain: after slot 1's wipe
    Checker.Verdict v = check(posts(2, 1, List.of(), ""), wiped, replaced);
    assertThat(v.anomalies()).isEmpty();
    assertThat(v.stats()).containsEntry("fragileLocalAcks", 3L);
    assertThat(check(posts(4, 2, List.of(), ""), wiped, replaced).anomalies())
        .as("fragile writes may also have survived")
        .isEmpty();
    assertThat(check(posts(1, 1, List.of(), ""), wiped, replaced).anomalies())
        .as("slot 3's like and slot 1's later like must survive")
        .singleElement()
        .asString()
        .contains("likes = 1");
    assertThat(check(posts(2, 0, List.of(), ""), wiped, replaced).anomalies())
        .as("the replacement's view must survive")
        .singleElement()
        .asString()
        .contains("views = 0");
  }

  @Test
  void aWipeBetweenAMajorityAddAndRemoveExcusesAResurrection() {
    op(Kind.ADD_LIKER, "u2", true, Status.OK, 1);
    Wipe wipe = new Wipe(4, clock);
    clock += 100;
    op(Kind.REMOVE_LIKER, "u2", true, Status.OK, 2);
    assertThat(check(posts(0, 0, List.of("u2"), ""), wipe).anomalies()).isEmpty();
    assertThat(check(posts(0, 0, List.of("u2"), "")).anomalies()).isNotEmpty();
  }
}
