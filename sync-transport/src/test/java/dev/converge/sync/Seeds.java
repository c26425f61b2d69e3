package dev.converge.sync;

/**
 * Seeds of randomised cluster tests: {@code -Dconverge.seed=S} reruns a test with seed {@code S};
 * every failure inside {@link #run} names its seed.
 */
final class Seeds {

  /** A body that may throw anything. */
  @FunctionalInterface
  interface Body {
    void run() throws Exception;
  }

  private Seeds() {}

  /** The seed to use: {@code -Dconverge.seed} if set, else {@code fallback}. */
  static long seed(long fallback) {
    return Long.getLong("converge.seed", fallback);
  }

  /** Runs {@code body}; a failure is rethrown with the seed in its message. */
  static void run(long seed, Body body) {
    try {
      body.run();
    } catch (Throwable t) {
      if (t instanceof VirtualMachineError vm) {
        throw vm;
      }
      throw new AssertionError(
          "[seed " + seed + "; rerun with -Dconverge.seed=" + seed + "] " + t.getMessage(), t);
    }
  }
}
