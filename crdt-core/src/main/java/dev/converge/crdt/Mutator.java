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
 * thread that owns the key, so it must not block.
 *
 * @param <T> the CRDT type
 */
@FunctionalInterface
public interface Mutator<T extends Crdt<T>> {

  /** Returns the mutation of {@code current} performed by {@code context.replica()}. */
  Mutation<T> apply(T current, MutationContext context);
}
