package dev.converge.crdt.laws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.CrdtType;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.codec.ValueCodec;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * LWW-Register: the value of the write with the highest (timestamp, replica); and a write that
 * happened after another always carries the higher stamp, whatever the wall clocks do (the
 * simulation's clocks are skewed by up to a minute and jump backwards). A prune of the winning
 * write's replica stands for the owner writing the same value again, one tick later.
 */
class LWWRegisterLawsTest extends PruningLaws<LWWRegister<String>> {

  @Override
  protected CrdtType<LWWRegister<String>> type() {
    return LWWRegister.type(ValueCodec.string());
  }

  @Override
  protected Op<LWWRegister<String>> randomOp(Random random, LWWRegister<String> current) {
    String value = "v" + random.nextInt(20);
    return new Op<>("assign", value, LWWRegister.assigning(value));
  }

  @Override
  protected Object value(LWWRegister<String> state) {
    return state.value();
  }

  private static final Comparator<LWWRegister<String>> BY_STAMP =
      Comparator.comparingLong((LWWRegister<String> r) -> r.timestamp())
          .thenComparing(r -> r.writer().orElseThrow());

  @Override
  protected Object specValue(List<ReplicaSimulation.Performed<LWWRegister<String>>> history) {
    for (var later : history) {
      for (var earlier : history) {
        if (later.past().get(earlier.id())) {
          assertThat(BY_STAMP.compare(earlier.mutation().state(), later.mutation().state()))
              .as("a write after another has the higher stamp")
              .isNegative();
        }
      }
    }
    return history.stream()
        .map(p -> p.mutation().state())
        .max(BY_STAMP)
        .flatMap(LWWRegister::value)
        .map(Optional::of)
        .orElse(Optional.empty());
  }

  @Override
  protected List<Op<LWWRegister<String>>> pruneAsUpdates(
      LWWRegister<String> ownerState, ReplicaId removed, LWWRegister<String> pruned) {
    if (!ownerState.writer().equals(Optional.of(removed))) {
      return List.of();
    }
    String value = ownerState.value().orElseThrow();
    return List.of(new Op<>("assign", value, LWWRegister.assigning(value)));
  }

  @Override
  protected boolean cleanupCommutesWithMerge() {
    return false;
  }
}
