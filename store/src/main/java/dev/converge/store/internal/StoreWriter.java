package dev.converge.store.internal;

import com.github.benmanes.caffeine.cache.Cache;
import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.MutationContext;
import dev.converge.crdt.Mutator;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.store.Durability;
import dev.converge.store.Merged;
import dev.converge.store.StoreException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * The one thread that changes a {@link DurableReplicaStore}: takes write requests from a queue,
 * applies them to the keys' states, appends their deltas to the log, folds logs that grew large,
 * commits (one commit and sync per drained batch under group commit) and only then publishes the
 * new states and completes the futures. See the implementation notes of {@link
 * DurableReplicaStore}. Not part of the public API.
 */
final class StoreWriter implements Runnable {

  /** Most requests applied under one commit. */
  static final int MAX_BATCH = 4096;

  /** Drop read-fill hints instead of queueing them behind this many requests. */
  private static final int FILL_QUEUE_LIMIT = 1024;

  private static final long BACKGROUND_COMMIT_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final int SEQ_BITS = 40;
  private static final System.Logger LOG = System.getLogger(DurableReplicaStore.class.getName());

  /** A unit of work for the writer. */
  sealed interface Request permits Update, Merge, Rewrite, PutProperty, Fill, Shutdown {}

  record Update<T extends Crdt<T>>(
      String name, CrdtType<T> type, Mutator<T> mutator, CompletableFuture<Mutation<T>> future)
      implements Request {}

  record Merge<T extends Crdt<T>>(
      String name, CrdtType<T> type, T value, CompletableFuture<Merged<T>> future)
      implements Request {}

  record Rewrite(
      String name,
      UnaryOperator<TypedState<?>> rewrite,
      CompletableFuture<Optional<TypedState<?>>> future)
      implements Request {}

  record PutProperty(String name, String value, CompletableFuture<Void> future)
      implements Request {}

  /** A state a reader loaded; cached only if the key has not changed since. */
  record Fill(String name, KeySlot slot) implements Request {}

  record Shutdown() implements Request {}

  /** A future and what to complete it with, held until the batch that produced it is durable. */
  private record Done<R>(CompletableFuture<R> future, R value, Throwable error) {
    void run() {
      if (error != null) {
        future.completeExceptionally(error);
      } else {
        future.complete(value);
      }
    }

    void fail(Throwable cause) {
      future.completeExceptionally(error != null ? error : cause);
    }
  }

  private final StoreTables tables;
  private final Cache<String, KeySlot> cache;
  private final ConcurrentHashMap<String, CompletableFuture<Void>> dirty;
  private final AtomicLong keyCount;
  private final Durability durability;
  private final int compactionMinBytes;
  private final int maxValueBytes;
  private final CrdtCodec codec;
  private final MutationContext context;
  private final Executor completer;
  private final long seqBase;

  private final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final Object lifecycle = new Object();
  // Guarded by lifecycle.
  private boolean closed;
  private volatile StoreException failure;
  private volatile boolean finishedCleanly;

  // Writer thread only.
  private final Map<String, KeySlot> pending = new HashMap<>();
  private List<Done<?>> done = new ArrayList<>();
  private CompletableFuture<Void> batchCommitted = new CompletableFuture<>();
  private long nextSeq;
  private long newKeys;
  private boolean wrote;
  private boolean uncommitted;
  private int applied;
  private long lastCommitNanos = System.nanoTime();

  StoreWriter(
      StoreTables tables,
      Cache<String, KeySlot> cache,
      ConcurrentHashMap<String, CompletableFuture<Void>> dirty,
      AtomicLong keyCount,
      Durability durability,
      int compactionMinBytes,
      int maxValueBytes,
      CrdtCodec codec,
      MutationContext context,
      Executor completer,
      long epoch) {
    this.tables = tables;
    this.cache = cache;
    this.dirty = dirty;
    this.keyCount = keyCount;
    this.durability = durability;
    this.compactionMinBytes = compactionMinBytes;
    this.maxValueBytes = maxValueBytes;
    this.codec = codec;
    this.context = context;
    this.completer = completer;
    if (epoch <= 0 || epoch >= 1L << (63 - SEQ_BITS)) {
      throw new IllegalStateException("session epoch out of range: " + epoch);
    }
    this.seqBase = epoch << SEQ_BITS;
  }

  // ------------------------------------------------------------------- any thread

  /** Queues {@code request}; returns null, or why it was refused (closed or failed store). */
  StoreException submit(Request request) {
    synchronized (lifecycle) {
      if (failure != null) {
        return new StoreException("the store failed: " + failure.getMessage(), failure);
      }
      if (closed) {
        return new StoreException.Closed();
      }
      queue.add(request);
      return null;
    }
  }

  /** Offers a reader's loaded state for the cache; dropped if the writer is busy or closed. */
  void offerFill(String name, KeySlot slot) {
    if (queue.size() < FILL_QUEUE_LIMIT) {
      submit(new Fill(name, slot));
    }
  }

  /** Stops accepting requests and queues the shutdown after every accepted one. */
  void shutdown() {
    synchronized (lifecycle) {
      if (!closed) {
        closed = true;
        queue.add(new Shutdown());
      }
    }
  }

  /** The failure that stopped the writer, or null. */
  StoreException failure() {
    return failure;
  }

  /** True once the writer drained, folded, committed and synced everything at shutdown. */
  boolean finishedCleanly() {
    return finishedCleanly;
  }

  // ---------------------------------------------------------------- writer thread

  @Override
  public void run() {
    List<Request> batch = new ArrayList<>();
    try {
      while (true) {
        Request first = next();
        if (first == null) {
          commitIfDue();
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        boolean stop = process(batch);
        batch.clear();
        if (stop) {
          return;
        }
      }
    } catch (Throwable t) {
      fail(t, batch);
    }
  }

  private Request next() throws InterruptedException {
    if (durability != Durability.NONE || !uncommitted) {
      return queue.take();
    }
    long wait = lastCommitNanos + BACKGROUND_COMMIT_NANOS - System.nanoTime();
    return wait <= 0 ? null : queue.poll(wait, TimeUnit.NANOSECONDS);
  }

  /** Applies a drained batch; returns true at shutdown. */
  private boolean process(List<Request> batch) {
    applied = 0;
    for (Request request : batch) {
      if (request instanceof Shutdown) {
        endBatch();
        finish();
        return true;
      }
      apply(request);
      applied++;
      if (durability == Durability.EVERY_WRITE) {
        endBatch();
      }
    }
    endBatch();
    return false;
  }

  private void apply(Request request) {
    if (request instanceof Update<?> update) {
      applyUpdate(update);
    } else if (request instanceof Merge<?> merge) {
      applyMerge(merge);
    } else if (request instanceof Rewrite rewrite) {
      applyRewrite(rewrite);
    } else if (request instanceof PutProperty put) {
      tables.putMeta(put.name(), put.value());
      wrote = true;
      done.add(new Done<>(put.future(), null, null));
    } else if (request instanceof Fill fill) {
      applyFill(fill);
    }
  }

  private <T extends Crdt<T>> void applyUpdate(Update<T> u) {
    KeySlot slot;
    T before;
    Mutation<T> mutation;
    byte[] delta;
    byte[] full;
    try {
      slot = current(u.name());
      before = slot == null ? u.type().empty() : StoreStates.as(u.name(), slot.typed(), u.type());
      mutation =
          StoreStates.inflate(
              u.type(),
              before,
              u.mutator(),
              Objects.requireNonNull(u.mutator().apply(before, context), "mutator returned null"));
      if (mutation.state() == before) {
        done.add(new Done<>(u.future(), mutation, null));
        return;
      }
      delta = encode(u.name(), u.type(), mutation.delta());
      full = checkSize(u.name(), slot, new TypedState<>(u.type(), mutation.state()), delta);
    } catch (Throwable t) {
      rethrowIfFatal(t);
      done.add(new Done<>(u.future(), null, t));
      return;
    }
    write(u.name(), slot, new TypedState<>(u.type(), mutation.state()), delta, full);
    done.add(new Done<>(u.future(), mutation, null));
  }

  private <T extends Crdt<T>> void applyMerge(Merge<T> m) {
    KeySlot slot;
    T before;
    T after;
    byte[] delta;
    try {
      slot = current(m.name());
      before = slot == null ? m.type().empty() : StoreStates.as(m.name(), slot.typed(), m.type());
      after = before.merge(m.value());
      if (after == before || after.equals(before)) {
        done.add(new Done<>(m.future(), new Merged<>(before, false), null));
        return;
      }
      delta = encode(m.name(), m.type(), m.value());
    } catch (Throwable t) {
      rethrowIfFatal(t);
      done.add(new Done<>(m.future(), null, t));
      return;
    }
    write(m.name(), slot, new TypedState<>(m.type(), after), delta);
    done.add(new Done<>(m.future(), new Merged<>(after, true), null));
  }

  /*
   * Not a join: the key's state becomes what the rewrite returns, stored whole, and its log is
   * deleted in the same commit (as a fold). Loading skips log records older than the state record,
   * so a reader that read the old log before this commit never joins it into the new state.
   */
  private void applyRewrite(Rewrite r) {
    KeySlot slot;
    TypedState<?> after;
    byte[] full;
    try {
      slot = current(r.name());
      if (slot == null) {
        done.add(new Done<>(r.future(), Optional.empty(), null));
        return;
      }
      TypedState<?> before = slot.typed();
      after = StoreStates.rewritten(r.name(), before, r.rewrite());
      if (after.state().equals(before.state())) {
        done.add(new Done<>(r.future(), Optional.of(before), null));
        return;
      }
      full = encodeTyped(after);
      if (full.length > codec.limits().maxBytes()) {
        throw new StoreException(
            "key \""
                + r.name()
                + "\": a rewritten state of "
                + full.length
                + " encoded bytes is over the codec limit of "
                + codec.limits().maxBytes());
      }
    } catch (Throwable t) {
      rethrowIfFatal(t);
      done.add(new Done<>(r.future(), null, t));
      return;
    }
    if (durability != Durability.NONE) {
      dirty.put(r.name(), batchCommitted);
    }
    long seq = nextSeq();
    tables.putState(r.name(), seq, full);
    tables.removeDeltas(r.name());
    KeySlot next = new KeySlot(after, full.length, 0, 0, seq);
    if (durability == Durability.NONE) {
      cache.put(r.name(), next);
    } else {
      pending.put(r.name(), next);
    }
    wrote = true;
    done.add(new Done<>(r.future(), Optional.of(after), null));
  }

  /*
   * A reader's state is current if the key's newest record still has the version the reader saw:
   * sequence numbers are never reused, so nothing was written to the key since. Keys written in
   * this batch are skipped: their stored records are not committed yet.
   */
  private void applyFill(Fill fill) {
    if (pending.containsKey(fill.name()) || cache.getIfPresent(fill.name()) != null) {
      return;
    }
    try {
      if (tables.version(fill.name()) == fill.slot().version()) {
        cache.put(fill.name(), fill.slot());
      }
    } catch (RuntimeException e) {
      // A damaged record: the next read or write of the key reports it.
    }
  }

  /** The key's current state for the writer: this batch's, else cached, else loaded. */
  private KeySlot current(String name) {
    KeySlot slot = pending.get(name);
    if (slot == null) {
      slot = cache.getIfPresent(name);
    }
    if (slot == null) {
      slot = tables.load(name);
      if (slot != null) {
        // Not written in this batch, so what is stored is committed: safe to publish.
        cache.put(name, slot);
      }
    }
    return slot;
  }

  /*
   * The one size check (StoreOptions.setMaxValueBytes), O(delta) unless the key is near the limit:
   * a write may not take a state past the limit, nor grow one that is past it (joined from peers).
   * the stored record's size plus the deltas logged since and this one bounds the new state's
   * encoding; only when that bound passes the limit is the state encoded whole. Returns that
   * encoding (to be stored at once, so the next write starts from an exact size), or null.
   */
  private byte[] checkSize(String name, KeySlot slot, TypedState<?> after, byte[] delta) {
    long bound = delta.length + (slot == null ? 0 : slot.stateBytes() + slot.logBytes());
    if (bound <= maxValueBytes) {
      return null;
    }
    byte[] full = encodeTyped(after);
    // A state joined past the limit may still shrink (a remove): refused only if it grows.
    if (full.length > maxValueBytes
        && (slot == null || full.length > encodeTyped(slot.typed()).length)) {
      throw new StoreException.ValueTooLarge(name, full.length, maxValueBytes);
    }
    return full;
  }

  private void write(String name, KeySlot slot, TypedState<?> newState, byte[] delta) {
    write(name, slot, newState, delta, null);
  }

  /**
   * Appends one delta to the key's log and folds the log if it has grown past its bound, or at once
   * with {@code full}, the new state's encoding, if the caller has it.
   */
  private void write(String name, KeySlot slot, TypedState<?> newState, byte[] delta, byte[] full) {
    if (durability != Durability.NONE) {
      dirty.put(name, batchCommitted); // before any record: readers check it after they read
    }
    if (slot == null && tables.addKey(name)) {
      if (durability == Durability.NONE) {
        keyCount.incrementAndGet();
      } else {
        newKeys++;
      }
    }
    long seq = nextSeq();
    tables.appendDelta(name, seq, delta);
    KeySlot next =
        slot == null
            ? new KeySlot(newState, 0, delta.length, 1, seq)
            : slot.withDelta(newState, delta.length, seq);
    if (full != null) {
      next = store(name, next, full);
    } else if (next.shouldFold(compactionMinBytes)) {
      next = fold(name, next);
    }
    if (durability == Durability.NONE) {
      cache.put(name, next);
    } else {
      pending.put(name, next);
    }
    wrote = true;
  }

  /**
   * Writes the key's full state and deletes its log, in the commit of the write that triggered it.
   * The state goes first: a reader that read the log before the deletion still joins it with a
   * state that already contains it.
   */
  private KeySlot fold(String name, KeySlot slot) {
    byte[] full;
    try {
      full = encodeTyped(slot.typed());
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "key \"" + name + "\": cannot encode its full state; log kept", e);
      return new KeySlot(slot.typed(), slot.stateBytes(), 0, slot.logCount(), slot.version());
    }
    if (full.length > codec.limits().maxBytes()) {
      LOG.log(
          Level.WARNING,
          "key \"{0}\": full state of {1} bytes is over the codec limit; keeping its delta log",
          name,
          full.length);
      // Count log bytes from here, so the next attempt comes after another half state of deltas.
      return new KeySlot(slot.typed(), full.length, 0, slot.logCount(), slot.version());
    }
    return store(name, slot, full);
  }

  /* Stores the key's full state, `full`, and deletes its log (a fold with the encoding at hand). */
  private KeySlot store(String name, KeySlot slot, byte[] full) {
    long seq = nextSeq();
    tables.putState(name, seq, full);
    tables.removeDeltas(name);
    wrote = true;
    return slot.folded(full.length, seq);
  }

  /** Ends a batch: commit and sync if it wrote, publish its states, hand its futures over. */
  private void endBatch() {
    if (durability == Durability.NONE) {
      uncommitted |= wrote;
      wrote = false;
      completeAll();
      commitIfDue();
      return;
    }
    if (wrote) {
      tables.commit(true);
      wrote = false;
    }
    publish();
    completeAll();
  }

  /*
   * After the commit: the states become visible to readers (cache), the dirty marks go, readers
   * that waited for this commit retry. Until then a reader sees the key's committed state.
   */
  private void publish() {
    if (pending.isEmpty()) {
      return;
    }
    for (Map.Entry<String, KeySlot> e : pending.entrySet()) {
      cache.put(e.getKey(), e.getValue());
      dirty.remove(e.getKey());
    }
    pending.clear();
    keyCount.addAndGet(newKeys);
    newKeys = 0;
    CompletableFuture<Void> committed = batchCommitted;
    batchCommitted = new CompletableFuture<>();
    committed.complete(null);
  }

  /* Futures complete on the completer thread, so a slow callback never holds up the next commit. */
  private void completeAll() {
    if (done.isEmpty()) {
      return;
    }
    List<Done<?>> batch = done;
    done = new ArrayList<>();
    completer.execute(() -> batch.forEach(Done::run));
  }

  private void commitIfDue() {
    if (uncommitted && System.nanoTime() - lastCommitNanos >= BACKGROUND_COMMIT_NANOS) {
      tables.commit(true);
      uncommitted = false;
      lastCommitNanos = System.nanoTime();
    }
  }

  /** Shutdown: folds every log with something to fold, then one last commit and sync. */
  private void finish() {
    tables.forEachFoldCandidate(
        name -> {
          KeySlot slot;
          try {
            slot = current(name);
          } catch (StoreException e) {
            LOG.log(Level.WARNING, "not folding a damaged key at close: {0}", e.getMessage());
            return;
          }
          if (slot != null && slot.logCount() > 0) {
            cache.put(name, fold(name, slot));
          }
        });
    if (durability == Durability.NONE) {
      tables.removeMeta(StoreMeta.UNSYNCED_SESSION);
    }
    tables.commit(true);
    wrote = false;
    uncommitted = false;
    finishedCleanly = true;
  }

  private void fail(Throwable t, List<Request> batch) {
    StoreException error =
        t instanceof StoreException se
            ? se
            : new StoreException("the store's writer failed: " + t, t);
    synchronized (lifecycle) {
      failure = error;
      closed = true;
    }
    LOG.log(Level.ERROR, "replica store writer failed; the store accepts no more writes", t);
    for (Done<?> d : done) {
      d.fail(error);
    }
    done.clear();
    // Requests applied before the failure hold a Done above (or were committed and handed over).
    List<Request> rest =
        new ArrayList<>(batch.subList(Math.min(applied, batch.size()), batch.size()));
    queue.drainTo(rest);
    for (Request request : rest) {
      if (request instanceof Update<?> u) {
        u.future().completeExceptionally(error);
      } else if (request instanceof Merge<?> m) {
        m.future().completeExceptionally(error);
      } else if (request instanceof Rewrite r) {
        r.future().completeExceptionally(error);
      } else if (request instanceof PutProperty put) {
        put.future().completeExceptionally(error);
      }
    }
    batchCommitted.completeExceptionally(error);
    dirty.clear();
  }

  // ---------------------------------------------------------------------- helpers

  private long nextSeq() {
    if (nextSeq >= 1L << SEQ_BITS) {
      throw new IllegalStateException("sequence numbers of this session exhausted; reopen");
    }
    return seqBase | nextSeq++;
  }

  private <T extends Crdt<T>> byte[] encode(String name, CrdtType<T> type, T value) {
    byte[] bytes = codec.encode(type, value);
    if (bytes.length > codec.limits().maxBytes()) {
      throw new StoreException(
          "key \""
              + name
              + "\": a write of "
              + bytes.length
              + " encoded bytes is over the codec limit of "
              + codec.limits().maxBytes()
              + " and could not be read back");
    }
    return bytes;
  }

  private <T extends Crdt<T>> byte[] encodeTyped(TypedState<T> typed) {
    return codec.encode(typed.type(), typed.state());
  }

  /** A mutator's exception fails its own write; running out of memory fails the store. */
  private static void rethrowIfFatal(Throwable t) {
    if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
      throw (VirtualMachineError) t;
    }
  }
}
