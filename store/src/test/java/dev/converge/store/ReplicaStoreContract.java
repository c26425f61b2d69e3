package dev.converge.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.GCounter;
import dev.converge.crdt.Key;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.causal.HybridLogicalClock;
import dev.converge.crdt.codec.ValueCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link ReplicaStore} contract, written once and run against every implementation: a subclass
 * supplies the options that select it (in memory, or durable in a temporary directory).
 */
public abstract class ReplicaStoreContract {

  protected static final ReplicaId PEER = ReplicaId.of("peer.1");
  protected static final Key<GCounter> G = Key.gCounter("g");
  protected static final Key<PNCounter> PN = Key.pnCounter("pn");
  protected static final Key<ORSet<String>> SET = Key.orSet("set", ValueCodec.string());
  protected static final Key<LWWRegister<String>> REG = Key.lwwRegister("reg", ValueCodec.string());

  /** The wall clock of every store this class opens; tests move it by hand. */
  protected final AtomicLong wallClock = new AtomicLong(1_000_000L);

  protected ReplicaStore store;

  /** Options selecting the implementation under test; node id and clock are set by the caller. */
  protected abstract StoreOptions implementationOptions();

  protected StoreOptions options() {
    return implementationOptions().setNodeId("n1").setWallClockMillis(wallClock::get);
  }

  @BeforeEach
  void openStore() {
    store = ReplicaStores.open(options());
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  // ------------------------------------------------------------------------ helpers

  protected static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("future failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("future did not complete: " + e, e);
    }
  }

  /** The exception {@code future} failed with (unwrapped). */
  protected static Throwable failure(CompletableFuture<?> future) {
    try {
      Object value = future.get(60, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got " + value);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("future did not complete: " + e, e);
    }
  }

  // -------------------------------------------------------------------------- tests

  /* Adds `count` elements "e<from>".. in one write. */
  private static dev.converge.crdt.Mutator<ORSet<String>> addMany(int from, int count) {
    List<String> elements = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      elements.add("e" + i);
    }
    return ORSet.addingAll(elements);
  }

  @Test
  void aWriteOverTheMaximumValueSizeFailsAndStoresNothingWhileJoinsStillApply() {
    store.close();
    int max = 4 * 1024;
    store = ReplicaStores.open(options().setMaxValueBytes(max));
    int written = 0;
    Throwable refused = null;
    while (refused == null && written < 10_000) {
      CompletableFuture<Mutation<ORSet<String>>> write = store.update(SET, addMany(written, 20));
      try {
        write.get(60, TimeUnit.SECONDS);
        written += 20;
      } catch (ExecutionException e) {
        refused = e.getCause();
      } catch (InterruptedException | TimeoutException e) {
        throw new AssertionError(e);
      }
    }
    assertThat(refused).isInstanceOf(StoreException.ValueTooLarge.class);
    StoreException.ValueTooLarge tooLarge = (StoreException.ValueTooLarge) refused;
    assertThat(tooLarge.key()).isEqualTo(SET.name());
    assertThat(tooLarge.maxBytes()).isEqualTo(max);
    assertThat(tooLarge.bytes()).isGreaterThan(max);
    ORSet<String> kept = await(store.read(SET));
    assertThat(kept.size())
        .as("every acknowledged write, nothing of the refused one")
        .isEqualTo(written);

    // A join from a peer is never refused: concurrent writes may together exceed the maximum.
    ORSet<String> theirs = ORSet.empty();
    for (int i = 0; i < 200; i++) {
      theirs = theirs.add(PEER, "peer-" + i).state();
    }
    assertThat(await(store.merge(SET, theirs)).changed()).isTrue();
    assertThat(await(store.read(SET)).size()).isEqualTo(written + 200);
    // ...but a local write on top of it is, and removing still works (the state shrinks).
    assertThat(failure(store.update(SET, addMany(50_000, 20))))
        .isInstanceOf(StoreException.ValueTooLarge.class);
    assertThat(await(store.update(SET, ORSet.removing("peer-0"))).state().size())
        .isEqualTo(written + 199);
  }

  @Test
  void unknownKeyReadsAsEmpty() {
    assertThat(await(store.read(PN))).isEqualTo(PNCounter.empty());
    assertThat(await(store.read(SET)).isEmpty()).isTrue();
    assertThat(await(store.read(REG)).value()).isEmpty();
    assertThat(await(store.read("pn"))).isEmpty();
    assertThat(store.keyCount()).isZero();
    assertThat(await(store.keys(null, 10))).isEmpty();
  }

  @Test
  void aValueThatCannotBeEncodedIsRefusedAndLeavesTheKeyUnchanged() {
    await(store.update(SET, ORSet.adding("ok")));
    // An unpaired surrogate has no UTF-8 encoding: it could never be stored or shipped.
    Throwable refused = failure(store.update(SET, ORSet.adding("bad\ud800")));
    assertThat(refused)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("surrogate");
    assertThat(await(store.read(SET)).elements()).containsExactly("ok");
  }

  /* Issue 13: the store keeps current ⊔ delta, never the state a mutator returns. */
  @Test
  void aMutatorThatIgnoresItsInputNeverLowersTheReplica() {
    await(store.update(PN, PNCounter.incrementBy(5)));
    await(store.merge(PN, PNCounter.empty().increment(PEER, 7).state()));
    // Builds a fresh counter with one increment, ignoring the current one (a stale-copy mistake).
    Mutation<PNCounter> fresh =
        await(store.update(PN, (c, ctx) -> PNCounter.empty().increment(ctx.replica(), 1)));
    assertThat(fresh.state().value()).isEqualTo(12);
    assertThat(fresh.delta()).isEqualTo(PNCounter.empty()); // nothing new: nothing to ship
    assertThat(await(store.read(PN)).value()).isEqualTo(12);
    // One that returns an unrelated, larger state keeps only what its delta adds.
    PNCounter unrelated = PNCounter.empty().increment(ReplicaId.of("other.1"), 100).state();
    Mutation<PNCounter> odd =
        await(
            store.update(
                PN, (c, ctx) -> new Mutation<>(unrelated, c.increment(ctx.replica(), 2).delta())));
    assertThat(odd.state().value()).isEqualTo(14);
    assertThat(await(store.read(PN)).value()).isEqualTo(14);
    assertThat(await(store.read(PN)).increments().valueOf(PEER)).isEqualTo(7);
  }

  @Test
  void aMutatorOnAStaleSetCopyNeverDropsElements() {
    ORSet<String> stale = await(store.read(SET));
    await(store.update(SET, ORSet.adding("a")));
    await(store.merge(SET, ORSet.<String>empty().add(PEER, "p").state()));
    // Mutates the copy taken before both writes and returns it whole.
    Mutation<ORSet<String>> late =
        await(store.update(SET, (c, ctx) -> stale.add(ctx.replica(), "b")));
    assertThat(late.state().elements()).contains("a", "p");
    assertThat(await(store.read(SET)).elements()).contains("a", "p");
  }

  @Test
  void rewriteReplacesTheStateWithoutAJoinAndLaterWritesJoinOnTheNewState() {
    assertThat(await(store.rewrite("g", s -> s))).isEmpty(); // never written: nothing to rewrite
    await(store.update(G, GCounter.incrementBy(3)));
    await(store.merge(G, GCounter.empty().increment(PEER, 5).state()));
    ReplicaId self = store.identity().replicaId();
    // What pruning does: fold PEER's 5 into this node's entry and drop PEER.
    Optional<TypedState<?>> rewritten =
        await(
            store.rewrite(
                "g", s -> new TypedState<>(G.type(), G.type().cast(s.state()).prune(PEER, self))));
    assertThat(G.type().cast(rewritten.orElseThrow().state()).replicas()).containsExactly(self);
    GCounter now = await(store.read(G));
    assertThat(now.value()).isEqualTo(8);
    assertThat(now.replicas()).containsExactly(self);
    await(store.update(G, GCounter.incrementBy(1)));
    assertThat(await(store.read(G)).valueOf(self)).isEqualTo(9);
    assertThat(await(store.read(G)).replicas()).containsExactly(self);
  }

  @Test
  void aRewriteToAnotherTypeOrAThrowingOneFailsAndLeavesTheKeyUnchanged() {
    await(store.update(G, GCounter.incrementBy(3)));
    assertThat(failure(store.rewrite("g", s -> new TypedState<>(PN.type(), PNCounter.empty()))))
        .isInstanceOf(StoreException.TypeMismatch.class);
    assertThat(
            failure(
                store.rewrite(
                    "g",
                    s -> {
                      throw new IllegalStateException("boom");
                    })))
        .isInstanceOf(IllegalStateException.class);
    assertThat(await(store.read(G)).value()).isEqualTo(3);
  }

  @Test
  void gCounterUpdatesAndMerges() {
    Mutation<GCounter> m = await(store.update(G, GCounter.incrementBy(3)));
    assertThat(m.state().value()).isEqualTo(3);
    assertThat(m.state().valueOf(store.identity().replicaId())).isEqualTo(3);
    assertThat(GCounter.empty().merge(m.delta())).isEqualTo(m.state());

    GCounter peer = GCounter.empty().increment(PEER, 5).state();
    Merged<GCounter> merged = await(store.merge(G, peer));
    assertThat(merged.changed()).isTrue();
    assertThat(merged.state().value()).isEqualTo(8);
    Merged<GCounter> again = await(store.merge(G, peer));
    assertThat(again.changed()).isFalse();
    assertThat(again.state().value()).isEqualTo(8);
    assertThat(await(store.read(G)).value()).isEqualTo(8);
  }

  @Test
  void pnCounterUpdatesAndMerges() {
    await(store.update(PN, PNCounter.incrementBy(10)));
    await(store.update(PN, PNCounter.decrementBy(4)));
    assertThat(await(store.read(PN)).value()).isEqualTo(6);
    PNCounter peer = PNCounter.empty().decrement(PEER, 2).state();
    assertThat(await(store.merge(PN, peer)).state().value()).isEqualTo(4);
    assertThat(await(store.read(PN)).value()).isEqualTo(4);
  }

  @Test
  void orSetUpdatesAndMergesWithAddWins() {
    await(store.update(SET, ORSet.adding("a")));
    await(store.update(SET, ORSet.adding("b")));
    await(store.update(SET, ORSet.removing("a")));
    ORSet<String> mine = await(store.read(SET));
    assertThat(mine.elements()).containsExactlyInAnyOrder("b");

    // The peer has seen our state and removes "b"; concurrently we add "b" again: add wins.
    Mutation<ORSet<String>> peerRemove = mine.remove("b");
    await(store.update(SET, ORSet.adding("b")));
    Merged<ORSet<String>> merged = await(store.merge(SET, peerRemove.delta()));
    assertThat(merged.state().elements()).containsExactlyInAnyOrder("b");

    // A peer's add arrives as a delta.
    Mutation<ORSet<String>> peerAdd = ORSet.<String>empty().add(PEER, "c");
    assertThat(await(store.merge(SET, peerAdd.delta())).state().elements())
        .containsExactlyInAnyOrder("b", "c");
    assertThat(await(store.read(SET)).elements()).containsExactlyInAnyOrder("b", "c");
  }

  @Test
  void lwwRegisterUpdatesAndMerges() {
    Mutation<LWWRegister<String>> first = await(store.update(REG, LWWRegister.assigning("x")));
    assertThat(first.state().value()).contains("x");
    assertThat(first.state().writer()).contains(store.identity().replicaId());

    HybridLogicalClock peerClock = new HybridLogicalClock(() -> 2_000_000L);
    LWWRegister<String> later = LWWRegister.<String>empty().assign("y", PEER, peerClock).state();
    assertThat(await(store.merge(REG, later)).state().value()).contains("y");

    // Our clock observed the peer's timestamp through the register, so our next write wins.
    await(store.update(REG, LWWRegister.assigning("z")));
    assertThat(await(store.read(REG)).value()).contains("z");
  }

  @Test
  void mergeOnWriteNeverGoesDown() {
    GCounter gOld = GCounter.empty().increment(PEER, 1).state();
    GCounter gNew = gOld.increment(PEER, 1).state();
    await(store.merge(G, gNew));
    assertThat(await(store.merge(G, gOld)).changed()).isFalse();
    assertThat(await(store.read(G))).isEqualTo(gNew);

    PNCounter pOld = PNCounter.empty().increment(PEER, 5).state();
    PNCounter pNew = pOld.decrement(PEER, 2).state();
    await(store.merge(PN, pNew));
    await(store.merge(PN, pOld));
    assertThat(await(store.read(PN)).value()).isEqualTo(3);

    ORSet<String> sOld = ORSet.<String>empty().add(PEER, "a").state();
    ORSet<String> sNew = sOld.remove("a").state().add(PEER, "b").state();
    await(store.merge(SET, sNew));
    assertThat(await(store.merge(SET, sOld)).changed()).isFalse();
    assertThat(await(store.read(SET)).elements()).containsExactly("b");

    HybridLogicalClock clock = new HybridLogicalClock(() -> 5_000_000L);
    LWWRegister<String> rOld = LWWRegister.<String>empty().assign("old", PEER, clock).state();
    LWWRegister<String> rNew = rOld.assign("new", PEER, clock).state();
    await(store.merge(REG, rNew));
    assertThat(await(store.merge(REG, rOld)).changed()).isFalse();
    assertThat(await(store.read(REG)).value()).contains("new");
  }

  @Test
  void readingOrWritingAKeyAsAnotherTypeFails() {
    await(store.update(Key.pnCounter("k"), PNCounter.incrementBy(1)));
    Key<GCounter> wrong = Key.gCounter("k");
    assertThat(failure(store.read(wrong))).isInstanceOf(StoreException.TypeMismatch.class);
    assertThat(failure(store.update(wrong, GCounter.incrementBy(1))))
        .isInstanceOf(StoreException.TypeMismatch.class)
        .hasMessageContaining("\"k\"")
        .hasMessageContaining("pncounter");
    assertThat(failure(store.merge("k", new TypedState<>(GCounter.TYPE, GCounter.empty()))))
        .isInstanceOf(StoreException.TypeMismatch.class);
    assertThat(await(store.read(Key.pnCounter("k"))).value()).isEqualTo(1);
  }

  @Test
  void readByNameReturnsTheTypedState() {
    await(store.update(SET, ORSet.adding("a")));
    Optional<TypedState<?>> typed = await(store.read("set"));
    assertThat(typed).isPresent();
    assertThat(typed.get().type().tag()).isEqualTo("orset:string");
    assertThat(typed.get().as(SET.type()).elements()).containsExactly("a");

    Merged<?> merged =
        await(
            store.merge(
                "other",
                new TypedState<>(GCounter.TYPE, GCounter.empty().increment(PEER, 2).state())));
    assertThat(merged.changed()).isTrue();
    assertThat(await(store.read(Key.gCounter("other"))).value()).isEqualTo(2);
    assertThat(
            failure(
                store.merge("bad\u0000name", new TypedState<>(GCounter.TYPE, GCounter.empty()))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keysArePagedInAscendingOrder() {
    long seed = 42;
    Random random = new Random(seed);
    Set<String> names = new TreeSet<>();
    while (names.size() < 57) {
      names.add("key-" + Integer.toString(random.nextInt(1_000_000), 36));
    }
    List<CompletableFuture<?>> writes = new ArrayList<>();
    for (String name : names) {
      writes.add(store.update(Key.gCounter(name), GCounter.incrementBy(1)));
    }
    writes.forEach(ReplicaStoreContract::await);
    // Rewriting keys does not add keys.
    await(store.update(Key.gCounter(names.iterator().next()), GCounter.incrementBy(1)));

    List<String> paged = new ArrayList<>();
    String after = null;
    while (true) {
      List<String> page = await(store.keys(after, 10));
      assertThat(page.size()).as("seed %s", seed).isLessThanOrEqualTo(10);
      if (page.isEmpty()) {
        break;
      }
      paged.addAll(page);
      after = page.get(page.size() - 1);
    }
    assertThat(paged).as("seed %s", seed).containsExactlyElementsOf(names);
    assertThat(store.keyCount()).isEqualTo(names.size());
    assertThat(await(store.keys(null, 0))).isEmpty();
    assertThat(await(store.keys("key-", 3))).containsExactlyElementsOf(paged.subList(0, 3));
    assertThat(await(store.keys(paged.get(10), 2)))
        .containsExactlyElementsOf(paged.subList(11, 13));
    assertThat(await(store.keys("zzz", 10))).isEmpty();
    assertThat(failure(store.keys(null, -1))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aWriteThatChangesNothingCreatesNoKey() {
    assertThat(await(store.update(SET, ORSet.removing("absent"))).state().isEmpty()).isTrue();
    assertThat(await(store.merge(G, GCounter.empty())).changed()).isFalse();
    assertThat(store.keyCount()).isZero();
    assertThat(await(store.read("set"))).isEmpty();
  }

  @Test
  void concurrentIncrementsAllCount() throws Exception {
    int threads = 8;
    int perThread = 300;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    List<CompletableFuture<?>> writes = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < threads; t++) {
      Key<PNCounter> own = Key.pnCounter("own-" + t);
      Thread worker =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
                for (int i = 0; i < perThread; i++) {
                  writes.add(store.update(PN, PNCounter.incrementBy(1)));
                  writes.add(store.update(own, PNCounter.incrementBy(1)));
                  if (i % 50 == 0) {
                    await(store.update(own, PNCounter.incrementBy(0))); // some wait, most pipeline
                  }
                }
              });
      worker.start();
      workers.add(worker);
    }
    start.countDown();
    for (Thread worker : workers) {
      worker.join();
    }
    new ArrayList<>(writes).forEach(ReplicaStoreContract::await);
    assertThat(await(store.read(PN)).value()).isEqualTo((long) threads * perThread);
    for (int t = 0; t < threads; t++) {
      assertThat(await(store.read(Key.pnCounter("own-" + t))).value()).isEqualTo(perThread);
    }
    assertThat(store.keyCount()).isEqualTo(threads + 1);
  }

  @Test
  void aClosedStoreFailsEveryOperationWithClosed() {
    await(store.update(G, GCounter.incrementBy(1)));
    store.close();
    store.close(); // idempotent
    assertThat(failure(store.read(G))).isInstanceOf(StoreException.Closed.class);
    assertThat(failure(store.read("g"))).isInstanceOf(StoreException.Closed.class);
    assertThat(failure(store.update(G, GCounter.incrementBy(1))))
        .isInstanceOf(StoreException.Closed.class);
    assertThat(failure(store.merge(G, GCounter.empty()))).isInstanceOf(StoreException.Closed.class);
    assertThat(failure(store.merge("g", new TypedState<>(GCounter.TYPE, GCounter.empty()))))
        .isInstanceOf(StoreException.Closed.class);
    assertThat(failure(store.keys(null, 1))).isInstanceOf(StoreException.Closed.class);
  }

  @Test
  void aCallbackMayWaitForAnotherOperationOfTheStore() {
    CompletableFuture<Long> nested =
        store
            .update(PN, PNCounter.incrementBy(1))
            .thenApply(m -> store.update(PN, PNCounter.incrementBy(1)).join().state().value());
    assertThat(await(nested)).isEqualTo(2);
    CompletableFuture<Long> viaRead =
        store.read(Key.pnCounter("cold")).thenApply(c -> store.read(PN).join().value());
    assertThat(await(viaRead)).isEqualTo(2);
  }

  @Test
  void aThrowingMutatorFailsOnlyItsOwnWrite() {
    IllegalStateException boom = new IllegalStateException("boom");
    CompletableFuture<Mutation<PNCounter>> before = store.update(PN, PNCounter.incrementBy(1));
    CompletableFuture<Mutation<PNCounter>> failing =
        store.update(
            PN,
            (counter, ctx) -> {
              throw boom;
            });
    CompletableFuture<Mutation<PNCounter>> nulling = store.update(PN, (counter, ctx) -> null);
    CompletableFuture<Mutation<PNCounter>> after = store.update(PN, PNCounter.incrementBy(1));
    assertThat(await(before).state().value()).isEqualTo(1);
    assertThat(failure(failing)).isSameAs(boom);
    assertThat(failure(nulling)).isInstanceOf(NullPointerException.class);
    assertThat(await(after).state().value()).isEqualTo(2);
    assertThat(await(store.read(PN)).value()).isEqualTo(2);
  }
}
