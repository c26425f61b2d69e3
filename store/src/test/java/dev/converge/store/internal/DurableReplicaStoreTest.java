package dev.converge.store.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.crdt.GCounter;
import dev.converge.crdt.Key;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.ValueCodec;
import dev.converge.store.Durability;
import dev.converge.store.NodeIdentity;
import dev.converge.store.ReplicaStore;
import dev.converge.store.ReplicaStoreContract;
import dev.converge.store.ReplicaStores;
import dev.converge.store.StoreException;
import dev.converge.store.StoreOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract against the durable store, plus what only a durable store promises. */
class DurableReplicaStoreTest extends ReplicaStoreContract {

  @TempDir Path temp;

  @Override
  protected StoreOptions implementationOptions() {
    return new StoreOptions().setDataDir(temp.resolve("data"));
  }

  private ReplicaStore reopen(StoreOptions options) {
    store.close();
    store = ReplicaStores.open(options);
    return store;
  }

  private DurableReplicaStore durable() {
    return (DurableReplicaStore) store;
  }

  @Test
  void propertiesSurviveAReopenAndBadNamesAreRefused() {
    await(store.putProperty("prune.epoch", "3"));
    await(store.putProperty("prune.epoch", "4"));
    reopen(options());
    assertThat(store.property("prune.epoch")).contains("4");
    assertThat(store.property("other")).isEmpty();
    assertThat(failure(store.putProperty("bad name!", "x")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRewriteIsDurableAndItsOldLogIsNeverJoinedBack() {
    ReplicaId peer = ReplicaId.of("peer.1");
    Key<GCounter> g = Key.gCounter("g");
    reopen(options().setCompactionMinBytes(1 << 20)); // keep every delta in the log
    for (int i = 0; i < 5; i++) {
      await(store.update(g, GCounter.incrementBy(1)));
    }
    await(store.merge(g, GCounter.empty().increment(peer, 7).state()));
    ReplicaId self = store.identity().replicaId();
    await(
        store.rewrite(
            "g", s -> new TypedState<>(g.type(), g.type().cast(s.state()).prune(peer, self))));
    await(store.update(g, GCounter.incrementBy(1)));
    reopen(options());
    GCounter after = await(store.read(g));
    assertThat(after.value()).isEqualTo(13);
    assertThat(after.replicas()).containsExactly(self);
  }

  @Test
  void reopeningKeepsEveryKeyAndTheIdentity() {
    NodeIdentity identity = store.identity();
    await(store.update(G, GCounter.incrementBy(2)));
    await(store.update(PN, PNCounter.decrementBy(3)));
    await(store.update(SET, ORSet.adding("a")));
    await(store.update(SET, ORSet.adding("b")));
    await(store.update(REG, LWWRegister.assigning("v")));
    ORSet<String> set = await(store.read(SET));
    LWWRegister<String> reg = await(store.read(REG));

    reopen(options());

    assertThat(store.identity()).isEqualTo(identity);
    assertThat(store.keyCount()).isEqualTo(4);
    assertThat(await(store.keys(null, 10))).containsExactly("g", "pn", "reg", "set");
    assertThat(await(store.read(G)).value()).isEqualTo(2);
    assertThat(await(store.read(PN)).value()).isEqualTo(-3);
    assertThat(await(store.read(SET))).isEqualTo(set);
    assertThat(await(store.read(REG))).isEqualTo(reg);
    // New writes continue the same replica's entries.
    assertThat(
            await(store.update(G, GCounter.incrementBy(1))).state().valueOf(identity.replicaId()))
        .isEqualTo(3);
  }

  @Test
  void aStoreOpenedWithDurabilityNoneKeepsWritesAndIdentityAfterACleanClose() {
    reopen(options().setDurability(Durability.NONE));
    NodeIdentity identity = store.identity();
    for (int i = 0; i < 100; i++) {
      store.update(PN, PNCounter.incrementBy(1));
    }
    await(store.update(PN, PNCounter.incrementBy(1)));
    reopen(options());
    assertThat(store.identity()).isEqualTo(identity);
    assertThat(await(store.read(PN)).value()).isEqualTo(101);
  }

  @Test
  void theLogIsFoldedIntoTheStateAndSurvivesReopen() {
    reopen(options().setCompactionMinBytes(512));
    int writes = 2_000;
    int maxLogged = 0;
    List<CompletableFuture<?>> futures = new ArrayList<>();
    for (int i = 0; i < writes; i++) {
      futures.add(store.update(PN, PNCounter.incrementBy(1)));
      if (i % 100 == 99) {
        futures.forEach(ReplicaStoreContract::await);
        futures.clear();
        maxLogged = Math.max(maxLogged, durable().loggedDeltaCount("pn"));
      }
    }
    futures.forEach(ReplicaStoreContract::await);
    assertThat(await(store.read(PN)).value()).isEqualTo(writes);
    // A counter delta is some tens of bytes: 512 bytes hold a few dozen, never 2,000.
    assertThat(maxLogged).isBetween(1, 60);

    reopen(options().setCompactionMinBytes(512));
    assertThat(durable().loggedDeltaCount("pn")).as("folded at clean close").isZero();
    assertThat(await(store.read(PN)).value()).isEqualTo(writes);
    await(store.update(PN, PNCounter.incrementBy(1)));
    assertThat(durable().loggedDeltaCount("pn")).isEqualTo(1);
    assertThat(await(store.read(PN)).value()).isEqualTo(writes + 1);
  }

  @Test
  void anAddToAMillionElementSetDoesNotRewriteTheSet() {
    int size = 1_000_000;
    ReplicaId other = ReplicaId.of("filler.1");
    ORSet<String> big = ORSet.empty();
    for (int i = 0; i < size; i++) {
      big = big.add(other, "element-" + i).state();
    }
    long stateBytes = store instanceof DurableReplicaStore ? encodedSize(big) : 0;
    await(store.merge(SET, big));
    long before = durable().fileSize();

    int adds = 1_000;
    for (int i = 0; i < adds; i++) {
      await(store.update(SET, ORSet.adding("new-" + i))); // one commit per add
    }
    long growth = durable().fileSize() - before;
    System.out.printf(
        "ORSet of %,d elements: state %,d bytes; %,d adds grew the file by %,d bytes (%,d per add)%n",
        size, stateBytes, adds, growth, growth / adds);
    // Rewriting the set per add would write adds * stateBytes; a delta is some tens of bytes plus
    // MVStore's per-commit pages (a few KiB). Demand less than 1% of the rewrite cost.
    assertThat(growth).isLessThan(adds * stateBytes / 100);
    assertThat(durable().loggedDeltaCount("set")).isEqualTo(adds);

    reopen(options());
    ORSet<String> reread = await(store.read(SET));
    assertThat(reread.size()).isEqualTo(size + adds);
    assertThat(reread.contains("element-123456")).isTrue();
    assertThat(reread.contains("new-999")).isTrue();
  }

  private static long encodedSize(ORSet<String> set) {
    return dev.converge.crdt.codec.CrdtCodec.standard().encode(SET.type(), set).length;
  }

  @Test
  void closingFromACallbackDoesNotDeadlock() {
    await(store.update(G, GCounter.incrementBy(1)).thenRun(store::close));
    store.close(); // waits for the close the callback started
    assertThat(failure(store.read(G))).isInstanceOf(StoreException.Closed.class);
    assertThat(temp.resolve("data").resolve(FileSeal.SEAL_FILE)).exists();
    store = ReplicaStores.open(options());
    assertThat(await(store.read(G)).value()).isEqualTo(1);
  }

  @Test
  void aDirectoryOfAnotherNodeIsRefused() {
    await(store.update(G, GCounter.incrementBy(1)));
    NodeIdentity identity = store.identity();
    store.close();
    assertThatThrownBy(() -> ReplicaStores.open(options().setNodeId("n2")))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("belongs to node \"n1\", not \"n2\"");
    // The refused open changed nothing: the file still matches its seal.
    assertThat(temp.resolve("data").resolve(FileSeal.SEAL_FILE)).exists();
    store = ReplicaStores.open(options());
    assertThat(store.identity()).isEqualTo(identity);
    assertThat(await(store.read(G)).value()).isEqualTo(1);
  }

  @Test
  void aDirectoryInUseIsRefused() {
    assertThatThrownBy(() -> ReplicaStores.open(options()))
        .isInstanceOf(StoreException.class)
        .isNotInstanceOf(StoreException.Corrupted.class)
        .hasMessageContaining("in use");
  }

  @Test
  void aTypeTheCodecCannotReadBackIsRefused() {
    ValueCodec<String> upper =
        ValueCodec.of(
            "upper",
            (out, s) -> out.writeString(s),
            in -> in.readString(),
            Comparator.<String>naturalOrder());
    Key<ORSet<String>> key = Key.orSet("custom", upper);
    assertThat(failure(store.update(key, ORSet.adding("X"))))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("orset:upper");
    assertThat(store.keyCount()).isZero();
  }

  /*
   * Readers race with the writer through a one-entry cache, so nearly every read misses, loads
   * from the file while the writer appends and folds (a fold per write or two), and offers a fill.
   * A stale fill or a torn load would show up as a value going backwards or below an acknowledged
   * write.
   */
  @Test
  void readsNeverGoBackwardsWhileWritesAndFoldsRun() throws Exception {
    reopen(options().setCacheMaxEntries(1).setCompactionMinBytes(1));
    long seed = 7;
    Random random = new Random(seed);
    List<Key<PNCounter>> keys = List.of(Key.pnCounter("a"), Key.pnCounter("b"), Key.pnCounter("c"));
    int writes = 1_500;
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<Throwable> problem = new AtomicReference<>();
    long[] acknowledged = new long[keys.size()];
    List<Thread> readers = new ArrayList<>();
    for (int r = 0; r < 3; r++) {
      Thread reader =
          new Thread(
              () -> {
                long[] last = new long[keys.size()];
                try {
                  while (!done.get()) {
                    for (int k = 0; k < keys.size(); k++) {
                      long floor;
                      synchronized (acknowledged) {
                        floor = acknowledged[k];
                      }
                      long value = await(store.read(keys.get(k))).value();
                      if (value < last[k] || value < floor) {
                        throw new AssertionError(
                            "seed "
                                + seed
                                + ": key "
                                + keys.get(k)
                                + " read "
                                + value
                                + " after "
                                + last[k]
                                + " (acknowledged "
                                + floor
                                + ")");
                      }
                      last[k] = value;
                    }
                  }
                } catch (Throwable t) {
                  problem.compareAndSet(null, t);
                }
              });
      reader.start();
      readers.add(reader);
    }
    for (int i = 0; i < writes; i++) {
      int k = random.nextInt(keys.size());
      Mutation<PNCounter> m = await(store.update(keys.get(k), PNCounter.incrementBy(1)));
      synchronized (acknowledged) {
        acknowledged[k] = Math.max(acknowledged[k], m.state().value());
      }
      long readBack = await(store.read(keys.get(k))).value();
      assertThat(readBack)
          .as("seed %s: read your write", seed)
          .isGreaterThanOrEqualTo(m.state().value());
    }
    done.set(true);
    for (Thread reader : readers) {
      reader.join();
    }
    assertThat(problem.get()).as("seed %s", seed).isNull();
    long total = 0;
    for (int k = 0; k < keys.size(); k++) {
      total += await(store.read(keys.get(k))).value();
    }
    assertThat(total).isEqualTo(writes);
  }
}
