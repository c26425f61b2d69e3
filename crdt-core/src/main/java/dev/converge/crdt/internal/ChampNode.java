package dev.converge.crdt.internal;

import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

/**
 * Trie nodes of {@link PersistentHashMap}. Package-private and untyped: keys and values are stored
 * as {@code Object} and cast back at the map's API boundary.
 *
 * <p>Both node kinds keep their entries inline in {@link #content} as {@code key, value} pairs
 * starting at index 0. A {@link BitmapNode} additionally stores its sub-nodes at the end of the
 * same array, in reverse bit order.
 *
 * <p>A node whose {@link #owner} is non-null and identical to the editing builder's token may be
 * mutated in place; every other node is treated as immutable and is path-copied on update.
 */
abstract class ChampNode {
  /** Hash bits consumed per trie level. */
  static final int BITS = 5;

  static final int MASK = (1 << BITS) - 1;

  /** Shift at which all 32 hash bits are consumed: collision nodes live at this shift. */
  static final int COLLISION_SHIFT = 35;

  /** Maximum number of nodes on a root-to-leaf path: 7 bitmap levels plus a collision level. */
  static final int MAX_DEPTH = COLLISION_SHIFT / BITS + 1;

  /** Token of the builder that may edit this node in place, or {@code null}. */
  final Object owner;

  /** Inline {@code key, value} pairs first; for bitmap nodes, sub-nodes follow in reverse order. */
  Object[] content;

  ChampNode(Object owner, Object[] content) {
    this.owner = owner;
    this.content = content;
  }

  /** The trie hash of a key; see {@link KeyHash}. Equal keys have equal hashes. */
  static int hash(Object key) {
    return KeyHash.hash(key);
  }

  static int bitpos(int hash, int shift) {
    return 1 << ((hash >>> shift) & MASK);
  }

  final boolean isEditableBy(Object editor) {
    return editor != null && editor == owner;
  }

  abstract int payloadArity();

  abstract int nodeArity();

  abstract ChampNode nodeAt(int index);

  abstract ChampNode put(
      Object editor, Object key, Object value, int hash, int shift, Change change);

  abstract ChampNode remove(Object editor, Object key, int hash, int shift, Change change);

  /** Outcome of one update, filled in by {@link #put} and {@link #remove}. */
  static final class Change {
    boolean modified;
    int sizeDelta;

    Change reset() {
      modified = false;
      sizeDelta = 0;
      return this;
    }
  }

  /** Returns the value mapped to {@code key}, or {@code null}. Iterative: at most 8 steps. */
  static Object find(BitmapNode root, Object key) {
    int hash = hash(key);
    ChampNode node = root;
    for (int shift = 0; ; shift += BITS) {
      if (node instanceof CollisionNode) {
        CollisionNode collision = (CollisionNode) node;
        int i = collision.indexOf(key);
        return i < 0 ? null : collision.content[2 * i + 1];
      }
      BitmapNode bitmap = (BitmapNode) node;
      int bit = bitpos(hash, shift);
      if ((bitmap.dataMap & bit) != 0) {
        int i = 2 * bitmap.dataIndex(bit);
        return key.equals(bitmap.content[i]) ? bitmap.content[i + 1] : null;
      }
      if ((bitmap.nodeMap & bit) == 0) {
        return null;
      }
      node = bitmap.nodeAt(bitmap.nodeIndex(bit));
    }
  }

  /** Pre-order traversal: a node's inline entries, then its sub-nodes in bit order. */
  final void forEach(BiConsumer<Object, Object> action) {
    int end = 2 * payloadArity();
    for (int i = 0; i < end; i += 2) {
      action.accept(content[i], content[i + 1]);
    }
    for (int i = 0, n = nodeArity(); i < n; i++) {
      nodeAt(i).forEach(action);
    }
  }

  /**
   * A persistent copy of this subtree (owner {@code null}) with each value replaced by {@code
   * f(value)}: same keys, same shape, no key rehashed. The trie shape depends on the keys only, so
   * the copy is canonical.
   */
  final ChampNode mapValues(UnaryOperator<Object> f) {
    Object[] c = content.clone();
    int end = 2 * payloadArity();
    for (int i = 1; i < end; i += 2) {
      c[i] = Objects.requireNonNull(f.apply(c[i]), "value");
    }
    for (int i = end; i < c.length; i++) {
      c[i] = ((ChampNode) c[i]).mapValues(f);
    }
    return this instanceof BitmapNode b
        ? new BitmapNode(null, b.dataMap, b.nodeMap, c)
        : new CollisionNode(null, ((CollisionNode) this).hash, c);
  }

  /** Sum of {@code key.hashCode() ^ value.hashCode()} over the subtree (the Map contract). */
  final int entryHashSum() {
    int sum = 0;
    int end = 2 * payloadArity();
    for (int i = 0; i < end; i += 2) {
      sum += content[i].hashCode() ^ content[i + 1].hashCode();
    }
    for (int i = 0, n = nodeArity(); i < n; i++) {
      sum += nodeAt(i).entryHashSum();
    }
    return sum;
  }

  /**
   * Structural equality. Valid as map equality because the trie shape is canonical: it depends only
   * on the hashes of the keys present, and equal keys have equal hashes.
   */
  static boolean equalTrees(ChampNode a, ChampNode b) {
    if (a == b) {
      return true;
    }
    if (a instanceof BitmapNode && b instanceof BitmapNode) {
      BitmapNode x = (BitmapNode) a;
      BitmapNode y = (BitmapNode) b;
      if (x.dataMap != y.dataMap || x.nodeMap != y.nodeMap) {
        return false;
      }
      int dataEnd = 2 * x.payloadArity();
      for (int i = 0; i < dataEnd; i++) {
        if (!x.content[i].equals(y.content[i])) {
          return false;
        }
      }
      for (int i = dataEnd; i < x.content.length; i++) {
        if (!equalTrees((ChampNode) x.content[i], (ChampNode) y.content[i])) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof CollisionNode && b instanceof CollisionNode) {
      CollisionNode x = (CollisionNode) a;
      CollisionNode y = (CollisionNode) b;
      if (x.hash != y.hash || x.content.length != y.content.length) {
        return false;
      }
      for (int i = 0; i < x.content.length; i += 2) {
        int j = y.indexOf(x.content[i]);
        if (j < 0 || !x.content[i + 1].equals(y.content[2 * j + 1])) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  /**
   * Builds the canonical subtree holding two entries with distinct keys, rooted at {@code shift}.
   */
  static ChampNode mergeTwo(
      Object editor, Object k0, Object v0, int h0, Object k1, Object v1, int h1, int shift) {
    if (shift >= COLLISION_SHIFT) {
      Object[] pair =
          CollisionNode.precedes(k1, k0)
              ? new Object[] {k1, v1, k0, v0}
              : new Object[] {k0, v0, k1, v1};
      return new CollisionNode(editor, h0, pair);
    }
    int b0 = bitpos(h0, shift);
    int b1 = bitpos(h1, shift);
    if (b0 != b1) {
      // Unsigned order of the bits == order of the 5-bit fragments.
      Object[] pair =
          Integer.compareUnsigned(b0, b1) < 0
              ? new Object[] {k0, v0, k1, v1}
              : new Object[] {k1, v1, k0, v0};
      return new BitmapNode(editor, b0 | b1, 0, pair);
    }
    ChampNode sub = mergeTwo(editor, k0, v0, h0, k1, v1, h1, shift + BITS);
    return new BitmapNode(editor, 0, b0, new Object[] {sub});
  }

  /** An inner node: 32-way branching, split into inline entries and sub-nodes by two bitmaps. */
  static final class BitmapNode extends ChampNode {
    static final BitmapNode EMPTY = new BitmapNode(null, 0, 0, new Object[0]);

    int dataMap;
    int nodeMap;

    BitmapNode(Object owner, int dataMap, int nodeMap, Object[] content) {
      super(owner, content);
      this.dataMap = dataMap;
      this.nodeMap = nodeMap;
    }

    @Override
    int payloadArity() {
      return Integer.bitCount(dataMap);
    }

    @Override
    int nodeArity() {
      return Integer.bitCount(nodeMap);
    }

    @Override
    ChampNode nodeAt(int index) {
      return (ChampNode) content[content.length - 1 - index];
    }

    int dataIndex(int bit) {
      return Integer.bitCount(dataMap & (bit - 1));
    }

    int nodeIndex(int bit) {
      return Integer.bitCount(nodeMap & (bit - 1));
    }

    /** A node holding exactly one entry; below the root it must be inlined into its parent. */
    boolean isSingleton() {
      return nodeMap == 0 && content.length == 2;
    }

    @Override
    BitmapNode put(Object editor, Object key, Object value, int hash, int shift, Change change) {
      int bit = bitpos(hash, shift);
      if ((dataMap & bit) != 0) {
        int i = 2 * dataIndex(bit);
        Object k = content[i];
        if (key.equals(k)) {
          if (value.equals(content[i + 1])) {
            return this;
          }
          change.modified = true;
          return setSlot(editor, i + 1, value);
        }
        change.modified = true;
        change.sizeDelta = 1;
        ChampNode sub =
            mergeTwo(editor, k, content[i + 1], hash(k), key, value, hash, shift + BITS);
        return inlineToNode(editor, bit, sub);
      }
      if ((nodeMap & bit) != 0) {
        int slot = content.length - 1 - nodeIndex(bit);
        ChampNode sub = (ChampNode) content[slot];
        ChampNode newSub = sub.put(editor, key, value, hash, shift + BITS, change);
        return newSub == sub ? this : setSlot(editor, slot, newSub);
      }
      change.modified = true;
      change.sizeDelta = 1;
      return insertEntry(editor, bit, key, value);
    }

    @Override
    BitmapNode remove(Object editor, Object key, int hash, int shift, Change change) {
      int bit = bitpos(hash, shift);
      if ((dataMap & bit) != 0) {
        int i = 2 * dataIndex(bit);
        if (!key.equals(content[i])) {
          return this;
        }
        change.modified = true;
        change.sizeDelta = -1;
        return removeEntry(editor, bit, i);
      }
      if ((nodeMap & bit) != 0) {
        int slot = content.length - 1 - nodeIndex(bit);
        ChampNode sub = (ChampNode) content[slot];
        ChampNode newSub = sub.remove(editor, key, hash, shift + BITS, change);
        if (!change.modified) {
          return this;
        }
        if (newSub instanceof BitmapNode && ((BitmapNode) newSub).isSingleton()) {
          if (shift > 0 && dataMap == 0 && content.length == 1) {
            // This node would itself be left with one entry: let the parent inline it.
            return (BitmapNode) newSub;
          }
          return nodeToInline(editor, bit, slot, newSub.content[0], newSub.content[1]);
        }
        return newSub == sub ? this : setSlot(editor, slot, newSub);
      }
      return this;
    }

    private BitmapNode setSlot(Object editor, int slot, Object x) {
      if (isEditableBy(editor)) {
        content[slot] = x;
        return this;
      }
      Object[] c = content.clone();
      c[slot] = x;
      return new BitmapNode(editor, dataMap, nodeMap, c);
    }

    private BitmapNode with(Object editor, int newDataMap, int newNodeMap, Object[] c) {
      if (isEditableBy(editor)) {
        dataMap = newDataMap;
        nodeMap = newNodeMap;
        content = c;
        return this;
      }
      return new BitmapNode(editor, newDataMap, newNodeMap, c);
    }

    private BitmapNode insertEntry(Object editor, int bit, Object key, Object value) {
      int at = 2 * dataIndex(bit);
      Object[] c = new Object[content.length + 2];
      System.arraycopy(content, 0, c, 0, at);
      c[at] = key;
      c[at + 1] = value;
      System.arraycopy(content, at, c, at + 2, content.length - at);
      return with(editor, dataMap | bit, nodeMap, c);
    }

    private BitmapNode removeEntry(Object editor, int bit, int at) {
      Object[] c = new Object[content.length - 2];
      System.arraycopy(content, 0, c, 0, at);
      System.arraycopy(content, at + 2, c, at, c.length - at);
      return with(editor, dataMap ^ bit, nodeMap, c);
    }

    /** Replaces the inline entry at {@code bit} by sub-node {@code sub}. */
    private BitmapNode inlineToNode(Object editor, int bit, ChampNode sub) {
      int from = 2 * dataIndex(bit);
      int newNodeMap = nodeMap | bit;
      Object[] c = new Object[content.length - 1];
      int to = c.length - 1 - Integer.bitCount(newNodeMap & (bit - 1));
      System.arraycopy(content, 0, c, 0, from);
      System.arraycopy(content, from + 2, c, from, to - from);
      c[to] = sub;
      System.arraycopy(content, to + 2, c, to + 1, c.length - to - 1);
      return with(editor, dataMap ^ bit, newNodeMap, c);
    }

    /** Replaces the sub-node at {@code bit} (array index {@code slot}) by an inline entry. */
    private BitmapNode nodeToInline(Object editor, int bit, int slot, Object key, Object value) {
      int newDataMap = dataMap | bit;
      int to = 2 * Integer.bitCount(newDataMap & (bit - 1));
      Object[] c = new Object[content.length + 1];
      System.arraycopy(content, 0, c, 0, to);
      c[to] = key;
      c[to + 1] = value;
      System.arraycopy(content, to, c, to + 2, slot - to);
      System.arraycopy(content, slot + 1, c, slot + 2, content.length - slot - 1);
      return with(editor, newDataMap, nodeMap ^ bit, c);
    }
  }

  /**
   * Leaf for distinct keys whose full 32-bit hashes are equal. Entries are kept sorted when the
   * keys are mutually comparable (same class implementing {@link Comparable}), else in insertion
   * order.
   */
  static final class CollisionNode extends ChampNode {
    final int hash;

    CollisionNode(Object owner, int hash, Object[] content) {
      super(owner, content);
      this.hash = hash;
    }

    @Override
    int payloadArity() {
      return content.length / 2;
    }

    @Override
    int nodeArity() {
      return 0;
    }

    @Override
    ChampNode nodeAt(int index) {
      throw new IndexOutOfBoundsException(index);
    }

    int indexOf(Object key) {
      for (int i = 0; i < content.length; i += 2) {
        if (key.equals(content[i])) {
          return i / 2;
        }
      }
      return -1;
    }

    static boolean precedes(Object a, Object b) {
      if (!(a instanceof Comparable) || a.getClass() != b.getClass()) {
        return false;
      }
      @SuppressWarnings("unchecked")
      Comparable<Object> comparable = (Comparable<Object>) a;
      return comparable.compareTo(b) < 0;
    }

    @Override
    CollisionNode put(Object editor, Object key, Object value, int hash, int shift, Change change) {
      int i = indexOf(key);
      if (i >= 0) {
        if (value.equals(content[2 * i + 1])) {
          return this;
        }
        change.modified = true;
        if (isEditableBy(editor)) {
          content[2 * i + 1] = value;
          return this;
        }
        Object[] c = content.clone();
        c[2 * i + 1] = value;
        return new CollisionNode(editor, this.hash, c);
      }
      change.modified = true;
      change.sizeDelta = 1;
      int at = 0;
      while (at < content.length && !precedes(key, content[at])) {
        at += 2;
      }
      Object[] c = new Object[content.length + 2];
      System.arraycopy(content, 0, c, 0, at);
      c[at] = key;
      c[at + 1] = value;
      System.arraycopy(content, at, c, at + 2, content.length - at);
      return with(editor, c);
    }

    @Override
    ChampNode remove(Object editor, Object key, int hash, int shift, Change change) {
      int i = indexOf(key);
      if (i < 0) {
        return this;
      }
      change.modified = true;
      change.sizeDelta = -1;
      int at = 2 * i;
      if (content.length == 4) {
        // One entry left: hand it to the parent as a singleton, to be inlined.
        int other = 2 - at;
        Object[] single = {content[other], content[other + 1]};
        return new BitmapNode(editor, bitpos(this.hash, 0), 0, single);
      }
      Object[] c = new Object[content.length - 2];
      System.arraycopy(content, 0, c, 0, at);
      System.arraycopy(content, at + 2, c, at, c.length - at);
      return with(editor, c);
    }

    private CollisionNode with(Object editor, Object[] c) {
      if (isEditableBy(editor)) {
        content = c;
        return this;
      }
      return new CollisionNode(editor, hash, c);
    }
  }

  /** External iteration in the same order as {@link #forEach}, with an explicit stack. */
  static final class Cursor {
    private final ChampNode[] stack = new ChampNode[MAX_DEPTH];
    private final int[] nextChild = new int[MAX_DEPTH];
    private int depth;
    private Object[] data;
    private int dataPos;
    private int dataEnd;
    Object key;
    Object value;

    Cursor(ChampNode root) {
      stack[0] = root;
      data = root.content;
      dataEnd = 2 * root.payloadArity();
    }

    boolean hasNext() {
      while (dataPos >= dataEnd) {
        if (!descend()) {
          return false;
        }
      }
      return true;
    }

    /** Moves to the next entry, exposing it in {@link #key} and {@link #value}. */
    boolean advance() {
      if (!hasNext()) {
        return false;
      }
      key = data[dataPos];
      value = data[dataPos + 1];
      dataPos += 2;
      return true;
    }

    private boolean descend() {
      while (depth >= 0) {
        ChampNode node = stack[depth];
        if (nextChild[depth] < node.nodeArity()) {
          ChampNode child = node.nodeAt(nextChild[depth]++);
          depth++;
          stack[depth] = child;
          nextChild[depth] = 0;
          data = child.content;
          dataPos = 0;
          dataEnd = 2 * child.payloadArity();
          return true;
        }
        stack[depth--] = null;
      }
      return false;
    }
  }
}
