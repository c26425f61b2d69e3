package dev.converge.crdt.laws;

import dev.converge.crdt.CrdtType;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.codec.ValueCodec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * OR-Set, add-wins: an element is present iff some add of it happened-before no remove of it
 * (Bieniusa et al. 2012; Shapiro et al. RR-7506 §3.3.5). Concurrent add and remove: present. A
 * prune stands for the owner re-adding every element that still had an add of the removed replica,
 * so a remove concurrent with the prune loses to it.
 */
class ORSetLawsTest extends PruningLaws<ORSet<String>> {

  private static final String[] UNIVERSE = {"a", "b", "c", "d", "e", "f"};

  @Override
  protected CrdtType<ORSet<String>> type() {
    return ORSet.type(ValueCodec.string());
  }

  @Override
  protected boolean deltasNeedCausalDelivery() {
    return true;
  }

  @Override
  protected Op<ORSet<String>> randomOp(Random random, ORSet<String> current) {
    int dice = random.nextInt(100);
    if (dice < 2) {
      return new Op<>("clear", new ArrayList<>(current.elements()), (s, ctx) -> s.clear());
    }
    if (dice < 55) {
      String element = UNIVERSE[random.nextInt(UNIVERSE.length)];
      return new Op<>("add", element, ORSet.adding(element));
    }
    List<String> present = new ArrayList<>(current.elements());
    present.sort(null);
    String element =
        !present.isEmpty() && random.nextInt(4) > 0
            ? present.get(random.nextInt(present.size()))
            : UNIVERSE[random.nextInt(UNIVERSE.length)];
    return new Op<>("remove", element, ORSet.removing(element));
  }

  @Override
  protected Object value(ORSet<String> state) {
    return new HashSet<>(state.elements());
  }

  @Override
  protected Object specValue(List<ReplicaSimulation.Performed<ORSet<String>>> history) {
    Set<String> present = new HashSet<>();
    for (ReplicaSimulation.Performed<ORSet<String>> add : history) {
      if (!add.op().kind().equals("add")) {
        continue;
      }
      String element = (String) add.op().argument();
      boolean observedByARemove =
          history.stream()
              .anyMatch(
                  other ->
                      other.past().get(add.id())
                          && (other.op().kind().equals("remove")
                                  && other.op().argument().equals(element)
                              || other.op().kind().equals("clear")
                                  && ((List<?>) other.op().argument()).contains(element)));
      if (!observedByARemove) {
        present.add(element);
      }
    }
    return present;
  }

  @Override
  protected List<Op<ORSet<String>>> pruneAsUpdates(
      ORSet<String> ownerState, ReplicaId removed, ORSet<String> pruned) {
    List<Op<ORSet<String>>> readds = new ArrayList<>();
    for (String element : ownerState.elements()) {
      if (ownerState.dots(element).stream().anyMatch(d -> d.replica().equals(removed))) {
        readds.add(new Op<>("add", element, ORSet.adding(element)));
      }
    }
    return readds;
  }
}
