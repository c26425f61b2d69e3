package dev.converge.sync.internal;

import dev.converge.sync.internal.Message.AeStates;
import dev.converge.sync.internal.Message.Deltas;
import dev.converge.sync.internal.Message.KeyBytes;
import dev.converge.sync.internal.Message.QuorumReadReply;
import dev.converge.sync.internal.Message.QuorumWrite;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Structured mutations: decodes nothing, but rebuilds a {@link Message} record with one field (or
 * one field of a nested record, or one list entry) changed, and encodes it with {@link FrameCodec},
 * so the frame stays well-formed and the change reaches the checks behind the frame decoder: key
 * names, handshake fields, digest-tree indices, counts, and above all the CRDT states ({@link
 * StateMutator}). Fields are found by reflection over the records' components, so every frame type
 * is covered without code per type.
 */
final class FieldMutator {

  private static final int[] INTS = {
    0, 1, -1, 2, 31, 32, 33, 1023, 1024, 1025, 65_535, 65_536, Integer.MAX_VALUE, Integer.MIN_VALUE
  };
  private static final long[] LONGS = {0, 1, -1, 2, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32};

  private final Random random;
  private final FuzzCorpus corpus;
  private final StateMutator states;
  private String kind = "";

  FieldMutator(Random random, FuzzCorpus corpus, StateMutator states) {
    this.random = random;
    this.corpus = corpus;
    this.states = states;
  }

  /** The kind of the last mutation, for the report. */
  String kind() {
    return kind;
  }

  /** The frame of {@code m} with one field changed; null if the change cannot be encoded. */
  byte[] mutate(Message m) {
    Object mutated;
    if (carriesState(m) && random.nextInt(10) < 7) {
      mutated = mutateState(m);
      kind = states.kind();
    } else {
      kind = "";
      mutated = mutateRecord(m, 0);
      kind = "field-" + kind;
    }
    try {
      return FrameMutator.encode((Message) mutated);
    } catch (RuntimeException e) {
      return null; // e.g. AeLevel arrays of different lengths: not encodable, so never sent
    }
  }

  private static boolean carriesState(Message m) {
    return m instanceof Deltas d && !d.deltas().isEmpty()
        || m instanceof AeStates s && !s.states().isEmpty()
        || m instanceof QuorumWrite
        || m instanceof QuorumReadReply;
  }

  private Message mutateState(Message m) {
    if (m instanceof Deltas d) {
      return new Deltas(d.epoch(), d.from(), d.to(), mutateEntry(d.deltas()));
    } else if (m instanceof AeStates s) {
      return new AeStates(s.session(), mutateEntry(s.states()));
    } else if (m instanceof QuorumWrite q) {
      return new QuorumWrite(q.request(), q.key(), states.mutate(q.delta()));
    }
    QuorumReadReply r = (QuorumReadReply) m;
    return new QuorumReadReply(r.request(), states.mutate(r.state()));
  }

  private List<KeyBytes> mutateEntry(List<KeyBytes> entries) {
    List<KeyBytes> out = new ArrayList<>(entries);
    int i = random.nextInt(out.size());
    out.set(i, new KeyBytes(out.get(i).key(), states.mutate(out.get(i).state())));
    return out;
  }

  /* ------------------------------------------------------------------ any record */

  private Object mutateRecord(Object record, int depth) {
    RecordComponent[] components = record.getClass().getRecordComponents();
    if (components.length == 0) {
      return record;
    }
    Object[] values = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    try {
      for (int i = 0; i < components.length; i++) {
        components[i].getAccessor().setAccessible(true);
        values[i] = components[i].getAccessor().invoke(record);
        types[i] = components[i].getType();
      }
      int i = random.nextInt(components.length);
      values[i] = mutateValue(values[i], components[i].getName(), depth);
      Constructor<?> canonical = record.getClass().getDeclaredConstructor(types);
      canonical.setAccessible(true);
      return canonical.newInstance(values);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot rebuild " + record.getClass(), e);
    }
  }

  private Object mutateValue(Object v, String name, int depth) {
    if (depth == 0) {
      kind = name;
    }
    if (v instanceof String s) {
      return mutateString(s);
    } else if (v instanceof Integer) {
      return INTS[random.nextInt(INTS.length)];
    } else if (v instanceof Long l) {
      return random.nextBoolean()
          ? l + (random.nextBoolean() ? 1 : -1)
          : LONGS[random.nextInt(LONGS.length)];
    } else if (v instanceof byte[] b) {
      if (name.equals("state") || name.equals("delta")) {
        return states.mutate(b);
      }
      int[] sizes = {0, 1, 16, 31, 33, 64, 65};
      return random.nextBoolean()
          ? FuzzCorpus.bytes(random, sizes[random.nextInt(sizes.length)])
          : FrameMutator.mutateBytes(random, b);
    } else if (v instanceof int[] a) {
      return mutateInts(a);
    } else if (v instanceof long[] a) {
      long[] out = java.util.Arrays.copyOf(a, random.nextBoolean() ? a.length : a.length + 1);
      if (out.length > 0) {
        out[random.nextInt(out.length)] = LONGS[random.nextInt(LONGS.length)];
      }
      return out;
    } else if (v instanceof Map<?, ?> map) {
      return mutateMap(map);
    } else if (v instanceof List<?> list) {
      return mutateList(list, depth);
    } else if (v instanceof Record r) {
      return mutateRecord(r, depth + 1);
    }
    return v;
  }

  private String mutateString(String s) {
    int p = random.nextInt(4);
    if (p < 2 || s.isEmpty()) {
      return corpus.string(random);
    } else if (p == 2) {
      StringBuilder b = new StringBuilder(s);
      int at = random.nextInt(b.length());
      char c = random.nextBoolean() ? (char) random.nextInt(0x80) : (char) random.nextInt(0x10000);
      switch (random.nextInt(3)) {
        case 0 -> b.setCharAt(at, c);
        case 1 -> b.insert(at, c);
        default -> b.deleteCharAt(at);
      }
      return b.toString();
    }
    StringBuilder b = new StringBuilder();
    for (int n = random.nextInt(40); n > 0; n--) {
      b.append((char) (random.nextBoolean() ? 0x20 + random.nextInt(0x5f) : random.nextInt(0x800)));
    }
    return b.toString();
  }

  private int[] mutateInts(int[] a) {
    int[] lengths = {0, 1, a.length - 1, a.length + 1, 33, 1_024, 5_000};
    int n = random.nextBoolean() ? a.length : Math.max(0, lengths[random.nextInt(lengths.length)]);
    int[] out = java.util.Arrays.copyOf(a, n);
    for (int i = a.length; i < n; i++) {
      out[i] = random.nextInt(DigestTree.LEAVES);
    }
    if (n > 0) {
      int[] edges = {
        -1,
        0,
        DigestTree.FANOUT - 1,
        DigestTree.FANOUT,
        DigestTree.LEAVES - 1,
        DigestTree.LEAVES,
        Integer.MAX_VALUE,
        Integer.MIN_VALUE
      };
      out[random.nextInt(n)] = edges[random.nextInt(edges.length)];
    }
    return out;
  }

  private Map<String, String> mutateMap(Map<?, ?> map) {
    Map<String, String> out = new LinkedHashMap<>();
    map.forEach((k, v) -> out.put((String) k, (String) v));
    int p = random.nextInt(3);
    if (p == 0) {
      out.clear();
    } else {
      int n = p == 1 ? 1 : 17; // 17: one over the limit of metadata entries
      for (int i = 0; i < n; i++) {
        out.put(corpus.string(random) + i, corpus.string(random));
      }
    }
    return out;
  }

  private List<Object> mutateList(List<?> list, int depth) {
    List<Object> out = new ArrayList<>(list);
    int p = random.nextInt(4);
    if (out.isEmpty() || p == 0) {
      if (!out.isEmpty() && random.nextBoolean()) {
        out.clear();
      } else if (!out.isEmpty()) {
        out.remove(random.nextInt(out.size()));
      }
      return out;
    }
    int i = random.nextInt(out.size());
    if (p == 1) {
      int times = new int[] {1, 2, 100}[random.nextInt(3)];
      for (int k = 0; k < times; k++) {
        out.add(i, out.get(i)); // the same entry repeated: duplicate keys, members or digests
      }
    } else {
      out.set(i, mutateValue(out.get(i), "entry", depth + 1));
    }
    return out;
  }
}
