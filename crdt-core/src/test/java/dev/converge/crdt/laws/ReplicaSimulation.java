package dev.converge.crdt.laws;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.Mutation;
import dev.converge.crdt.MutationContext;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.causal.HybridLogicalClock;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;

/**
 * A seeded simulation of 2 to 5 replicas of one CRDT exchanging deltas and full states over a
 * faulty network: messages are lost, duplicated and reordered, and partitions come and go. Every
 * operation is recorded with its causal past, so a test can compare the converged value with a
 * sequential specification over happens-before.
 *
 * <p>Causal past: a replica's history is the set of operations whose effects its state reflects,
 * closed under happens-before. A delta message carries the operations it holds and their pasts. For
 * types whose deltas need causal delivery (the OR-Set, as in Almeida et al. §6), a delta whose
 * operations' pasts are not all in the receiver's history is discarded on arrival, as a lost
 * message: full-state synchronisation repairs it later, exactly what the replication layer does.
 */
public final class ReplicaSimulation<T extends Crdt<T>> {

  /** One operation as performed. */
  public record Performed<T extends Crdt<T>>(
      int id, int replica, CrdtLaws.Op<T> op, BitSet past, Mutation<T> mutation) {}

  /** Observer of every mutation, to check mutation laws where they happen. */
  interface MutationCheck<T extends Crdt<T>> {
    void check(T before, Mutation<T> mutation);
  }

  /** A replica state as replica {@code replica} held it at some point. */
  record Held<T>(int replica, T state) {}

  private record Message<T>(int from, int to, T payload, BitSet history, BitSet needs) {}

  private final CrdtLaws<T> laws;
  private final Random random;
  private final MutationCheck<T> check;
  final int replicaCount;
  final List<T> states = new ArrayList<>();
  final List<BitSet> histories = new ArrayList<>();
  final List<Performed<T>> performed = new ArrayList<>();

  /** Every state and delta seen, for the algebraic laws. */
  final List<T> pool = new ArrayList<>();

  /** Every replica state some replica held, with its holder (no deltas). */
  final List<Held<T>> held = new ArrayList<>();

  private final List<MutationContext> contexts = new ArrayList<>();
  private final long[] wallClocks;
  private final List<Message<T>> inFlight = new ArrayList<>();
  private final double lossRate;
  private final double duplicationRate;
  private int[] partitionSide;

  private final boolean causalDelivery;

  ReplicaSimulation(
      CrdtLaws<T> laws, Random random, MutationCheck<T> check, boolean causalDelivery) {
    this.laws = laws;
    this.causalDelivery = causalDelivery;
    this.random = random;
    this.check = check;
    this.replicaCount = 2 + random.nextInt(4);
    this.lossRate = random.nextDouble() * 0.4;
    this.duplicationRate = random.nextDouble() * 0.3;
    this.wallClocks = new long[replicaCount];
    CrdtType<T> type = laws.type();
    for (int i = 0; i < replicaCount; i++) {
      int replica = i;
      // Skewed wall clocks, up to a minute apart; they advance and sometimes jump backwards.
      wallClocks[i] = 1_700_000_000_000L + random.nextInt(60_000);
      contexts.add(
          MutationContext.of(
              ReplicaId.of("r" + i), new HybridLogicalClock(() -> wallClocks[replica])));
      states.add(type.empty());
      histories.add(new BitSet());
    }
    pool.add(type.empty());
  }

  /** The id of replica {@code index}. */
  ReplicaId replicaId(int index) {
    return contexts.get(index).replica();
  }

  /** Runs {@code steps} random steps, then heals, delivers and synchronises everything. */
  ReplicaSimulation<T> run(int steps) {
    for (int step = 0; step < steps; step++) {
      int dice = random.nextInt(100);
      if (dice < 50) {
        perform(random.nextInt(replicaCount));
      } else if (dice < 80) {
        deliverOne();
      } else if (dice < 90) {
        int from = random.nextInt(replicaCount);
        int to = random.nextInt(replicaCount);
        if (from != to && connected(from, to)) {
          syncFullState(from, to);
        }
      } else if (dice < 95) {
        sendDeltaGroup(random.nextInt(replicaCount));
      } else {
        togglePartition();
      }
      for (int i = 0; i < replicaCount; i++) {
        wallClocks[i] += random.nextInt(10) < 1 ? -random.nextInt(5_000) : random.nextInt(50);
      }
    }
    partitionSide = null;
    while (!inFlight.isEmpty()) {
      deliverOne();
    }
    for (int round = 0; round < 2; round++) {
      for (int from = 0; from < replicaCount; from++) {
        for (int to = 0; to < replicaCount; to++) {
          if (from != to) {
            syncFullState(from, to);
          }
        }
      }
    }
    return this;
  }

  /** Performs a random operation at {@code replica} and sends its delta to every other replica. */
  private void perform(int replica) {
    T before = states.get(replica);
    CrdtLaws.Op<T> op = laws.randomOp(random, before);
    Mutation<T> mutation = op.mutator().apply(before, contexts.get(replica));
    check.check(before, mutation);
    int id = performed.size();
    BitSet past = (BitSet) histories.get(replica).clone();
    performed.add(new Performed<>(id, replica, op, past, mutation));
    states.set(replica, mutation.state());
    histories.get(replica).set(id);
    pool.add(mutation.state());
    pool.add(mutation.delta());
    held.add(new Held<>(replica, mutation.state()));
    BitSet carried = (BitSet) past.clone();
    carried.set(id);
    for (int to = 0; to < replicaCount; to++) {
      if (to != replica) {
        send(new Message<>(replica, to, mutation.delta(), carried, past));
      }
    }
  }

  /** Joins the deltas of the last few operations of {@code replica} and sends the group. */
  private void sendDeltaGroup(int replica) {
    T group = null;
    BitSet carried = new BitSet();
    BitSet needs = new BitSet();
    BitSet members = new BitSet();
    int taken = 0;
    for (int i = performed.size() - 1; i >= 0 && taken < 4; i--) {
      Performed<T> p = performed.get(i);
      if (p.replica() == replica) {
        group = group == null ? p.mutation().delta() : p.mutation().delta().merge(group);
        carried.or(p.past());
        carried.set(p.id());
        needs.or(p.past());
        members.set(p.id());
        taken++;
      }
    }
    int to = random.nextInt(replicaCount);
    if (group == null || to == replica) {
      return;
    }
    needs.andNot(members);
    pool.add(group);
    send(new Message<>(replica, to, group, carried, needs));
  }

  private void send(Message<T> message) {
    inFlight.add(message);
  }

  private void deliverOne() {
    if (inFlight.isEmpty()) {
      return;
    }
    Message<T> message = inFlight.remove(random.nextInt(inFlight.size()));
    boolean healthy = partitionSide == null;
    if (!connected(message.from(), message.to()) || (!healthy && random.nextDouble() < lossRate)) {
      return; // lost
    }
    if (healthy && random.nextDouble() < lossRate / 2) {
      return; // lost
    }
    if (random.nextDouble() < duplicationRate) {
      inFlight.add(message); // delivered again later
    }
    receive(message.to(), message.payload(), message.history(), message.needs());
  }

  private void receive(int to, T payload, BitSet history, BitSet needs) {
    BitSet missing = (BitSet) needs.clone();
    missing.andNot(histories.get(to));
    if (causalDelivery && laws.deltasNeedCausalDelivery() && !missing.isEmpty()) {
      return; // not causally ready: discarded; full-state sync repairs it
    }
    T merged = states.get(to).merge(payload);
    states.set(to, merged);
    histories.get(to).or(history);
    pool.add(merged);
    held.add(new Held<>(to, merged));
  }

  private void syncFullState(int from, int to) {
    receive(to, states.get(from), histories.get(from), new BitSet());
  }

  private boolean connected(int a, int b) {
    return partitionSide == null || partitionSide[a] == partitionSide[b];
  }

  private void togglePartition() {
    if (partitionSide != null) {
      partitionSide = null;
      return;
    }
    partitionSide = new int[replicaCount];
    for (int i = 0; i < replicaCount; i++) {
      partitionSide[i] = random.nextInt(2);
    }
  }
}
