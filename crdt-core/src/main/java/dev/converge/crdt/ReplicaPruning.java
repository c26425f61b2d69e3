package dev.converge.crdt;

import java.util.Set;

/**
 * A CRDT whose metadata names replicas, and which can forget a replica that has left the cluster
 * for good: the data-type half of removed-node pruning as in Pekko Distributed Data's {@code
 * RemovedNodePruning} [1]. Without it every replica id that ever wrote stays in counters, causal
 * contexts and dots forever, so metadata grows with the history of the membership rather than with
 * the membership.
 *
 * <p><b>The protocol this interface serves</b> (run by the cluster layer; see
 * docs/decisions/0011-pruning-removed-replica-ids.md). A replica {@code R} is removed for good and
 * will never write again. Once every contribution of {@code R} has reached one surviving replica,
 * the <em>owner</em> {@code O}:
 *
 * <ol>
 *   <li>{@code O} replaces its own state {@code s} by {@code s.prune(R, O)}, which moves {@code
 *       R}'s contributions under {@code O}'s name, and ships it with a marker saying "R pruned".
 *   <li>Every other replica, before it merges its state with a state that carries the marker,
 *       applies {@link #pruningCleanup pruningCleanup(R)} to its own state and to the incoming one,
 *       then merges. From then on it cleans every incoming state or delta that still mentions
 *       {@code R} (late messages, stale copies) before merging it.
 * </ol>
 *
 * <p>Cleanup drops {@code R}'s contributions without folding them anywhere: the owner's pruned
 * state already holds them under {@code O}'s name, so nothing is counted twice, and a stale copy of
 * something {@code R} added and someone later removed cannot come back.
 *
 * <p><b>Contract.</b> For a state {@code s} of an implementing type, replicas {@code R != O}:
 *
 * <ol>
 *   <li>{@link #replicas()} MUST name every replica id that appears anywhere in {@code s} (counter
 *       entries, dots, causal context, writer), and no other.
 *   <li>{@link #prune prune} and {@link #pruningCleanup pruningCleanup} MUST return a state whose
 *       {@link #replicas()} does not contain {@code R}, MUST return {@code s} itself when {@code s}
 *       does not mention {@code R}, and MUST be deterministic: equal inputs give equal results,
 *       which encode to equal bytes on every JVM. Both are therefore idempotent. Neither may change
 *       the receiver (states are immutable).
 *   <li>{@code s.prune(R, O)} MUST show the same user-visible value as {@code s}.
 *   <li>Both MUST leave every contribution of replicas other than {@code R} and {@code O} as it is.
 *   <li>Absorption: if {@code s} is {@code O}'s own replica state and holds every contribution of
 *       {@code R} and of {@code O}, then for every state {@code x} below {@code s} ({@code
 *       x.merge(s).equals(s)}) — any stale copy or delta a replica may still hold or receive —
 *       {@code x.pruningCleanup(R).merge(s.prune(R, O))} MUST equal {@code s.prune(R, O)}.
 *   <li>After the protocol has run, replicas that have received the same updates MUST hold equal
 *       states, and a state's value MUST be the one the type's specification gives when {@code
 *       s.prune(R, O)} is read as updates {@code O} made at that point (for a counter: none; for a
 *       set: {@code O} re-adds what it kept of {@code R}'s adds; for a register: {@code O}
 *       re-writes {@code R}'s winning write). The implementations say what that means for updates
 *       concurrent with the prune.
 * </ol>
 *
 * <p>{@code pruningCleanup} is not an inflation (it forgets things), and it need not commute with
 * {@code merge} on its own; it is meant to be followed, as in the protocol, by a merge with the
 * owner's pruned state (rule 5).
 *
 * <p>[1] Apache Pekko, Distributed Data: {@code org.apache.pekko.cluster.ddata.RemovedNodePruning}
 * ({@code modifiedByNodes}, {@code needPruningFrom}, {@code prune}, {@code pruningCleanup}).
 *
 * @param <T> the implementing type
 */
public interface ReplicaPruning<T extends Crdt<T>> {

  /**
   * Every replica id that appears anywhere in this state's metadata, ascending; an unmodifiable
   * set. The built-in types answer in O(replicas), without visiting their elements.
   */
  Set<ReplicaId> replicas();

  /**
   * True if {@code replica} appears anywhere in this state's metadata: {@code
   * replicas().contains(replica)}, usually faster.
   */
  default boolean mentions(ReplicaId replica) {
    return replicas().contains(replica);
  }

  /**
   * Folds the contributions of {@code removed} into those of {@code owner}, so that the value a
   * user observes is unchanged and {@code removed} appears nowhere in the result. Returns {@code
   * this} if {@code removed} does not appear here.
   *
   * <p>Call it on {@code owner}'s own current replica state, once that state holds every
   * contribution {@code removed} ever made: the result reuses {@code owner}'s counters (a counter
   * entry, the next free dots, a timestamp just above the winning write), so on any other state it
   * could collide with contributions {@code owner} made that this state has not seen.
   *
   * @throws IllegalArgumentException if {@code removed} equals {@code owner}
   * @throws IllegalStateException if this value cannot be an owner's replica state (an OR-Set
   *     delta)
   * @throws ArithmeticException if {@code owner}'s counters would overflow a long
   * @throws NullPointerException if an argument is null
   */
  T prune(ReplicaId removed, ReplicaId owner);

  /**
   * Drops every trace of {@code removed} from this state, folding it into nobody: the counter
   * entries and dots of {@code removed} and its causal-context entry are gone; an element left
   * without dots is gone. Returns {@code this} if {@code removed} does not appear here. Applies to
   * replica states and to deltas alike.
   *
   * <p>Meant for the states and deltas of replicas other than the owner, just before they are
   * merged with (or after they met) the owner's pruned state, which holds what this drops.
   *
   * @throws NullPointerException if {@code removed} is null
   */
  T pruningCleanup(ReplicaId removed);

  /**
   * What {@link #prune prune(removed, owner)} would pass to {@link #translatePruned} for this
   * state: an opaque number the owner keeps, per key, while late data may still arrive. The default
   * is 0; the OR-Set answers the owner's highest counter, the offset of its renaming.
   */
  default long pruneOffset(ReplicaId owner) {
    return 0;
  }

  /**
   * Translates a late state or delta that still names {@code removed} (made by a replica that had
   * not yet switched to the owner's pruned state) into what it would have been had the prune with
   * {@code offset} ({@link #pruneOffset} of the owner's state) come first: for every such {@code x}
   * made from a state below the owner's state {@code s}, {@code s.prune(R, O).merge(x
   * .translatePruned(R, O, s.pruneOffset(O)))} MUST equal {@code s.merge(x).prune(R, O)}. Only the
   * owner, which knows the offset, may translate; every other replica cleans. The default is {@link
   * #pruningCleanup}, right for types whose late data carries nothing of {@code removed} that the
   * owner's state lacks (counters, registers). The OR-Set renames, so that a late remove of an
   * element whose dot was {@code removed}'s still removes it.
   */
  default T translatePruned(ReplicaId removed, ReplicaId owner, long offset) {
    return pruningCleanup(removed);
  }
}
