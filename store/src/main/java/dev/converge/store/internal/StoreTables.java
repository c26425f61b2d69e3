package dev.converge.store.internal;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CodecException;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.store.StoreException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.StringDataType;

/**
 * The durable store's file: one MVStore with four maps, and the record layout inside them. Thread
 * safety: reads may run on any thread concurrently with the one writer thread, which alone calls
 * the mutating methods and {@link #commit}. Not part of the public API.
 *
 * <pre>
 * meta    String -> String   identity, format version, session epoch, unclean-session marker
 * keys    name -> ""         every key ever written: keys() paging and keyCount()
 * states  name -> [crc32c:4][seq:8][encoded full state]            at most one per key
 * deltas  name '\0' hex16(seq) -> [crc32c:4][encoded delta]       the delta log, per key by seq
 * </pre>
 *
 * <p>Key names never hold control characters ({@code Key.validateName}), so {@code name + '\0'} is
 * a prefix that only the key's own log records start with, and they sort by sequence number. Every
 * record carries a CRC32C over its map key and its bytes: MVStore checks its page headers but not
 * the bytes of values, so without it a flipped bit inside a counter value would decode silently
 * into a different counter.
 */
final class StoreTables {

  /** Name of the data file inside the data directory. */
  static final String DATA_FILE = "converge.mv.db";

  private static final int CRC_BYTES = 4;
  private static final int STATE_HEADER = CRC_BYTES + Long.BYTES;
  private static final int SEQ_DIGITS = 16;

  private final Path file;
  private final CrdtCodec codec;
  private final MVStore store;
  private final MVMap<String, String> meta;
  private final MVMap<String, String> keys;
  private final MVMap<String, byte[]> states;
  private final MVMap<String, byte[]> deltas;

  private StoreTables(Path file, CrdtCodec codec, MVStore store) {
    this.file = file;
    this.codec = codec;
    this.store = store;
    this.meta = store.openMap("meta", strings());
    this.keys = store.openMap("keys", strings());
    this.states = store.openMap("states", records());
    this.deltas = store.openMap("deltas", records());
  }

  /**
   * Opens (or creates) the MVStore file with auto-commit off: nothing is written to it except by
   * {@link #commit}.
   *
   * @throws StoreException.Corrupted if MVStore cannot read the file
   * @throws StoreException if the file is locked by another store or cannot be written
   */
  static StoreTables open(Path file, CrdtCodec codec) {
    MVStore store;
    try {
      store =
          new MVStore.Builder()
              .fileName(file.toString())
              .autoCommitDisabled()
              .compress()
              .cacheSize(32)
              .open();
    } catch (MVStoreException e) {
      throw openFailure(file, e);
    } catch (RuntimeException e) {
      throw new StoreException.Corrupted(file, String.valueOf(e.getMessage()), e);
    }
    try {
      return new StoreTables(file, codec, store);
    } catch (RuntimeException e) {
      store.closeImmediately();
      throw new StoreException.Corrupted(file, "cannot open its maps: " + e.getMessage(), e);
    }
  }

  private static StoreException openFailure(Path file, MVStoreException e) {
    int code = e.getErrorCode();
    if (code == DataUtils.ERROR_FILE_LOCKED) {
      return new StoreException("store file " + file + " is in use by another store", e);
    }
    if (code == DataUtils.ERROR_WRITING_FAILED) {
      return new StoreException("cannot write store file " + file + ": " + e.getMessage(), e);
    }
    return new StoreException.Corrupted(file, e.getMessage(), e);
  }

  private static MVMap.Builder<String, String> strings() {
    return new MVMap.Builder<String, String>()
        .keyType(StringDataType.INSTANCE)
        .valueType(StringDataType.INSTANCE);
  }

  private static MVMap.Builder<String, byte[]> records() {
    return new MVMap.Builder<String, byte[]>()
        .keyType(StringDataType.INSTANCE)
        .valueType(ByteArrayDataType.INSTANCE);
  }

  Path file() {
    return file;
  }

  // ---------------------------------------------------------------------------------- meta

  String meta(String name) {
    return meta.get(name);
  }

  void putMeta(String name, String value) {
    meta.put(name, value);
  }

  void removeMeta(String name) {
    meta.remove(name);
  }

  /** True if no key was ever committed to this file. */
  boolean hasNoData() {
    return keys.isEmpty() && states.isEmpty() && deltas.isEmpty();
  }

  // ---------------------------------------------------------------------------------- reads

  /**
   * The key's state as stored: its full-state record joined with every logged delta, or null if the
   * key has no record. Safe against a concurrent writer: the log is read first (from one snapshot
   * of the map), the full state after it. A fold writes the new full state before it deletes the
   * log it replaces, so whatever interleaving, the result is the join of a state at least as new as
   * the log read and deltas already in it or in that state: never older than the key was when the
   * read started, never more than the key holds (see the class notes of {@link
   * DurableReplicaStore}).
   *
   * @throws StoreException.Corrupted naming the file and key if a record fails its checksum, does
   *     not decode, or holds another type than the key's other records
   */
  KeySlot load(String name) {
    try {
      return loadRecords(name);
    } catch (StoreException e) {
      throw e;
    } catch (RuntimeException e) {
      throw corrupted(name, "cannot be read: " + e.getMessage(), e);
    }
  }

  private KeySlot loadRecords(String name) {
    String prefix = name + '\0';
    List<byte[]> log = new ArrayList<>();
    List<Long> seqs = new ArrayList<>();
    for (Cursor<String, byte[]> c = deltas.cursor(prefix); c.hasNext(); ) {
      String recordKey = c.next();
      if (!recordKey.startsWith(prefix)) {
        break;
      }
      byte[] value = c.getValue();
      long seq = parseSeq(name, recordKey);
      check(name, recordKey, value, CRC_BYTES);
      log.add(value);
      seqs.add(seq);
    }
    byte[] stateRecord = states.get(name);
    if (stateRecord == null && log.isEmpty()) {
      return null;
    }
    TypedState<?> typed = null;
    int stateBytes = 0;
    long stateSeq = -1;
    if (stateRecord != null) {
      check(name, name, stateRecord, STATE_HEADER);
      stateSeq = ByteBuffer.wrap(stateRecord, CRC_BYTES, Long.BYTES).getLong();
      stateBytes = stateRecord.length - STATE_HEADER;
      typed = decode(name, "state record " + stateSeq, stateRecord, STATE_HEADER);
    }
    long logBytes = 0;
    int logCount = 0;
    long version = stateSeq;
    for (int i = 0; i < log.size(); i++) {
      long seq = seqs.get(i);
      if (seq < stateSeq) {
        continue; // already folded into the state read after it (a fold ran meanwhile)
      }
      byte[] value = log.get(i);
      TypedState<?> delta = decode(name, "delta " + seq, value, CRC_BYTES);
      typed = typed == null ? joinOnEmpty(name, delta) : join(name, typed, delta);
      logBytes += value.length - CRC_BYTES;
      logCount++;
      version = seq;
    }
    if (typed == null) {
      return null;
    }
    return new KeySlot(typed, stateBytes, logBytes, logCount, version);
  }

  /** The version of the key as stored now: the sequence number of its newest record, -1 if none. */
  long version(String name) {
    String last = deltas.lowerKey(name + '\u0001');
    if (last != null && last.startsWith(name + '\0')) {
      return parseSeq(name, last);
    }
    byte[] stateRecord = states.get(name);
    return stateRecord == null || stateRecord.length < STATE_HEADER
        ? -1
        : ByteBuffer.wrap(stateRecord, CRC_BYTES, Long.BYTES).getLong();
  }

  /** Up to {@code limit} key names ascending, strictly after {@code after} (null: the first). */
  List<String> keys(String after, int limit) {
    List<String> names = new ArrayList<>(Math.min(limit, 1024));
    if (limit == 0) {
      return names;
    }
    for (Cursor<String, String> c = keys.cursor(after); c.hasNext(); ) {
      String name = c.next();
      if (after != null && name.equals(after)) {
        continue;
      }
      names.add(name);
      if (names.size() >= limit) {
        break;
      }
    }
    return names;
  }

  long keyCount() {
    return keys.sizeAsLong();
  }

  /** Number of logged deltas of the key (uncommitted ones included); for tests and tools. */
  int deltaCount(String name) {
    String prefix = name + '\0';
    int n = 0;
    for (Cursor<String, byte[]> c = deltas.cursor(prefix); c.hasNext(); ) {
      if (!c.next().startsWith(prefix)) {
        break;
      }
      n++;
    }
    return n;
  }

  /**
   * Calls {@code action} with every key whose log holds something to fold: two or more deltas, or a
   * delta next to a full state. A key whose only record is one delta is left alone: folding it
   * would rewrite the same bytes. One pass over the log joined with the state names, both sorted.
   */
  void forEachFoldCandidate(Consumer<String> action) {
    Cursor<String, byte[]> stateNames = states.cursor(null);
    String stateName = stateNames.hasNext() ? stateNames.next() : null;
    String current = null;
    int count = 0;
    for (Cursor<String, byte[]> c = deltas.cursor(null); ; ) {
      String name = null;
      if (c.hasNext()) {
        String recordKey = c.next();
        name = recordKey.substring(0, Math.max(0, recordKey.length() - SEQ_DIGITS - 1));
      }
      if (current != null && !current.equals(name)) {
        while (stateName != null && stateName.compareTo(current) < 0) {
          stateName = stateNames.hasNext() ? stateNames.next() : null;
        }
        if (count >= 2 || current.equals(stateName)) {
          action.accept(current);
        }
        count = 0;
      }
      if (name == null) {
        return;
      }
      current = name;
      count++;
    }
  }

  // --------------------------------------------------------------------------------- writes

  /** Records the key as written; returns true if it is new. */
  boolean addKey(String name) {
    return keys.putIfAbsent(name, "") == null;
  }

  void appendDelta(String name, long seq, byte[] encoded) {
    String recordKey = deltaKey(name, seq);
    deltas.put(recordKey, frame(recordKey, encoded, CRC_BYTES, -1));
  }

  void putState(String name, long seq, byte[] encoded) {
    states.put(name, frame(name, encoded, STATE_HEADER, seq));
  }

  /** Deletes the key's whole delta log. */
  void removeDeltas(String name) {
    String prefix = name + '\0';
    List<String> doomed = new ArrayList<>();
    for (Cursor<String, byte[]> c = deltas.cursor(prefix); c.hasNext(); ) {
      String recordKey = c.next();
      if (!recordKey.startsWith(prefix)) {
        break;
      }
      doomed.add(recordKey);
    }
    for (String recordKey : doomed) {
      deltas.remove(recordKey);
    }
  }

  /**
   * Makes every change so far one atomic MVStore version and, if {@code sync}, forces it to the
   * device. {@code MVStore.commit()} with auto-commit off serializes and writes the chunk on the
   * calling thread (no background executor exists); {@code MVStore.sync()} ends in {@code
   * FileChannel.force(true)}.
   */
  void commit(boolean sync) {
    store.commit();
    if (store.hasUnsavedChanges()) {
      throw new IllegalStateException("MVStore kept unsaved changes after commit");
    }
    if (sync) {
      store.sync();
    }
  }

  /** Closes the file after a final commit; MVStore marks it cleanly shut down. */
  void close() {
    store.close();
  }

  /** Closes the file without writing anything (after a failure). */
  void closeImmediately() {
    store.closeImmediately();
  }

  /** Current size of the data file in bytes. */
  long fileSize() {
    return store.getFileStore().size();
  }

  // ------------------------------------------------------------------------------ layout

  static String deltaKey(String name, long seq) {
    String hex = Long.toHexString(seq);
    StringBuilder sb = new StringBuilder(name.length() + 1 + SEQ_DIGITS).append(name).append('\0');
    for (int i = hex.length(); i < SEQ_DIGITS; i++) {
      sb.append('0');
    }
    return sb.append(hex).toString();
  }

  private long parseSeq(String name, String recordKey) {
    int start = recordKey.length() - SEQ_DIGITS;
    if (start != name.length() + 1) {
      throw corrupted(name, "has a malformed log record key", null);
    }
    try {
      return Long.parseUnsignedLong(recordKey, start, recordKey.length(), 16);
    } catch (NumberFormatException e) {
      throw corrupted(name, "has a malformed log record key", e);
    }
  }

  private static byte[] frame(String recordKey, byte[] encoded, int header, long seq) {
    byte[] value = new byte[header + encoded.length];
    if (header == STATE_HEADER) {
      ByteBuffer.wrap(value, CRC_BYTES, Long.BYTES).putLong(seq);
    }
    System.arraycopy(encoded, 0, value, header, encoded.length);
    ByteBuffer.wrap(value, 0, CRC_BYTES).putInt(crc(recordKey, value));
    return value;
  }

  private static int crc(String recordKey, byte[] value) {
    CRC32C crc = new CRC32C();
    crc.update(recordKey.getBytes(StandardCharsets.UTF_8));
    crc.update(value, CRC_BYTES, value.length - CRC_BYTES);
    return (int) crc.getValue();
  }

  private void check(String name, String recordKey, byte[] value, int header) {
    if (value.length < header) {
      throw corrupted(name, "has a truncated record", null);
    }
    int stored = ByteBuffer.wrap(value, 0, CRC_BYTES).getInt();
    if (stored != crc(recordKey, value)) {
      throw corrupted(name, "has a record that fails its checksum", null);
    }
  }

  private TypedState<?> decode(String name, String what, byte[] value, int offset) {
    try {
      return codec.decode(value, offset, value.length - offset);
    } catch (CodecException e) {
      throw corrupted(name, "has a " + what + " that does not decode: " + e.getMessage(), e);
    }
  }

  private TypedState<?> joinOnEmpty(String name, TypedState<?> delta) {
    return join(name, emptyOf(delta), delta);
  }

  private static <T extends Crdt<T>> TypedState<T> emptyOf(TypedState<T> typed) {
    return new TypedState<>(typed.type(), typed.type().empty());
  }

  private <T extends Crdt<T>> TypedState<T> join(String name, TypedState<T> a, TypedState<?> b) {
    CrdtType<T> type = a.type();
    if (!type.tag().equals(b.type().tag())) {
      throw corrupted(
          name, "has records of two types, " + type.tag() + " and " + b.type().tag(), null);
    }
    return new TypedState<>(type, a.state().merge(type.cast(b.state())));
  }

  /** A {@link StoreException.Corrupted} naming this file and the key. */
  StoreException.Corrupted corrupted(String name, String problem, Throwable cause) {
    return new StoreException.Corrupted(file, "key \"" + name + "\" " + problem, cause);
  }
}
