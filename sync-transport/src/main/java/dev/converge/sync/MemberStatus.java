package dev.converge.sync;

/**
 * Where a member incarnation is in its lifecycle. The order is the lattice order of the gossiped
 * membership view: an incarnation's status only moves forward, and every node ends with the same
 * status for it. Reachability (the failure detector's view) is separate: see {@link
 * ClusterMember#reachable()}.
 */
public enum MemberStatus {
  /** Started, still catching up; counted in quorums (a larger N only makes quorums safer). */
  JOINING,
  /** A full member. */
  UP,
  /** Closing gracefully: handing off what its peers have not acknowledged. Still counted. */
  LEAVING,
  /**
   * Left gracefully ({@link Replicator#close()}). Not counted. A durable node restarted on its data
   * directory comes back as the same incarnation, newer session, and is a member again.
   */
  LEFT,
  /**
   * Removed by an operator ({@link Replicator#removeMember}), by the optional automatic removal of
   * a long-unreachable member, or superseded by a newer incarnation of the same node id. Not
   * counted; this incarnation is refused if it comes back.
   */
  REMOVED;

  /** True for {@link #LEFT} and {@link #REMOVED}: the incarnation is gone for good. */
  public boolean isGone() {
    return this == LEFT || this == REMOVED;
  }
}
