package dev.converge.sync;

import dev.converge.crdt.Key;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Convergence checks over any group of nodes (one side of a partition, a whole cluster) and over
 * many keys at once: reads are issued together and awaited together, so checking 100,000 keys takes
 * one round trip per node, not 100,000.
 */
public final class ConvergenceProbe {

  private ConvergenceProbe() {}

  /** Every state of {@code keys} on {@code node}, in order, read concurrently. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static List<Object> readAll(Replicator node, List<? extends Key<?>> keys) {
    List<Object> states = new ArrayList<>(keys.size());
    for (int from = 0; from < keys.size(); from += 10_000) {
      List<Future<?>> reads = new ArrayList<>();
      for (Key<?> key : keys.subList(from, Math.min(keys.size(), from + 10_000))) {
        reads.add(node.get((Key) key));
      }
      Future.all(reads).await();
      for (Future<?> read : reads) {
        states.add(read.result());
      }
    }
    return states;
  }

  /** The keys whose states differ between {@code a} and {@code b}. */
  static List<Key<?>> differing(Replicator a, Replicator b, List<? extends Key<?>> keys) {
    List<Object> sa = readAll(a, keys);
    List<Object> sb = readAll(b, keys);
    List<Key<?>> diff = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      if (!Objects.equals(sa.get(i), sb.get(i))) {
        diff.add(keys.get(i));
      }
    }
    return diff;
  }

  /**
   * Waits until every node of {@code nodes} holds the same state of every key; returns the time it
   * took. Fails after {@link TestCluster#CONVERGENCE_DEADLINE}, naming up to 10 differing keys.
   */
  public static Duration await(List<Replicator> nodes, List<? extends Key<?>> keys) {
    long start = System.nanoTime();
    long deadline = start + TestCluster.CONVERGENCE_DEADLINE.toNanos();
    while (true) {
      List<Object> first = readAll(nodes.get(0), keys);
      StringBuilder report = new StringBuilder();
      int differing = 0;
      for (int n = 1; n < nodes.size(); n++) {
        List<Object> other = readAll(nodes.get(n), keys);
        for (int i = 0; i < keys.size(); i++) {
          if (!Objects.equals(first.get(i), other.get(i))) {
            if (differing++ < 10) {
              report
                  .append(keys.get(i))
                  .append(": node 0 ")
                  .append(first.get(i))
                  .append(", node ")
                  .append(n)
                  .append(' ')
                  .append(other.get(i))
                  .append('\n');
            }
          }
        }
      }
      if (differing == 0) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "no convergence of "
                + nodes.size()
                + " nodes within "
                + TestCluster.CONVERGENCE_DEADLINE
                + " ("
                + differing
                + " differences):\n"
                + report);
      }
      TestCluster.sleep(20);
    }
  }

  /**
   * Waits until {@code condition} holds; fails after the convergence deadline with {@code what}.
   */
  public static void until(String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TestCluster.CONVERGENCE_DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      TestCluster.sleep(10);
    }
  }

  /** The exception {@code future} fails with; an assertion error if it succeeds. */
  public static Throwable failureOf(io.vertx.core.Future<?> future) {
    try {
      future.await();
    } catch (Throwable e) {
      return e;
    }
    throw new AssertionError("expected the operation to fail, it succeeded");
  }
}
