package dev.converge.sync.internal;

import dev.converge.sync.LinkFaults;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

/**
 * The in-process fault injector behind {@link LinkFaults}: consulted for every frame sent and every
 * frame received. Thread-safe.
 */
public final class LinkFilter implements LinkFaults {

  /** What to do with one frame. */
  record Verdict(boolean drop, boolean duplicate, long delayMillis) {
    static final Verdict PASS = new Verdict(false, false, 0);
    static final Verdict DROP = new Verdict(true, false, 0);
  }

  private volatile Set<String> partitioned = Set.of();
  private volatile double dropRate;
  private volatile double duplicateRate;
  private volatile long maxDelayMillis;
  private volatile int dropFramesOver;
  private final Random random = new Random(0x5eed);

  @Override
  public LinkFaults partition(Set<String> peers) {
    partitioned = Set.copyOf(Objects.requireNonNull(peers, "peers"));
    return this;
  }

  @Override
  public LinkFaults heal() {
    partitioned = Set.of();
    dropRate = 0;
    duplicateRate = 0;
    maxDelayMillis = 0;
    dropFramesOver = 0;
    return this;
  }

  @Override
  public Set<String> partitioned() {
    return partitioned;
  }

  @Override
  public LinkFaults setDropRate(double rate) {
    dropRate = probability(rate);
    return this;
  }

  @Override
  public LinkFaults setDuplicateRate(double rate) {
    duplicateRate = probability(rate);
    return this;
  }

  @Override
  public LinkFaults setMaxDelayMillis(long maxMillis) {
    if (maxMillis < 0) {
      throw new IllegalArgumentException("maxMillis must be >= 0");
    }
    maxDelayMillis = maxMillis;
    return this;
  }

  @Override
  public LinkFaults setDropFramesOver(int bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must be >= 0");
    }
    dropFramesOver = bytes;
    return this;
  }

  @Override
  public LinkFaults setSeed(long seed) {
    synchronized (random) {
      random.setSeed(seed);
    }
    return this;
  }

  /** True if frames with {@code peer} are cut. */
  boolean isPartitioned(String peer) {
    return partitioned.contains(peer);
  }

  /** The fate of one frame exchanged with {@code peer}. */
  Verdict judge(String peer) {
    return judge(peer, 0);
  }

  /** The fate of a frame of {@code frameBytes} to {@code peer}. */
  Verdict judge(String peer, int frameBytes) {
    if (peer != null && partitioned.contains(peer)) {
      return Verdict.DROP;
    }
    int over = dropFramesOver;
    if (over > 0 && frameBytes > over) {
      return Verdict.DROP;
    }
    double drop = dropRate;
    double duplicate = duplicateRate;
    long delay = maxDelayMillis;
    if (drop == 0 && duplicate == 0 && delay == 0) {
      return Verdict.PASS;
    }
    synchronized (random) {
      if (random.nextDouble() < drop) {
        return Verdict.DROP;
      }
      return new Verdict(
          false,
          random.nextDouble() < duplicate,
          delay == 0 ? 0 : (long) (random.nextDouble() * (delay + 1)));
    }
  }

  private static double probability(double rate) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException("rate must be in [0, 1], got " + rate);
    }
    return rate;
  }
}
