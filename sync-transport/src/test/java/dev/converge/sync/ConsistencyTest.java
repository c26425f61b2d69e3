package dev.converge.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Quorum arithmetic and parsing of {@link Consistency}. */
class ConsistencyTest {

  private static final Duration T = Duration.ofSeconds(1);

  @Test
  void majorityOfNIsMoreThanHalf() {
    assertThat(Consistency.majority(T).required(1)).as("one node is its own majority").isEqualTo(1);
    assertThat(Consistency.majority(T).required(2)).as("two nodes: both").isEqualTo(2);
    assertThat(Consistency.majority(T).required(3)).isEqualTo(2);
    assertThat(Consistency.majority(T).required(4)).isEqualTo(3);
    assertThat(Consistency.majority(T).required(5)).isEqualTo(3);
    assertThat(Consistency.all(T).required(5)).isEqualTo(5);
    assertThat(Consistency.local().required(5)).isEqualTo(1);
    assertThat(Consistency.to(4, T).required(5)).isEqualTo(4);
    assertThat(Consistency.from(2, T)).isEqualTo(Consistency.to(2, T));
    assertThat(Consistency.to(1, T)).isEqualTo(Consistency.local());
  }

  @Test
  void parsesTheDemoParameter() {
    assertThat(Consistency.parse("local", T)).isEqualTo(Consistency.local());
    assertThat(Consistency.parse("majority", T)).isEqualTo(Consistency.majority(T));
    assertThat(Consistency.parse("all", T)).isEqualTo(Consistency.all(T));
    assertThat(Consistency.parse("3", T)).isEqualTo(Consistency.to(3, T));
    for (String bad : new String[] {"", "MAJORITY", "0", "-1", "quorum", "2.5"}) {
      assertThatThrownBy(() -> Consistency.parse(bad, T))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("local, majority, all");
    }
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> Consistency.majority(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Consistency.to(0, T)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Consistency.majority(T).required(0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
