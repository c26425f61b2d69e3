package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DigestTreeTest {

  @Test
  void equalContentsGiveEqualDigestsWhateverTheOrder() {
    long seed = 3;
    Random random = new Random(seed);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      keys.add("key-" + i);
    }
    DigestTree a = new DigestTree();
    DigestTree b = new DigestTree();
    for (String k : keys) {
      a.put(k, DigestTree.keyDigest(k, new byte[] {1}));
    }
    Collections.shuffle(keys, random);
    for (String k : keys) {
      b.put(k, DigestTree.keyDigest(k, new byte[] {9})); // a stale digest first
      b.put(k, DigestTree.keyDigest(k, new byte[] {1})); // then the current one
    }
    assertThat(b.root()).as("seed %d", seed).isEqualTo(a.root());
    for (int i = 0; i < DigestTree.FANOUT; i++) {
      assertThat(b.inner(i)).isEqualTo(a.inner(i));
    }
    assertThat(b.size()).isEqualTo(5_000);
  }

  @Test
  void oneChangedKeyChangesItsLeafItsInnerNodeAndTheRootOnly() {
    DigestTree a = new DigestTree();
    DigestTree b = new DigestTree();
    for (int i = 0; i < 1_000; i++) {
      a.put("k" + i, i);
      b.put("k" + i, i);
    }
    b.put("k500", 12345);
    int leaf = DigestTree.bucketOf("k500");
    assertThat(b.root()).isNotEqualTo(a.root());
    for (int i = 0; i < DigestTree.LEAVES; i++) {
      assertThat(b.leaf(i) == a.leaf(i)).as("leaf %d", i).isEqualTo(i != leaf);
    }
    for (int i = 0; i < DigestTree.FANOUT; i++) {
      assertThat(b.inner(i) == a.inner(i)).isEqualTo(i != leaf / DigestTree.FANOUT);
    }
    assertThat(b.keysIn(leaf)).contains("k500");
  }

  @Test
  void keyDigestsDependOnNameAndBytes() {
    assertThat(DigestTree.keyDigest("a", new byte[] {1}))
        .isNotEqualTo(DigestTree.keyDigest("b", new byte[] {1}))
        .isNotEqualTo(DigestTree.keyDigest("a", new byte[] {2}));
  }
}
