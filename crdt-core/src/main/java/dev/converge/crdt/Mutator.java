package dev.converge.crdt;

/**
 * A change to one CRDT state, run by a replica: given the replica's current state and its context,
 * returns the new state and its delta. The built-in types offer ready mutators ({@link
 * PNCounter#incrementBy}, {@link ORSet#adding}, ...); a custom one composes their delta mutators:
 *
 * <pre>{@code
 * Mutator<PNCounter> likeTwice = (counter, ctx) ->
 *     counter.increment(ctx.replica(), 1).then(c -> c.increment(ctx.replica(), 1));
 * }</pre>
 *
 * <p>A mutator must be a pure function of its arguments: it may be retried, and it runs on the
 * thread that owns the key, so it must not block. A replica stores {@code current.merge(delta)},
 * not the state a mutator returns: a mutator that ignores {@code current} or mutates a stale copy
 * cannot lower the replica, but what its delta repeats of {@code current} is lost (an increment
 * computed from a stale count counts only above the current one). Mutate the state you are given.
 *
 * @param <T> the CRDT type
 */
@FunctionalInterface
public interface Mutator<T extends Crdt<T>> {

  /** Returns the mutation of {@code current} performed by {@code context.replica()}. */
  Mutation<T> apply(T current, MutationContext context);
}
