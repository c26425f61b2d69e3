package dev.converge.store.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.Key;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.MutationContext;
import dev.converge.crdt.Mutator;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.causal.HybridLogicalClock;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.store.Durability;
import dev.converge.store.Merged;
import dev.converge.store.NodeIdentity;
import dev.converge.store.ReplicaStore;
import dev.converge.store.StoreException;
import dev.converge.store.StoreOptions;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A replica store on disk: one MVStore file in the data directory holding each key's full state and
 * a log of the deltas written since, with a Caffeine cache of decoded states in front. Crash safe:
 * a write is acknowledged only once its delta is committed and synced (per {@link Durability}), and
 * reopening after {@code kill -9} recovers every acknowledged write. Not part of the public API;
 * open it with {@code ReplicaStores.open}. See docs/decisions/0005.
 */
public final class DurableReplicaStore implements ReplicaStore {

  /*
   * Implementation notes.
   *
   * Layout. StoreTables describes the four MVStore maps. A write appends its delta (the mutation's
   * delta, or the merged value) to the key's log; it never rewrites the key's full state. When a
   * key's logged bytes reach max(compactionMinBytes, storedStateBytes / 2) the writer folds: it
   * writes the full state and deletes the log, in the same commit. A fold writes S bytes after at
   * least S/2 bytes of deltas (or compactionMinBytes) were logged, so the bytes written per byte
   * of delta stay below 1 + 2 = 3, amortized, whatever the size of the state; loading a key reads
   * at most its state plus half a state of deltas. MVStore rewrites whole B-tree pages, which is
   * why full states and deltas live in separate maps: appending to the log never touches the page
   * holding a large state. Clean close folds every log that holds two or more records.
   *
   * Threads. One writer thread (StoreWriter) owns every change: it drains its queue, applies each
   * request to the key's current state, and then, per durability: EVERY_WRITE commits and syncs
   * after each request; GROUP_COMMIT once per drained batch (up to MAX_BATCH requests); NONE does
   * not wait and commits and syncs in the background about once a second. Futures of writes are
   * completed on one completer thread after that, so a slow callback never delays a commit. Reads
   * that hit the cache complete on the caller's thread; misses load on a small reader pool and
   * complete there. Nothing ever blocks the caller.
   *
   * Committed-only visibility (EVERY_WRITE, GROUP_COMMIT). Under those policies nothing that is
   * not yet durable leaves the store: a write's new state waits in the writer's `pending` map and
   * reaches the cache (the only thing readers see besides the file) after the commit; its future
   * completes after that. This is what lets a node keep its incarnation across a crash: no peer can
   * have seen a dot or counter value that the crash then takes away, so no dot is ever reused.
   * Under NONE, states are published before they are durable, so a NONE session that ends without
   * a clean close makes the next open take a new incarnation (meta entry "unsyncedSession").
   *
   * Readers never put a stale state in the cache. Only the writer thread puts entries (Caffeine
   * evicts). A reader that misses loads from the file without the cache: (1) the key's log is read
   * from one snapshot of the deltas map, then its full state (a fold writes the state before it
   * deletes the log, so the join of the two is never older than the key was when the read began);
   * (2) after reading, it looks the key up in `dirty`, which the writer fills before it writes a
   * key's first record of a batch and empties after the batch's commit: if the key is there, the
   * read may include uncommitted records, so it waits for that commit and retries (normally a
   * cache hit). A mark that was set and cleared during the read means that batch committed, so
   * what was read is committed too. (3) It then hands the loaded state to the writer as a fill
   * hint with the key's version (the sequence number of its newest record; numbers are never
   * reused because each open takes a new session epoch for their upper bits). The writer caches it
   * only if the key is not in the current batch, not cached, and its stored version is still that
   * one, i.e. nothing was written to it since the read.
   * keys() lists the keys map as it is, so a key whose first write is being committed may be listed
   * a moment before its read returns (the read waits for that commit, as above).
   *
   * Crash safety. MVStore writes a commit as a new chunk (copy on write) and its header, and never
   * overwrites a live chunk; after a crash it opens the newest complete chunk. With auto-commit off
   * no background thread exists and MVStore.commit() writes the chunk on the writer thread;
   * MVStore.sync() ends in FileChannel.force(true). A write is acknowledged only after both, so the
   * chunk that holds it is complete on the device before its future completes, and recovery can
   * only drop chunks that nobody was told about. What MVStore cannot tell is a damaged closed file:
   * it silently opens an older version of a truncated file and does not checksum value bytes. A
   * clean close therefore seals the file (FileSeal: length and CRC32C), checked at the next open,
   * and every record carries its own CRC32C, checked on every load; a failure is a
   * StoreException.Corrupted naming the file (and the key), never a silently smaller state.
   *
   * Identity. The first open of an empty directory creates NodeIdentity.fresh and commits and syncs
   * it before open returns; later opens reuse it and check the node id. A wiped directory has no
   * identity, so the node comes back as a new incarnation and can never reuse a dot its peers
   * remember. Restoring the file from a backup is NOT safe in the same way (the old incarnation
   * would re-issue dots its peers have seen): wipe the directory instead and let peers repair.
   */

  private static final System.Logger LOG = System.getLogger(DurableReplicaStore.class.getName());

  /** Longest property value: properties are bookkeeping, not data. */
  static final int MAX_PROPERTY_CHARS = 1 << 20;

  private static final int READER_THREADS = 2;

  private final StoreTables tables;
  private final NodeIdentity identity;
  private final Durability durability;
  private final CrdtCodec codec;
  private final Cache<String, KeySlot> cache;
  private final ConcurrentHashMap<String, CompletableFuture<Void>> dirty =
      new ConcurrentHashMap<>();
  private final AtomicLong keyCount;
  private final StoreWriter writer;
  private final Thread writerThread;
  private final ForkJoinPool readers;
  private final ForkJoinPool completer;
  private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
  private volatile boolean closed;

  private DurableReplicaStore(
      StoreOptions options, StoreTables tables, NodeIdentity identity, long epoch) {
    this.tables = tables;
    this.identity = identity;
    this.durability = options.getDurability();
    this.codec = options.readCodec();
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(options.getCacheMaxEntries())
            .executor(Runnable::run)
            .build();
    this.keyCount = new AtomicLong(tables.keyCount());
    this.readers = pool(READER_THREADS, "converge-store-reader");
    this.completer = pool(1, "converge-store-completer");
    MutationContext context =
        MutationContext.of(
            identity.replicaId(), new HybridLogicalClock(options.getWallClockMillis()));
    this.writer =
        new StoreWriter(
            tables,
            cache,
            dirty,
            keyCount,
            durability,
            options.getCompactionMinBytes(),
            options.getMaxValueBytes(),
            codec,
            context,
            completer,
            epoch);
    this.writerThread = new Thread(writer, "converge-store-writer-" + identity.nodeId());
    writerThread.setDaemon(true);
    writerThread.start();
  }

  /**
   * Opens the store in {@code options.getDataDir()}, creating it if needed.
   *
   * @throws StoreException.Corrupted if the data file is damaged (the message names it)
   * @throws StoreException if the directory belongs to another node, is in use, or cannot be
   *     written
   */
  public static ReplicaStore open(StoreOptions options) {
    Path dir = Objects.requireNonNull(options.getDataDir(), "dataDir");
    Path file = dir.resolve(StoreTables.DATA_FILE);
    boolean existed;
    try {
      Files.createDirectories(dir);
      existed = Files.exists(file);
    } catch (IOException e) {
      throw new StoreException("cannot create data directory " + dir + ": " + e.getMessage(), e);
    }
    boolean sealed = FileSeal.verify(file);
    StoreTables tables = StoreTables.open(file, options.readCodec());
    try {
      StoreMeta.Session session = StoreMeta.begin(tables, options);
      if (sealed) {
        FileSeal.remove(file);
      }
      tables.commit(true);
      if (!existed) {
        FileSeal.syncDirectory(dir);
      }
      return new DurableReplicaStore(options, tables, session.identity(), session.epoch());
    } catch (IOException e) {
      tables.closeImmediately();
      throw new StoreException("cannot sync data directory " + dir + ": " + e.getMessage(), e);
    } catch (StoreException e) {
      tables.closeImmediately();
      throw e;
    } catch (RuntimeException e) {
      tables.closeImmediately();
      throw new StoreException.Corrupted(file, "cannot read its metadata: " + e.getMessage(), e);
    }
  }

  /*
   * Fork-join pools in FIFO mode: normally `parallelism` threads, but a callback that blocks in
   * CompletableFuture.join()/get() on one of them makes the pool add a thread (managed blocking),
   * so a callback that waits for another store operation cannot deadlock the store.
   */
  private static ForkJoinPool pool(int parallelism, String name) {
    AtomicInteger n = new AtomicInteger();
    ForkJoinPool.ForkJoinWorkerThreadFactory factory =
        p -> {
          ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
          t.setName(name + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    return new ForkJoinPool(parallelism, factory, null, true);
  }

  // ----------------------------------------------------------------------------- API

  @Override
  public NodeIdentity identity() {
    return identity;
  }

  @Override
  public Durability durability() {
    return durability;
  }

  @Override
  public <T extends Crdt<T>> CompletableFuture<T> read(Key<T> key) {
    return guard(
        () -> {
          String name = key.name();
          CrdtType<T> type = key.type();
          CompletableFuture<T> result = new CompletableFuture<>();
          BiConsumer<KeySlot, Throwable> finish =
              (slot, error) -> {
                if (error != null) {
                  result.completeExceptionally(error);
                  return;
                }
                try {
                  result.complete(
                      slot == null ? type.empty() : StoreStates.as(name, slot.typed(), type));
                } catch (RuntimeException e) {
                  result.completeExceptionally(e);
                }
              };
          KeySlot cached = cache.getIfPresent(name);
          if (cached != null) {
            finish.accept(cached, null);
          } else {
            load(name, finish);
          }
          return result;
        });
  }

  @Override
  public CompletableFuture<Optional<TypedState<?>>> read(String name) {
    return guard(
        () -> {
          checkName(name);
          CompletableFuture<Optional<TypedState<?>>> result = new CompletableFuture<>();
          BiConsumer<KeySlot, Throwable> finish =
              (slot, error) -> {
                if (error != null) {
                  result.completeExceptionally(error);
                } else {
                  result.complete(Optional.ofNullable(slot == null ? null : slot.typed()));
                }
              };
          KeySlot cached = cache.getIfPresent(name);
          if (cached != null) {
            finish.accept(cached, null);
          } else {
            load(name, finish);
          }
          return result;
        });
  }

  @Override
  public <T extends Crdt<T>> CompletableFuture<Mutation<T>> update(Key<T> key, Mutator<T> mutator) {
    return guard(
        () -> {
          Objects.requireNonNull(mutator, "mutator");
          checkRegistered(key.type());
          CompletableFuture<Mutation<T>> result = new CompletableFuture<>();
          return submit(new StoreWriter.Update<>(key.name(), key.type(), mutator, result), result);
        });
  }

  @Override
  public <T extends Crdt<T>> CompletableFuture<Merged<T>> merge(Key<T> key, T stateOrDelta) {
    return guard(() -> mergeInto(key.name(), key.type(), stateOrDelta));
  }

  @Override
  public CompletableFuture<Merged<?>> merge(String name, TypedState<?> stateOrDelta) {
    return guard(
        () -> {
          checkName(name);
          return widen(mergeTyped(name, stateOrDelta));
        });
  }

  private <T extends Crdt<T>> CompletableFuture<Merged<T>> mergeTyped(
      String name, TypedState<T> typed) {
    return mergeInto(name, typed.type(), typed.state());
  }

  private <T extends Crdt<T>> CompletableFuture<Merged<T>> mergeInto(
      String name, CrdtType<T> type, T value) {
    T checked = type.cast(Objects.requireNonNull(value, "stateOrDelta"));
    checkRegistered(type);
    CompletableFuture<Merged<T>> result = new CompletableFuture<>();
    return submit(new StoreWriter.Merge<>(name, type, checked, result), result);
  }

  @Override
  public CompletableFuture<Void> putProperty(String name, String value) {
    return guard(
        () -> {
          String metaName = StoreStates.propertyName(name);
          if (value.length() > MAX_PROPERTY_CHARS) {
            throw new IllegalArgumentException(
                "property value over " + MAX_PROPERTY_CHARS + " characters");
          }
          CompletableFuture<Void> result = new CompletableFuture<>();
          return submit(new StoreWriter.PutProperty(metaName, value, result), result);
        });
  }

  @Override
  public Optional<String> property(String name) {
    return Optional.ofNullable(tables.meta(StoreStates.propertyName(name)));
  }

  @Override
  public CompletableFuture<Optional<TypedState<?>>> rewrite(
      String name, UnaryOperator<TypedState<?>> rewrite) {
    return guard(
        () -> {
          checkName(name);
          Objects.requireNonNull(rewrite, "rewrite");
          CompletableFuture<Optional<TypedState<?>>> result = new CompletableFuture<>();
          return submit(new StoreWriter.Rewrite(name, rewrite, result), result);
        });
  }

  @SuppressWarnings("unchecked")
  private static CompletableFuture<Merged<?>> widen(CompletableFuture<? extends Merged<?>> f) {
    return (CompletableFuture<Merged<?>>) f;
  }

  @Override
  public CompletableFuture<List<String>> keys(String after, int limit) {
    return guard(
        () -> {
          if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
          }
          CompletableFuture<List<String>> result = new CompletableFuture<>();
          try {
            readers.execute(
                () -> {
                  try {
                    result.complete(tables.keys(after, limit));
                  } catch (RuntimeException e) {
                    result.completeExceptionally(
                        new StoreException.Corrupted(
                            tables.file(), "cannot list keys: " + e.getMessage(), e));
                  }
                });
          } catch (RejectedExecutionException e) {
            result.completeExceptionally(new StoreException.Closed());
          }
          return result;
        });
  }

  @Override
  public long keyCount() {
    return keyCount.get();
  }

  /**
   * Stops accepting operations, applies every accepted write, folds the delta logs, commits, syncs,
   * closes and seals the file. Idempotent; a concurrent caller waits for the first. Called on one
   * of the store's own threads (in a callback of its futures), it cannot wait for those threads: it
   * then starts the same work on a new thread and returns at once.
   */
  @Override
  public void close() {
    boolean first;
    synchronized (this) {
      first = !closed;
      closed = true;
    }
    Thread current = Thread.currentThread();
    boolean ownThread =
        current == writerThread
            || current instanceof ForkJoinWorkerThread worker
                && (worker.getPool() == readers || worker.getPool() == completer);
    if (first && ownThread) {
      Thread closer = new Thread(this::shutDown, "converge-store-closer");
      closer.setDaemon(false);
      closer.start();
    } else if (first) {
      shutDown();
    } else if (!ownThread) {
      closedFuture.join();
    }
  }

  private void shutDown() {
    try {
      writer.shutdown();
      joinUninterruptibly(writerThread);
      awaitTermination(readers);
      if (writer.finishedCleanly()) {
        tables.close();
        FileSeal.write(tables.file());
      } else {
        tables.closeImmediately();
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.ERROR, "closing replica store " + tables.file() + " failed", e);
      tables.closeImmediately();
    } finally {
      awaitTermination(completer);
      closedFuture.complete(null);
    }
  }

  // ---------------------------------------------------------------------- internals

  /** Loads {@code name} on a reader thread; see the implementation notes. */
  private void load(String name, BiConsumer<KeySlot, Throwable> finish) {
    try {
      readers.execute(() -> attemptLoad(name, finish));
    } catch (RejectedExecutionException e) {
      finish.accept(null, new StoreException.Closed());
    }
  }

  private void attemptLoad(String name, BiConsumer<KeySlot, Throwable> finish) {
    StoreException failure = writer.failure();
    if (failure != null) {
      finish.accept(null, new StoreException("the store failed: " + failure.getMessage(), failure));
      return;
    }
    KeySlot cached = cache.getIfPresent(name);
    if (cached != null) {
      finish.accept(cached, null);
      return;
    }
    KeySlot loaded;
    try {
      loaded = tables.load(name);
    } catch (StoreException e) {
      finish.accept(null, e);
      return;
    } catch (RuntimeException e) {
      finish.accept(null, tables.corrupted(name, "cannot be read: " + e.getMessage(), e));
      return;
    }
    CompletableFuture<Void> commit = dirty.get(name);
    if (commit != null) {
      commit.whenComplete((ok, error) -> load(name, finish));
      return;
    }
    finish.accept(loaded, null);
    if (loaded != null) {
      writer.offerFill(name, loaded);
    }
  }

  private <R> CompletableFuture<R> submit(StoreWriter.Request request, CompletableFuture<R> f) {
    StoreException refused = writer.submit(request);
    return refused == null ? f : CompletableFuture.failedFuture(refused);
  }

  private void checkRegistered(CrdtType<?> type) {
    if (codec.registry().lookup(type.tag()).isEmpty()) {
      throw new StoreException(
          "type \""
              + type.tag()
              + "\" is not registered with the store's codec, so it could not be read back");
    }
  }

  private static void checkName(String name) {
    String problem = Key.validateName(Objects.requireNonNull(name, "name"));
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  /** Runs {@code body} unless closed; any exception becomes a failed future (contract rule 2). */
  private <R> CompletableFuture<R> guard(Supplier<CompletableFuture<R>> body) {
    if (closed) {
      return CompletableFuture.failedFuture(new StoreException.Closed());
    }
    try {
      return body.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static void joinUninterruptibly(Thread thread) {
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitTermination(ExecutorService executor) {
    executor.shutdown();
    boolean interrupted = false;
    while (true) {
      try {
        if (executor.awaitTermination(1, TimeUnit.MINUTES)) {
          break;
        }
        LOG.log(Level.WARNING, "replica store still waiting for its threads to finish");
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------- for tests and tools

  /** The data file. */
  Path dataFile() {
    return tables.file();
  }

  /** Number of deltas logged for {@code name} (not yet folded into its full state). */
  int loggedDeltaCount(String name) {
    return tables.deltaCount(name);
  }

  /** Current size of the data file in bytes. */
  long fileSize() {
    return tables.fileSize();
  }
}
