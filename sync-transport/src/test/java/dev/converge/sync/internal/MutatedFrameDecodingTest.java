package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.sync.SyncOptions;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The fuzz inputs of {@link FrameFuzzTest}, decoded in-process by the node's decoders (through
 * {@link NodeModel}) without sockets: a fast complement to the live fuzz, where a decoder that
 * throws anything but a {@link ProtocolException} fails with its own stack trace, and where every
 * CRDT state the decoders accept must re-encode to an equal state. Seed: {@code
 * -Dconverge.fuzz.seed}.
 */
class MutatedFrameDecodingTest {

  private static final long SEED = Long.getLong("converge.fuzz.seed", FrameFuzzTest.DEFAULT_SEED);
  private static final int INPUTS = 100_000;
  private static final int MAX_FRAME_BYTES = 256 * 1024;
  private static final CrdtCodec CODEC = CrdtCodec.standard();

  /** Before the handshake, and from an admitted peer. */
  @Test
  void everyMutatedInputIsDecodedOrRefusedWithAProtocolException() {
    FuzzCorpus corpus = new FuzzCorpus(new Random(SEED), List.of("base-g-0"), List.of(), "n0");
    NodeModel.Target node =
        new NodeModel.Target(
            SyncOptions.DEFAULT_CLUSTER_NAME, "n0", MAX_FRAME_BYTES, CODEC, Set.of());
    for (boolean admitted : new boolean[] {false, true}) {
      Random r = new Random(SEED + (admitted ? 1 : 0));
      FrameMutator mutator = new FrameMutator(r, corpus, admitted, MAX_FRAME_BYTES);
      int merged = 0;
      int refused = 0;
      for (int i = 0; i < INPUTS; i++) {
        byte[] input = mutator.next();
        NodeModel model = admitted ? NodeModel.admitted(node) : NodeModel.connection(node);
        try {
          model.feed(input);
          for (Map.Entry<String, TypedState<?>> e : model.merged()) {
            assertThat(CODEC.decode(CODEC.encode(e.getValue())).state())
                .as("accepted state re-encoded and decoded")
                .isEqualTo(e.getValue().state());
            merged++;
          }
        } catch (RuntimeException | AssertionError e) {
          throw new AssertionError(
              String.format(
                  "[seed %d] input %d (%s, %s): %s%n  bytes: %s",
                  SEED,
                  i,
                  admitted ? "admitted" : "handshake",
                  mutator.strategy(),
                  e,
                  HexFormat.of().formatHex(input, 0, Math.min(input.length, 400))),
              e);
        }
        refused += model.protocolErrors();
      }
      assertThat(refused).as("inputs refused (%s)", admitted).isPositive();
      if (admitted) {
        assertThat(merged).as("states accepted from mutated frames").isPositive();
      }
    }
  }
}
