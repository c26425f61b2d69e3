package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.GCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.TypedState;
import org.junit.jupiter.api.Test;

class DeltaBufferTest {

  private static final ReplicaId R = ReplicaId.of("r");

  private static TypedState<GCounter> inc(long toValue) {
    return new TypedState<>(GCounter.TYPE, GCounter.empty().increment(R, toValue).delta());
  }

  @Test
  void sendsFromTheLastAckAndJoinsPerKey() {
    DeltaBuffer buffer = new DeltaBuffer(1L, 100);
    buffer.track("p");
    buffer.append("a", inc(1));
    buffer.append("a", inc(2));
    buffer.append("b", inc(1));
    DeltaBuffer.Interval first = buffer.next("p", 100, 100);
    assertThat(first.from()).isEqualTo(1);
    assertThat(first.to()).isEqualTo(3);
    assertThat(first.deltas()).containsOnlyKeys("a", "b");
    assertThat(((GCounter) first.deltas().get("a").state()).value()).as("joined").isEqualTo(2);
    // Lost frame: nothing acknowledged, the same interval again (go-back-N).
    assertThat(buffer.next("p", 100, 100).from()).isEqualTo(1);
    buffer.ack("p", 1L, 2);
    assertThat(buffer.next("p", 100, 100).from()).isEqualTo(3);
    assertThat(buffer.unacked("p")).isEqualTo(1);
    buffer.ack("p", 99L, 3); // another epoch: ignored
    assertThat(buffer.unacked("p")).isEqualTo(1);
    buffer.ack("p", 1L, 3);
    assertThat(buffer.next("p", 100, 100)).isNull();
    assertThat(buffer.size()).as("trimmed once every peer acknowledged").isZero();
  }

  @Test
  void intervalsAreBoundedAndAcksOutOfOrderKeepTheMaximum() {
    DeltaBuffer buffer = new DeltaBuffer(1L, 100);
    buffer.track("p");
    for (int i = 1; i <= 10; i++) {
      buffer.append("k" + i, inc(i));
    }
    DeltaBuffer.Interval interval = buffer.next("p", 4, 100);
    assertThat(interval.to() - interval.from() + 1).isEqualTo(4);
    buffer.ack("p", 1L, 8);
    buffer.ack("p", 1L, 4);
    assertThat(buffer.unacked("p")).isEqualTo(2);
  }

  @Test
  void framesAcknowledgedOutOfOrderCountOnceTheGapBeforeThemIsFilled() {
    DeltaBuffer buffer = new DeltaBuffer(1L, 100);
    buffer.track("p");
    for (int i = 1; i <= 10; i++) {
      buffer.append("k" + i, inc(i));
    }
    DeltaBuffer.Interval large = buffer.next("p", 1, 100);
    DeltaBuffer.Interval small = buffer.next("p", large.to(), 100, 100);
    assertThat(small.from()).as("sent after what is in flight").isEqualTo(2);
    assertThat(small.to()).isEqualTo(10);

    buffer.ack("p", 1L, small.from(), small.to()); // the small frame overtook the large one
    assertThat(buffer.unacked("p")).as("a gap at 1: nothing counts yet").isEqualTo(10);
    assertThat(buffer.next("p", 100, 100).from()).as("a retransmission starts at 1").isEqualTo(1);
    assertThat(buffer.size()).isEqualTo(10);

    buffer.ack("p", 1L, large.from(), large.to());
    assertThat(buffer.unacked("p")).as("the gap filled: everything counts").isZero();
    assertThat(buffer.size()).isZero();

    buffer.append("k", inc(1));
    buffer.reset("p"); // a new incarnation: acknowledgements ahead of a gap are forgotten
    assertThat(buffer.next("p", 100, 100)).isNull();
  }

  @Test
  void aPeerBehindTheBufferBecomesALaggardForAntiEntropy() {
    DeltaBuffer buffer = new DeltaBuffer(1L, 3);
    buffer.track("slow");
    buffer.track("fast");
    for (int i = 1; i <= 5; i++) {
      buffer.append("k", inc(i));
      buffer.ack("fast", 1L, i);
    }
    assertThat(buffer.size()).isLessThanOrEqualTo(3);
    assertThat(buffer.takeLaggards()).containsExactly("slow");
    assertThat(buffer.takeLaggards()).isEmpty();
    // Skipped past the dropped deltas (anti-entropy repairs those); it still gets the newer ones.
    DeltaBuffer.Interval next = buffer.next("slow", 10, 100);
    assertThat(next == null ? buffer.lastSeq() : next.from()).isGreaterThan(2);
    assertThat(buffer.unacked("slow")).isLessThan(5);
  }

  @Test
  void aBurstOnOneKeyTravelsInOneIntervalButDistinctKeysAreBounded() {
    DeltaBuffer buffer = new DeltaBuffer(1L, 100_000);
    buffer.track("p");
    for (int i = 1; i <= 10_000; i++) {
      buffer.append("hot", inc(i));
    }
    DeltaBuffer.Interval burst = buffer.next("p", 65_536, 2);
    assertThat(burst.to() - burst.from() + 1).isEqualTo(10_000);
    assertThat(burst.deltas()).containsOnlyKeys("hot");
    assertThat(((GCounter) burst.deltas().get("hot").state()).value()).isEqualTo(10_000);
    buffer.ack("p", 1L, burst.to());
    for (int i = 1; i <= 5; i++) {
      buffer.append("k" + i, inc(1));
    }
    assertThat(buffer.next("p", 65_536, 2).deltas()).containsOnlyKeys("k1", "k2");
  }

  @Test
  void aPeerThatLostItsStateIsResetAndRepaired() {
    DeltaBuffer buffer = new DeltaBuffer(1L, 100);
    buffer.track("p");
    buffer.append("k", inc(1));
    buffer.reset("p");
    assertThat(buffer.takeLaggards()).containsExactly("p");
    assertThat(buffer.next("p", 10, 100)).isNull();
  }
}
