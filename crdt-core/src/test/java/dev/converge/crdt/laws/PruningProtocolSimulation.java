package dev.converge.crdt.laws;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.MutationContext;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.ReplicaPruning;
import dev.converge.crdt.causal.HybridLogicalClock;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;

/**
 * A seeded simulation of the removed-replica pruning protocol ({@link ReplicaPruning}) on one key:
 * replicas A, B, C and R write and exchange deltas and states with random partial delivery; R is
 * removed; the owner O (one of A, B, C) merges everyone's state and prunes R; the pruned state
 * travels with its marker; every other replica cleans R out of its own state before it first joins
 * the pruned state, and out of everything it receives afterwards.
 *
 * <p>Messages sent before the prune (deltas, and stale full-state copies taken at random moments,
 * R's included) are kept back and delivered late, in random order. Every operation is recorded with
 * its causal past as in {@link ReplicaSimulation}; the prune is recorded as the updates it stands
 * for ({@link PruningLaws#pruneAsUpdates}), performed by O with O's history as their past. A
 * replica that holds the marker must never mention R again: checked after every step.
 */
final class PruningProtocolSimulation<T extends Crdt<T> & ReplicaPruning<T>> {

  static final int R = 3;

  private record Message<T>(int to, T payload, BitSet history, BitSet needs, boolean marker) {}

  private final PruningLaws<T> laws;
  private final Random random;
  final ReplicaId[] ids = new ReplicaId[4];
  final int owner;
  final List<T> states = new ArrayList<>();
  final List<BitSet> histories = new ArrayList<>();
  final boolean[] marked = new boolean[4];
  final List<ReplicaSimulation.Performed<T>> performed = new ArrayList<>();

  /** Ids of the updates the prune stands for. */
  final BitSet pruneUpdates = new BitSet();

  /**
   * Operations performed, after the prune, by a replica that had not yet joined the pruned state.
   */
  int concurrentWithPrune;

  private final List<MutationContext> contexts = new ArrayList<>();
  private final long[] wallClocks = new long[4];
  private final List<Message<T>> inFlight = new ArrayList<>();
  private final List<Message<T>> lateCopies = new ArrayList<>();
  private T pruned;
  private BitSet prunedHistory;

  PruningProtocolSimulation(PruningLaws<T> laws, Random random) {
    this.laws = laws;
    this.random = random;
    this.owner = random.nextInt(3);
    for (int i = 0; i < 4; i++) {
      int replica = i;
      // Node-like ids in a random order, so that tie-breaks by id differ from seed to seed.
      ids[i] = ReplicaId.of("n" + (char) ('a' + random.nextInt(26)) + "." + (char) ('a' + i) + i);
      wallClocks[i] = 1_700_000_000_000L + random.nextInt(60_000);
      contexts.add(MutationContext.of(ids[i], new HybridLogicalClock(() -> wallClocks[replica])));
      states.add(laws.type().empty());
      histories.add(new BitSet());
    }
  }

  ReplicaId removed() {
    return ids[R];
  }

  ReplicaId ownerId() {
    return ids[owner];
  }

  T pruned() {
    return pruned;
  }

  /** Random operations at A, B, C and R with random partial delivery; nothing is healed. */
  PruningProtocolSimulation<T> runBeforePrune(int steps) {
    for (int step = 0; step < steps; step++) {
      int dice = random.nextInt(100);
      if (dice < 45) {
        perform(random.nextInt(4), 0.7);
      } else if (dice < 70) {
        deliverOne(0.1);
      } else if (dice < 80) {
        int from = random.nextInt(4);
        int to = random.nextInt(4);
        if (from != to) {
          receive(to, states.get(from), histories.get(from), new BitSet(), false);
        }
      } else if (dice < 90) {
        int from = random.nextInt(4);
        lateCopies.add(
            new Message<>(
                -1, states.get(from), (BitSet) histories.get(from).clone(), new BitSet(), false));
      }
      tick();
    }
    return this;
  }

  /**
   * Phase 1: O merges the state of every replica, so it holds all of R's contributions, and prunes
   * R. R is gone: it performs nothing more, but its messages in flight and its stale copies may
   * still arrive anywhere. Returns the state O held before pruning: the model without pruning.
   */
  T prune() {
    T joined = states.get(owner);
    BitSet history = histories.get(owner);
    for (int i = 0; i < 4; i++) {
      joined = joined.merge(states.get(i));
      history.or(histories.get(i));
    }
    lateCopies.add(
        new Message<>(-1, states.get(R), (BitSet) histories.get(R).clone(), new BitSet(), false));
    pruned = joined.prune(removed(), ownerId());
    BitSet past = (BitSet) history.clone();
    for (CrdtLaws.Op<T> op : laws.pruneAsUpdates(joined, removed(), pruned)) {
      int id = performed.size();
      performed.add(
          new ReplicaSimulation.Performed<>(
              id, owner, op, (BitSet) past.clone(), new Mutation<>(pruned, pruned)));
      pruneUpdates.set(id);
      history.set(id);
    }
    states.set(owner, pruned);
    marked[owner] = true;
    prunedHistory = (BitSet) history.clone();
    checkNoTraceAtMarkedReplicas();
    return joined;
  }

  /** What a replica does when the marker first reaches it: clean its own state, join O's. */
  void joinPruned(int replica) {
    states.set(replica, states.get(replica).pruningCleanup(removed()).merge(pruned));
    histories.get(replica).or(prunedHistory);
    marked[replica] = true;
  }

  /**
   * Random operations at A, B and C (never R) after the prune, exchanged with random partial
   * delivery; late pre-prune messages and stale copies arrive among them. With {@code
   * writeOnlyOnceMarked}, a replica performs operations only after it joined the pruned state.
   */
  PruningProtocolSimulation<T> runAfterPrune(int steps, boolean writeOnlyOnceMarked) {
    for (int step = 0; step < steps; step++) {
      int dice = random.nextInt(100);
      int replica = random.nextInt(3);
      if (dice < 40) {
        if (marked[replica] || !writeOnlyOnceMarked) {
          concurrentWithPrune += marked[replica] ? 0 : 1;
          perform(replica, 0.8);
        }
      } else if (dice < 75) {
        deliverOne(0.1);
      } else if (dice < 85) {
        int to = random.nextInt(3);
        if (to != replica) {
          receive(to, states.get(replica), histories.get(replica), new BitSet(), marked[replica]);
        }
      } else if (dice < 95 && !lateCopies.isEmpty()) {
        Message<T> copy = lateCopies.remove(random.nextInt(lateCopies.size()));
        receive(random.nextInt(3), copy.payload(), copy.history(), new BitSet(), false);
      }
      tick();
      checkNoTraceAtMarkedReplicas();
    }
    return this;
  }

  /** Delivers every message and stale copy, in random order, without loss. */
  PruningProtocolSimulation<T> deliverEverythingLate() {
    while (!inFlight.isEmpty() || !lateCopies.isEmpty()) {
      if (!lateCopies.isEmpty() && (inFlight.isEmpty() || random.nextBoolean())) {
        Message<T> copy = lateCopies.remove(random.nextInt(lateCopies.size()));
        receive(random.nextInt(3), copy.payload(), copy.history(), new BitSet(), false);
      } else {
        deliverOne(0);
      }
      checkNoTraceAtMarkedReplicas();
    }
    return this;
  }

  /** Full-state synchronisation between A, B and C, twice around. */
  PruningProtocolSimulation<T> synchronise() {
    for (int round = 0; round < 2; round++) {
      for (int from = 0; from < 3; from++) {
        for (int to = 0; to < 3; to++) {
          if (from != to) {
            receive(to, states.get(from), histories.get(from), new BitSet(), marked[from]);
          }
        }
      }
    }
    checkNoTraceAtMarkedReplicas();
    return this;
  }

  /** The recorded history without the updates the prune stands for. */
  List<ReplicaSimulation.Performed<T>> userOperations() {
    List<ReplicaSimulation.Performed<T>> ops = new ArrayList<>();
    for (ReplicaSimulation.Performed<T> p : performed) {
      if (!pruneUpdates.get(p.id())) {
        ops.add(p);
      }
    }
    return ops;
  }

  private void perform(int replica, double sendProbability) {
    T before = states.get(replica);
    CrdtLaws.Op<T> op = laws.randomOp(random, before);
    Mutation<T> mutation = op.mutator().apply(before, contexts.get(replica));
    laws.checkMutation(before, mutation);
    int id = performed.size();
    BitSet past = (BitSet) histories.get(replica).clone();
    performed.add(new ReplicaSimulation.Performed<>(id, replica, op, past, mutation));
    states.set(replica, mutation.state());
    histories.get(replica).set(id);
    BitSet carried = (BitSet) past.clone();
    carried.set(id);
    for (int to = 0; to < 4; to++) {
      if (to != replica && random.nextDouble() < sendProbability) {
        inFlight.add(new Message<>(to, mutation.delta(), carried, past, marked[replica]));
      }
    }
  }

  private void deliverOne(double lossRate) {
    if (inFlight.isEmpty()) {
      return;
    }
    Message<T> m = inFlight.remove(random.nextInt(inFlight.size()));
    if (random.nextDouble() >= lossRate) {
      receive(m.to(), m.payload(), m.history(), m.needs(), m.marker());
    }
  }

  /*
   * The receiving side of the protocol. A message that carries the marker makes an unmarked
   * receiver join the pruned state first (the marker travels with the owner's pruned state);
   * a marked receiver cleans everything it merges.
   */
  private void receive(int to, T payload, BitSet history, BitSet needs, boolean marker) {
    if (pruned != null && to == R) {
      return; // R is gone
    }
    if (marker && !marked[to]) {
      joinPruned(to);
    }
    BitSet missing = (BitSet) needs.clone();
    missing.andNot(histories.get(to));
    if (laws.deltasNeedCausalDelivery() && !missing.isEmpty()) {
      return; // not causally ready: discarded, as in ReplicaSimulation
    }
    T incoming = marked[to] ? payload.pruningCleanup(removed()) : payload;
    states.set(to, states.get(to).merge(incoming));
    histories.get(to).or(history);
  }

  private void tick() {
    for (int i = 0; i < 4; i++) {
      wallClocks[i] += random.nextInt(10) < 1 ? -random.nextInt(5_000) : random.nextInt(50);
    }
  }

  private void checkNoTraceAtMarkedReplicas() {
    for (int i = 0; i < 3; i++) {
      if (marked[i] && states.get(i).mentions(removed())) {
        throw new AssertionError(
            "replica "
                + ids[i]
                + " holds the marker but mentions "
                + removed()
                + ": "
                + states.get(i));
      }
    }
  }
}
