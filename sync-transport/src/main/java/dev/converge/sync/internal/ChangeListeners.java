package dev.converge.sync.internal;

import dev.converge.crdt.Crdt;
import dev.converge.crdt.Key;
import dev.converge.crdt.TypedState;
import dev.converge.sync.ChangeListener;
import dev.converge.sync.Subscription;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The subscribers of one node: per key and per key-name prefix. Registration is thread-safe;
 * notifications run on the node's context, one at a time, in the order of the changes. A listener
 * that throws is logged and keeps its subscription. Not part of the public API.
 *
 * <p>A key subscriber hears the key's current state first (when the key exists), then every change
 * (issue 13). The states a key subscriber hears never go down: changes reach the context in the
 * order their notifications were posted, which on an in-memory store written from several threads
 * is not always the order the store applied them, so a change delivers the key's state as the store
 * holds it at delivery ({@code latest}, an O(1) look-up when it is at hand; the state the change
 * carried otherwise). Deliveries run one after another on the context and a store only grows, so
 * each is at least the one before. The current state a new subscriber hears first is read
 * asynchronously; if a change is delivered first, that read's result is skipped.
 */
final class ChangeListeners {

  private static final Logger LOG = System.getLogger(ChangeListeners.class.getName());

  private final Map<String, List<KeyListener>> byKey = new ConcurrentHashMap<>();
  private final List<PrefixListener> byPrefix = new CopyOnWriteArrayList<>();
  private final Function<String, TypedState<?>> latest;

  /**
   * @param latest the store's state of a key if it is at hand without waiting (a cached or
   *     in-memory state), else null
   */
  ChangeListeners(Function<String, TypedState<?>> latest) {
    this.latest = latest;
  }

  private record PrefixListener(String prefix, ChangeListener listener) {}

  /** A typed key listener; {@code heard} is touched only on the node's context. */
  private static final class KeyListener {
    final Consumer<TypedState<?>> delivery;
    boolean heard;

    KeyListener(Consumer<TypedState<?>> delivery) {
      this.delivery = delivery;
    }
  }

  /**
   * Registers {@code listener} for {@code key}. {@code current} is the key's state as read after
   * registration (empty if the key was never written); it is delivered on {@code context}.
   */
  <T extends Crdt<T>> Subscription subscribe(
      Key<T> key,
      Consumer<? super T> listener,
      Context context,
      Future<Optional<TypedState<?>>> current) {
    KeyListener registered =
        new KeyListener(
            state -> {
              if (state.type().tag().equals(key.type().tag())) {
                listener.accept(key.type().cast(state.state()));
              }
            });
    byKey.computeIfAbsent(key.name(), k -> new CopyOnWriteArrayList<>()).add(registered);
    current.onSuccess(
        state ->
            context.runOnContext(
                v -> {
                  if (state.isPresent() && !registered.heard && isRegistered(key, registered)) {
                    registered.heard = true;
                    deliver(key.name(), registered, state.get());
                  }
                }));
    return () -> {
      List<KeyListener> list = byKey.get(key.name());
      if (list != null) {
        list.remove(registered);
      }
    };
  }

  private boolean isRegistered(Key<?> key, KeyListener listener) {
    List<KeyListener> list = byKey.get(key.name());
    return list != null && list.contains(listener);
  }

  /** Registers {@code listener} for every key whose name starts with {@code prefix}. */
  Subscription subscribePrefix(String prefix, ChangeListener listener) {
    PrefixListener registered = new PrefixListener(prefix, listener);
    byPrefix.add(registered);
    return () -> byPrefix.remove(registered);
  }

  /** Tells the subscribers of {@code key} its new state; called on the node's context. */
  void changed(String key, TypedState<?> state, boolean local) {
    List<KeyListener> list = byKey.get(key);
    if (list != null && !list.isEmpty()) {
      TypedState<?> current = latest.apply(key);
      TypedState<?> newest = current != null ? current : state;
      for (KeyListener listener : list) {
        listener.heard = true;
        deliver(key, listener, newest);
      }
    }
    for (PrefixListener p : byPrefix) {
      if (key.startsWith(p.prefix())) {
        try {
          p.listener().changed(key, state, local);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "a listener of prefix " + p.prefix() + " failed", e);
        }
      }
    }
  }

  private static void deliver(String key, KeyListener listener, TypedState<?> state) {
    try {
      listener.delivery.accept(state);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "a listener of key " + key + " failed", e);
    }
  }
}
