package dev.converge.crdt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Randomized string hashing defeats hash flooding built on String.hashCode collisions. */
class KeyHashTest {

  @Test
  void stringsWithOneHashCodeGetDistinctTrieHashes() {
    int bits = 14;
    Set<Integer> javaHashes = new HashSet<>();
    Set<Integer> trieHashes = new HashSet<>();
    for (int i = 0; i < 1 << bits; i++) {
      StringBuilder s = new StringBuilder();
      for (int bit = bits - 1; bit >= 0; bit--) {
        s.append(((i >> bit) & 1) == 0 ? "Aa" : "BB");
      }
      javaHashes.add(s.toString().hashCode());
      trieHashes.add(KeyHash.hash(s.toString()));
    }
    assertThat(javaHashes).as("the attack input: one String.hashCode").hasSize(1);
    // 16,384 random 32-bit hashes: a handful of birthday collisions at most.
    assertThat(trieHashes.size()).isGreaterThan((1 << bits) - 16);
  }

  @Test
  void equalStringsHashEqually() {
    assertThat(KeyHash.hash(new String("element-42"))).isEqualTo(KeyHash.hash("element-42"));
    assertThat(KeyHash.sipHash13("")).isEqualTo(KeyHash.sipHash13(new String("")));
    assertThat(KeyHash.sipHash13("a")).isNotEqualTo(KeyHash.sipHash13("b"));
  }
}
