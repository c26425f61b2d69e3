package dev.converge.store.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.crdt.GCounter;
import dev.converge.crdt.Key;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.codec.ValueCodec;
import dev.converge.store.ReplicaStore;
import dev.converge.store.ReplicaStores;
import dev.converge.store.StoreException;
import dev.converge.store.StoreOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.StringDataType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A damaged file is reported, never read as a smaller state. Decision (docs/decisions/0005): a
 * cleanly closed file is sealed (length + CRC32C); any truncation or flipped bit of it fails the
 * next open with {@link StoreException.Corrupted} naming the file. Without a seal (after a crash)
 * MVStore's own recovery applies, and a damaged record fails the read of its key, naming the key.
 */
class CorruptionTest {

  private static final Key<PNCounter> COUNTER = Key.pnCounter("counter");
  private static final Key<ORSet<String>> SET = Key.orSet("set", ValueCodec.string());

  @TempDir Path temp;
  private Path dir;
  private Path file;
  private byte[] pristine;

  @BeforeEach
  void writeAndCloseAStore() throws Exception {
    dir = temp.resolve("data");
    file = dir.resolve(StoreTables.DATA_FILE);
    try (ReplicaStore store = open()) {
      for (int i = 0; i < 200; i++) {
        get(store.update(Key.gCounter("g-" + i), GCounter.incrementBy(i + 1)));
      }
      for (int i = 0; i < 50; i++) {
        get(store.update(COUNTER, PNCounter.incrementBy(1)));
        get(store.update(SET, ORSet.adding("e" + i)));
      }
    }
    pristine = Files.readAllBytes(file);
    assertThat(dir.resolve(FileSeal.SEAL_FILE)).exists();
  }

  @Test
  void theUntouchedFileReopensWithEverything() throws Exception {
    try (ReplicaStore store = open()) {
      assertThat(get(store.read(COUNTER)).value()).isEqualTo(50);
      assertThat(get(store.read(SET)).size()).isEqualTo(50);
      assertThat(get(store.read(Key.gCounter("g-199"))).value()).isEqualTo(200);
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {-1, -100, -4096, -5000, 2, 3, 8192, 4096, 100, 0})
  void aTruncatedFileFailsToOpen(long cut) throws Exception {
    // Negative: bytes cut from the end; 2, 3: half, a third; others: absolute lengths.
    long length =
        cut < 0 ? pristine.length + cut : cut == 2 || cut == 3 ? pristine.length / cut : cut;
    Files.write(file, Arrays.copyOf(pristine, (int) length));
    assertCorrupted();
  }

  @Test
  void flippedBitsFailToOpen() throws Exception {
    long seed = 1234;
    Random random = new Random(seed);
    for (int i = 0; i < 25; i++) {
      byte[] damaged = pristine.clone();
      int position = random.nextInt(damaged.length);
      damaged[position] ^= (byte) (1 << random.nextInt(8));
      Files.write(file, damaged);
      int at = position;
      assertThatThrownBy(this::open)
          .as("seed %s, bit flip at %s", seed, at)
          .isInstanceOf(StoreException.Corrupted.class)
          .hasMessageContaining(file.toString());
    }
    Files.write(file, pristine);
    try (ReplicaStore store = open()) {
      assertThat(get(store.read(COUNTER)).value()).isEqualTo(50);
    }
  }

  @Test
  void aMissingFileWithASealFailsToOpen() throws Exception {
    Files.delete(file);
    assertCorrupted();
  }

  @Test
  void aDamagedSealFailsToOpen() throws Exception {
    Path seal = dir.resolve(FileSeal.SEAL_FILE);
    Files.writeString(seal, Files.readString(seal).replace("length=", "length=1"));
    assertThatThrownBy(this::open)
        .isInstanceOf(StoreException.Corrupted.class)
        .hasMessageContaining(seal.toString());
  }

  /* After a crash there is no seal; a record damaged on disk must still not read as a value. */
  @Test
  void aDamagedRecordFailsTheReadOfItsKeyNamingIt() throws Exception {
    Files.delete(dir.resolve(FileSeal.SEAL_FILE));
    MVStore raw = new MVStore.Builder().fileName(file.toString()).autoCommitDisabled().open();
    MVMap.Builder<String, byte[]> records =
        new MVMap.Builder<String, byte[]>()
            .keyType(StringDataType.INSTANCE)
            .valueType(ByteArrayDataType.INSTANCE);
    MVMap<String, byte[]> states = raw.openMap("states", records);
    byte[] record = states.get("counter").clone();
    record[record.length - 2] ^= 0x01; // inside the encoded counter value: still decodes
    states.put("counter", record);
    MVMap<String, byte[]> deltas = raw.openMap("deltas", records);
    String setDelta = null;
    for (String k : deltas.keySet()) {
      if (k.startsWith("g-7\0")) {
        setDelta = k;
      }
    }
    assertThat(setDelta).isNotNull();
    deltas.put(setDelta, Arrays.copyOf(deltas.get(setDelta), 7));
    raw.commit();
    raw.close();

    try (ReplicaStore store = open()) {
      Throwable counterFailure = failure(store.read(COUNTER));
      assertThat(counterFailure)
          .isInstanceOf(StoreException.Corrupted.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining("\"counter\"");
      assertThat(failure(store.update(COUNTER, PNCounter.incrementBy(1))))
          .isInstanceOf(StoreException.Corrupted.class);
      assertThat(failure(store.read(Key.gCounter("g-7"))))
          .isInstanceOf(StoreException.Corrupted.class)
          .hasMessageContaining("\"g-7\"");
      // Other keys are unharmed and writable.
      assertThat(get(store.read(SET)).size()).isEqualTo(50);
      assertThat(get(store.update(Key.gCounter("g-8"), GCounter.incrementBy(1))).state().value())
          .isEqualTo(10);
    }
  }

  private void assertCorrupted() {
    assertThatThrownBy(this::open)
        .isInstanceOf(StoreException.Corrupted.class)
        .hasMessageContaining(file.toString())
        .satisfies(e -> assertThat(((StoreException.Corrupted) e).file()).isEqualTo(file));
  }

  private ReplicaStore open() {
    return ReplicaStores.open(new StoreOptions().setNodeId("c").setDataDir(dir));
  }

  private static <T> T get(CompletableFuture<T> future) throws Exception {
    return future.get(60, TimeUnit.SECONDS);
  }

  private static Throwable failure(CompletableFuture<?> future) throws Exception {
    try {
      future.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected a failure");
  }
}
