package dev.converge.crdt.laws;

import dev.converge.crdt.CrdtType;
import dev.converge.crdt.GCounter;
import dev.converge.crdt.ReplicaId;
import java.util.List;
import java.util.Random;

/** G-Counter: the value is the sum of every increment, each counted once. */
class GCounterLawsTest extends PruningLaws<GCounter> {

  @Override
  protected CrdtType<GCounter> type() {
    return GCounter.TYPE;
  }

  @Override
  protected Op<GCounter> randomOp(Random random, GCounter current) {
    long amount = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(1000);
    return new Op<>("increment", amount, GCounter.incrementBy(amount));
  }

  @Override
  protected Object value(GCounter state) {
    return state.value();
  }

  @Override
  protected Object specValue(List<ReplicaSimulation.Performed<GCounter>> history) {
    return history.stream().mapToLong(p -> (Long) p.op().argument()).sum();
  }

  /** A counter's prune moves counts between entries: it stands for no update. */
  @Override
  protected List<Op<GCounter>> pruneAsUpdates(
      GCounter ownerState, ReplicaId removed, GCounter pruned) {
    return List.of();
  }
}
