package dev.converge.crdt.codec;

import dev.converge.crdt.CrdtType;
import dev.converge.crdt.GCounter;
import dev.converge.crdt.LWWRegister;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The one place type tags are registered: maps the tag in front of an encoded state to the {@link
 * CrdtType} that reads it. Immutable and thread-safe; {@link #with} returns an extended copy.
 *
 * <p>Plain types have a fixed tag ({@code gcounter}). Element-typed families ({@code ORSet}, {@code
 * LWWRegister}) have the tag {@code family:valueTag}, resolved from the registered {@link
 * ValueCodec}s, so {@code orset:string} needs no registration of its own.
 *
 * <p>Built-in tags (never change them): {@code gcounter}, {@code pncounter}, {@code orset:*},
 * {@code lww:*}; built-in value tags: {@code string}, {@code long}.
 */
public final class TypeRegistry {

  private static final Map<String, Function<ValueCodec<?>, CrdtType<?>>> FAMILIES =
      Map.of("orset", ORSet::type, "lww", LWWRegister::type);

  private static final TypeRegistry BUILTINS =
      new TypeRegistry(Map.of(), Map.of())
          .with(GCounter.TYPE)
          .with(PNCounter.TYPE)
          .withValueCodec(ValueCodec.string())
          .withValueCodec(ValueCodec.int64());

  private final Map<String, CrdtType<?>> types;
  private final Map<String, ValueCodec<?>> valueCodecs;
  /* Resolved family members; only tags whose family and value codec are registered get here, so
   * hostile tags cannot grow it. */
  private final Map<String, CrdtType<?>> resolved = new ConcurrentHashMap<>();

  private TypeRegistry(Map<String, CrdtType<?>> types, Map<String, ValueCodec<?>> valueCodecs) {
    this.types = Map.copyOf(types);
    this.valueCodecs = Map.copyOf(valueCodecs);
  }

  /** The registry of the built-in types and value codecs. */
  public static TypeRegistry builtins() {
    return BUILTINS;
  }

  /**
   * Returns a registry that also knows {@code type}.
   *
   * @throws IllegalArgumentException if its tag is taken, or belongs to a built-in family
   */
  public TypeRegistry with(CrdtType<?> type) {
    String tag = Objects.requireNonNull(type, "type").tag();
    if (!tag.matches("[A-Za-z0-9._:-]{1,128}")) {
      throw new IllegalArgumentException("bad type tag: \"" + tag + "\"");
    }
    int colon = tag.indexOf(':');
    if (types.containsKey(tag) || (colon > 0 && FAMILIES.containsKey(tag.substring(0, colon)))) {
      throw new IllegalArgumentException("type tag \"" + tag + "\" is already registered");
    }
    Map<String, CrdtType<?>> more = new HashMap<>(types);
    more.put(tag, type);
    return new TypeRegistry(more, valueCodecs);
  }

  /**
   * Returns a registry that also knows {@code codec} as an element type of the built-in families.
   *
   * @throws IllegalArgumentException if its tag is taken
   */
  public TypeRegistry withValueCodec(ValueCodec<?> codec) {
    String tag = ValueCodec.checkTag(Objects.requireNonNull(codec, "codec").tag());
    if (valueCodecs.containsKey(tag)) {
      throw new IllegalArgumentException("value codec tag \"" + tag + "\" is already registered");
    }
    Map<String, ValueCodec<?>> more = new HashMap<>(valueCodecs);
    more.put(tag, codec);
    return new TypeRegistry(types, more);
  }

  /** The type with {@code tag}, if registered or resolvable from a family. */
  public Optional<CrdtType<?>> lookup(String tag) {
    CrdtType<?> type = types.get(tag);
    if (type != null) {
      return Optional.of(type);
    }
    type = resolved.get(tag);
    if (type != null) {
      return Optional.of(type);
    }
    int colon = tag.indexOf(':');
    if (colon <= 0) {
      return Optional.empty();
    }
    Function<ValueCodec<?>, CrdtType<?>> family = FAMILIES.get(tag.substring(0, colon));
    ValueCodec<?> codec = valueCodecs.get(tag.substring(colon + 1));
    if (family == null || codec == null) {
      return Optional.empty();
    }
    return Optional.of(resolved.computeIfAbsent(tag, t -> family.apply(codec)));
  }
}
