package dev.converge.sync.internal;

import dev.converge.sync.PeerAddress;
import dev.converge.sync.SyncOptions;
import dev.converge.sync.internal.Message.Hello;
import dev.converge.sync.internal.Message.HelloOk;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * An in-process network of {@link DefaultReplicator}s on ONE Vert.x instance with one event loop
 * and one worker thread, for simulations of many nodes with every timer disabled and every tick
 * driven by the test. Frames go through {@link FrameCodec} (so they are copied and counted, as on
 * the wire) and are delivered on the receiver's context; a seeded generator drops a fraction of
 * them. Handshakes are never dropped.
 *
 * <p>Deterministic scheduling: the worker thread is held at a gate and runs queued blocking tasks
 * (digest refreshes) only while the event loop is paused, between event-loop steps. So a blocking
 * task always completes after the event-loop task that submitted it has finished, and a simulation
 * does not depend on how the OS schedules the two threads. (It therefore never exercises a worker
 * that finishes before its submitter attaches listeners; AntiEntropyRefreshTest does.)
 *
 * <p>{@link #awaitQuiescent()} waits until nothing is in flight anywhere: no frame undelivered, no
 * task queued on the event loop, no blocking task queued on the worker. Both queues are FIFO, so a
 * barrier task queued behind everything proves everything before it has run.
 */
final class SimulatedNetwork implements AutoCloseable {

  /** Options for a simulated node: timers so slow that only the test's ticks drive it. */
  static SyncOptions options(String nodeId) {
    long never = TimeUnit.DAYS.toMillis(1);
    return new SyncOptions()
        .setNodeId(nodeId)
        .setPort(0)
        .setGossipIntervalMillis(never)
        .setAntiEntropyIntervalMillis(never)
        .setHeartbeatIntervalMillis(never)
        .setAcceptablePauseMillis(never);
  }

  private final Vertx vertx =
      Vertx.vertx(
          new VertxOptions()
              .setEventLoopPoolSize(1)
              .setWorkerPoolSize(1)
              .setMaxWorkerExecuteTime(1)
              .setMaxWorkerExecuteTimeUnit(TimeUnit.HOURS)
              .setBlockedThreadCheckInterval(10)
              .setBlockedThreadCheckIntervalUnit(TimeUnit.SECONDS));
  /* Runs the test's barriers; on the same (only) event loop as every node. */
  private final Context control = vertx.getOrCreateContext();
  private java.util.concurrent.Semaphore gate;
  private volatile boolean gateRemoved;
  private final Random random;
  private final Map<String, Endpoint> byAddress = new ConcurrentHashMap<>();
  private final Map<String, Endpoint> byNode = new ConcurrentHashMap<>();
  private final List<DefaultReplicator> nodes = new ArrayList<>();
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicLong framesSent = new AtomicLong();
  private final AtomicLong framesDropped = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();
  private final List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile double lossRate;
  private int nextPort = 10_000;

  SimulatedNetwork(long seed) {
    this.random = new Random(seed);
    closeGate();
  }

  Vertx vertx() {
    return vertx;
  }

  /** Drops each frame (not handshakes) with probability {@code rate}. */
  void setLossRate(double rate) {
    this.lossRate = rate;
  }

  long framesSent() {
    return framesSent.get();
  }

  long framesDropped() {
    return framesDropped.get();
  }

  long bytesSent() {
    return bytesSent.get();
  }

  List<DefaultReplicator> nodes() {
    return List.copyOf(nodes);
  }

  /** Starts a node with {@code options} on this network. */
  DefaultReplicator start(SyncOptions options) {
    DefaultReplicator[] self = new DefaultReplicator[1];
    DefaultReplicator node =
        new DefaultReplicator(
            vertx, options, (listener, hello) -> new Endpoint(self[0], listener, hello));
    self[0] = node;
    Future<Void> started = node.start();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    while (!started.isComplete()) { // opening the store runs on the worker: let it through
      if (System.nanoTime() > deadline) {
        throw new AssertionError("node " + options.getNodeId() + " did not start");
      }
      eventLoopBarrier();
      drainWorker();
      Thread.yield();
    }
    started.await();
    nodes.add(node);
    return node;
  }

  /** Node {@code nodeId}'s address on this network. */
  String address(String nodeId) {
    return "127.0.0.1:" + byNode.get(nodeId).port;
  }

  /** Node ids {@code nodeId} has a link to. */
  Set<String> links(String nodeId) {
    Endpoint e = byNode.get(nodeId);
    return e == null ? Set.of() : Set.copyOf(e.linked);
  }

  /**
   * Delivers {@code message} to {@code to} as if {@code from} had sent it (queued on its context).
   */
  void inject(String from, String to, Message message) {
    Endpoint target = byNode.get(to);
    inFlight.incrementAndGet();
    target.node.context().runOnContext(v -> target.receive(from, message));
  }

  /** Runs {@code tick} for every node, each on its own context, in node order. */
  void tickAll(java.util.function.Consumer<DefaultReplicator> tick) {
    for (DefaultReplicator node : nodes) {
      inFlight.incrementAndGet();
      node.context()
          .runOnContext(
              v -> {
                try {
                  tick.accept(node);
                } catch (RuntimeException e) {
                  failures.add(e);
                } finally {
                  inFlight.decrementAndGet();
                }
              });
    }
  }

  /** Waits until no frame is in flight and no node has work queued (see the class comment). */
  void awaitQuiescent() {
    int stable = 0;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    while (stable < 3) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "the simulated network never went quiet: " + inFlight.get() + " in flight");
      }
      long sent = framesSent.get();
      while (inFlight.get() > 0) {
        Thread.onSpinWait();
        if (System.nanoTime() > deadline) {
          throw new AssertionError("frames stuck in flight: " + inFlight.get());
        }
      }
      eventLoopBarrier();
      drainWorker();
      eventLoopBarrier();
      stable = inFlight.get() == 0 && framesSent.get() == sent ? stable + 1 : 0;
    }
    if (!failures.isEmpty()) {
      AssertionError error =
          new AssertionError(failures.size() + " frame(s) failed", failures.get(0));
      throw error;
    }
  }

  /* Every node's context runs on the one event loop, whose task queue is FIFO. */
  private void eventLoopBarrier() {
    CountDownLatch passed = new CountDownLatch(1);
    control.runOnContext(v -> passed.countDown());
    await(passed);
  }

  /* Holds the worker: blocking tasks queue behind the gate task until drainWorker. */
  private void closeGate() {
    CountDownLatch entered = new CountDownLatch(1);
    java.util.concurrent.Semaphore open = new java.util.concurrent.Semaphore(0);
    gate = open;
    control.executeBlocking(
        () -> {
          entered.countDown();
          open.acquire();
          return null;
        },
        false);
    await(entered);
  }

  /*
   * Pauses the event loop, lets the worker run every blocking task queued so far (their results
   * queue on the paused event loop), closes the gate behind them and resumes the event loop.
   */
  private void drainWorker() {
    if (gateRemoved) {
      return;
    }
    CountDownLatch paused = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    control.runOnContext(
        v -> {
          paused.countDown();
          try {
            resume.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    await(paused);
    try {
      gate.release();
      closeGate(); // queued behind every earlier task: entered once they all ran
    } finally {
      resume.countDown();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(1, TimeUnit.MINUTES)) {
        throw new AssertionError("simulated network barrier timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    gateRemoved = true;
    gate.release();
    List<Future<Void>> closing = new ArrayList<>();
    for (DefaultReplicator node : nodes) {
      closing.add(node.close());
    }
    Future.join(closing).await();
    vertx.close().await();
  }

  private boolean lost() {
    double rate = lossRate;
    if (rate == 0) {
      return false;
    }
    synchronized (random) {
      return random.nextDouble() < rate;
    }
  }

  /** One node's transport. Confined to its node's context, as {@link Transport} requires. */
  private final class Endpoint implements Transport {
    final DefaultReplicator node;
    final Listener listener;
    final Supplier<Hello> hello;
    final Set<String> linked = ConcurrentHashMap.newKeySet();
    final Set<String> connecting = new HashSet<>();
    int port;
    volatile boolean closed;

    Endpoint(DefaultReplicator node, Listener listener, Supplier<Hello> hello) {
      this.node = node;
      this.listener = listener;
      this.hello = hello;
    }

    Context context() {
      return node.context();
    }

    @Override
    public Future<Integer> listen() {
      synchronized (SimulatedNetwork.this) {
        port = nextPort++;
      }
      byAddress.put("127.0.0.1:" + port, this);
      byNode.put(hello.get().nodeId(), this);
      return Future.succeededFuture(port);
    }

    @Override
    public void connect(PeerAddress address) {
      String key = address.toString();
      if (closed || !connecting.add(key)) {
        return;
      }
      Endpoint target = byAddress.get(key);
      if (target == null || target == this) {
        return; // nobody there, or this very node (a seed naming itself)
      }
      Hello mine = hello.get();
      inFlight.incrementAndGet();
      target
          .context()
          .runOnContext(
              v -> {
                try {
                  if (target.closed) {
                    return;
                  }
                  if (target.listener.refusal(mine) != null) {
                    return;
                  }
                  target.listener.peerHello(mine);
                  Hello theirs = target.hello.get();
                  HelloOk ok = new HelloOk(theirs.nodeId(), theirs.incarnation());
                  inFlight.incrementAndGet();
                  context()
                      .runOnContext(
                          w -> {
                            try {
                              if (!closed) {
                                linked.add(ok.nodeId());
                                listener.linked(address, ok.nodeId(), ok.incarnation());
                              }
                            } finally {
                              inFlight.decrementAndGet();
                            }
                          });
                } finally {
                  inFlight.decrementAndGet();
                }
              });
    }

    /** In-memory links never stall: nothing to redial. */
    @Override
    public void relink(String peer) {}

    @Override
    public void forget(String peer) {
      linked.remove(peer);
      Endpoint target = byNode.get(peer);
      if (target != null) {
        connecting.remove("127.0.0.1:" + target.port);
      }
    }

    @Override
    public boolean isLinked(String peer) {
      return linked.contains(peer);
    }

    @Override
    public boolean send(String peer, Message message) {
      Endpoint target = byNode.get(peer);
      if (closed || target == null || !linked.contains(peer)) {
        return false;
      }
      Buffer frame = FrameCodec.encode(message);
      framesSent.incrementAndGet();
      bytesSent.addAndGet(frame.length());
      if (lost()) {
        framesDropped.incrementAndGet();
        return true;
      }
      Message copy =
          FrameCodec.decode(
              frame,
              FrameCodec.LENGTH_BYTES,
              frame.length() - FrameCodec.LENGTH_BYTES,
              Integer.MAX_VALUE);
      String from = hello.get().nodeId();
      inFlight.incrementAndGet();
      target.context().runOnContext(v -> target.receive(from, copy));
      return true;
    }

    void receive(String from, Message message) {
      try {
        if (!closed) {
          listener.message(from, message);
        }
      } catch (RuntimeException e) {
        failures.add(
            new AssertionError(
                "node " + hello.get().nodeId() + " failed on a frame from " + from, e));
      } finally {
        inFlight.decrementAndGet();
      }
    }

    @Override
    public Future<Void> close() {
      closed = true;
      return Future.succeededFuture();
    }
  }
}
