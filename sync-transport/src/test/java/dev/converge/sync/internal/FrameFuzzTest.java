package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.CrdtType;
import dev.converge.crdt.GCounter;
import dev.converge.crdt.Key;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.crdt.codec.ValueCodec;
import dev.converge.sync.ClusterMember;
import dev.converge.sync.ConvergenceProbe;
import dev.converge.sync.Replicator;
import dev.converge.sync.SyncMetrics;
import dev.converge.sync.SyncOptions;
import dev.converge.sync.TestCluster;
import dev.converge.sync.internal.FuzzClient.Mode;
import dev.converge.sync.internal.FuzzClient.Tally;
import dev.converge.sync.internal.FuzzCorpus.KnownMember;
import io.vertx.core.Future;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the gossip frame decoder and the CRDT codec of a live node over real TCP: a million (by
 * default) random and mutated frames ({@link FrameMutator}) sent to node n0 of a two-node cluster
 * with a cluster secret, half of them before the handshake (the fuzzer is a stranger) and half
 * after a correct authenticated handshake (the fuzzer knows the secret and plays a buggy peer,
 * "fuzzer"). Every connection's outcome is predicted by {@link NodeModel} and checked by {@link
 * FuzzClient}; the node must then show:
 *
 * <ul>
 *   <li>no crash: no exception escapes a decoder or handler (nothing logged at ERROR, no warning
 *       with a stack trace), and the node counted exactly the protocol errors, authentication
 *       failures and admitted frames the model predicts;
 *   <li>no hang: the node closes every connection (each read has a deadline);
 *   <li>no change of state by unauthenticated input: after the first half every key equals its
 *       state before, and no key was added; after the second half every key the cluster wrote is
 *       only inflated ({@code old ⊔ new = new}), every stored key reads as its type and re-encodes
 *       to an equal state, every state the node accepted from the fuzzer is merged, and the two
 *       nodes converge on every key;
 *   <li>no new members but the fuzzer's own authenticated id;
 *   <li>no unbounded memory: heap used after GC grows by less than 64 MiB;
 *   <li>the node keeps serving its peer: every 100,000 frames, and at the end, a write on each node
 *       replicates to the other.
 * </ul>
 *
 * <p>Gossip that names members the node does not know is not malformed input: a secret holder may
 * send it and the node would dial them. The fuzzer withholds such Members frames (and counts them)
 * and keeps its own identity fixed; Members frames naming known members are fuzzed like any other.
 *
 * <p>{@link MutatedFrameDecodingTest} decodes the same kind of inputs in-process, which is faster
 * and points at a failing decoder directly; it is no substitute for this test, which checks what a
 * running node does with them. {@code BlankPeerHostTest} holds the regression tests of the bug this
 * fuzzer found first (a blank host in a Hello or in gossip escaped validation).
 *
 * <p>Run: {@code ./mvnw -o -pl sync-transport -am test -Dtest=FrameFuzzTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dconverge.fuzz.frames=1000000 -Dconverge.fuzz.seed=S
 * -Dconverge.fuzz.connections=16}; past about 10 million frames, also raise {@code @Timeout}. Each
 * worker draws from its own seeded {@link Random}, so seed and worker count replay the same inputs;
 * a failure names both. The numbers (frames per second, heap, counts per strategy) are printed to
 * {@code target/surefire-reports/dev.converge.sync.internal.FrameFuzzTest-output.txt}.
 */
class FrameFuzzTest {

  private static final String SECRET = "correct horse battery staple";
  static final long DEFAULT_SEED = 0xF0220L;
  private static final long FRAMES = Long.getLong("converge.fuzz.frames", 1_000_000);
  private static final long SEED = Long.getLong("converge.fuzz.seed", DEFAULT_SEED);
  private static final int WORKERS = Integer.getInteger("converge.fuzz.connections", 16);
  private static final long CHECK_EVERY_FRAMES = 100_000;
  /* Smaller than the default 8 MiB, so that a lying length within the limit costs less padding. */
  private static final int MAX_FRAME_BYTES = 256 * 1024;
  private static final long HEAP_GROWTH_LIMIT = 64L << 20;
  private static final CrdtCodec CODEC = CrdtCodec.standard();

  private final Random random = new Random(SEED);
  private final List<Key<?>> clusterKeys = new ArrayList<>();
  private final Map<String, Object> before = new HashMap<>();
  private final List<Key<?>> aliveKeys = new ArrayList<>();
  private final StringBuilder report = new StringBuilder();
  private TestCluster cluster;
  private Replicator target;
  private Replicator peer;

  @Test
  @Timeout(value = 30, unit = TimeUnit.MINUTES) // a hang fails per connection, within 30 s
  void hostileFramesNeitherCrashNorHangNorLeakNorChangeStateAndTheNodeKeepsServing() {
    System.out.printf(
        "FrameFuzzTest: %,d frames, seed %d, %d connections; rerun with -Dconverge.fuzz.seed=%d"
            + " -Dconverge.fuzz.connections=%d%n",
        FRAMES, SEED, WORKERS, SEED, WORKERS);
    LogWatch log = LogWatch.install();
    try (TestCluster c =
        TestCluster.start(2, o -> o.setClusterSecret(SECRET).setMaxFrameBytes(MAX_FRAME_BYTES))) {
      cluster = c;
      target = c.node(0);
      peer = c.node(1);
      fuzz(log);
    } catch (Throwable t) {
      if (t instanceof VirtualMachineError vm) {
        throw vm;
      }
      throw new AssertionError(
          "[seed "
              + SEED
              + ", "
              + WORKERS
              + " connections; rerun with -Dconverge.fuzz.seed="
              + SEED
              + " -Dconverge.fuzz.connections="
              + WORKERS
              + "] "
              + t.getMessage(),
          t);
    } finally {
      log.uninstall();
      System.out.println(report);
    }
  }

  private void fuzz(LogWatch log) {
    cluster.awaitMembership();
    writeClusterKeys();
    List<KnownMember> known =
        List.of(
            new KnownMember(
                peer.identity().nodeId(),
                peer.identity().incarnation(),
                SyncOptions.DEFAULT_HOST,
                peer.port()),
            new KnownMember(FuzzClient.FUZZER_ID, "fz1", "127.0.0.1", 1));
    List<String> existing = clusterKeys.stream().map(Key::name).toList();
    FuzzCorpus corpus = new FuzzCorpus(random, existing, known, target.identity().nodeId());
    NodeModel.Target model =
        new NodeModel.Target(
            SyncOptions.DEFAULT_CLUSTER_NAME,
            target.identity().nodeId(),
            MAX_FRAME_BYTES,
            CODEC,
            Set.copyOf(known));
    long heapBefore = heapAfterGc();
    long start = System.nanoTime();

    // Half without the secret: nothing may change, not even a counter of a peer.
    long unauthenticated = FRAMES / 2;
    Tally strangers = phase(Mode.UNAUTHENTICATED, unauthenticated, corpus, model, log);
    assertStateUnchanged();
    assertMembers(Set.of(peer.identity().nodeId()));
    long heapBetween = heapAfterGc();

    // Half as a peer holding the secret: state may grow, by merges only.
    Tally buggyPeer = phase(Mode.AUTHENTICATED, FRAMES - unauthenticated, corpus, model, log);
    double seconds = (System.nanoTime() - start) / 1e9;
    assertStateOnlyInflated();
    assertMembers(Set.of(peer.identity().nodeId(), FuzzClient.FUZZER_ID));
    StoredKeys stored = assertStoredKeysReadAndConverge(buggyPeer);
    assertServing("end");
    log.assertQuiet();
    assertThat(peer.metrics().protocolErrors())
        .as("protocol errors on the peer (n0 must not pass on anything it should have refused)")
        .isZero();

    long heapAfter = heapAfterGc();
    report.append(
        String.format(
            "%nFrameFuzzTest summary (seed %d, %d connections)%n"
                + "  frames: %,d total in %.1f s = %,.0f frames/s%n"
                + "  heap used after GC: %,d KiB before, %,d KiB after unauthenticated, %,d KiB at end"
                + " (growth %+,d KiB, limit %,d KiB)%n"
                + "  stored keys after: %,d fuzz-created (%,d with the fuzz prefix), %,d cluster keys"
                + " inflated by the buggy peer%n"
                + "  node warnings logged (refusals): %,d%n",
            SEED,
            WORKERS,
            strangers.frames.sum() + buggyPeer.frames.sum(),
            seconds,
            (strangers.frames.sum() + buggyPeer.frames.sum()) / seconds,
            heapBefore >> 10,
            heapBetween >> 10,
            heapAfter >> 10,
            (heapAfter - heapBefore) >> 10,
            HEAP_GROWTH_LIMIT >> 10,
            stored.fuzzCreated,
            stored.withPrefix,
            stored.inflatedClusterKeys,
            log.warnings()));
    assertThat(heapAfter - heapBefore)
        .as("heap growth after GC over %,d fuzz frames", FRAMES)
        .isLessThan(HEAP_GROWTH_LIMIT);
  }

  /* ------------------------------------------------------------------ phases */

  private Tally phase(
      Mode mode, long frames, FuzzCorpus corpus, NodeModel.Target model, LogWatch log) {
    SyncMetrics metricsBefore = target.metrics();
    FuzzClient client = new FuzzClient(target.port(), SECRET, model, corpus);
    Tally tally = client.tally();
    long start = System.nanoTime();
    List<Thread> workers = client.start(mode, frames, SEED, WORKERS);
    long nextCheck = CHECK_EVERY_FRAMES;
    for (Thread worker : workers) {
      while (worker.isAlive()) {
        join(worker, 200);
        if (client.failure() != null) {
          break;
        }
        if (tally.frames.sum() >= nextCheck) {
          String at = mode + " " + tally.frames.sum();
          assertServing(at);
          log.assertQuiet();
          if (mode == Mode.UNAUTHENTICATED) {
            assertStateUnchanged();
            assertMembers(Set.of(peer.identity().nodeId()));
          } else {
            assertStateOnlyInflated();
            assertMembers(Set.of(peer.identity().nodeId(), FuzzClient.FUZZER_ID));
          }
          nextCheck += CHECK_EVERY_FRAMES;
        }
      }
    }
    workers.forEach(w -> join(w, 0));
    double seconds = (System.nanoTime() - start) / 1e9;
    if (client.failure() != null) {
      throw new AssertionError(client.failure().getMessage(), client.failure());
    }
    log.assertQuiet();
    assertServing(mode + " done");

    SyncMetrics after = target.metrics();
    long errors = after.protocolErrors() - metricsBefore.protocolErrors();
    long authFailures = after.authFailures() - metricsBefore.authFailures();
    long delivered = fuzzerFrames(after) - fuzzerFrames(metricsBefore);
    report.append(
        String.format(
            "%s: %,d frames on %,d connections in %.1f s = %,.0f frames/s, %,d conn/s, %,d KiB sent;"
                + " protocol errors %,d, auth failures %,d, frames admitted %,d, states merged %,d;"
                + " withheld %,d, ended by our close %,d, padded %,d, resets %,d%n  strategies %s%n",
            mode,
            tally.frames.sum(),
            tally.connections.sum(),
            seconds,
            tally.frames.sum() / seconds,
            (long) (tally.connections.sum() / seconds),
            tally.bytes.sum() >> 10,
            errors,
            authFailures,
            delivered,
            tally.mergedEntries.sum(),
            tally.withheld.sum(),
            tally.endedByClose.sum(),
            tally.padded.sum(),
            tally.resets.sum(),
            new TreeMap<>(counts(tally.strategies))));
    assertThat(tally.frames.sum()).as("fuzz frames sent").isEqualTo(frames);
    assertThat(errors)
        .as("protocol errors the node counted (one per connection it closed for bad input)")
        .isEqualTo(tally.expectedErrors.sum())
        .isPositive();
    assertThat(authFailures)
        .as("authentication failures")
        .isEqualTo(tally.expectedAuthFailures.sum());
    assertThat(delivered)
        .as("frames the node admitted from the authenticated fuzzer")
        .isEqualTo(tally.expectedDelivered.sum());
    return tally;
  }

  private static long fuzzerFrames(SyncMetrics m) {
    SyncMetrics.Peer p = m.peers().get(FuzzClient.FUZZER_ID);
    return p == null ? 0 : p.framesReceived();
  }

  private static Map<String, Long> counts(Map<String, LongAdder> adders) {
    Map<String, Long> out = new HashMap<>();
    adders.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /* ------------------------------------------------------------------ the cluster's own data */

  /* Keys of every built-in type, written on both nodes by random operations, then converged. */
  private void writeClusterKeys() {
    List<Future<?>> writes = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Key<GCounter> g = Key.gCounter("base-g-" + i);
      Key<PNCounter> pn = Key.pnCounter("base-pn-" + i);
      Key<ORSet<String>> set = Key.orSet("base-set-" + i, ValueCodec.string());
      Key<LWWRegister<String>> reg = Key.lwwRegister("base-reg-" + i, ValueCodec.string());
      clusterKeys.addAll(List.of(g, pn, set, reg));
      for (Replicator node : cluster.nodes()) {
        writes.add(node.update(g, GCounter.incrementBy(1 + random.nextInt(100))));
        writes.add(
            node.update(
                pn,
                random.nextBoolean()
                    ? PNCounter.incrementBy(random.nextInt(100))
                    : PNCounter.decrementBy(random.nextInt(100))));
        writes.add(node.update(set, ORSet.adding("e" + random.nextInt(4))));
        writes.add(node.update(set, ORSet.removing("e" + random.nextInt(4))));
        writes.add(node.update(reg, LWWRegister.assigning("v" + random.nextInt(1000))));
      }
    }
    Future.all(writes).await();
    ConvergenceProbe.await(cluster.nodes(), clusterKeys);
    List<Object> states = ConvergenceProbe.readAll(target, clusterKeys);
    for (int i = 0; i < clusterKeys.size(); i++) {
      before.put(clusterKeys.get(i).name(), states.get(i));
    }
  }

  private void assertStateUnchanged() {
    List<Object> now = ConvergenceProbe.readAll(target, clusterKeys);
    for (int i = 0; i < clusterKeys.size(); i++) {
      assertThat(now.get(i))
          .as("%s after unauthenticated input", clusterKeys.get(i))
          .isEqualTo(before.get(clusterKeys.get(i).name()));
    }
    Set<String> expected = new HashSet<>(before.keySet());
    aliveKeys.forEach(k -> expected.add(k.name()));
    assertThat(new HashSet<>(allKeys(target)))
        .as("keys on the node after unauthenticated input")
        .isEqualTo(expected);
  }

  /* A peer with the secret may merge into the cluster's keys, never take anything away. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private int assertStateOnlyInflated() {
    List<Object> now = ConvergenceProbe.readAll(target, clusterKeys);
    int inflated = 0;
    for (int i = 0; i < clusterKeys.size(); i++) {
      Crdt old = (Crdt) before.get(clusterKeys.get(i).name());
      assertThat(old.merge((Crdt) now.get(i)))
          .as("%s: state before ⊔ state now = state now", clusterKeys.get(i))
          .isEqualTo(now.get(i));
      if (!now.get(i).equals(old)) {
        inflated++;
      }
    }
    return inflated;
  }

  /** Counts of the final key scan. */
  private record StoredKeys(int fuzzCreated, int withPrefix, int inflatedClusterKeys) {}

  /*
   * Every key the node holds reads as one built-in type and re-encodes to an equal state; every
   * state the node accepted from the fuzzer is merged in its key; both nodes converge on all keys.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private StoredKeys assertStoredKeysReadAndConverge(Tally tally) {
    Set<String> ours = new HashSet<>(before.keySet());
    aliveKeys.forEach(k -> ours.add(k.name()));
    List<Key<?>> all = new ArrayList<>();
    Map<String, TypedState<?>> stored = new LinkedHashMap<>();
    int withPrefix = 0;
    for (String name : allKeys(target)) {
      TypedState<?> state = readAnyType(name);
      stored.put(name, state);
      all.add(Key.of(name, (CrdtType) state.type()));
      byte[] bytes = CODEC.encode(state);
      assertThat(CODEC.decode(bytes).state())
          .as("key %s re-encoded and decoded", name)
          .isEqualTo(state.state());
      if (!ours.contains(name) && name.startsWith(FuzzCorpus.FUZZ_KEY_PREFIX)) {
        withPrefix++;
      }
    }
    int checked = 0;
    for (Map.Entry<String, TypedState<?>> e : tally.merged.entrySet()) {
      TypedState<?> now = stored.get(e.getKey());
      if (tally.typeConflicts.contains(e.getKey())
          || (now != null && !now.type().tag().equals(e.getValue().type().tag()))) {
        continue; // the key holds another type: the node refused these states when merging
      }
      if (e.getValue().state().equals(e.getValue().type().empty())) {
        continue; // merging an empty state creates nothing
      }
      assertThat(now)
          .as("key %s, to which the node merged accepted states", e.getKey())
          .isNotNull();
      Crdt held = (Crdt) now.state();
      assertThat(held.merge(e.getValue().state()))
          .as("key %s holds every state the node accepted for it", e.getKey())
          .isEqualTo(held);
      checked++;
    }
    report.append(String.format("  accepted states checked merged in %,d keys%n", checked));
    ConvergenceProbe.await(cluster.nodes(), all);
    return new StoredKeys(all.size() - ours.size(), withPrefix, assertStateOnlyInflated());
  }

  private TypedState<?> readAnyType(String name) {
    for (CrdtType<?> type : FuzzCorpus.TYPES) {
      TypedState<?> s = tryRead(name, type);
      if (s != null) {
        return s;
      }
    }
    throw new AssertionError("stored key " + name + " reads as none of the built-in types");
  }

  private <T extends Crdt<T>> TypedState<T> tryRead(String name, CrdtType<T> type) {
    Future<T> read = target.get(Key.of(name, type));
    try {
      return new TypedState<>(type, read.await());
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static List<String> allKeys(Replicator node) {
    List<String> all = new ArrayList<>();
    for (List<String> page = node.keys(null, 1_000).await();
        !page.isEmpty();
        page = node.keys(page.get(page.size() - 1), 1_000).await()) {
      all.addAll(page);
    }
    return all;
  }

  /* ------------------------------------------------------------------ liveness and members */

  /* A write on the peer replicates to the node, and one on the node to the peer. */
  private void assertServing(String when) {
    Key<PNCounter> in = Key.pnCounter("alive-in-" + aliveKeys.size());
    Key<PNCounter> out = Key.pnCounter("alive-out-" + aliveKeys.size());
    aliveKeys.addAll(List.of(in, out));
    peer.update(in, PNCounter.incrementBy(1)).await();
    target.update(out, PNCounter.incrementBy(1)).await();
    ConvergenceProbe.await(cluster.nodes(), List.of(in, out));
    assertThat(target.get(in).await().value())
        .as("peer's write on the node at %s", when)
        .isEqualTo(1);
    assertThat(peer.get(out).await().value())
        .as("node's write on the peer at %s", when)
        .isEqualTo(1);
  }

  private void assertMembers(Set<String> allowed) {
    Set<String> members = new HashSet<>();
    for (ClusterMember m : target.members()) {
      members.add(m.nodeId());
    }
    assertThat(members).as("members of the node").contains(peer.identity().nodeId());
    assertThat(allowed).as("members of the node").containsAll(members);
    assertThat(allowed)
        .as("peers in the node's metrics")
        .containsAll(target.metrics().peers().keySet());
    Set<String> peerMembers = new HashSet<>();
    peer.members().forEach(m -> peerMembers.add(m.nodeId()));
    assertThat(Set.of(target.identity().nodeId(), FuzzClient.FUZZER_ID))
        .as("members of the peer")
        .containsAll(peerMembers);
  }

  /* ------------------------------------------------------------------ helpers */

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
      TestCluster.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static void join(Thread t, long millis) {
    try {
      t.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
