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
 * (Bieniusa et al. 2012; Shapiro et al. RR-7506 §3.3.5); a bulk operation (addAll, removeAll,
 * clear) adds or removes each of its elements. Concurrent add and remove: present. A prune stands
 * for the owner re-adding every element that still had an add of the removed replica, so a remove
 * concurrent with the prune loses to it.
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
      return new Op<>("clear", new ArrayList<>(current.elements()), ORSet.clearing());
    }
    if (dice < 8) {
      List<String> elements = randomElements(random);
      return new Op<>("addAll", elements, ORSet.addingAll(elements));
    }
    if (dice < 12) {
      List<String> elements = randomElements(random);
      return new Op<>("removeAll", elements, ORSet.removingAll(elements));
    }
    if (dice < 60) {
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

  /** Up to four elements of the universe, repeats allowed. */
  private static List<String> randomElements(Random random) {
    List<String> elements = new ArrayList<>();
    for (int i = random.nextInt(5); i > 0; i--) {
      elements.add(UNIVERSE[random.nextInt(UNIVERSE.length)]);
    }
    return elements;
  }

  /** The elements an operation adds, or removes: its argument, or the elements in its list. */
  private static List<?> elementsOf(Op<ORSet<String>> op) {
    return op.argument() instanceof List<?> list ? list : List.of(op.argument());
  }

  private static boolean adds(Op<ORSet<String>> op) {
    return op.kind().equals("add") || op.kind().equals("addAll");
  }

  @Override
  protected Object value(ORSet<String> state) {
    return new HashSet<>(state.elements());
  }

  @Override
  protected Object specValue(List<ReplicaSimulation.Performed<ORSet<String>>> history) {
    Set<String> present = new HashSet<>();
    for (ReplicaSimulation.Performed<ORSet<String>> add : history) {
      if (!adds(add.op())) {
        continue;
      }
      for (Object element : elementsOf(add.op())) {
        boolean observedByARemove =
            history.stream()
                .anyMatch(
                    other ->
                        other.past().get(add.id())
                            && !adds(other.op())
                            && elementsOf(other.op()).contains(element));
        if (!observedByARemove) {
          present.add((String) element);
        }
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
