package dev.converge.store;

import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.codec.CrdtCodec;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Options of a {@link ReplicaStore}. Mutable, fluent, validating setters; copy with {@link
 * #StoreOptions(StoreOptions)}. With no {@link #setDataDir data directory} the store is in memory.
 */
public final class StoreOptions {

  /** Default {@link #setDurability durability}: {@link Durability#GROUP_COMMIT}. */
  public static final Durability DEFAULT_DURABILITY = Durability.GROUP_COMMIT;

  /** Default {@link #setCacheMaxEntries cache size}: 10,000 decoded states. */
  public static final int DEFAULT_CACHE_MAX_ENTRIES = 10_000;

  /**
   * Default {@link #setCompactionMinBytes}: a key's logged deltas are folded into its stored state
   * once they reach 64 KiB and half the state's encoded size, so disk work per write stays in
   * proportion to the write.
   */
  public static final int DEFAULT_COMPACTION_MIN_BYTES = 64 * 1024;

  /**
   * Default {@link #setMaxValueBytes maximum value size}: 32 MiB encoded, room for an OR-Set of
   * about a million short strings.
   */
  public static final int DEFAULT_MAX_VALUE_BYTES = 32 * 1024 * 1024;

  /** Largest {@link #setMaxValueBytes maximum value size}: 512 MiB. */
  public static final int MAX_MAX_VALUE_BYTES = 512 * 1024 * 1024;

  private String nodeId;
  private Path dataDir;
  private Durability durability = DEFAULT_DURABILITY;
  private int cacheMaxEntries = DEFAULT_CACHE_MAX_ENTRIES;
  private int compactionMinBytes = DEFAULT_COMPACTION_MIN_BYTES;
  private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
  private CrdtCodec codec = CrdtCodec.standard();
  private LongSupplier wallClockMillis = System::currentTimeMillis;

  public StoreOptions() {}

  public StoreOptions(StoreOptions other) {
    this.nodeId = other.nodeId;
    this.dataDir = other.dataDir;
    this.durability = other.durability;
    this.cacheMaxEntries = other.cacheMaxEntries;
    this.compactionMinBytes = other.compactionMinBytes;
    this.maxValueBytes = other.maxValueBytes;
    this.codec = other.codec;
    this.wallClockMillis = other.wallClockMillis;
  }

  public String getNodeId() {
    return nodeId;
  }

  /**
   * The node's stable name; the replica id becomes {@code nodeId.incarnation}.
   *
   * @throws IllegalArgumentException unless 1–64 characters of letters, digits, {@code -_.}
   */
  public StoreOptions setNodeId(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    if (!nodeId.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException(
          "node id must be 1-64 letters, digits, '-', '_' or '.', got \"" + nodeId + "\"");
    }
    if (ReplicaId.validate(nodeId) != null) {
      throw new IllegalArgumentException(ReplicaId.validate(nodeId));
    }
    this.nodeId = nodeId;
    return this;
  }

  public Path getDataDir() {
    return dataDir;
  }

  /** Where the durable store keeps its files; null for an in-memory store. */
  public StoreOptions setDataDir(Path dataDir) {
    this.dataDir = dataDir;
    return this;
  }

  public Durability getDurability() {
    return durability;
  }

  public StoreOptions setDurability(Durability durability) {
    this.durability = Objects.requireNonNull(durability, "durability");
    return this;
  }

  public int getCacheMaxEntries() {
    return cacheMaxEntries;
  }

  /**
   * Most decoded states kept in memory by a durable store. @throws IllegalArgumentException if < 1
   */
  public StoreOptions setCacheMaxEntries(int cacheMaxEntries) {
    if (cacheMaxEntries < 1) {
      throw new IllegalArgumentException("cacheMaxEntries must be >= 1, got " + cacheMaxEntries);
    }
    this.cacheMaxEntries = cacheMaxEntries;
    return this;
  }

  public int getCompactionMinBytes() {
    return compactionMinBytes;
  }

  /** See {@link #DEFAULT_COMPACTION_MIN_BYTES}. @throws IllegalArgumentException if < 1 */
  public StoreOptions setCompactionMinBytes(int compactionMinBytes) {
    if (compactionMinBytes < 1) {
      throw new IllegalArgumentException("compactionMinBytes must be >= 1");
    }
    this.compactionMinBytes = compactionMinBytes;
    return this;
  }

  public int getMaxValueBytes() {
    return maxValueBytes;
  }

  /**
   * The one size limit: a local write that would make a key's state encode larger than this is
   * refused with {@link StoreException.ValueTooLarge} before anything is stored. States joined from
   * other replicas may grow past it (concurrent writes each under the limit); they are accepted up
   * to {@link #readLimitBytes()}, twice this, and a local write may then shrink such a state but
   * not grow it.
   *
   * @throws IllegalArgumentException unless 1 KiB to {@link #MAX_MAX_VALUE_BYTES}
   */
  public StoreOptions setMaxValueBytes(int maxValueBytes) {
    this.maxValueBytes = checkMaxValueBytes(maxValueBytes);
    return this;
  }

  /** Checks a maximum value size: 1 KiB to {@link #MAX_MAX_VALUE_BYTES}. */
  public static int checkMaxValueBytes(int maxValueBytes) {
    if (maxValueBytes < 1024 || maxValueBytes > MAX_MAX_VALUE_BYTES) {
      throw new IllegalArgumentException(
          "maxValueBytes must be 1024.." + MAX_MAX_VALUE_BYTES + ", got " + maxValueBytes);
    }
    return maxValueBytes;
  }

  /**
   * The largest encoded state read back or accepted from a peer: twice {@link #getMaxValueBytes},
   * the codec limit the store applies whatever the {@link #setCodec codec}'s own.
   */
  public int readLimitBytes() {
    return 2 * maxValueBytes;
  }

  /** The {@link #getCodec codec} with the byte limit {@link #readLimitBytes()}: what stores use. */
  public CrdtCodec readCodec() {
    return codec.withMaxBytes(readLimitBytes());
  }

  public CrdtCodec getCodec() {
    return codec;
  }

  /**
   * The codec for stored states; its registry must know every type stored. Its byte limit is
   * replaced by {@link #readLimitBytes()}.
   */
  public StoreOptions setCodec(CrdtCodec codec) {
    this.codec = Objects.requireNonNull(codec, "codec");
    return this;
  }

  public LongSupplier getWallClockMillis() {
    return wallClockMillis;
  }

  /** The wall clock behind the node's hybrid logical clock; injectable for tests. */
  public StoreOptions setWallClockMillis(LongSupplier wallClockMillis) {
    this.wallClockMillis = Objects.requireNonNull(wallClockMillis, "wallClockMillis");
    return this;
  }

  /**
   * @throws IllegalStateException if a required option is missing
   */
  void validate() {
    if (nodeId == null) {
      throw new IllegalStateException("node id is not set");
    }
  }
}
