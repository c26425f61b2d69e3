package dev.converge.crdt.codec;

import static dev.converge.crdt.codec.CodecFixtures.LWW_LONG;
import static dev.converge.crdt.codec.CodecFixtures.LWW_STRING;
import static dev.converge.crdt.codec.CodecFixtures.ORSET_LONG;
import static dev.converge.crdt.codec.CodecFixtures.ORSET_STRING;
import static dev.converge.crdt.codec.CodecFixtures.hex;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.GCounter;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.causal.HybridLogicalClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Pins the released wire format: each named state must encode to exactly the bytes of its golden
 * files, and the golden files must decode to the state. A failure here means the format changed:
 * never edit or regenerate a released golden file, add a new format version instead (see
 * src/test/resources/golden/README.md).
 *
 * <p>The files are written only with {@code -Dconverge.golden.write=true}.
 */
class GoldenVectorsTest {

  private static final String WRITE_PROPERTY = "converge.golden.write";
  private static final boolean WRITE = Boolean.getBoolean(WRITE_PROPERTY);
  private static final Path DIR =
      Path.of(System.getProperty("basedir", "."), "src", "test", "resources", "golden");
  private static final String HOW_TO_GENERATE =
      "generate it with `./mvnw -pl crdt-core test -Dspotless.check.skip=true"
          + " -Dtest=GoldenVectorsTest -D"
          + WRITE_PROPERTY
          + "=true`, review it and check it in; never regenerate a released file";

  private static final CrdtCodec CODEC = CrdtCodec.standard();
  private static final ReplicaId A = ReplicaId.of("replica-a");
  private static final ReplicaId B = ReplicaId.of("replica-b");
  private static final long WALL_CLOCK = 1_700_000_000_000L;

  /** One named state and its type. */
  record Vector<T extends Crdt<T>>(String name, CrdtType<T> type, T state) {}

  static List<Vector<?>> vectors() {
    List<Vector<?>> v = new ArrayList<>();

    v.add(new Vector<>("gcounter-empty", GCounter.TYPE, GCounter.empty()));
    GCounter g = GCounter.empty().increment(A, 3).state().increment(B, 5).state();
    g = g.increment(A, 1_000_000).state();
    v.add(new Vector<>("gcounter-two-replicas", GCounter.TYPE, g));

    v.add(new Vector<>("pncounter-empty", PNCounter.TYPE, PNCounter.empty()));
    PNCounter pn = PNCounter.empty().increment(A, 10).state().decrement(B, 4).state();
    pn = pn.decrement(A, 3).state().increment(B, 70_000).state();
    v.add(new Vector<>("pncounter-increments-decrements", PNCounter.TYPE, pn));

    v.add(new Vector<>("orset-string-empty", ORSET_STRING, ORSet.<String>empty()));
    ORSet<String> onA = ORSet.<String>empty().add(A, "apple").state().add(A, "banana").state();
    onA = onA.add(A, "cherry").state().remove("cherry").state();
    ORSet<String> onB = ORSet.<String>empty().add(B, "banana").state().add(B, "date").state();
    ORSet<String> set = onA.merge(onB);
    v.add(new Vector<>("orset-string-state", ORSET_STRING, set));
    v.add(new Vector<>("orset-string-add-delta", ORSET_STRING, set.add(A, "elderberry").delta()));
    v.add(new Vector<>("orset-string-remove-delta", ORSET_STRING, set.remove("banana").delta()));
    v.add(new Vector<>("orset-string-empty-delta", ORSET_STRING, set.remove("zucchini").delta()));

    v.add(new Vector<>("orset-long-empty", ORSET_LONG, ORSet.<Long>empty()));
    ORSet<Long> longs = ORSet.<Long>empty().add(A, 42L).state().add(A, -7L).state();
    longs = longs.add(B, Long.MIN_VALUE).state().add(B, Long.MAX_VALUE).state();
    v.add(new Vector<>("orset-long-state", ORSET_LONG, longs));

    HybridLogicalClock clockA = new HybridLogicalClock(() -> WALL_CLOCK);
    HybridLogicalClock clockB = new HybridLogicalClock(() -> WALL_CLOCK);
    v.add(new Vector<>("lww-string-empty", LWW_STRING, LWWRegister.<String>empty()));
    LWWRegister<String> hello = LWWRegister.<String>empty().assign("hello", A, clockA).state();
    v.add(new Vector<>("lww-string-assigned", LWW_STRING, hello));
    v.add(
        new Vector<>(
            "lww-string-overwritten",
            LWW_STRING,
            hello.assign("w\u00f6rld \ud83d\ude00", B, clockB).state()));

    v.add(new Vector<>("lww-long-empty", LWW_LONG, LWWRegister.<Long>empty()));
    v.add(
        new Vector<>(
            "lww-long-assigned",
            LWW_LONG,
            LWWRegister.<Long>empty().assign(-9_007_199_254_740_993L, A, clockA).state()));
    return v;
  }

  @TestFactory
  Stream<DynamicTest> encodingsMatchGoldenFilesAndDecodeBack() {
    return vectors().stream().map(v -> DynamicTest.dynamicTest(v.name(), () -> check(v)));
  }

  private static <T extends Crdt<T>> void check(Vector<T> v) throws IOException {
    byte[] binary = CODEC.encode(v.type(), v.state());
    byte[] json = (CODEC.encodeJson(v.type(), v.state()) + "\n").getBytes(UTF_8);
    Path binaryFile = DIR.resolve(v.name() + ".smile");
    Path jsonFile = DIR.resolve(v.name() + ".json");
    if (WRITE) {
      Files.createDirectories(DIR);
      Files.write(binaryFile, binary);
      Files.write(jsonFile, json);
    }
    byte[] goldenBinary = read(binaryFile);
    byte[] goldenJson = read(jsonFile);

    assertThat(binary)
        .as(
            "binary encoding of %s changed: golden %s, now %s",
            v.name(), hex(goldenBinary), hex(binary))
        .isEqualTo(goldenBinary);
    assertThat(new String(json, UTF_8))
        .as("JSON encoding of %s changed", v.name())
        .isEqualTo(new String(goldenJson, UTF_8));
    assertThat(json).as("JSON bytes of %s", v.name()).isEqualTo(goldenJson);

    T fromBinary = CODEC.decode(goldenBinary, v.type());
    String text = new String(goldenJson, UTF_8);
    TypedState<?> fromJson = CODEC.decodeJson(text.substring(0, text.length() - 1));
    assertThat(fromJson.type().tag()).as(v.name()).isEqualTo(v.type().tag());
    T fromJsonState = fromJson.as(v.type());
    assertThat(fromBinary).as("%s decoded from its golden binary", v.name()).isEqualTo(v.state());
    assertThat(fromJsonState).as("%s decoded from its golden JSON", v.name()).isEqualTo(v.state());
    if (v.state() instanceof ORSet<?> expected) {
      assertThat(((ORSet<?>) fromBinary).isDelta()).as(v.name()).isEqualTo(expected.isDelta());
      assertThat(((ORSet<?>) fromJsonState).isDelta()).as(v.name()).isEqualTo(expected.isDelta());
    }
  }

  private static byte[] read(Path file) throws IOException {
    if (!Files.exists(file)) {
      fail("golden file %s is missing: %s", file, HOW_TO_GENERATE);
    }
    return Files.readAllBytes(file);
  }

  @Test
  void everyGoldenFileBelongsToAVector() throws IOException {
    Set<String> expected = new TreeSet<>();
    for (Vector<?> v : vectors()) {
      expected.add(v.name() + ".smile");
      expected.add(v.name() + ".json");
    }
    if (!Files.isDirectory(DIR)) {
      fail("golden directory %s is missing: %s", DIR, HOW_TO_GENERATE);
    }
    Set<String> present;
    try (Stream<Path> files = Files.list(DIR)) {
      present =
          files
              .map(p -> p.getFileName().toString())
              .filter(name -> name.endsWith(".smile") || name.endsWith(".json"))
              .collect(Collectors.toCollection(TreeSet::new));
    }
    assertThat(present)
        .as("golden files without a vector (a vector was renamed or removed?) in %s", DIR)
        .isSubsetOf(expected);
  }

  @Test
  void vectorNamesAreUnique() {
    List<String> names = vectors().stream().map(Vector::name).toList();
    assertThat(names).doesNotHaveDuplicates();
  }
}
