package dev.converge.crdt;

import java.util.Objects;
import java.util.function.Function;

/**
 * The result of a delta mutator: the new state, and the delta that turns the old state into it
 * ({@code old.merge(delta).equals(state)}). The delta is what replication ships.
 *
 * @param state the state after the mutation
 * @param delta a state of the same lattice, below {@code state}, usually far smaller
 * @param <T> the CRDT type
 */
public record Mutation<T extends Crdt<T>>(T state, T delta) {

  public Mutation {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(delta, "delta");
  }

  /**
   * Applies a further mutation to {@link #state} and returns the combined mutation, whose delta is
   * the join of both deltas (a delta group). Each call joins the deltas once: for many elements,
   * prefer a bulk mutator such as {@link ORSet#addAll}, which builds one delta.
   */
  public Mutation<T> then(Function<? super T, Mutation<T>> next) {
    Mutation<T> second = Objects.requireNonNull(next.apply(state), "next returned null");
    return new Mutation<>(second.state, delta.merge(second.delta));
  }
}
