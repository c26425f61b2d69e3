package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.sync.Consistency;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The rule decision 0010 documents for majorities across membership changes, checked exhaustively
 * against the quorum sizes the node uses: a majority of N and a majority of N' intersect in every
 * choice of members exactly when q(N) + q(N') > max(N, N') counting shared members only — in
 * particular one removal or one join at a time always keeps them intersecting, two removals at once
 * may not, and a floor restores it.
 */
class QuorumIntersectionRuleTest {

  private static final Consistency MAJORITY = Consistency.majority(Duration.ofSeconds(1));

  /*
   * Worst case after removing `removed` members of `n`: the old quorum spends as many of its
   * members as possible on the removed ones; they still meet if what is left of it plus the new
   * quorum exceeds the survivors.
   */
  private static boolean intersectAfterRemoval(int n, int removed, int floor) {
    int survivors = n - removed;
    int oldQuorum = QuorumCoordinator.required(MAJORITY, n, floor);
    int newQuorum = QuorumCoordinator.required(MAJORITY, survivors, floor);
    if (newQuorum > survivors) {
      return true; // the new majority cannot be reached at all: nothing is read or written
    }
    int oldLeft = Math.max(0, oldQuorum - removed);
    return oldLeft + newQuorum > survivors;
  }

  /* Exhaustive over every pair of member subsets, for small N: the closed form above is right. */
  private static boolean intersectByEnumeration(int n, int removed, int floor) {
    int survivors = n - removed;
    int oldQuorum = QuorumCoordinator.required(MAJORITY, n, floor);
    int newQuorum = QuorumCoordinator.required(MAJORITY, survivors, floor);
    if (newQuorum > survivors) {
      return true;
    }
    int survivorMask = (1 << survivors) - 1; // members 0..survivors-1 survive
    for (int oldSet = 0; oldSet < (1 << n); oldSet++) {
      if (Integer.bitCount(oldSet) != oldQuorum) {
        continue;
      }
      for (int newSet = 0; newSet <= survivorMask; newSet++) {
        if (Integer.bitCount(newSet) == newQuorum && (oldSet & newSet) == 0) {
          return false;
        }
      }
    }
    return true;
  }

  @Test
  void oneRemovalAtATimeAlwaysKeepsMajoritiesIntersecting() {
    for (int n = 2; n <= 11; n++) {
      assertThat(intersectAfterRemoval(n, 1, 1)).as("N=%d, one removed", n).isTrue();
      assertThat(intersectByEnumeration(n, 1, 1)).as("N=%d, one removed", n).isTrue();
    }
  }

  @Test
  void oneJoinAtATimeAlwaysKeepsMajoritiesIntersecting() {
    // A join from N to N+1 is a removal read backwards: the two quorums are the same pair.
    for (int n = 1; n <= 10; n++) {
      assertThat(intersectByEnumeration(n + 1, 1, 1)).as("N=%d, one joined", n).isTrue();
    }
  }

  @Test
  void twoRemovalsAtOnceCanSplitMajoritiesUnlessAFloorHoldsThem() {
    assertThat(intersectAfterRemoval(5, 2, 1)).isFalse();
    assertThat(intersectByEnumeration(5, 2, 1)).isFalse();
    // With the floor at the planned cluster's majority (3 of 5), the smaller cluster's majority
    // stays 3 and still meets every old one.
    assertThat(intersectAfterRemoval(5, 2, 3)).isTrue();
    assertThat(intersectByEnumeration(5, 2, 3)).isTrue();
    for (int n = 3; n <= 11; n++) {
      for (int removed = 1; removed < n; removed++) {
        assertThat(intersectAfterRemoval(n, removed, 1))
            .as("N=%d, %d removed", n, removed)
            .isEqualTo(intersectByEnumeration(n, removed, 1));
      }
    }
  }

  @Test
  void aFloorAboveTheKnownMembersMakesAMajorityUnreachable() {
    assertThat(QuorumCoordinator.required(MAJORITY, 1, 3)).isEqualTo(3);
    assertThat(QuorumCoordinator.required(MAJORITY, 5, 2)).isEqualTo(3);
    assertThat(QuorumCoordinator.required(Consistency.all(Duration.ofSeconds(1)), 2, 5))
        .isEqualTo(2);
  }
}
