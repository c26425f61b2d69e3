package dev.converge.demo.fault;

import io.vertx.core.json.JsonObject;

/**
 * One client request of a fault run and what came of it, in the vocabulary of Jepsen histories:
 * {@link Status#OK} it certainly took effect (acknowledged), {@link Status#FAIL} it certainly did
 * not (refused before reaching the node, or rejected as invalid), {@link Status#INFO} unknown (a
 * timeout, a dropped connection, a quorum that was not reached: the write may have been kept).
 *
 * @param id sequence number in the history
 * @param node the node the request went to
 * @param kind what the request did
 * @param post the post it touched
 * @param arg the user (likers) or the title written; empty otherwise
 * @param majority whether it asked for {@code consistency=majority} (else local)
 * @param invokeNanos client monotonic time when it was sent
 * @param completeNanos client monotonic time when its outcome was known
 * @param invokeMillis wall-clock time when it was sent (the nodes' clocks are the same clock)
 * @param completeMillis wall-clock time when its outcome was known
 * @param status the outcome
 * @param http the HTTP status, or 0 if there was no response
 * @param error what went wrong, or empty
 */
record Op(
    long id,
    int node,
    Kind kind,
    String post,
    String arg,
    boolean majority,
    long invokeNanos,
    long completeNanos,
    long invokeMillis,
    long completeMillis,
    Status status,
    int http,
    String error) {

  enum Kind {
    LIKE,
    UNLIKE,
    VIEW,
    TITLE,
    ADD_LIKER,
    REMOVE_LIKER
  }

  enum Status {
    OK,
    FAIL,
    INFO
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("node", "n" + node)
        .put("kind", kind.name().toLowerCase(java.util.Locale.ROOT))
        .put("post", post)
        .put("arg", arg)
        .put("consistency", majority ? "majority" : "local")
        .put("invokeNanos", invokeNanos)
        .put("completeNanos", completeNanos)
        .put("invokeMillis", invokeMillis)
        .put("completeMillis", completeMillis)
        .put("status", status.name().toLowerCase(java.util.Locale.ROOT))
        .put("http", http)
        .put("error", error);
  }
}
