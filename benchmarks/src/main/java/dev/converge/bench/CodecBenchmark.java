package dev.converge.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.crdt.codec.ValueCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding and decoding an OR-Set state of {@code size} elements, binary (Smile, the wire and disk
 * format) and JSON, plus a one-element delta (what ships per write). Baseline: Jackson writing and
 * reading a plain {@code List<String>} of the same elements as JSON, so results read as the
 * overhead of the CRDT's causal metadata.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar CodecBenchmark -f 3 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CodecBenchmark {

  @Param({"10", "1000", "100000", "1000000"})
  public int size;

  private static final ReplicaId REPLICA = ReplicaId.of("bench");
  private static final CrdtCodec CODEC = CrdtCodec.standard();
  private static final ObjectMapper JACKSON = new ObjectMapper();

  private final dev.converge.crdt.CrdtType<ORSet<String>> type = ORSet.type(ValueCodec.string());
  private ORSet<String> set;
  private ORSet<String> delta;
  private byte[] binary;
  private String json;
  private List<String> plain;
  private String plainJson;

  @Setup(Level.Trial)
  public void fill() throws JsonProcessingException {
    ORSet<String> s = ORSet.empty();
    plain = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      s = s.add(REPLICA, "element-" + i).state();
      plain.add("element-" + i);
    }
    set = s;
    delta = s.add(REPLICA, "fresh").delta();
    binary = CODEC.encode(type, set);
    json = CODEC.encodeJson(type, set);
    plainJson = JACKSON.writeValueAsString(plain);
  }

  @Benchmark
  public byte[] encodeBinary() {
    return CODEC.encode(type, set);
  }

  @Benchmark
  public TypedState<?> decodeBinary() {
    return CODEC.decode(binary);
  }

  @Benchmark
  public String encodeJson() {
    return CODEC.encodeJson(type, set);
  }

  @Benchmark
  public TypedState<?> decodeJson() {
    return CODEC.decodeJson(json);
  }

  /** A one-element add delta, encoded and decoded: the per-write wire cost. */
  @Benchmark
  public TypedState<?> deltaRoundTripBinary() {
    return CODEC.decode(CODEC.encode(type, delta));
  }

  /** Baseline: Jackson writing the plain element list as JSON. */
  @Benchmark
  public String baselineJacksonWriteList() throws JsonProcessingException {
    return JACKSON.writeValueAsString(plain);
  }

  /** Baseline: Jackson reading the plain element list from JSON. */
  @Benchmark
  public Object baselineJacksonReadList() throws JsonProcessingException {
    return JACKSON.readValue(plainJson, List.class);
  }
}
