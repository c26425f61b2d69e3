package dev.converge.sync;

import java.util.Set;

/**
 * In-process fault injection on one node's links, applied to frames both sent and received: cut the
 * node off from some peers (a partition seen from this node), drop, delay or duplicate a fraction
 * of frames. Random choices use a seeded generator, so a test run can be repeated. Thread-safe;
 * changes apply to the next frame.
 */
public interface LinkFaults {

  /** Drops every frame to and from these peers (node ids) until {@link #heal()}. */
  LinkFaults partition(Set<String> peers);

  /** Removes partitions, loss, delay and duplication. */
  LinkFaults heal();

  /** Peers currently cut off. */
  Set<String> partitioned();

  /** Drops each frame with probability {@code rate} (0 to 1). */
  LinkFaults setDropRate(double rate);

  /** Sends each frame a second time with probability {@code rate} (0 to 1). */
  LinkFaults setDuplicateRate(double rate);

  /**
   * Delays each frame by a random time up to {@code maxMillis}; frames may overtake each other, so
   * delay also reorders.
   */
  LinkFaults setMaxDelayMillis(long maxMillis);

  /** Reseeds the generator behind drop, duplicate and delay. */
  LinkFaults setSeed(long seed);

  /**
   * Drops every frame this node sends that is longer than {@code bytes} (0: none), as a link that
   * loses large transfers would; smaller frames pass. Cleared by {@link #heal()}.
   *
   * @throws IllegalArgumentException if negative
   */
  LinkFaults setDropFramesOver(int bytes);
}
