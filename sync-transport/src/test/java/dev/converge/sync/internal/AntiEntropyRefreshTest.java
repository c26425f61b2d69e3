package dev.converge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.crdt.PNCounter;
import dev.converge.crdt.ReplicaId;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.store.ReplicaStore;
import dev.converge.store.ReplicaStores;
import dev.converge.store.StoreOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.lang.reflect.Proxy;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link AntiEntropy#refresh()} hashes the changed keys' stored states on a worker and must keep
 * doing so for every later change. A worker may finish before the event loop attaches its listeners
 * to the returned future (seen on a loaded 2-core machine); the listeners then run at once, on the
 * event loop. This test reproduces that interleaving deterministically with a context whose
 * blocking tasks complete before {@code executeBlocking} returns.
 */
class AntiEntropyRefreshTest {

  private final ReplicaStore store = ReplicaStores.open(new StoreOptions().setNodeId("t"));

  @AfterEach
  void close() {
    store.close();
  }

  /** A context whose blocking tasks are already done when executeBlocking returns. */
  private static Context contextWithInstantWorkers() {
    return (Context)
        Proxy.newProxyInstance(
            Context.class.getClassLoader(),
            new Class<?>[] {Context.class},
            (proxy, method, args) -> {
              if (method.getName().equals("executeBlocking")
                  && args != null
                  && args[0] instanceof Callable<?> task) {
                try {
                  return Future.succeededFuture(task.call());
                } catch (Exception e) {
                  return Future.failedFuture(e);
                }
              }
              if (method.getName().equals("toString")) {
                return "instant-worker context";
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }

  private static TypedState<PNCounter> counter(long value) {
    return new TypedState<>(
        PNCounter.TYPE, PNCounter.empty().increment(ReplicaId.of("t.1"), value).state());
  }

  @Test
  void laterChangesAreDigestedAfterARefreshThatCompletedAtOnce() {
    Context context = contextWithInstantWorkers();
    Metrics metrics = new Metrics();
    AntiEntropy antiEntropy =
        new AntiEntropy(
            context,
            store,
            new InboundStates(
                context, CrdtCodec.standard(), metrics, InboundStates.DEFAULT_INLINE_BYTES),
            metrics,
            (peer, message) -> true,
            (peer, key, state) -> Future.succeededFuture(false),
            64,
            1 << 20,
            new java.util.Random(1),
            peer -> false,
            System::currentTimeMillis);

    store.merge("a", counter(1)).join();
    antiEntropy.changed("a");
    antiEntropy.refresh();
    assertThat(antiEntropy.tree().digestOf("a")).as("first change digested").isNotNull();

    store.merge("b", counter(2)).join();
    antiEntropy.changed("b");
    antiEntropy.refresh();
    assertThat(antiEntropy.tree().digestOf("b"))
        .as(
            "a change queued after a refresh that completed at once is digested by the next refresh"
                + " (AntiEntropy.refresh must not keep returning the completed future)")
        .isNotNull();
    assertThat(antiEntropy.tree().size()).isEqualTo(2);
  }
}
