package dev.converge.bench.cluster;

import dev.converge.crdt.ReplicaId;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;

/**
 * Heap per OR-Set element, structure only: the element strings are built first and stay reachable
 * throughout, so what building a set retains is the set's own structure (nodes, dots, version
 * vectors, causal context). A {@link HashSet} of the same strings is measured the same way as the
 * plain-Java baseline, and the strings themselves for reference. Each set is built by local adds
 * from one replica, the way an application fills it.
 */
public final class OrSetHeap {

  private OrSetHeap() {}

  /** Measures every structure {@code repetitions} times and records medians per element. */
  public static void measure(Figures figures, int elements, int repetitions, boolean pekko) {
    System.out.printf("== heap per OR-Set element at %,d elements%n", elements);
    String[][] holder = new String[1][];
    double strings =
        HeapProbe.retained(
                () -> {
                  String[] s = new String[elements];
                  for (int i = 0; i < elements; i++) {
                    s[i] = "item-" + i;
                  }
                  holder[0] = s;
                  return s;
                })
            / (double) elements;
    String[] values = holder[0];
    figures.add("baseline", "heap.stringsAndArrayPerElement", strings, "B");
    figures.addSamples(
        "baseline",
        "heap.hashSetPerElement",
        "B",
        repeat(repetitions, elements, () -> hashSet(values)));
    figures.addSamples(
        "converge",
        "heap.orSetPerElement",
        "B",
        repeat(repetitions, elements, () -> convergeSet(values)));
    if (pekko) {
      figures.addSamples(
          "pekko",
          "heap.orSetPerElement",
          "B",
          repeat(repetitions, elements, () -> pekkoSet(values)));
    }
  }

  private static double[] repeat(int n, int elements, java.util.function.Supplier<?> build) {
    double[] samples = new double[n];
    for (int i = 0; i < n; i++) {
      samples[i] = HeapProbe.retained(build) / (double) elements;
    }
    return samples;
  }

  private static Set<String> hashSet(String[] values) {
    Set<String> set = new HashSet<>();
    for (String v : values) {
      set.add(v);
    }
    return set;
  }

  private static dev.converge.crdt.ORSet<String> convergeSet(String[] values) {
    ReplicaId replica = ReplicaId.of("n0");
    dev.converge.crdt.ORSet<String> set = dev.converge.crdt.ORSet.empty();
    for (String v : values) {
      set = set.add(replica, v).state();
    }
    return set;
  }

  private static org.apache.pekko.cluster.ddata.ORSet<String> pekkoSet(String[] values) {
    SelfUniqueAddress self =
        SelfUniqueAddress.apply(
            UniqueAddress.apply(new Address("pekko", "bench", "127.0.0.1", 25520), 1L));
    org.apache.pekko.cluster.ddata.ORSet<String> set =
        org.apache.pekko.cluster.ddata.ORSet.create();
    for (String v : values) {
      set = set.add(self, v);
    }
    return set;
  }
}
