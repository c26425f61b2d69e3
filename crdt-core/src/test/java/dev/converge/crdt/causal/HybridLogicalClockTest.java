package dev.converge.crdt.causal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HybridLogicalClockTest {

  private static final int SEEDS = 300;
  private static final long HOUR = 3_600_000L;
  private static final long START = 1_700_000_000_000L;
  private static final long MAX_PHYSICAL = (1L << (63 - HybridLogicalClock.LOGICAL_BITS)) - 1;
  private static final int MAX_LOGICAL = (1 << HybridLogicalClock.LOGICAL_BITS) - 1;

  private static long physical(long ts) {
    return HybridLogicalClock.physicalMillis(ts);
  }

  private static int logical(long ts) {
    return HybridLogicalClock.logical(ts);
  }

  // ---------------------------------------------------------------- property tests

  @Test
  void prop_strictlyIncreasingAndFollowsWallClockWhenAhead() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      AtomicLong wall = new AtomicLong(START + random.nextInt(1_000_000));
      HybridLogicalClock clock = new HybridLogicalClock(wall::get);
      long prev = Long.MIN_VALUE;
      for (int step = 0; step < 2_000; step++) {
        int move = random.nextInt(20);
        if (move < 6) {
          // stands still
        } else if (move < 12) {
          wall.addAndGet(random.nextInt(5));
        } else if (move < 15) {
          wall.addAndGet(1 + random.nextInt(10_000_000));
        } else if (move < 18) {
          wall.addAndGet(-(1 + (long) (random.nextDouble() * 5 * HOUR))); // backwards by hours
        } else {
          wall.addAndGet(-random.nextInt(50));
        }
        long w = wall.get();
        long ts;
        long observed = Long.MIN_VALUE;
        if (random.nextInt(10) < 7) {
          ts = clock.now();
        } else {
          int kind = random.nextInt(3);
          if (kind == 0 && prev > 0) {
            observed = Math.max(0, prev + random.nextInt(1 << 20) - (1 << 19));
          } else if (kind == 1) {
            long p = Math.max(0, w + (long) ((random.nextDouble() - 0.5) * 4 * HOUR));
            observed = HybridLogicalClock.timestamp(p, random.nextInt(MAX_LOGICAL + 1));
          } else {
            observed = HybridLogicalClock.timestamp(w, MAX_LOGICAL - random.nextInt(3));
          }
          ts = clock.update(observed);
          assertThat(ts)
              .as("seed %d step %d: update(%d) > observed", seed, step, observed)
              .isGreaterThan(observed);
        }
        assertThat(ts).as("seed %d step %d: strictly increasing", seed, step).isGreaterThan(prev);
        assertThat(physical(ts))
            .as("seed %d step %d: never behind wall clock", seed, step)
            .isGreaterThanOrEqualTo(w);
        long floor = Math.max(prev, observed);
        if (HybridLogicalClock.timestamp(w, 0) > floor) {
          assertThat(physical(ts))
              .as("seed %d step %d: follows wall clock ahead", seed, step)
              .isEqualTo(w);
          assertThat(logical(ts)).as("seed %d step %d: logical reset", seed, step).isZero();
        } else {
          assertThat(ts)
              .as("seed %d step %d: smallest successor of %d", seed, step, floor)
              .isEqualTo(floor + 1);
        }
        prev = ts;
      }
    }
  }

  @Test
  void prop_timestampPartsRoundTripAndOrderLexicographically() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      long p1 = random.nextInt(4) == 0 ? random.nextInt(3) : (random.nextLong() >>> 17);
      long p2 = random.nextBoolean() ? p1 : (random.nextLong() >>> 17);
      int l1 = random.nextInt(MAX_LOGICAL + 1);
      int l2 = random.nextBoolean() ? MAX_LOGICAL : random.nextInt(MAX_LOGICAL + 1);
      long t1 = HybridLogicalClock.timestamp(p1, l1);
      long t2 = HybridLogicalClock.timestamp(p2, l2);
      assertThat(physical(t1)).as("seed %d", seed).isEqualTo(p1);
      assertThat(logical(t1)).as("seed %d", seed).isEqualTo(l1);
      assertThat(physical(t2)).as("seed %d", seed).isEqualTo(p2);
      assertThat(logical(t2)).as("seed %d", seed).isEqualTo(l2);
      assertThat(t1).as("seed %d: non-negative", seed).isNotNegative();
      int lexicographic = p1 != p2 ? Long.compare(p1, p2) : Integer.compare(l1, l2);
      assertThat(Integer.signum(Long.compare(t1, t2)))
          .as("seed %d: order", seed)
          .isEqualTo(lexicographic);
      assertThat(HybridLogicalClock.timestamp(physical(t1), logical(t1)))
          .as("seed %d", seed)
          .isEqualTo(t1);
    }
  }

  // ---------------------------------------------------------------- unit cases

  @Test
  void wallClockStandingStillPastLogicalOverflowStillIncreases() {
    long[] wall = {START};
    HybridLogicalClock clock = new HybridLogicalClock(() -> wall[0]);
    long first = clock.now();
    assertThat(first).isEqualTo(HybridLogicalClock.timestamp(START, 0));
    long prev = first;
    int calls = 200_000;
    for (int i = 1; i < calls; i++) {
      long ts = clock.now();
      assertThat(ts).as("call %d", i).isEqualTo(prev + 1);
      prev = ts;
    }
    // 65,536 timestamps per millisecond: the overflow carried into the physical part
    assertThat(physical(prev)).isEqualTo(START + (calls - 1) / (MAX_LOGICAL + 1));
    assertThat(logical(prev)).isEqualTo((calls - 1) % (MAX_LOGICAL + 1));
    long carried = HybridLogicalClock.timestamp(START, MAX_LOGICAL) + 1;
    assertThat(physical(carried)).isEqualTo(START + 1);
    assertThat(logical(carried)).isZero();
  }

  @Test
  void wallClockGoingBackwardsByHours() {
    long[] wall = {START};
    HybridLogicalClock clock = new HybridLogicalClock(() -> wall[0]);
    long before = clock.now();
    wall[0] = START - 3 * HOUR;
    long prev = before;
    for (int i = 1; i <= 1_000; i++) {
      long ts = clock.now();
      assertThat(ts).as("call %d", i).isGreaterThan(prev);
      assertThat(physical(ts)).as("call %d", i).isEqualTo(START);
      assertThat(logical(ts)).as("call %d", i).isEqualTo(i);
      prev = ts;
    }
    wall[0] = START + 1;
    long caughtUp = clock.now();
    assertThat(caughtUp).isEqualTo(HybridLogicalClock.timestamp(START + 1, 0));
  }

  @Test
  void wallClockJumpingForwardIsFollowed() {
    long[] wall = {START};
    HybridLogicalClock clock = new HybridLogicalClock(() -> wall[0]);
    clock.now();
    clock.now();
    wall[0] = START + 5 * HOUR;
    long ts = clock.now();
    assertThat(physical(ts)).isEqualTo(START + 5 * HOUR);
    assertThat(logical(ts)).isZero();
  }

  @Test
  void updateWithPeerAheadStaysAheadOfIt() {
    long[] wall = {START};
    HybridLogicalClock clock = new HybridLogicalClock(() -> wall[0]);
    long local = clock.now();
    long remote = HybridLogicalClock.timestamp(START + HOUR, 42);
    long received = clock.update(remote);
    assertThat(received).isEqualTo(remote + 1).isGreaterThan(local);
    long next = clock.now();
    assertThat(next).isGreaterThan(received);
    assertThat(physical(next)).isEqualTo(START + HOUR);
    // an old observation changes nothing but still advances
    long afterOld = clock.update(HybridLogicalClock.timestamp(START - HOUR, 0));
    assertThat(afterOld).isEqualTo(next + 1);
    // negative observations are ignored
    assertThat(clock.update(-5)).isEqualTo(afterOld + 1);
    assertThat(clock.update(Long.MIN_VALUE)).isEqualTo(afterOld + 2);
  }

  @Test
  void updateWithWallClockAheadOfObservedFollowsWallClock() {
    long[] wall = {START};
    HybridLogicalClock clock = new HybridLogicalClock(() -> wall[0]);
    long ts = clock.update(HybridLogicalClock.timestamp(START - 10, 7));
    assertThat(ts).isEqualTo(HybridLogicalClock.timestamp(START, 0));
  }

  @Test
  void updateWithLongMaxValueThrowsAndLeavesClockUsable() {
    long[] wall = {START};
    HybridLogicalClock clock = new HybridLogicalClock(() -> wall[0]);
    long before = clock.now();
    assertThatThrownBy(() -> clock.update(Long.MAX_VALUE)).isInstanceOf(ArithmeticException.class);
    long after = clock.now();
    assertThat(after).isEqualTo(before + 1);
    assertThat(clock.update(after)).isEqualTo(after + 1);
  }

  @Test
  void clockThatReachedLongMaxValueThrows() {
    long[] wall = {START};
    HybridLogicalClock clock = new HybridLogicalClock(() -> wall[0]);
    assertThat(clock.update(Long.MAX_VALUE - 1)).isEqualTo(Long.MAX_VALUE);
    assertThatThrownBy(clock::now).isInstanceOf(ArithmeticException.class);
    assertThatThrownBy(clock::now).isInstanceOf(ArithmeticException.class);
    assertThatThrownBy(() -> clock.update(5)).isInstanceOf(ArithmeticException.class);
  }

  @Test
  void wallClockOutOfRangeStillGivesIncreasingNonNegativeTimestamps() {
    long[] wall = {-1_000};
    HybridLogicalClock clock = new HybridLogicalClock(() -> wall[0]);
    long a = clock.now();
    long b = clock.now();
    assertThat(a).isNotNegative();
    assertThat(b).isGreaterThan(a);
    wall[0] = Long.MAX_VALUE;
    long c = clock.now();
    long d = clock.now();
    assertThat(c).isGreaterThan(b).isPositive();
    assertThat(d).isGreaterThan(c);
    assertThat(physical(d)).isLessThanOrEqualTo(MAX_PHYSICAL);
  }

  @Test
  void timestampRejectsOutOfRangeParts() {
    assertThat(HybridLogicalClock.timestamp(0, 0)).isZero();
    assertThat(HybridLogicalClock.timestamp(MAX_PHYSICAL, MAX_LOGICAL)).isEqualTo(Long.MAX_VALUE);
    assertThat(physical(Long.MAX_VALUE)).isEqualTo(MAX_PHYSICAL);
    assertThat(logical(Long.MAX_VALUE)).isEqualTo(MAX_LOGICAL);
    assertThatThrownBy(() -> HybridLogicalClock.timestamp(-1, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HybridLogicalClock.timestamp(MAX_PHYSICAL + 1, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HybridLogicalClock.timestamp(Long.MAX_VALUE, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HybridLogicalClock.timestamp(0, -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HybridLogicalClock.timestamp(0, MAX_LOGICAL + 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HybridLogicalClock(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void concurrentCallsGiveDistinctIncreasingValues() throws Exception {
    AtomicLong frozen = new AtomicLong(START);
    runConcurrently(new HybridLogicalClock(frozen::get));
    runConcurrently(HybridLogicalClock.system());
  }

  private static void runConcurrently(HybridLogicalClock clock) throws Exception {
    int threads = 4;
    int perThread = 50_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<long[]>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  long[] out = new long[perThread];
                  for (int i = 0; i < perThread; i++) {
                    out[i] = clock.now();
                  }
                  return out;
                }));
      }
      start.countDown();
      Set<Long> all = new HashSet<>();
      for (int t = 0; t < threads; t++) {
        long[] values = futures.get(t).get();
        for (int i = 0; i < perThread; i++) {
          if (i > 0) {
            assertThat(values[i]).as("thread %d call %d", t, i).isGreaterThan(values[i - 1]);
          }
          all.add(values[i]);
        }
      }
      assertThat(all).hasSize(threads * perThread);
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    }
  }
}
