package dev.converge.demo;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.GCounter;
import dev.converge.crdt.Key;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.Mutator;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.codec.ValueCodec;
import dev.converge.sync.Consistency;
import dev.converge.sync.Replicator;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The demo's data model on top of a {@link Replicator}: a post is four independent CRDT keys, so
 * each field converges by its own rule.
 *
 * <pre>
 * post:P:likes   PNCounter            like +1, unlike -1; every click counts once
 * post:P:views   GCounter             view +1; only grows
 * post:P:likers  ORSet&lt;String&gt;   user names; a concurrent add wins over a remove
 * post:P:title   LWWRegister&lt;String&gt; the last write (hybrid logical clock) wins
 * </pre>
 *
 * <p>A post "exists" once any of its keys has been written; an unknown post reads as zeros and
 * empties. Thread-safe: it holds no state besides the replicator.
 */
final class Posts {

  /** The prefix of every key of the demo. */
  static final String KEY_PREFIX = "post:";

  /** Ids and user names: 1–64 letters, digits, {@code -_.}. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** Longest title accepted, in characters. */
  static final int MAX_TITLE_LENGTH = 200;

  private static final int KEYS_PAGE = 1_000;

  private final Replicator replicator;
  private final String nodeId;

  Posts(Replicator replicator, String nodeId) {
    this.replicator = replicator;
    this.nodeId = nodeId;
  }

  static boolean validName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  static Key<PNCounter> likes(String id) {
    return Key.pnCounter(KEY_PREFIX + id + ":likes");
  }

  static Key<GCounter> views(String id) {
    return Key.gCounter(KEY_PREFIX + id + ":views");
  }

  static Key<ORSet<String>> likers(String id) {
    return Key.orSet(KEY_PREFIX + id + ":likers", ValueCodec.string());
  }

  static Key<LWWRegister<String>> title(String id) {
    return Key.lwwRegister(KEY_PREFIX + id + ":title", ValueCodec.string());
  }

  /** The post id in a key name of the layout, if it is one. */
  static Optional<String> idOf(String keyName) {
    if (!keyName.startsWith(KEY_PREFIX)) {
      return Optional.empty();
    }
    int end = keyName.indexOf(':', KEY_PREFIX.length());
    if (end < 0) {
      return Optional.empty();
    }
    String id = keyName.substring(KEY_PREFIX.length(), end);
    return validName(id) ? Optional.of(id) : Optional.empty();
  }

  /** Post {@code id} as JSON, each key read with {@code consistency}. */
  Future<JsonObject> read(String id, Consistency consistency) {
    Future<PNCounter> likes = get(likes(id), consistency);
    Future<GCounter> views = get(views(id), consistency);
    Future<ORSet<String>> likers = get(likers(id), consistency);
    Future<LWWRegister<String>> title = get(title(id), consistency);
    return Future.all(likes, views, likers, title)
        .map(
            all ->
                toJson(
                    id,
                    title.result().value().orElse(""),
                    likes.result().value(),
                    views.result().value(),
                    likers.result().elements()));
  }

  /** Every post this node holds, ascending by id, each read with {@code consistency}. */
  Future<JsonArray> readAll(Consistency consistency) {
    return ids(KEY_PREFIX, new LinkedHashSet<>())
        .compose(
            ids -> {
              List<Future<JsonObject>> reads = new ArrayList<>();
              for (String id : ids) {
                reads.add(read(id, consistency));
              }
              return Future.all(reads)
                  .map(
                      all -> {
                        JsonArray posts = new JsonArray();
                        reads.forEach(r -> posts.add(r.result()));
                        return posts;
                      });
            });
  }

  /* Pages through the key names after `after`, collecting distinct post ids. */
  private Future<Set<String>> ids(String after, Set<String> found) {
    return replicator
        .keys(after, KEYS_PAGE)
        .compose(
            names -> {
              for (String name : names) {
                if (!name.startsWith(KEY_PREFIX)) {
                  return Future.succeededFuture(found); // sorted: no more post keys
                }
                idOf(name).ifPresent(found::add);
              }
              return names.size() < KEYS_PAGE
                  ? Future.succeededFuture(found)
                  : ids(names.get(names.size() - 1), found);
            });
  }

  Future<JsonObject> like(String id, Consistency consistency) {
    return write(likes(id), PNCounter.incrementBy(1), consistency, id);
  }

  Future<JsonObject> unlike(String id, Consistency consistency) {
    return write(likes(id), PNCounter.decrementBy(1), consistency, id);
  }

  Future<JsonObject> view(String id, Consistency consistency) {
    return write(views(id), GCounter.incrementBy(1), consistency, id);
  }

  Future<JsonObject> addLiker(String id, String user, Consistency consistency) {
    return write(likers(id), ORSet.adding(user), consistency, id);
  }

  Future<JsonObject> removeLiker(String id, String user, Consistency consistency) {
    return write(likers(id), ORSet.removing(user), consistency, id);
  }

  Future<JsonObject> setTitle(String id, String title, Consistency consistency) {
    return write(title(id), LWWRegister.assigning(title), consistency, id);
  }

  /* A write, then the whole post as this node now sees it. */
  private <T extends Crdt<T>> Future<JsonObject> write(
      Key<T> key, Mutator<T> mutator, Consistency consistency, String id) {
    Future<T> written =
        consistency.level() == Consistency.Level.LOCAL
            ? replicator.update(key, mutator)
            : replicator.update(key, mutator, consistency);
    return written.compose(state -> read(id, Consistency.local()));
  }

  private <T extends Crdt<T>> Future<T> get(Key<T> key, Consistency consistency) {
    return consistency.level() == Consistency.Level.LOCAL
        ? replicator.get(key)
        : replicator.get(key, consistency);
  }

  private JsonObject toJson(String id, String title, long likes, long views, Set<String> likers) {
    List<String> sorted = new ArrayList<>(likers);
    sorted.sort(null);
    return new JsonObject()
        .put("id", id)
        .put("title", title)
        .put("likes", likes)
        .put("views", views)
        .put("likers", new JsonArray(sorted))
        .put("node", nodeId);
  }
}
