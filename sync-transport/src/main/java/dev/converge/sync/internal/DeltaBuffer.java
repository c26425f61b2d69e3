package dev.converge.sync.internal;

import dev.converge.crdt.TypedState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * This node's own deltas, numbered, until every peer has acknowledged them: the δ-buffer of Almeida
 * et al. (2018), Algorithm 2, with per-peer acknowledgements. Intervals go to a peer one after the
 * other while earlier ones are in flight ({@link DeltaGossip}); each frame is acknowledged by its
 * own interval, possibly out of order (a large frame decoded on a worker thread is overtaken by a
 * small one), and a peer counts as having everything up to the end of the contiguous run from its
 * last acknowledgement. A frame that is lost is covered when the interval after that
 * acknowledgement is sent again (go-back-N on a retransmission). Only locally made deltas enter the
 * buffer: a delta is never forwarded, so it is never sent back to where it came from (Enes et al.,
 * ICDE 2019, "BP").
 *
 * <p>Deltas of one interval are joined per key (a delta group), so a key written 10,000 times since
 * the last acknowledgement travels as one delta. The buffer keeps at most {@code maxEntries}; a
 * peer whose acknowledgement falls behind the oldest kept delta is reported {@link #takeLaggards()
 * lagging} and repaired by anti-entropy (full state of the keys that differ).
 *
 * <p>Confined to the replicator's context; not thread-safe.
 */
final class DeltaBuffer {

  /** One numbered delta. */
  record Entry(long seq, String key, TypedState<?> delta) {}

  /** An interval of deltas for one peer, joined per key. */
  record Interval(long from, long to, Map<String, TypedState<?>> deltas) {}

  private final long epoch;
  private final int maxEntries;
  /* Entries with consecutive seqs: entries.get(i).seq() == firstSeq + i. */
  private final EntryRing entries = new EntryRing();
  private final Map<String, Long> acked = new HashMap<>();
  /* Per peer: intervals acknowledged beyond a gap after its acknowledgement, from → to. */
  private final Map<String, java.util.TreeMap<Long, Long>> ahead = new HashMap<>();
  private final java.util.Set<String> laggards = new java.util.HashSet<>();
  private long nextSeq = 1;

  DeltaBuffer(long epoch, int maxEntries) {
    this.epoch = epoch;
    this.maxEntries = maxEntries;
  }

  long epoch() {
    return epoch;
  }

  /** Highest sequence number issued; 0 if none. */
  long lastSeq() {
    return nextSeq - 1;
  }

  /** Records a local delta; returns its sequence number. */
  long append(String key, TypedState<?> delta) {
    long seq = nextSeq++;
    entries.addLast(new Entry(seq, key, delta));
    if (entries.size() > maxEntries) {
      entries.removeFirst();
      long oldest = entries.first().seq();
      for (Map.Entry<String, Long> peer : acked.entrySet()) {
        if (peer.getValue() < oldest - 1) {
          laggards.add(peer.getKey());
          peer.setValue(lastSeq());
          ahead.remove(peer.getKey());
        }
      }
    }
    return seq;
  }

  /** Starts tracking {@code peer} as having everything up to now (it is synced by anti-entropy). */
  void track(String peer) {
    acked.putIfAbsent(peer, lastSeq());
  }

  /** Forgets what {@code peer} acknowledged: it lost its state; it is repaired by anti-entropy. */
  void reset(String peer) {
    acked.put(peer, lastSeq());
    ahead.remove(peer);
    laggards.add(peer);
  }

  /** Stops tracking {@code peer}: it left or was removed, and must not pin the buffer. */
  void forget(String peer) {
    acked.remove(peer);
    ahead.remove(peer);
    laggards.remove(peer);
    trim();
  }

  /** Deltas that no tracked peer has acknowledged yet (0 if none is tracked or all are). */
  long unackedByAll() {
    long best = -1;
    for (long a : acked.values()) {
      best = Math.max(best, a);
    }
    return best < 0 ? lastSeq() : lastSeq() - best;
  }

  /** The highest delta {@code peer} acknowledged; -1 if it is not tracked. */
  long ackedBy(String peer) {
    return acked.getOrDefault(peer, -1L);
  }

  /** Deltas {@code peer} has not acknowledged: how far behind it is. */
  long unacked(String peer) {
    Long a = acked.get(peer);
    return a == null ? 0 : lastSeq() - a;
  }

  /**
   * The next interval for {@code peer}: at most {@code maxDeltas} deltas after its last
   * acknowledgement, joined per key, touching at most {@code maxKeys} keys; null if it has
   * everything. A burst of writes to a few keys thus travels in one frame.
   */
  Interval next(String peer, int maxDeltas, int maxKeys) {
    Long a = acked.get(peer);
    return a == null ? null : next(peer, a, maxDeltas, maxKeys);
  }

  /**
   * The next interval for {@code peer} after delta {@code after} (at least its acknowledgement:
   * what is in flight is not sent again); see {@link #next(String, int, int)}.
   */
  Interval next(String peer, long after, int maxDeltas, int maxKeys) {
    Long acknowledged = acked.get(peer);
    if (acknowledged == null) {
      return null;
    }
    return join(entriesAfter(Math.max(after, acknowledged), maxDeltas), 0, maxDeltas, maxKeys);
  }

  /** A copy of the deltas after delta {@code after}, at most {@code max}, oldest first. */
  List<Entry> entriesAfter(long after, int max) {
    long firstSeq = entries.size() == 0 ? nextSeq : entries.first().seq();
    int start = (int) Math.max(0, Math.min(entries.size(), after + 1 - firstSeq));
    int end = (int) Math.min(entries.size(), (long) start + max);
    List<Entry> copy = new ArrayList<>(Math.max(0, end - start));
    for (int i = start; i < end; i++) {
      copy.add(entries.get(i));
    }
    return copy;
  }

  /**
   * Joins per key the consecutive deltas {@code entries[start..]}: at most {@code maxDeltas},
   * touching at most {@code maxKeys} keys; null if there are none. A pure function of its
   * arguments, so it may run on any thread.
   */
  static Interval join(List<Entry> entries, int start, int maxDeltas, int maxKeys) {
    Map<String, TypedState<?>> joined = new LinkedHashMap<>();
    int taken = 0;
    long to = -1;
    for (int i = start; i < entries.size() && taken < maxDeltas; i++) {
      Entry e = entries.get(i);
      if (joined.size() >= maxKeys && !joined.containsKey(e.key())) {
        break;
      }
      joined.merge(e.key(), e.delta(), TypedState::merge);
      to = e.seq();
      taken++;
    }
    return taken == 0 ? null : new Interval(entries.get(start).seq(), to, joined);
  }

  /** {@code peer} acknowledged every delta up to {@code upTo} of this buffer's epoch. */
  void ack(String peer, long ackEpoch, long upTo) {
    ack(peer, ackEpoch, 0, upTo);
  }

  /**
   * {@code peer} applied the deltas {@code from..to} of epoch {@code ackEpoch}. Its acknowledgement
   * advances over every interval that joins up with it; one beyond a gap is kept until the gap is
   * filled (at most {@value #MAX_AHEAD} per peer; past that, the newest is dropped and that
   * interval is sent again).
   */
  void ack(String peer, long ackEpoch, long from, long to) {
    Long a = acked.get(peer);
    if (ackEpoch != epoch || to > lastSeq() || from > to || a == null) {
      return;
    }
    java.util.TreeMap<Long, Long> waiting = ahead.get(peer);
    if (from > a + 1) {
      if (waiting == null) {
        waiting = new java.util.TreeMap<>();
        ahead.put(peer, waiting);
      }
      if (waiting.size() < MAX_AHEAD) {
        waiting.merge(from, to, Math::max);
      }
      return;
    }
    long upTo = Math.max(a, to);
    while (waiting != null && !waiting.isEmpty() && waiting.firstKey() <= upTo + 1) {
      upTo = Math.max(upTo, waiting.pollFirstEntry().getValue());
    }
    if (waiting != null && waiting.isEmpty()) {
      ahead.remove(peer);
    }
    acked.put(peer, upTo);
    trim();
  }

  /** Most out-of-order acknowledgements kept per peer. */
  static final int MAX_AHEAD = 1024;

  /** Peers that fell behind the buffer since the last call; they need anti-entropy. */
  java.util.Set<String> takeLaggards() {
    java.util.Set<String> result = new java.util.HashSet<>(laggards);
    laggards.clear();
    return result;
  }

  /* Drops deltas every tracked peer has acknowledged. */
  private void trim() {
    long min = lastSeq();
    for (long a : acked.values()) {
      min = Math.min(min, a);
    }
    while (entries.size() > 0 && entries.first().seq() <= min) {
      entries.removeFirst();
    }
  }

  int size() {
    return entries.size();
  }

  /** A growable ring of entries with O(1) access by position. */
  private static final class EntryRing {
    private Entry[] ring = new Entry[16];
    private int head;
    private int size;

    int size() {
      return size;
    }

    Entry first() {
      return ring[head];
    }

    Entry get(int i) {
      return ring[(head + i) & (ring.length - 1)];
    }

    void addLast(Entry e) {
      if (size == ring.length) {
        Entry[] bigger = new Entry[ring.length * 2];
        for (int i = 0; i < size; i++) {
          bigger[i] = get(i);
        }
        ring = bigger;
        head = 0;
      }
      ring[(head + size++) & (ring.length - 1)] = e;
    }

    void removeFirst() {
      ring[head] = null;
      head = (head + 1) & (ring.length - 1);
      size--;
    }
  }
}
