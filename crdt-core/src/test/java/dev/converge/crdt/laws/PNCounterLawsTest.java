package dev.converge.crdt.laws;

import dev.converge.crdt.CrdtType;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import java.util.List;
import java.util.Random;

/** PN-Counter: the value is the sum of every increment minus every decrement, each once. */
class PNCounterLawsTest extends PruningLaws<PNCounter> {

  @Override
  protected CrdtType<PNCounter> type() {
    return PNCounter.TYPE;
  }

  @Override
  protected Op<PNCounter> randomOp(Random random, PNCounter current) {
    long amount = random.nextInt(21) - 10;
    return random.nextBoolean()
        ? new Op<>("increment", amount, PNCounter.incrementBy(amount))
        : new Op<>("decrement", -amount, PNCounter.decrementBy(amount));
  }

  @Override
  protected Object value(PNCounter state) {
    return state.value();
  }

  @Override
  protected Object specValue(List<ReplicaSimulation.Performed<PNCounter>> history) {
    return history.stream().mapToLong(p -> (Long) p.op().argument()).sum();
  }

  /** A counter's prune moves counts between entries: it stands for no update. */
  @Override
  protected List<Op<PNCounter>> pruneAsUpdates(
      PNCounter ownerState, ReplicaId removed, PNCounter pruned) {
    return List.of();
  }
}
