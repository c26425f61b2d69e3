package dev.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.crdt.causal.HybridLogicalClock;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The LWW register's pruning choices, each against the history that motivated it (see the
 * implementation notes in {@link LWWRegister}). The laws every type obeys are in {@code
 * laws.LWWRegisterLawsTest}.
 */
class LWWRegisterPruningTest {

  private static final long NOW = 1_800_000_000_000L;
  private static final ReplicaId A = ReplicaId.of("n1.a");
  private static final ReplicaId O = ReplicaId.of("n3.o");
  private static final ReplicaId R = ReplicaId.of("n4.r");
  private static final ReplicaId W = ReplicaId.of("n9.w"); // sorts above R

  /** A fresh clock standing at NOW: two of them stamp their first writes alike. */
  private static HybridLogicalClock clock() {
    return new HybridLogicalClock(() -> NOW);
  }

  private static LWWRegister<String> write(String value, ReplicaId writer) {
    return LWWRegister.<String>empty().assign(value, writer, clock()).state();
  }

  @Test
  void pruneRestampsTheRemovedWritersWinningWriteAsTheOwnersOneTickLater() {
    LWWRegister<String> r = write("theirs", R);
    LWWRegister<String> pruned = r.prune(R, O);
    assertThat(pruned.value()).contains("theirs");
    assertThat(pruned.writer()).contains(O);
    assertThat(pruned.timestamp()).isEqualTo(r.timestamp() + 1);
    assertThat(pruned.replicas()).containsExactly(O);
    assertThat(pruned.prune(R, O)).isSameAs(pruned);
    assertThat(write("mine", A).prune(R, O)).isEqualTo(write("mine", A));
  }

  /*
   * O and R wrote in the same millisecond; R won on the id tie-break. Had the prune renamed R's
   * write in place to (ts, O), a stale copy of O's own losing write (ts, O, "mine") would meet it
   * under the same stamp with a different value. One tick later, R's value keeps winning.
   */
  @Test
  void ownersOwnLosingWriteWithTheSameStampCannotComeBack() {
    LWWRegister<String> mine = write("mine", O);
    LWWRegister<String> theirs = write("theirs", R);
    assertThat(mine.timestamp()).isEqualTo(theirs.timestamp());
    LWWRegister<String> owner = mine.merge(theirs);
    assertThat(owner.value()).contains("theirs");

    LWWRegister<String> pruned = owner.prune(R, O);
    LWWRegister<String> staleCopy = mine.pruningCleanup(R); // O's write: cleanup keeps it
    assertThat(staleCopy).isEqualTo(mine);
    assertThat(staleCopy.merge(pruned)).isEqualTo(pruned);
    assertThat(pruned.merge(staleCopy).value()).contains("theirs");
  }

  @Test
  void cleanupEmptiesARegisterWonByTheRemovedWriterAndThePrunedStateBringsTheValueBack() {
    LWWRegister<String> r = write("theirs", R);
    LWWRegister<String> a = LWWRegister.<String>empty().merge(r);
    assertThat(a.pruningCleanup(R)).isEqualTo(LWWRegister.empty());
    assertThat(a.pruningCleanup(R).replicas()).isEmpty();
    assertThat(a.pruningCleanup(R).merge(r.prune(R, O)).value()).contains("theirs");
  }

  /*
   * W and R wrote in the same millisecond; W won (its id sorts above R's), so the owner has
   * nothing to prune. A cleanup that kept R's stale write under a placeholder id sorting above W
   * would bring "theirs" back; the empty register cannot.
   */
  @Test
  void staleWriteOfTheRemovedReplicaCannotBeatTheWriteTheOwnerKept() {
    LWWRegister<String> w = write("w", W);
    LWWRegister<String> r = write("theirs", R);
    LWWRegister<String> owner = w.merge(r);
    assertThat(owner.value()).contains("w");
    LWWRegister<String> pruned = owner.prune(R, O);
    assertThat(pruned).isSameAs(owner);
    assertThat(r.pruningCleanup(R).merge(pruned).value()).isEqualTo(Optional.of("w"));
  }

  @Test
  void theOwnersNextWriteStampsAboveThePrunedWrite() {
    LWWRegister<String> pruned = write("theirs", R).prune(R, O);
    LWWRegister<String> next = pruned.assign("next", O, clock()).state();
    assertThat(next.timestamp()).isGreaterThan(pruned.timestamp());
    assertThat(pruned.merge(next).value()).contains("next");
  }

  @Test
  void pruningAReplicaIntoItselfIsRejected() {
    assertThatThrownBy(() -> write("x", R).prune(R, R))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("into itself");
  }
}
