package dev.converge.sync.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A fixed-shape hash tree over the key space for anti-entropy (Merkle trees as in Dynamo, DeCandia
 * et al., SOSP 2007): {@value #LEAVES} leaf buckets, {@value #FANOUT} inner nodes, one root. A key
 * lives in the leaf its name hashes to; its digest hashes its name and its encoded state. Every
 * node's digest is the sum (mod 2^64) of the digests below it, so changing one key updates three
 * numbers in O(1) and equal trees mean equal states (up to 64-bit collisions).
 *
 * <p>Two replicas compare roots (8 bytes, whatever the number of keys), then the {@value #FANOUT}
 * inner digests, then the leaves under differing inner nodes, then the keys of differing leaves: a
 * repair costs in proportion to what differs. Confined to the replicator's context; not
 * thread-safe.
 */
final class DigestTree {

  static final int FANOUT = 32;
  static final int LEAVES = FANOUT * FANOUT;

  private final Map<String, Long> keyDigests = new HashMap<>();
  private final List<Set<String>> bucketKeys = new ArrayList<>(LEAVES);
  private final long[] leaves = new long[LEAVES];
  private final long[] inner = new long[FANOUT];
  private long root;

  DigestTree() {
    for (int i = 0; i < LEAVES; i++) {
      bucketKeys.add(new HashSet<>());
    }
  }

  static int bucketOf(String key) {
    return (int) (Hash64.hash(key) & (LEAVES - 1));
  }

  /** The digest of a key's state: its name and its encoded bytes, mixed. */
  static long keyDigest(String key, byte[] encodedState) {
    return Hash64.mix(Hash64.hash(key) * 31 + Hash64.hash(encodedState));
  }

  /** Sets the digest of {@code key}. */
  void put(String key, long digest) {
    Long old = keyDigests.put(key, digest);
    int bucket = bucketOf(key);
    long change = digest - (old == null ? 0 : old);
    if (old == null) {
      bucketKeys.get(bucket).add(key);
    }
    leaves[bucket] += change;
    inner[bucket / FANOUT] += change;
    root += change;
  }

  long root() {
    return root;
  }

  int size() {
    return keyDigests.size();
  }

  long inner(int index) {
    return inner[index];
  }

  long leaf(int index) {
    return leaves[index];
  }

  /** The digest of {@code key}, or null if unknown. */
  Long digestOf(String key) {
    return keyDigests.get(key);
  }

  /** The keys of leaf {@code bucket}. */
  Set<String> keysIn(int bucket) {
    return bucketKeys.get(bucket);
  }
}
