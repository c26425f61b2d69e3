package dev.converge.crdt;

import dev.converge.crdt.causal.CausalContext;
import dev.converge.crdt.causal.Dot;
import dev.converge.crdt.causal.VersionVector;
import dev.converge.crdt.codec.StateReader;
import dev.converge.crdt.codec.StateWriter;

/**
 * Canonical encodings of the causal vocabulary shared by the built-in formats. Decoders accept only
 * the canonical form (sorted, no zero entries, no overlapping intervals), so each value has exactly
 * one encoding.
 */
final class CausalEncoding {

  private CausalEncoding() {}

  /** {@code [replica, counter, replica, counter, ...]}, replicas ascending, counters > 0. */
  static void writeVersionVector(StateWriter out, VersionVector vv) {
    out.startArray();
    vv.forEach((replica, counter) -> out.writeReplicaId(replica).writeLong(counter));
    out.endArray();
  }

  static VersionVector readVersionVector(StateReader in) {
    VersionVector.Builder builder = VersionVector.builder();
    ReplicaId previous = null;
    in.startArray();
    while (in.nextElement()) {
      ReplicaId replica = in.readReplicaId();
      if (previous != null && previous.compareTo(replica) >= 0) {
        throw in.invalid("version vector replicas not strictly ascending at " + replica);
      }
      if (!in.nextElement()) {
        throw in.malformed("version vector entry without a counter");
      }
      builder.put(replica, in.readLong(1, Long.MAX_VALUE));
      previous = replica;
    }
    return builder.build();
  }

  /** {@code [replica, from, to, ...]} in the canonical order of {@link CausalContext.Builder}. */
  static void writeContext(StateWriter out, CausalContext context) {
    out.startArray();
    context.forEachInterval(
        (replica, from, to) -> out.writeReplicaId(replica).writeLong(from).writeLong(to));
    out.endArray();
  }

  static CausalContext readContext(StateReader in) {
    CausalContext.Builder builder = CausalContext.builder();
    in.startArray();
    while (in.nextElement()) {
      ReplicaId replica = in.readReplicaId();
      if (!in.nextElement()) {
        throw in.malformed("context interval without a start");
      }
      long from = in.readLong(1, Long.MAX_VALUE);
      if (!in.nextElement()) {
        throw in.malformed("context interval without an end");
      }
      long to = in.readLong(from, Long.MAX_VALUE);
      try {
        builder.addRange(replica, from, to);
      } catch (IllegalArgumentException e) {
        throw in.invalid("causal context not canonical: " + e.getMessage());
      }
    }
    return builder.build();
  }

  static void writeDot(StateWriter out, Dot dot) {
    out.writeReplicaId(dot.replica()).writeLong(dot.counter());
  }

  /** Reads the two items of a dot; the caller has consumed the element marker of the first. */
  static Dot readDot(StateReader in) {
    ReplicaId replica = in.readReplicaId();
    if (!in.nextElement()) {
      throw in.malformed("dot without a counter");
    }
    return new Dot(replica, in.readLong(1, Long.MAX_VALUE));
  }
}
