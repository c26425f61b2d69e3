package dev.converge.crdt;

/**
 * A state-based CRDT: a value of a join-semilattice (Shapiro et al. [1]). Replicas exchange states
 * or deltas and combine them with {@link #merge}; because merge is a least upper bound, replicas
 * that have received the same updates hold equal states, in whatever order and however many times
 * the updates arrived.
 *
 * <p>Implementations are immutable values and thread-safe. Every mutator is a <em>delta
 * mutator</em> (Almeida et al. [2]): it returns a {@link Mutation} holding the new state and a
 * small delta, itself a value of the same lattice, such that {@code old.merge(delta)} equals the
 * new state. Applying a delta ({@code state.merge(delta)}) costs in proportion to the delta, not to
 * the state.
 *
 * <p>[1] Shapiro, Preguiça, Baquero, Zawirski. A comprehensive study of Convergent and Commutative
 * Replicated Data Types. INRIA RR-7506, 2011. <br>
 * [2] Almeida, Shoker, Baquero. Delta State Replicated Data Types. JPDC 111, 2018.
 *
 * @param <T> the implementing type
 */
public interface Crdt<T extends Crdt<T>> {

  /**
   * Returns the least upper bound of this state and {@code other}. Commutative, associative,
   * idempotent and inflationary ({@code this ⊑ result}). Total: never throws for states produced by
   * this library's mutators, merges and decoder.
   */
  T merge(T other);
}
