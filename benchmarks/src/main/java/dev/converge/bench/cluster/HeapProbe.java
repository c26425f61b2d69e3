package dev.converge.bench.cluster;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.function.Supplier;

/**
 * Retained heap of a structure: heap in use after full collections, before and after building it
 * (the structure is kept reachable across the second measurement). {@code System.gc()} is a full
 * collection on the JVM's default collectors; several rounds let the figure settle.
 */
final class HeapProbe {

  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private HeapProbe() {}

  /** Bytes retained by what {@code build} returns (and by nothing else it allocated). */
  static long retained(Supplier<?> build) {
    long before = usedAfterGc();
    Object built = build.get();
    long after = usedAfterGc();
    Reference.reachabilityFence(built);
    return after - before;
  }

  static long usedAfterGc() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      Waits.sleep(30);
      used = Math.min(used, MEMORY.getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
