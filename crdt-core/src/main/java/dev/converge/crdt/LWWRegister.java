package dev.converge.crdt;

import dev.converge.crdt.causal.HybridLogicalClock;
import dev.converge.crdt.codec.StateReader;
import dev.converge.crdt.codec.StateWriter;
import dev.converge.crdt.codec.ValueCodec;
import java.util.Objects;
import java.util.Optional;

/**
 * A last-writer-wins register (Shapiro et al., INRIA RR-7506 §3.2.1) stamped with hybrid logical
 * clock timestamps (Kulkarni et al., OPODIS 2014). Conflict rule: <b>the write with the higher
 * timestamp wins; equal timestamps are ordered by writer replica id</b>.
 *
 * <p>An assignment takes a timestamp above both the replica's clock and the register's current
 * timestamp, so a write always supersedes every write its replica has seen, even when wall clocks
 * disagree. The delta of an assignment is the new register itself. Because a replica's clock is
 * strictly monotonic, {@code (timestamp, writer)} identifies one write.
 *
 * <p>Immutable; thread-safe. The empty register has no value and timestamp 0.
 *
 * @param <V> the value type; values must be immutable with value equality
 */
public final class LWWRegister<V> implements Crdt<LWWRegister<V>> {

  private static final LWWRegister<?> EMPTY = new LWWRegister<>(null, 0L, null);

  private final V value;
  private final long timestamp;
  private final ReplicaId writer;

  private LWWRegister(V value, long timestamp, ReplicaId writer) {
    this.value = value;
    this.timestamp = timestamp;
    this.writer = writer;
  }

  /** The register nobody wrote. */
  @SuppressWarnings("unchecked")
  public static <V> LWWRegister<V> empty() {
    return (LWWRegister<V>) EMPTY;
  }

  /** The type descriptor for values encoded by {@code codec}; tag {@code lww:<codec tag>}. */
  public static <V> CrdtType<LWWRegister<V>> type(ValueCodec<V> codec) {
    return new Type<>(codec);
  }

  /** The value of the winning write; empty if nobody wrote. */
  public Optional<V> value() {
    return Optional.ofNullable(value);
  }

  /** The winning write's hybrid logical timestamp; 0 if nobody wrote. */
  public long timestamp() {
    return timestamp;
  }

  /** The replica of the winning write; empty if nobody wrote. */
  public Optional<ReplicaId> writer() {
    return Optional.ofNullable(writer);
  }

  /**
   * Writes {@code newValue} on behalf of {@code replica}, stamped by {@code clock} above the
   * current timestamp.
   */
  public Mutation<LWWRegister<V>> assign(V newValue, ReplicaId replica, HybridLogicalClock clock) {
    Objects.requireNonNull(newValue, "value");
    Objects.requireNonNull(replica, "replica");
    LWWRegister<V> written = new LWWRegister<>(newValue, clock.update(timestamp), replica);
    return new Mutation<>(written, written);
  }

  /** A mutator that assigns {@code newValue} on the running replica. */
  public static <V> Mutator<LWWRegister<V>> assigning(V newValue) {
    Objects.requireNonNull(newValue, "value");
    return (register, ctx) -> register.assign(newValue, ctx.replica(), ctx.clock());
  }

  @Override
  public LWWRegister<V> merge(LWWRegister<V> other) {
    int cmp = compareWrites(other);
    if (cmp != 0) {
      return cmp > 0 ? this : other;
    }
    // Same (timestamp, writer): one write, so equal values. Should two different values ever
    // carry the same stamp (a replica id reused against the contract), pick one deterministically.
    if (Objects.equals(value, other.value)) {
      return this;
    }
    int byHash = Integer.compare(Objects.hashCode(value), Objects.hashCode(other.value));
    if (byHash == 0) {
      byHash = String.valueOf(value).compareTo(String.valueOf(other.value));
    }
    return byHash >= 0 ? this : other;
  }

  private int compareWrites(LWWRegister<V> other) {
    int cmp = Long.compare(timestamp, other.timestamp);
    if (cmp != 0 || writer == null || other.writer == null) {
      return cmp != 0 ? cmp : writer == null ? (other.writer == null ? 0 : -1) : 1;
    }
    return writer.compareTo(other.writer);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LWWRegister<?> other
        && timestamp == other.timestamp
        && Objects.equals(writer, other.writer)
        && Objects.equals(value, other.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(value, timestamp, writer);
  }

  @Override
  public String toString() {
    return writer == null
        ? "LWWRegister{}"
        : "LWWRegister{" + value + " @" + timestamp + " by " + writer + "}";
  }

  /*
   * Format 1: {"ts": 0} for the empty register, else
   *           {"ts": timestamp > 0, "writer": replica, "value": value}.
   */
  private record Type<V>(ValueCodec<V> codec) implements CrdtType<LWWRegister<V>> {

    Type {
      Objects.requireNonNull(codec, "codec");
    }

    @Override
    public String tag() {
      return "lww:" + codec.tag();
    }

    @Override
    public int version() {
      return 1;
    }

    @Override
    public LWWRegister<V> empty() {
      return LWWRegister.empty();
    }

    @Override
    public Class<?> valueClass() {
      return LWWRegister.class;
    }

    @Override
    public void write(LWWRegister<V> value, StateWriter out) {
      out.startObject().field("ts").writeLong(value.timestamp);
      if (value.writer != null) {
        out.field("writer").writeReplicaId(value.writer).field("value");
        out.writeValue(codec, value.value);
      }
      out.endObject();
    }

    @Override
    public LWWRegister<V> read(StateReader in, int version) {
      in.startObject();
      in.field("ts");
      long ts = in.readLong(0, Long.MAX_VALUE);
      if (ts == 0) {
        in.endObject();
        return LWWRegister.empty();
      }
      in.field("writer");
      ReplicaId writer = in.readReplicaId();
      in.field("value");
      V value = in.readValue(codec);
      in.endObject();
      return new LWWRegister<>(value, ts, writer);
    }

    @Override
    public String toString() {
      return tag();
    }
  }
}
