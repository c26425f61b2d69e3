package dev.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.codec.CrdtCodec;
import org.junit.jupiter.api.Test;

/** The README's example, verbatim between the markers; keep both in sync. */
class ReadmeExampleTest {

  @Test
  void readmeExampleRunsAsDocumented() {
    // README-BEGIN
    ReplicaId alice = ReplicaId.of("alice");
    ReplicaId bob = ReplicaId.of("bob");

    // Both replicas know "milk"; then, concurrently, Bob removes it and Alice adds it again.
    ORSet<String> shared = ORSet.<String>empty().add(alice, "milk").state();
    ORSet<String> atBob = shared.remove("milk").state();
    Mutation<ORSet<String>> readd = shared.add(alice, "milk");

    // Replication ships only the small delta; merging converges, and the add wins.
    ORSet<String> atAlice = readd.state();
    ORSet<String> converged = atBob.merge(readd.delta());
    boolean hasMilk = converged.contains("milk"); // true: concurrent add wins over remove

    PNCounter likes = PNCounter.empty().increment(alice, 1).state().increment(bob, 1).state();
    byte[] wire = CrdtCodec.standard().encode(PNCounter.TYPE, likes); // deterministic Smile bytes
    // README-END

    assertThat(hasMilk).isTrue();
    assertThat(converged).isEqualTo(atAlice.merge(atBob));
    assertThat(CrdtCodec.standard().decode(wire, PNCounter.TYPE).value()).isEqualTo(2);
  }
}
