package dev.converge.crdt.internal;

/**
 * Marks the library's own mutators ({@code PNCounter.incrementBy}, {@code ORSet.adding}, ...): each
 * applies one delta mutator of its type to the state it is given, so the law suite guarantees that
 * the state it returns equals {@code current.merge(delta)}. A store may then keep that state
 * instead of computing the join again (issue 13: a replica stores {@code current ⊔ delta}; for
 * these mutators the two are the same, and the join is skipped). Not part of the public API; a
 * user's mutator must never implement it.
 */
public interface LawfulMutator {}
