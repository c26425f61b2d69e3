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

/**
 * The subscribers of one node: per key and per key-name prefix. Registration is thread-safe;
 * notifications run on the node's context, one at a time, in the order of the changes. A listener
 * that throws is logged and keeps its subscription. Not part of the public API.
 *
 * <p>A key subscriber hears the key's current state first (when the key exists), then every change
 * (issue 13). The states a key subscriber hears never go down: changes reach the context in the
 * order their notifications were posted, which on an in-memory store written from several threads
 * is not always the order the store applied them, so each delivered state is the join of the
 * previous one and the change (O(delta) for counters and registers; for a set, a merge of two
 * states that share their structure). The current state is read asynchronously; if a change is
 * delivered first, the read's result is joined in the same way.
 */
final class ChangeListeners {

  private static final Logger LOG = System.getLogger(ChangeListeners.class.getName());

  private final Map<String, List<KeyListener>> byKey = new ConcurrentHashMap<>();
  private final List<PrefixListener> byPrefix = new CopyOnWriteArrayList<>();
  /* The last state delivered to the key's subscribers; context only. */
  private final Map<String, TypedState<?>> delivered = new java.util.HashMap<>();

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
                    deliver(key.name(), registered, joined(key.name(), state.get()));
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
      TypedState<?> latest = joined(key, state);
      for (KeyListener listener : list) {
        listener.heard = true;
        deliver(key, listener, latest);
      }
    } else if (list != null) {
      delivered.remove(key);
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

  /* The join of what the key's subscribers heard last and `state`; remembered. */
  private TypedState<?> joined(String key, TypedState<?> state) {
    TypedState<?> last = delivered.get(key);
    TypedState<?> latest =
        last == null || !last.type().tag().equals(state.type().tag()) ? state : last.merge(state);
    delivered.put(key, latest);
    return latest;
  }

  private static void deliver(String key, KeyListener listener, TypedState<?> state) {
    try {
      listener.delivery.accept(state);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "a listener of key " + key + " failed", e);
    }
  }
}
