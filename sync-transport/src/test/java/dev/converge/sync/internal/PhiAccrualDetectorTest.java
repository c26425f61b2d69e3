package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PhiAccrualDetectorTest {

  @Test
  void phiStaysLowWithRegularHeartbeatsAndClimbsWithSilence() {
    PhiAccrualDetector d = new PhiAccrualDetector(100, 1_000);
    assertThat(d.everHeard()).isFalse();
    assertThat(d.phi(0)).isEqualTo(Double.MAX_VALUE);
    long t = 0;
    for (int i = 0; i < 50; i++) {
      t += 100;
      d.heartbeat(t);
    }
    assertThat(d.everHeard()).isTrue();
    assertThat(d.phi(t + 100)).as("on time").isLessThan(1);
    assertThat(d.phi(t + 900)).as("a pause within the acceptable pause").isLessThan(8);
    assertThat(d.phi(t + 5_000)).as("long silence").isGreaterThan(8);
    assertThat(d.phi(t + 10_000)).isGreaterThanOrEqualTo(d.phi(t + 5_000));
    d.heartbeat(t + 10_000);
    assertThat(d.phi(t + 10_050)).as("heard again").isLessThan(8);
  }
}
