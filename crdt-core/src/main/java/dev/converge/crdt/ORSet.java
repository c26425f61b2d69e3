package dev.converge.crdt;

import dev.converge.crdt.causal.CausalContext;
import dev.converge.crdt.causal.Dot;
import dev.converge.crdt.codec.StateReader;
import dev.converge.crdt.codec.StateWriter;
import dev.converge.crdt.codec.ValueCodec;
import dev.converge.crdt.internal.LawfulMutator;
import dev.converge.crdt.internal.PersistentHashMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * An observed-remove set with add-wins semantics and no tombstones: the optimized OR-Set of
 * Bieniusa et al. [1] in the delta-state form of Almeida et al. [2] (§7, "AWORSet"). Conflict rule:
 * <b>a concurrent add and remove of the same element leaves it present</b>; a remove only removes
 * the adds it has observed.
 *
 * <p>Each add is tagged with a fresh {@link Dot}; the state maps each present element to the dots
 * of the adds that are still visible, and a {@link CausalContext} records every dot ever seen. An
 * element whose dots all left is simply absent: removed elements leave no garbage behind, and the
 * context stays compact (one interval per replica in the steady state).
 *
 * <p><b>Cost.</b> Elements live in a persistent hash map ({@link PersistentHashMap}, CHAMP), so an
 * add or remove costs O(log32 n) and copies nothing of the rest of the set. A delta also records
 * its <em>scope</em>, the elements it touches (a removed element appears with no dots), so applying
 * a delta ({@code state.merge(delta)}) visits only those elements: O(|delta| log n). This is sound
 * because every dot in a delta's context was a dot of an element in its scope when the delta was
 * made. The scope is a hint for cost only: {@link #equals} ignores it. A full-state merge visits
 * both states, O(n + m). Bulk mutators ({@link #addAll}, {@link #removeAll}, {@link #clear}) build
 * the state and the delta once, O(k log n) for k elements touched, rather than joining k deltas.
 * See docs/decisions/0002-persistent-collections-for-crdt-state.md and 0004.
 *
 * <p>A delta group is the join of deltas ({@code d1.merge(d2)}, or {@link Mutation#then}); joining
 * a delta into a replica state — {@link #empty()} included — yields a replica state, whose later
 * merges visit the whole set. Mutators apply to replica states only ({@link #isDelta()} false).
 * Immutable; thread-safe.
 *
 * <p><b>Pruning</b> ({@link ReplicaPruning}). {@link #prune prune(R, O)} renames every dot of
 * {@code R} to a fresh dot of {@code O}, {@code (R, c)} to {@code (O, n + c)} where {@code n} is
 * {@code O}'s highest counter in the context, and replaces {@code R}'s context entry by {@code O}'s
 * interval {@code n+1..n+max(R)}: every element keeps its place, an element {@code R} added now
 * carries a dot of {@code O}. {@link #pruningCleanup pruningCleanup(R)} drops {@code R}'s dots and
 * context entry; an element left without dots leaves the set (in a delta it stays in the scope,
 * with no dots). Both are O(n) when {@code R} appears, O(log replicas) when it does not; {@link
 * #replicas()} is the context's replicas, O(1). Conflict rule across a prune: <b>a remove
 * concurrent with the prune, of an element whose visible adds were all {@code R}'s, loses to the
 * owner's renamed add</b> (add wins), exactly as if {@code O} had re-added the element when it
 * pruned.
 *
 * <p>[1] Bieniusa, Zawirski, Preguiça, Shapiro, Baquero, Balegas, Duarte. An optimized
 * conflict-free replicated set. arXiv:1210.3368, 2012. <br>
 * [2] Almeida, Shoker, Baquero. Delta State Replicated Data Types. JPDC 111, 2018.
 *
 * @param <E> the element type; elements must be immutable with value equality
 */
public final class ORSet<E> implements Crdt<ORSet<E>>, ReplicaPruning<ORSet<E>> {

  /*
   * Map values: a Dot (the common case, one visible add), or an immutable List<Dot> sorted
   * ascending with two or more dots (concurrent adds), or NO_DOTS: only in deltas, for an element
   * the delta removes. Invariant: every dot stored in `entries` is in `context`.
   */
  private static final List<Dot> NO_DOTS = List.of();

  private static final ORSet<?> EMPTY =
      new ORSet<>(PersistentHashMap.empty(), CausalContext.empty(), false);
  private static final ORSet<?> EMPTY_DELTA =
      new ORSet<>(PersistentHashMap.empty(), CausalContext.empty(), true);

  private final PersistentHashMap<E, Object> entries;
  private final CausalContext context;
  private final boolean delta;

  private ORSet(PersistentHashMap<E, Object> entries, CausalContext context, boolean delta) {
    this.entries = entries;
    this.context = context;
    this.delta = delta;
  }

  /** The empty set. */
  @SuppressWarnings("unchecked")
  public static <E> ORSet<E> empty() {
    return (ORSet<E>) EMPTY;
  }

  @SuppressWarnings("unchecked")
  private static <E> ORSet<E> emptyDelta() {
    return (ORSet<E>) EMPTY_DELTA;
  }

  /** The type descriptor for elements encoded by {@code codec}; tag {@code orset:<codec tag>}. */
  public static <E> CrdtType<ORSet<E>> type(ValueCodec<E> codec) {
    return new Type<>(codec);
  }

  /** True if {@code element} is present. O(log n). */
  public boolean contains(Object element) {
    Object dots = entries.get(element);
    return dots != null && dots != NO_DOTS;
  }

  /** The number of present elements; O(1) for replica states. */
  public int size() {
    if (!delta) {
      return entries.size();
    }
    int[] count = {0};
    entries.forEach((e, dots) -> count[0] += dots == NO_DOTS ? 0 : 1);
    return count[0];
  }

  public boolean isEmpty() {
    return size() == 0;
  }

  /** An unmodifiable live view of the present elements; not a copy. */
  public Set<E> elements() {
    return new ElementView();
  }

  /** The dots of the visible adds of {@code element}, ascending; empty if absent. */
  public List<Dot> dots(Object element) {
    return dotList(entries.get(element));
  }

  /** Every dot this state has seen. */
  public CausalContext context() {
    return context;
  }

  /** True if this value is a delta (it carries a scope) rather than a replica state. */
  public boolean isDelta() {
    return delta;
  }

  /**
   * Adds {@code element} on behalf of {@code replica}, with a fresh dot that supersedes the
   * element's visible adds. O(log n).
   *
   * @throws IllegalStateException if this is a delta
   */
  public Mutation<ORSet<E>> add(ReplicaId replica, E element) {
    Objects.requireNonNull(replica, "replica");
    Objects.requireNonNull(element, "element");
    requireState();
    Dot dot = context.nextDot(replica);
    CausalContext deltaContext = CausalContext.of(dot);
    for (Dot old : dotList(entries.get(element))) {
      deltaContext = deltaContext.add(old);
    }
    ORSet<E> state = new ORSet<>(entries.put(element, dot), context.add(dot), false);
    ORSet<E> d =
        new ORSet<>(PersistentHashMap.<E, Object>empty().put(element, dot), deltaContext, true);
    return new Mutation<>(state, d);
  }

  /**
   * Removes {@code element}: the adds observed here stop counting; concurrent adds elsewhere
   * survive. A no-op (empty delta) if absent. O(log n).
   *
   * @throws IllegalStateException if this is a delta
   */
  public Mutation<ORSet<E>> remove(E element) {
    Objects.requireNonNull(element, "element");
    requireState();
    Object dots = entries.get(element);
    if (dots == null) {
      return new Mutation<>(this, emptyDelta());
    }
    CausalContext deltaContext = CausalContext.empty();
    for (Dot old : dotList(dots)) {
      deltaContext = deltaContext.add(old);
    }
    ORSet<E> state = new ORSet<>(entries.remove(element), context, false);
    ORSet<E> d =
        new ORSet<>(PersistentHashMap.<E, Object>empty().put(element, NO_DOTS), deltaContext, true);
    return new Mutation<>(state, d);
  }

  /**
   * Adds every element of {@code elements} on behalf of {@code replica}: the same state and delta
   * as {@link #add} of each distinct element in iteration order, joined (an element repeated in
   * {@code elements} counts once). Each element gets a fresh dot that supersedes its visible adds.
   * The state and the delta are each built once: O(k log n) for k elements, plus sorting the dots
   * they supersede. An empty collection gives an empty delta.
   *
   * @throws NullPointerException if {@code elements} holds null
   * @throws IllegalStateException if this is a delta
   * @throws ArithmeticException if the replica's counters are exhausted
   */
  public Mutation<ORSet<E>> addAll(ReplicaId replica, Collection<? extends E> elements) {
    Objects.requireNonNull(replica, "replica");
    Objects.requireNonNull(elements, "elements");
    requireState();
    long base = context.maxCounter(replica);
    long last = base;
    PersistentHashMap.Builder<E, Object> scope = PersistentHashMap.builder();
    // Into the empty set, the new entries are the scope: one map serves both.
    PersistentHashMap.Builder<E, Object> state = entries.isEmpty() ? scope : entries.toBuilder();
    List<Dot> superseded = new ArrayList<>();
    for (E element : elements) {
      Objects.requireNonNull(element, "element");
      Object old = state.get(element);
      if (old instanceof Dot d && d.counter() > base && d.replica().equals(replica)) {
        continue; // a repeat: its dot is this call's (no older dot of replica exceeds base)
      }
      last = Math.addExact(last, 1);
      Dot dot = new Dot(replica, last);
      addDots(superseded, old);
      state.put(element, dot);
      if (state != scope) {
        scope.put(element, dot);
      }
    }
    if (last == base) {
      return new Mutation<>(this, emptyDelta());
    }
    CausalContext deltaContext = CausalContext.ofDots(superseded).addRange(replica, base + 1, last);
    return new Mutation<>(
        new ORSet<>(state.build(), context.addRange(replica, base + 1, last), false),
        new ORSet<>(scope.build(), deltaContext, true));
  }

  /**
   * Removes every element of {@code elements}: the same state and delta as {@link #remove} of each
   * element, joined. Absent elements are ignored; if none is present, the delta is empty. The state
   * and the delta are each built once: O(k log n) for k elements, plus sorting the removed dots.
   *
   * <p>Elements are typed {@code E}, not {@code Object} as in {@link Collection#removeAll}: the
   * delta names them, and its codec encodes them as {@code E}.
   *
   * @throws NullPointerException if {@code elements} holds null
   * @throws IllegalStateException if this is a delta
   */
  public Mutation<ORSet<E>> removeAll(Collection<? extends E> elements) {
    Objects.requireNonNull(elements, "elements");
    requireState();
    PersistentHashMap.Builder<E, Object> state = entries.toBuilder();
    PersistentHashMap.Builder<E, Object> scope = PersistentHashMap.builder();
    List<Dot> removed = new ArrayList<>();
    for (E element : elements) {
      Object dots = state.get(Objects.requireNonNull(element, "element"));
      if (dots != null) { // else absent, or a repeat already removed
        addDots(removed, dots);
        state.remove(element);
        scope.put(element, NO_DOTS);
      }
    }
    if (scope.size() == 0) {
      return new Mutation<>(this, emptyDelta());
    }
    return new Mutation<>(
        new ORSet<>(state.build(), context, false),
        new ORSet<>(scope.build(), CausalContext.ofDots(removed), true));
  }

  /**
   * Removes every present element: the same state and delta as {@link #remove} of each, joined. O(n
   * log n) for n elements: the delta's entries copy the set's trie with its values replaced, O(n)
   * and nothing rehashed; its context is built from the n elements' dots, sorted. The delta is as
   * large as the set.
   *
   * @throws IllegalStateException if this is a delta
   */
  public Mutation<ORSet<E>> clear() {
    requireState();
    if (entries.isEmpty()) {
      return new Mutation<>(this, emptyDelta());
    }
    List<Dot> removed = new ArrayList<>(entries.size());
    entries.forEach((element, dots) -> addDots(removed, dots));
    return new Mutation<>(
        new ORSet<>(PersistentHashMap.empty(), context, false),
        new ORSet<>(entries.mapValues(dots -> NO_DOTS), CausalContext.ofDots(removed), true));
  }

  /** A mutator that adds {@code element} on the running replica. */
  public static <E> Mutator<ORSet<E>> adding(E element) {
    Objects.requireNonNull(element, "element");
    return (Mutator<ORSet<E>> & LawfulMutator) (set, ctx) -> set.add(ctx.replica(), element);
  }

  /** A mutator that removes {@code element}. */
  public static <E> Mutator<ORSet<E>> removing(E element) {
    Objects.requireNonNull(element, "element");
    return (Mutator<ORSet<E>> & LawfulMutator) (set, ctx) -> set.remove(element);
  }

  /**
   * A mutator that adds every element of {@code elements} on the running replica ({@link #addAll}).
   * Takes a copy of {@code elements}.
   *
   * @throws NullPointerException if {@code elements} holds null
   */
  public static <E> Mutator<ORSet<E>> addingAll(Collection<? extends E> elements) {
    List<E> copy = List.copyOf(elements);
    return (Mutator<ORSet<E>> & LawfulMutator) (set, ctx) -> set.addAll(ctx.replica(), copy);
  }

  /**
   * A mutator that removes every element of {@code elements} ({@link #removeAll}). Takes a copy of
   * {@code elements}.
   *
   * @throws NullPointerException if {@code elements} holds null
   */
  public static <E> Mutator<ORSet<E>> removingAll(Collection<? extends E> elements) {
    List<E> copy = List.copyOf(elements);
    return (Mutator<ORSet<E>> & LawfulMutator) (set, ctx) -> set.removeAll(copy);
  }

  /** A mutator that removes every element present in the state it runs on ({@link #clear}). */
  public static <E> Mutator<ORSet<E>> clearing() {
    return (Mutator<ORSet<E>> & LawfulMutator) (set, ctx) -> set.clear();
  }

  /** Every replica with a dot in the causal context; every element's dots are among them. O(1). */
  @Override
  public Set<ReplicaId> replicas() {
    return context.replicas();
  }

  @Override
  public boolean mentions(ReplicaId replica) {
    return context.maxCounter(replica) > 0;
  }

  /*
   * Implementation notes: pruning
   *
   * prune renames instead of re-adding. Pekko's ORSet.prune re-adds each element that had a dot
   * of the removed node with one new dot of the owner, one per element. The order in which
   * elements receive their dots must then be fixed for determinism: our trie's iteration order
   * depends on a per-JVM hash key (KeyHash), so it would take a sort, O(k log k). Renaming
   * (R, c) -> (O, n + c), with n = O's highest counter here, is an injective map from R's dots to
   * dots O never issued (this is O's own state, which holds every dot O issued): it needs no
   * order, costs O(1) per dot, leaves the context one interval longer at most (n+1..n+max(R) next
   * to O's own 1..n usually merges into one), and keeps each element's dots as they were, one
   * dot for one dot. The price is that O's counter jumps by max(R) rather than by k; counters are
   * longs. The whole interval, not only the renamed dots, is marked seen: the others stand for
   * R's adds that were removed, and no replica holds them, so seeing them is harmless.
   *
   * Why the result absorbs every cleaned stale state x below this one (ReplicaPruning rule 5):
   * cleanup leaves x with dots of other replicas only, and for those the join is decided by the
   * same contexts as before (dots of other replicas were neither renamed nor dropped); the renamed
   * dots are new to x, so they survive the join exactly where this state kept R's dots.
   *
   * What cleanup cannot keep: a remove performed elsewhere after the owner took its state, of an
   * element whose visible dots were R's only, is recorded as "seen R's dot, element absent"; R's
   * entry is dropped, the renamed dot is unknown there, and the element stays. The owner cannot
   * know of that remove, and without tombstones (or a mention of R) nothing can carry it.
   */

  /**
   * Renames every dot of {@code removed} to a fresh dot of {@code owner}, so that every element
   * stays present and {@code removed} appears nowhere. O(n) if {@code removed} appears, else O(log
   * replicas).
   *
   * @throws IllegalArgumentException if {@code removed} equals {@code owner}
   * @throws IllegalStateException if this is a delta (prune the owner's replica state)
   * @throws ArithmeticException if {@code owner}'s counters would overflow a long
   */
  @Override
  public ORSet<E> prune(ReplicaId removed, ReplicaId owner) {
    PruneArguments.check(removed, owner);
    if (delta) {
      throw new IllegalStateException("prune applies to the owner's replica state, not to a delta");
    }
    long removedMax = context.maxCounter(removed);
    if (removedMax == 0) {
      return this;
    }
    long offset = context.maxCounter(owner);
    CausalContext renamed =
        context.without(removed).addRange(owner, offset + 1, Math.addExact(offset, removedMax));
    return new ORSet<>(
        rewriteDots(removed, dot -> new Dot(owner, offset + dot.counter())), renamed, false);
  }

  /** The owner's highest counter here: the offset by which {@link #prune} renames. */
  @Override
  public long pruneOffset(ReplicaId owner) {
    return context.maxCounter(Objects.requireNonNull(owner, "owner"));
  }

  /**
   * Renames every dot {@code (removed, c)} here, in the elements and in the causal context, to
   * {@code (owner, offset + c)}, as the owner's {@link #prune} did to its state with this offset: a
   * late remove of an element whose dot was {@code removed}'s then removes the renamed element.
   * Unlike {@code prune}, it claims nothing else as seen, so it applies to deltas. O(n) if {@code
   * removed} appears, else O(log replicas).
   *
   * @throws IllegalArgumentException if {@code removed} equals {@code owner} or {@code offset < 0}
   * @throws ArithmeticException if a renamed counter would overflow a long
   */
  @Override
  public ORSet<E> translatePruned(ReplicaId removed, ReplicaId owner, long offset) {
    PruneArguments.check(removed, owner);
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset " + offset);
    }
    if (!mentions(removed)) {
      return this;
    }
    CausalContext renamed = context.renamed(removed, owner, offset);
    return new ORSet<>(
        rewriteDots(removed, dot -> new Dot(owner, Math.addExact(offset, dot.counter()))),
        renamed,
        delta);
  }

  /**
   * Drops every dot of {@code removed} and its causal-context entry; an element left without dots
   * is no longer present. O(n) if {@code removed} appears, else O(log replicas).
   */
  @Override
  public ORSet<E> pruningCleanup(ReplicaId removed) {
    Objects.requireNonNull(removed, "removed");
    if (!mentions(removed)) {
      return this;
    }
    PersistentHashMap<E, Object> cleaned = rewriteDots(removed, dot -> null);
    CausalContext cleanedContext = context.without(removed);
    if (cleaned.isEmpty() && cleanedContext.isEmpty()) {
      return delta ? emptyDelta() : empty();
    }
    return new ORSet<>(cleaned, cleanedContext, delta);
  }

  /*
   * The entries with every dot of `replica` replaced by rewrite(dot), or dropped where rewrite
   * returns null. An element left without dots leaves a replica state and stays in a delta's
   * scope with NO_DOTS (the delta's context may still hold its older dots, which it removes).
   */
  private PersistentHashMap<E, Object> rewriteDots(ReplicaId replica, UnaryOperator<Dot> rewrite) {
    PersistentHashMap.Builder<E, Object> out = null;
    for (Map.Entry<E, Object> entry : entries) {
      Object dots = entry.getValue();
      Object rewritten;
      if (dots instanceof Dot d) {
        if (!d.replica().equals(replica)) {
          continue;
        }
        Dot renamed = rewrite.apply(d);
        rewritten = renamed != null ? renamed : NO_DOTS;
      } else {
        List<Dot> list = dotList(dots);
        if (list.stream().noneMatch(d -> d.replica().equals(replica))) {
          continue;
        }
        List<Dot> kept = new ArrayList<>(list.size());
        for (Dot d : list) {
          Dot k = d.replica().equals(replica) ? rewrite.apply(d) : d;
          if (k != null) {
            kept.add(k);
          }
        }
        rewritten = canonicalDots(kept);
      }
      out = out != null ? out : entries.toBuilder();
      if (rewritten == NO_DOTS && !delta) {
        out.remove(entry.getKey());
      } else {
        out.put(entry.getKey(), rewritten);
      }
    }
    return out == null ? entries : out.build();
  }

  private void requireState() {
    if (delta) {
      throw new IllegalStateException("mutators apply to replica states, not to deltas");
    }
  }

  @Override
  public ORSet<E> merge(ORSet<E> other) {
    if (other == this) {
      return this;
    }
    if (!delta && !other.delta) {
      // The empty state is the bottom of the lattice: joining it changes nothing. O(1), so a
      // replica that receives a large state for a key it never held does not rebuild it.
      if (other.entries.isEmpty() && other.context.isEmpty()) {
        return this;
      }
      if (entries.isEmpty() && context.isEmpty()) {
        return other;
      }
      return mergeStates(other);
    }
    if (delta && other.delta) {
      return entries.size() >= other.entries.size()
          ? mergeScoped(this, other, true)
          : mergeScoped(other, this, true);
    }
    return delta ? mergeScoped(other, this, false) : mergeScoped(this, other, false);
  }

  /*
   * Joins `scoped` (a delta) into `base`, visiting only the delta's elements. Elements of `base`
   * outside the scope keep their dots: no dot of theirs is in the delta's context.
   */
  private static <E> ORSet<E> mergeScoped(ORSet<E> base, ORSet<E> scoped, boolean resultIsDelta) {
    PersistentHashMap.Builder<E, Object> out = null;
    for (Map.Entry<E, Object> entry : scoped.entries) {
      E element = entry.getKey();
      Object mine = base.entries.get(element);
      Object joined = joinDots(mine, base.context, entry.getValue(), scoped.context);
      if (joined == NO_DOTS && !resultIsDelta) {
        if (mine != null) {
          out = out != null ? out : base.entries.toBuilder();
          out.remove(element);
        }
      } else if (!joined.equals(mine)) {
        out = out != null ? out : base.entries.toBuilder();
        out.put(element, joined);
      }
    }
    CausalContext mergedContext = base.context.merge(scoped.context);
    if (out == null && mergedContext == base.context && base.delta == resultIsDelta) {
      return base;
    }
    return new ORSet<>(out == null ? base.entries : out.build(), mergedContext, resultIsDelta);
  }

  private ORSet<E> mergeStates(ORSet<E> other) {
    PersistentHashMap.Builder<E, Object> out = entries.toBuilder();
    boolean[] changed = {false};
    other.entries.forEach(
        (element, theirs) -> {
          Object mine = entries.get(element);
          Object joined = joinDots(mine, context, theirs, other.context);
          if (joined == NO_DOTS) {
            if (mine != null) {
              out.remove(element);
              changed[0] = true;
            }
          } else if (!joined.equals(mine)) {
            out.put(element, joined);
            changed[0] = true;
          }
        });
    entries.forEach(
        (element, mine) -> {
          if (!other.entries.containsKey(element)) {
            Object kept = joinDots(mine, context, null, other.context);
            if (kept == NO_DOTS) {
              out.remove(element);
              changed[0] = true;
            } else if (!kept.equals(mine)) {
              out.put(element, kept);
              changed[0] = true;
            }
          }
        });
    CausalContext mergedContext = context.merge(other.context);
    if (!changed[0] && mergedContext == context) {
      return this;
    }
    return new ORSet<>(changed[0] ? out.build() : entries, mergedContext, false);
  }

  /*
   * The dots of one element after a join [2, §7]: those in both sides, plus those on one side that
   * the other side's context has not seen (seen and absent means removed there).
   */
  private static Object joinDots(Object a, CausalContext ca, Object b, CausalContext cb) {
    if (a instanceof Dot x && b instanceof Dot y) {
      if (x.equals(y)) {
        return x;
      }
      boolean keepX = !cb.contains(x);
      boolean keepY = !ca.contains(y);
      if (keepX && keepY) {
        return x.compareTo(y) < 0 ? List.of(x, y) : List.of(y, x);
      }
      return keepX ? x : keepY ? y : NO_DOTS;
    }
    List<Dot> left = dotList(a);
    List<Dot> right = dotList(b);
    List<Dot> kept = new ArrayList<>(left.size() + right.size());
    for (Dot d : left) {
      if (right.contains(d) || !cb.contains(d)) {
        kept.add(d);
      }
    }
    for (Dot d : right) {
      if (!left.contains(d) && !ca.contains(d)) {
        kept.add(d);
      }
    }
    return canonicalDots(kept);
  }

  private static Object canonicalDots(List<Dot> dots) {
    if (dots.isEmpty()) {
      return NO_DOTS;
    }
    if (dots.size() == 1) {
      return dots.get(0);
    }
    Dot[] sorted = dots.toArray(new Dot[0]);
    Arrays.sort(sorted);
    return List.of(sorted);
  }

  /* Appends the dots of one map value to `out`, without dotList's one-element list. */
  @SuppressWarnings("unchecked")
  private static void addDots(List<Dot> out, Object dots) {
    if (dots instanceof Dot d) {
      out.add(d);
    } else if (dots != null) {
      out.addAll((List<Dot>) dots);
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Dot> dotList(Object dots) {
    if (dots == null) {
      return NO_DOTS;
    }
    return dots instanceof Dot d ? List.of(d) : (List<Dot>) dots;
  }

  /** Equal if the same elements have the same dots and the contexts are equal; scope ignored. */
  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    if (!(o instanceof ORSet<?> other) || !context.equals(other.context)) {
      return false;
    }
    if (!delta && !other.delta) {
      return entries.equals(other.entries);
    }
    return visibleEntriesIn(this, other) && visibleEntriesIn(other, this);
  }

  private static boolean visibleEntriesIn(ORSet<?> a, ORSet<?> b) {
    for (Map.Entry<?, Object> entry : a.entries) {
      if (entry.getValue() != NO_DOTS && !entry.getValue().equals(b.entries.get(entry.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 0;
    if (!delta) {
      h = entries.hashCode();
    } else {
      for (Map.Entry<E, Object> entry : entries) {
        if (entry.getValue() != NO_DOTS) {
          h += entry.getKey().hashCode() ^ entry.getValue().hashCode();
        }
      }
    }
    return 31 * h + context.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(delta ? "ORSet.delta{" : "ORSet{");
    int shown = 0;
    for (Map.Entry<E, Object> entry : entries) {
      if (shown++ == 20) {
        sb.append(", ...");
        break;
      }
      sb.append(shown == 1 ? "" : ", ").append(entry.getKey()).append('=').append(entry.getValue());
    }
    return sb.append(" | ").append(context).append('}').toString();
  }

  private final class ElementView extends AbstractSet<E> {
    @Override
    public boolean contains(Object o) {
      return ORSet.this.contains(o);
    }

    @Override
    public int size() {
      return ORSet.this.size();
    }

    @Override
    public Iterator<E> iterator() {
      Iterator<Map.Entry<E, Object>> it = entries.iterator();
      return new Iterator<>() {
        private E next = advance();

        private E advance() {
          while (it.hasNext()) {
            Map.Entry<E, Object> entry = it.next();
            if (entry.getValue() != NO_DOTS) {
              return entry.getKey();
            }
          }
          return null;
        }

        @Override
        public boolean hasNext() {
          return next != null;
        }

        @Override
        public E next() {
          if (next == null) {
            throw new NoSuchElementException();
          }
          E result = next;
          next = advance();
          return result;
        }
      };
    }
  }

  /*
   * Format 1: {"delta": bool, "context": [replica, from, to, ...],
   *            "entries": [element, [replica, counter, ...], ...]}
   * Elements ascending by the value codec's order; each element's dots ascending, at least one
   * for replica states, none allowed only in deltas; every dot must lie in the context.
   */
  private record Type<E>(ValueCodec<E> codec) implements CrdtType<ORSet<E>> {

    Type {
      Objects.requireNonNull(codec, "codec");
    }

    @Override
    public String tag() {
      return "orset:" + codec.tag();
    }

    @Override
    public int version() {
      return 1;
    }

    @Override
    public ORSet<E> empty() {
      return ORSet.empty();
    }

    @Override
    public Class<?> valueClass() {
      return ORSet.class;
    }

    @Override
    public void write(ORSet<E> value, StateWriter out) {
      out.startObject().field("delta").writeBoolean(value.delta).field("context");
      CausalEncoding.writeContext(out, value.context);
      out.field("entries").startArray();
      @SuppressWarnings("unchecked")
      E[] elements = (E[]) new Object[value.entries.size()];
      int n = 0;
      for (Map.Entry<E, Object> entry : value.entries) {
        elements[n++] = entry.getKey();
      }
      Arrays.sort(elements, codec);
      for (E element : elements) {
        out.writeValue(codec, element).startArray();
        for (Dot dot : dotList(value.entries.get(element))) {
          CausalEncoding.writeDot(out, dot);
        }
        out.endArray();
      }
      out.endArray().endObject();
    }

    @Override
    public ORSet<E> read(StateReader in, int version) {
      in.startObject();
      in.field("delta");
      boolean delta = in.readBoolean();
      in.field("context");
      CausalContext context = CausalEncoding.readContext(in);
      in.field("entries");
      in.startArray();
      PersistentHashMap.Builder<E, Object> entries = PersistentHashMap.builder();
      E previous = null;
      while (in.nextElement()) {
        E element = in.readValue(codec);
        if (previous != null && codec.compare(previous, element) >= 0) {
          throw in.invalid("set elements not strictly ascending");
        }
        previous = element;
        if (!in.nextElement()) {
          throw in.malformed("set element without its dots");
        }
        entries.put(element, readDots(in, context, delta));
      }
      in.endObject();
      if (entries.size() == 0 && context.isEmpty()) {
        return delta ? emptyDelta() : ORSet.empty();
      }
      return new ORSet<>(entries.build(), context, delta);
    }

    private static Object readDots(StateReader in, CausalContext context, boolean delta) {
      in.startArray();
      List<Dot> dots = new ArrayList<>(1);
      while (in.nextElement()) {
        Dot dot = CausalEncoding.readDot(in);
        if (!dots.isEmpty() && dots.get(dots.size() - 1).compareTo(dot) >= 0) {
          throw in.invalid("dots not strictly ascending at " + dot);
        }
        if (!context.contains(dot)) {
          throw in.invalid("dot " + dot + " is not in the set's causal context");
        }
        dots.add(dot);
      }
      if (dots.isEmpty() && !delta) {
        throw in.invalid("an element of a replica state without dots");
      }
      return canonicalDots(dots);
    }

    @Override
    public String toString() {
      return tag();
    }
  }
}
