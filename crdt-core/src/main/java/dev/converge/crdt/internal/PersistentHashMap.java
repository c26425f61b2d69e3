package dev.converge.crdt.internal;

import dev.converge.crdt.internal.ChampNode.BitmapNode;
import dev.converge.crdt.internal.ChampNode.Change;
import java.util.AbstractMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

/**
 * A persistent hash map: immutable, structurally shared, and therefore thread-safe. Every update
 * returns a new map that shares all untouched parts of the trie with the old one, at a cost of
 * O(log32 n) node copies; the old map is never changed.
 *
 * <p>Null keys and null values are rejected with {@link NullPointerException}. Keys must have
 * consistent {@code equals}/{@code hashCode}; values are compared with {@code equals} (see {@link
 * #put}). Equality and hash code follow the {@link java.util.Map} contract, but only another {@code
 * PersistentHashMap} can be equal to this one (this class is not a {@code Map}).
 *
 * <p>Iteration order is unspecified, but it is a function of the contents only, whatever sequence
 * of operations produced them. (Caveat: for distinct keys with equal {@code hashCode}s, this holds
 * when those keys are of one class implementing {@link Comparable} consistently with equals.)
 *
 * <p>For batches of updates use a {@link Builder}, which edits nodes it owns in place. A builder is
 * <em>not</em> thread-safe.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class PersistentHashMap<K, V> implements Iterable<Map.Entry<K, V>> {

  /*
   * Implementation notes
   *
   * This is a CHAMP trie (Compressed Hash-Array Mapped Prefix-tree): M. J. Steindorfer and J. J.
   * Vinju, "Optimizing Hash-Array Mapped Tries for Fast and Lean Immutable JVM Collections",
   * OOPSLA 2015, https://doi.org/10.1145/2814270.2814312. Node classes are in ChampNode.
   *
   * Hashing: KeyHash (SipHash-1-3 with a per-JVM secret for strings, against hash flooding;
   * key.hashCode() spread with h ^ (h >>> 16) otherwise), consumed 5 bits per
   * level, least significant first: levels at shifts 0, 5, ..., 30 (the last uses 2 bits). Keys
   * whose full hashes are equal end up in a collision node at shift 35, so no path is deeper than
   * 8 nodes and recursion depth is bounded.
   *
   * Node layout: a bitmap node has two int bitmaps, dataMap (slots holding an inline entry) and
   * nodeMap (slots holding a sub-node), and one Object[]: key/value pairs from the front, in slot
   * order, then sub-nodes from the back, in reverse slot order. Array indices are popcounts of the
   * bitmaps below a slot's bit. No per-entry objects and no cached hashes.
   *
   * Canonical form: a slot holds an inline entry iff exactly one key falls in it, a sub-node iff
   * two or more do. Insertion keeps this by pushing a clashing entry down (mergeTwo); deletion by
   * inlining a sub-node left with a single entry into its parent, propagated upwards through
   * parents that would be left with nothing but that sub-node. The shape is thus a function of the
   * key hashes, which makes iteration order deterministic and lets equals() compare tries
   * structurally, skipping subtrees shared by identity.
   *
   * Transients: as in Clojure, every node records the owner token of the builder that created it.
   * A builder edits in place only nodes carrying its current token; any other node is path-copied
   * (with the token), so nodes reachable from a built map are never touched again because build()
   * replaces the token. Fields written before build() are safely published to other threads by the
   * final root field of the resulting map.
   */

  private static final PersistentHashMap<?, ?> EMPTY = new PersistentHashMap<>(BitmapNode.EMPTY, 0);

  private static final int TO_STRING_LIMIT = 20;

  private final BitmapNode root;
  private final int size;

  /** Lazily computed hash code; 0 means "not computed yet" (racy single-check, like String). */
  private int cachedHash;

  private PersistentHashMap(BitmapNode root, int size) {
    this.root = root;
    this.size = size;
  }

  /** Returns the empty map (a shared singleton). */
  @SuppressWarnings("unchecked")
  public static <K, V> PersistentHashMap<K, V> empty() {
    return (PersistentHashMap<K, V>) EMPTY;
  }

  /** Returns a builder starting from the empty map. */
  public static <K, V> Builder<K, V> builder() {
    return new Builder<>(empty());
  }

  /** Number of entries, in O(1). */
  public int size() {
    return size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  /** Returns the value mapped to {@code key}, or {@code null} if there is none. */
  public V get(Object key) {
    return uncheckedCast(ChampNode.find(root, Objects.requireNonNull(key, "key")));
  }

  public boolean containsKey(Object key) {
    return ChampNode.find(root, Objects.requireNonNull(key, "key")) != null;
  }

  /**
   * Returns a map that maps {@code key} to {@code value}; returns {@code this} if {@code key}
   * already maps to a value equal to {@code value} (the existing value instance is then kept).
   */
  public PersistentHashMap<K, V> put(K key, V value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Change change = new Change();
    BitmapNode newRoot = root.put(null, key, value, ChampNode.hash(key), 0, change);
    return change.modified ? new PersistentHashMap<>(newRoot, size + change.sizeDelta) : this;
  }

  /** Returns a map without {@code key}; returns {@code this} if {@code key} is absent. */
  public PersistentHashMap<K, V> remove(Object key) {
    Objects.requireNonNull(key, "key");
    Change change = new Change();
    BitmapNode newRoot = root.remove(null, key, ChampNode.hash(key), 0, change);
    if (!change.modified) {
      return this;
    }
    return size == 1 ? empty() : new PersistentHashMap<>(newRoot, size - 1);
  }

  /**
   * Returns a map with the same keys, each mapped to {@code f(value)}. O(n), and faster than n
   * puts: the trie's shape depends on the keys only, so it is copied as it is and no key is hashed.
   *
   * @throws NullPointerException if {@code f} returns null
   */
  public PersistentHashMap<K, V> mapValues(UnaryOperator<V> f) {
    Objects.requireNonNull(f, "f");
    if (size == 0) {
      return this;
    }
    // Safe: the trie only holds values of type V.
    @SuppressWarnings("unchecked")
    UnaryOperator<Object> untyped = (UnaryOperator<Object>) f;
    return new PersistentHashMap<>((BitmapNode) root.mapValues(untyped), size);
  }

  /** Applies {@code action} to every entry, in iteration order. */
  public void forEach(BiConsumer<? super K, ? super V> action) {
    Objects.requireNonNull(action, "action");
    // Safe: the trie only holds keys of type K and values of type V.
    @SuppressWarnings("unchecked")
    BiConsumer<Object, Object> untyped = (BiConsumer<Object, Object>) action;
    root.forEach(untyped);
  }

  /** Iterates over immutable entries; {@link Iterator#remove} is not supported. */
  @Override
  public Iterator<Map.Entry<K, V>> iterator() {
    ChampNode.Cursor cursor = new ChampNode.Cursor(root);
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return cursor.hasNext();
      }

      @Override
      public Map.Entry<K, V> next() {
        if (!cursor.advance()) {
          throw new NoSuchElementException();
        }
        K key = uncheckedCast(cursor.key);
        V value = uncheckedCast(cursor.value);
        return new AbstractMap.SimpleImmutableEntry<>(key, value);
      }
    };
  }

  /** Returns a builder holding this map's entries. O(1): nodes are copied lazily on first edit. */
  public Builder<K, V> toBuilder() {
    return new Builder<>(this);
  }

  /** Equal iff {@code o} is a {@code PersistentHashMap} with equal entries (Map semantics). */
  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    if (!(o instanceof PersistentHashMap)) {
      return false;
    }
    PersistentHashMap<?, ?> other = (PersistentHashMap<?, ?>) o;
    if (size != other.size) {
      return false;
    }
    if (cachedHash != 0 && other.cachedHash != 0 && cachedHash != other.cachedHash) {
      return false;
    }
    return ChampNode.equalTrees(root, other.root);
  }

  /** Sum of {@code key.hashCode() ^ value.hashCode()} over all entries, as for a {@code Map}. */
  @Override
  public int hashCode() {
    int h = cachedHash;
    if (h == 0 && size > 0) {
      h = root.entryHashSum();
      cachedHash = h;
    }
    return h;
  }

  /** Formats like {@link AbstractMap#toString()}, but shows at most 20 entries, then "...". */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder().append('{');
    ChampNode.Cursor cursor = new ChampNode.Cursor(root);
    for (int n = 0; cursor.advance(); n++) {
      if (n > 0) {
        sb.append(", ");
      }
      if (n == TO_STRING_LIMIT) {
        sb.append("...");
        break;
      }
      sb.append(cursor.key == this ? "(this Map)" : cursor.key);
      sb.append('=');
      sb.append(cursor.value == this ? "(this Map)" : cursor.value);
    }
    return sb.append('}').toString();
  }

  @SuppressWarnings("unchecked")
  private static <T> T uncheckedCast(Object o) {
    return (T) o;
  }

  /**
   * A transient, mutable view for batch updates. Creating one is O(1); it copies a node the first
   * time it edits it and edits it in place afterwards. {@link #build()} is O(1), and the builder
   * may be used again after it without affecting maps already built. Not thread-safe. Nulls are
   * rejected as in {@link PersistentHashMap}.
   *
   * @param <K> key type
   * @param <V> value type
   */
  public static final class Builder<K, V> {
    private final Change change = new Change();
    private BitmapNode root;
    private int size;

    /** Nodes carrying this token are owned by this builder and may be edited in place. */
    private Object owner = new Object();

    /** The map for the current contents, if already built (or the source map); else null. */
    private PersistentHashMap<K, V> built;

    private Builder(PersistentHashMap<K, V> source) {
      this.root = source.root;
      this.size = source.size;
      this.built = source;
    }

    /** Maps {@code key} to {@code value}; a no-op if it already maps to an equal value. */
    public Builder<K, V> put(K key, V value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      BitmapNode newRoot = root.put(owner, key, value, ChampNode.hash(key), 0, change.reset());
      if (change.modified) {
        root = newRoot;
        size += change.sizeDelta;
        built = null;
      }
      return this;
    }

    /** Removes {@code key} if present. */
    public Builder<K, V> remove(Object key) {
      Objects.requireNonNull(key, "key");
      BitmapNode newRoot = root.remove(owner, key, ChampNode.hash(key), 0, change.reset());
      if (change.modified) {
        root = newRoot;
        size--;
        built = null;
      }
      return this;
    }

    /** Returns the value mapped to {@code key}, or {@code null} if there is none. */
    public V get(Object key) {
      return uncheckedCast(ChampNode.find(root, Objects.requireNonNull(key, "key")));
    }

    public int size() {
      return size;
    }

    /**
     * Returns a persistent map of the current contents in O(1). Nodes are now shared with that map,
     * so the builder drops its owner token: later edits copy them instead.
     */
    public PersistentHashMap<K, V> build() {
      if (built == null) {
        built = size == 0 ? empty() : new PersistentHashMap<>(root, size);
        owner = new Object();
      }
      return built;
    }
  }
}
