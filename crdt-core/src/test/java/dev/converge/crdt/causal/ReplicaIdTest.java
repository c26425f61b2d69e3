package dev.converge.crdt.causal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.crdt.ReplicaId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReplicaIdTest {

  private static final int SEEDS = 300;

  @Test
  void validIds() {
    StringBuilder allPrintable = new StringBuilder();
    for (char ch = '!'; ch <= '~'; ch++) {
      allPrintable.append(ch);
    }
    for (String id :
        List.of(
            "a", "!", "~", "node-1", "a".repeat(ReplicaId.MAX_LENGTH), allPrintable.toString())) {
      assertThat(ReplicaId.validate(id)).as("%s", id).isNull();
      ReplicaId replica = ReplicaId.of(id);
      assertThat(replica.value()).isEqualTo(id);
      assertThat(replica.toString()).isEqualTo(id);
      assertThat(replica).isEqualTo(ReplicaId.of(new String(id.toCharArray())));
      assertThat(replica.hashCode()).isEqualTo(ReplicaId.of(id).hashCode());
    }
  }

  @Test
  void invalidIds() {
    List<String> invalid =
        List.of(
            "",
            "a".repeat(ReplicaId.MAX_LENGTH + 1),
            " ",
            "a b",
            " a",
            "a ",
            "é",
            "naïve",
            "\u00a0",
            "日本",
            "\u0000",
            "a\tb",
            "a\nb",
            "\r",
            "\u001f",
            "\u007f",
            "\ud83d\ude00");
    for (String id : invalid) {
      assertThat(ReplicaId.validate(id)).as("%s", id).isNotNull();
      assertThatThrownBy(() -> ReplicaId.of(id))
          .as("%s", id)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> ReplicaId.of(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void prop_orderedByString() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      List<String> strings = new ArrayList<>();
      List<ReplicaId> ids = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        StringBuilder sb = new StringBuilder();
        for (int n = 1 + random.nextInt(4); n > 0; n--) {
          sb.append((char) ('!' + random.nextInt('~' - '!' + 1)));
        }
        strings.add(sb.toString());
        ids.add(ReplicaId.of(sb.toString()));
      }
      for (int i = 0; i < ids.size(); i++) {
        for (int j = 0; j < ids.size(); j++) {
          assertThat(Integer.signum(ids.get(i).compareTo(ids.get(j))))
              .as("seed %d: %s vs %s", seed, ids.get(i), ids.get(j))
              .isEqualTo(Integer.signum(strings.get(i).compareTo(strings.get(j))));
          assertThat(ids.get(i).equals(ids.get(j)))
              .as("seed %d", seed)
              .isEqualTo(strings.get(i).equals(strings.get(j)));
        }
      }
      ids.sort(Comparator.naturalOrder());
      strings.sort(Comparator.naturalOrder());
      assertThat(ids.stream().map(ReplicaId::value).toList())
          .as("seed %d", seed)
          .isEqualTo(strings);
    }
  }

  @Test
  void randomCharactersValidatedExactly() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      char ch = (char) random.nextInt(0x300);
      String id = "x" + ch;
      boolean valid = ch >= '!' && ch <= '~';
      assertThat(ReplicaId.validate(id) == null)
          .as("seed %d: char %d", seed, (int) ch)
          .isEqualTo(valid);
    }
  }
}
