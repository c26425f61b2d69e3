package dev.converge.sync.internal;

import dev.converge.crdt.ReplicaId;
import dev.converge.sync.internal.Message.PruneInfo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One prune record of the cluster pruning protocol ({@link Pruning}, decision 0012), gossiped with
 * the membership view: record {@code seq} folds the replica ids {@code removed} into {@code owner}.
 * Records of one seq form a lattice ({@link #join}). {@code removed} is sorted; {@code owner} is
 * the owner's replica id, so that a later incarnation of the owner's node id (which holds nothing
 * that was collected) is never taken for it; {@code collected} holds node ids.
 */
record PruneRecord(
    long seq,
    List<ReplicaId> removed,
    String owner,
    Phase phase,
    Set<String> collected,
    long createdMillis) {

  /** A record's phase, in lattice order. */
  enum Phase {
    COLLECTING,
    ABANDONED,
    PERFORMED
  }

  /** At most this many replica ids are pruned by one record. */
  static final int MAX_IDS_PER_RECORD = 64;

  PruneInfo info() {
    return new PruneInfo(
        seq,
        removed.stream().map(ReplicaId::value).toList(),
        owner,
        phase.ordinal(),
        List.copyOf(new TreeSet<>(collected)),
        createdMillis);
  }

  /** The record {@code info} describes, or null if it is malformed. */
  static PruneRecord of(PruneInfo info) {
    if (info.seq() <= 0
        || info.removed().isEmpty()
        || info.removed().size() > MAX_IDS_PER_RECORD
        || info.phase() < 0
        || info.phase() >= Phase.values().length
        || ReplicaId.validate(info.owner()) != null
        || info.owner().lastIndexOf('.') <= 0) {
      return null;
    }
    List<ReplicaId> removed = new ArrayList<>();
    for (String r : info.removed()) {
      if (ReplicaId.validate(r) != null || r.lastIndexOf('.') <= 0) {
        return null;
      }
      removed.add(ReplicaId.of(r));
    }
    Collections.sort(removed);
    return new PruneRecord(
        info.seq(),
        List.copyOf(removed),
        info.owner(),
        Phase.values()[info.phase()],
        Set.copyOf(info.collected()),
        info.createdMillis());
  }

  /** The owner's node id (the owner is named by its replica id, nodeId.incarnation). */
  String ownerNode() {
    return owner.substring(0, owner.lastIndexOf('.'));
  }

  boolean sameProposal(PruneRecord o) {
    return owner.equals(o.owner) && removed.equals(o.removed);
  }

  /*
   * The join of two records of one seq, lexicographic: the smaller proposal (owner, then ids)
   * wins whole, with its own marks; one proposal joins by the further phase and the union of the
   * collected nodes. A member marks only the proposal it holds, so a mark always names the owner
   * it handed its data to, and the larger of two concurrent proposals can never perform: the
   * smaller one's owner, a member, never marks it.
   */
  static PruneRecord join(PruneRecord a, PruneRecord b) {
    if (a.sameProposal(b)) {
      Phase phase = a.phase.compareTo(b.phase) >= 0 ? a.phase : b.phase;
      Set<String> collected = a.collected;
      if (!a.collected.containsAll(b.collected)) {
        Set<String> union = new HashSet<>(a.collected);
        union.addAll(b.collected);
        collected = Set.copyOf(union);
      }
      long created = Math.min(a.createdMillis, b.createdMillis);
      if (phase == a.phase && collected == a.collected && created == a.createdMillis) {
        return a;
      }
      return new PruneRecord(a.seq, a.removed, a.owner, phase, collected, created);
    }
    int p = a.owner.compareTo(b.owner);
    if (p == 0) {
      p = a.removed.toString().compareTo(b.removed.toString());
    }
    return p <= 0 ? a : b;
  }

  PruneRecord with(Phase p, Set<String> c) {
    return new PruneRecord(seq, removed, owner, p, c, createdMillis);
  }
}
