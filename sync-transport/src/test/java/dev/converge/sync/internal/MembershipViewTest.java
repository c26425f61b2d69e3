package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.sync.ClusterMember;
import dev.converge.sync.MemberStatus;
import dev.converge.sync.PeerAddress;
import dev.converge.sync.SyncOptions;
import dev.converge.sync.internal.Message.MemberInfo;
import dev.converge.sync.internal.Message.Members;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The membership view is a lattice (decision 0010): nodes that receive the same entries, in any
 * order and any number of times, end with the same view, the same current members and the same N.
 */
class MembershipViewTest {

  private static final int SEEDS = 300;

  private static Membership observer(String selfId, Random random) {
    return new Membership(
        SyncOptions.localTest().setNodeId(selfId),
        "self",
        1_000,
        new PeerAddress("127.0.0.1", 9),
        new LinkFilter(),
        (peer, message) -> true,
        new NoEvents(),
        random,
        () -> 5_000_000L,
        List::of);
  }

  /**
   * A random history of 4 node ids: each restarts as new incarnations, durable sessions restart on
   * the same incarnation, statuses move forward, some are removed; every state any node could have
   * gossiped on the way is a fact.
   */
  private static List<MemberInfo> history(Random random) {
    List<MemberInfo> facts = new ArrayList<>();
    for (int n = 1; n <= 4; n++) {
      long since = 100;
      for (int inc = 0, incs = 1 + random.nextInt(3); inc < incs; inc++) {
        for (int session = 0, sessions = 1 + random.nextInt(2); session < sessions; session++) {
          since += 1 + random.nextInt(50);
          int last = random.nextInt(MemberStatus.values().length);
          for (int status = 0; status <= last; status++) {
            if (status == MemberStatus.REMOVED.ordinal() && random.nextBoolean()) {
              continue; // left without being removed
            }
            facts.add(
                new MemberInfo(
                    "n" + n, "i" + inc, status, since, "10.0.0." + n, 7000 + inc, Map.of()));
          }
        }
      }
    }
    return facts;
  }

  private static List<MemberInfo> othersOf(Membership m, String selfId) {
    List<MemberInfo> infos = new ArrayList<>();
    for (MemberInfo info : m.view().members()) {
      if (!info.nodeId().equals(selfId)) {
        infos.add(info);
      }
    }
    infos.sort(Comparator.comparing(MemberInfo::nodeId).thenComparing(MemberInfo::incarnation));
    return infos;
  }

  private static List<String> current(Membership m) {
    List<String> out = new ArrayList<>();
    for (ClusterMember c : m.members()) {
      out.add(c.nodeId() + "/" + c.incarnation() + "/" + c.status());
    }
    return out;
  }

  @Test
  void prop_views_converge_whatever_the_order_and_repetition_of_gossip() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      List<MemberInfo> facts = history(random);
      List<Membership> observers = new ArrayList<>();
      for (String id : List.of("x", "y", "z")) {
        Membership m = observer(id, random);
        List<MemberInfo> order = new ArrayList<>(facts);
        order.addAll(facts.subList(0, facts.size() / 2)); // duplicates
        Collections.shuffle(order, random);
        // Delivered in frames of random size, as gossip would.
        for (int i = 0; i < order.size(); ) {
          int n = 1 + random.nextInt(5);
          m.merge(new Members(order.subList(i, Math.min(order.size(), i + n))));
          i += n;
        }
        observers.add(m);
      }
      List<MemberInfo> first = othersOf(observers.get(0), "x");
      for (int i = 1; i < observers.size(); i++) {
        String id = List.of("x", "y", "z").get(i);
        assertThat(othersOf(observers.get(i), id)).as("seed %s", seed).isEqualTo(first);
        assertThat(current(observers.get(i)))
            .as("seed %s", seed)
            .isEqualTo(current(observers.get(0)));
        assertThat(observers.get(i).counted())
            .as("seed %s", seed)
            .isEqualTo(observers.get(0).counted());
      }
      // The current incarnation of a node id is its latest started one, if not gone; every older
      // one is superseded.
      for (int n = 1; n <= 4; n++) {
        String nodeId = "n" + n;
        MemberInfo latestLive =
            first.stream()
                .filter(f -> f.nodeId().equals(nodeId))
                .max(Comparator.comparingLong(MemberInfo::since))
                .filter(f -> !MemberStatus.values()[f.status()].isGone())
                .orElse(null);
        List<String> now = current(observers.get(0));
        if (latestLive == null) {
          assertThat(now).as("seed %s", seed).noneMatch(c -> c.startsWith(nodeId + "/"));
        } else {
          assertThat(now)
              .as("seed %s", seed)
              .anyMatch(c -> c.startsWith(nodeId + "/" + latestLive.incarnation() + "/"));
        }
        assertThat(
                first.stream()
                    .filter(f -> f.nodeId().equals(nodeId))
                    .filter(f -> !MemberStatus.values()[f.status()].isGone())
                    .count())
            .as("seed %s: at most one live incarnation of %s", seed, nodeId)
            .isLessThanOrEqualTo(1);
      }
    }
  }

  @Test
  void aRemovedIncarnationStaysRemovedAndIsRefusedButALeftOneMayStartANewSession() {
    Membership m = observer("x", new Random(1));
    m.merge(new Members(List.of(info("a", "i1", MemberStatus.UP, 10))));
    m.merge(new Members(List.of(info("a", "i1", MemberStatus.REMOVED, 10))));
    m.merge(new Members(List.of(info("a", "i1", MemberStatus.UP, 99)))); // a later session
    assertThat(m.members()).isEmpty();
    assertThat(m.refusal(hello("a", "i1", 100))).contains("was removed");

    m.merge(new Members(List.of(info("b", "j1", MemberStatus.LEFT, 10))));
    assertThat(m.refusal(hello("b", "j1", 20))).isNull();
    m.hello(hello("b", "j1", 20)); // back on its data
    assertThat(m.members()).extracting(ClusterMember::nodeId).containsExactly("b");
    m.merge(new Members(List.of(info("b", "j1", MemberStatus.LEFT, 10)))); // stale news
    assertThat(m.members()).extracting(ClusterMember::nodeId).containsExactly("b");
  }

  @Test
  void aClaimOfANewerIncarnationOfThisNodeIsNeitherObeyedNorSpread() {
    Membership m = observer("x", new Random(1));
    m.merge(new Members(List.of(info("x", "impostor", MemberStatus.UP, 2_000))));
    assertThat(m.isSelfRemoved()).isFalse();
    assertThat(m.view().members()).extracting(MemberInfo::incarnation).containsExactly("self");
    m.merge(new Members(List.of(info("x", "earlier", MemberStatus.UP, 500))));
    assertThat(m.view().members())
        .filteredOn(i -> i.incarnation().equals("earlier"))
        .extracting(MemberInfo::status)
        .containsExactly(MemberStatus.REMOVED.ordinal());
  }

  private static MemberInfo info(String nodeId, String incarnation, MemberStatus s, long since) {
    return new MemberInfo(nodeId, incarnation, s.ordinal(), since, "10.0.0.1", 7001, Map.of());
  }

  private static Message.Hello hello(String nodeId, String incarnation, long since) {
    return new Message.Hello(
        "converge",
        Message.PROTOCOL_VERSION,
        nodeId,
        incarnation,
        "10.0.0.1",
        7001,
        1L,
        since,
        Map.of(),
        new byte[HandshakeAuth.NONCE_BYTES]);
  }

  private static final class NoEvents implements Membership.Events {
    @Override
    public void learnt(String nodeId, PeerAddress address) {}

    @Override
    public void newIncarnation(String nodeId) {}

    @Override
    public void gone(String nodeId, MemberStatus status) {}

    @Override
    public void reachable(String nodeId) {}

    @Override
    public void stalled(String nodeId) {}

    @Override
    public void selfRemoved(String reason) {}
  }
}
