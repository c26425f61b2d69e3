package dev.converge.store;

import dev.converge.crdt.ReplicaId;
import java.util.Objects;

/**
 * Who this node is for its data: a stable node id chosen by the operator and an incarnation chosen
 * by the store. The replica id that authors dots and counter entries is {@code nodeId.incarnation}.
 *
 * <p>The store persists the incarnation with the data. A node whose data directory is lost or wiped
 * starts a new incarnation, hence a new replica id, so it can never reuse a dot or counter entry
 * its peers remember and silently swallow new increments.
 *
 * @param nodeId the operator's name for the node
 * @param incarnation a random token created when the data directory was initialised
 * @param replicaId {@code nodeId + "." + incarnation}
 */
public record NodeIdentity(String nodeId, String incarnation, ReplicaId replicaId) {

  public NodeIdentity {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(incarnation, "incarnation");
    Objects.requireNonNull(replicaId, "replicaId");
    if (!replicaId.value().equals(nodeId + "." + incarnation)) {
      throw new IllegalArgumentException("replica id must be nodeId.incarnation");
    }
  }

  /** The identity of {@code nodeId} in {@code incarnation}. */
  public static NodeIdentity of(String nodeId, String incarnation) {
    return new NodeIdentity(nodeId, incarnation, ReplicaId.of(nodeId + "." + incarnation));
  }

  /** A new identity with a fresh random incarnation. */
  public static NodeIdentity fresh(String nodeId) {
    long random = new java.security.SecureRandom().nextLong() & Long.MAX_VALUE;
    return of(nodeId, Long.toString(random, 36));
  }
}
