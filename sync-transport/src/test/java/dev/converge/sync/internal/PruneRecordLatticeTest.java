package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.ReplicaId;
import dev.converge.sync.internal.Message.PruneInfo;
import dev.converge.sync.internal.PruneRecord.Phase;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The prune records gossiped with the membership view form a lattice (decision 0012): nodes that
 * receive the same records in any order, any number of times, hold the same record; the winning
 * proposal's performed phase is never undone; and a member's collected mark never moves to another
 * proposal.
 */
class PruneRecordLatticeTest {

  private static final int SEEDS = 300;
  private static final List<String> OWNERS = List.of("a.1", "b.1", "c.1");
  private static final List<List<ReplicaId>> IDS =
      List.of(List.of(ReplicaId.of("x.1")), List.of(ReplicaId.of("x.1"), ReplicaId.of("y.2")));

  private static PruneRecord random(Random random) {
    Set<String> collected =
        Set.copyOf(List.of("a", "b", "c").subList(0, random.nextInt(OWNERS.size() + 1)));
    return new PruneRecord(
        7,
        IDS.get(random.nextInt(IDS.size())),
        OWNERS.get(random.nextInt(OWNERS.size())),
        Phase.values()[random.nextInt(Phase.values().length)],
        collected,
        100 + random.nextInt(3));
  }

  @Test
  void prop_join_is_commutative_associative_and_idempotent() {
    for (long seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      PruneRecord a = random(random);
      PruneRecord b = random(random);
      PruneRecord c = random(random);
      assertThat(PruneRecord.join(a, b)).as("seed %d", seed).isEqualTo(PruneRecord.join(b, a));
      assertThat(PruneRecord.join(PruneRecord.join(a, b), c))
          .as("seed %d", seed)
          .isEqualTo(PruneRecord.join(a, PruneRecord.join(b, c)));
      assertThat(PruneRecord.join(a, a)).as("seed %d", seed).isEqualTo(a);
    }
  }

  @Test
  void prop_any_gossip_order_ends_in_the_same_record_and_a_performed_one_stays_performed() {
    for (long seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      List<PruneRecord> news = new ArrayList<>();
      for (int i = 0, n = 1 + random.nextInt(6); i < n; i++) {
        news.add(random(random));
      }
      PruneRecord first = fold(news);
      List<PruneRecord> shuffled = new ArrayList<>(news);
      java.util.Collections.shuffle(shuffled, random);
      shuffled.add(news.get(random.nextInt(news.size()))); // a repeat
      assertThat(fold(shuffled)).as("seed %d", seed).isEqualTo(first);
      if (news.stream().anyMatch(r -> r.sameProposal(first) && r.phase() == Phase.PERFORMED)) {
        assertThat(first.phase()).as("seed %d", seed).isEqualTo(Phase.PERFORMED);
      }
      for (String member : first.collected()) {
        assertThat(news)
            .as("seed %d: %s's mark comes from the winning proposal", seed, member)
            .anyMatch(r -> r.sameProposal(first) && r.collected().contains(member));
      }
    }
  }

  @Test
  void malformedRecordsAreRefused() {
    assertThat(PruneRecord.of(new PruneInfo(0, List.of("x.1"), "a.1", 0, List.of(), 1))).isNull();
    assertThat(PruneRecord.of(new PruneInfo(1, List.of(), "a.1", 0, List.of(), 1))).isNull();
    assertThat(PruneRecord.of(new PruneInfo(1, List.of("x.1"), "a.1", 9, List.of(), 1))).isNull();
    assertThat(PruneRecord.of(new PruneInfo(1, List.of("noincarnation"), "a.1", 0, List.of(), 1)))
        .isNull();
    assertThat(PruneRecord.of(new PruneInfo(1, List.of("x.1"), "a", 0, List.of(), 1))).isNull();
    assertThat(PruneRecord.of(new PruneInfo(1, List.of("x.1"), "bad owner.1", 0, List.of(), 1)))
        .isNull();
    PruneRecord ok =
        PruneRecord.of(new PruneInfo(1, List.of("y.2", "x.1"), "a.1", 2, List.of("b"), 1));
    assertThat(ok.ownerNode()).isEqualTo("a");
    assertThat(ok.removed()).containsExactly(ReplicaId.of("x.1"), ReplicaId.of("y.2"));
    assertThat(PruneRecord.of(ok.info())).isEqualTo(ok);
  }

  private static PruneRecord fold(List<PruneRecord> records) {
    PruneRecord r = records.get(0);
    for (PruneRecord next : records.subList(1, records.size())) {
      r = PruneRecord.join(r, next);
    }
    return r;
  }
}
