package dev.converge.sync.internal;

import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.sync.internal.Message.DeltaAck;
import dev.converge.sync.internal.Message.Deltas;
import dev.converge.sync.internal.Message.KeyBytes;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Delta propagation (Almeida et al. 2018, §6): this node's own deltas, numbered in a {@link
 * DeltaBuffer}, go to each peer until it acknowledges them; deltas received are merged and
 * acknowledged once durable. Deltas are never forwarded, so nothing travels back where it came
 * from. Confined to the replicator's context. Not part of the public API.
 */
final class DeltaGossip {

  /**
   * Most buffered deltas joined into one frame for one peer: a burst of writes to a few keys joins
   * into a few small deltas, so this bounds the work per tick, not the frame (see below).
   */
  private static final int MAX_DELTAS_PER_FRAME = 65_536;

  /** Most distinct keys in one delta frame; with the frame size limit, bounds a frame's size. */
  private static final int MAX_KEYS_PER_FRAME = 4_096;

  private final DeltaBuffer buffer;
  private final CrdtCodec codec;
  private final int maxFrameBytes;
  private final int fanout;
  private final Metrics metrics;
  private final AntiEntropy.Sender sender;
  private final QuorumCoordinator.Merger merger;
  private final Supplier<List<String>> peers;
  private final Predicate<String> canSend;
  private final Consumer<String> repair;
  private int fanoutCursor;

  /**
   * @param peers the members to gossip with, sorted
   * @param canSend whether a frame to a peer can go now (linked, not cut off)
   * @param repair starts anti-entropy with a peer that fell behind the buffer
   */
  DeltaGossip(
      DeltaBuffer buffer,
      CrdtCodec codec,
      int maxFrameBytes,
      int fanout,
      Metrics metrics,
      AntiEntropy.Sender sender,
      QuorumCoordinator.Merger merger,
      Supplier<List<String>> peers,
      Predicate<String> canSend,
      Consumer<String> repair) {
    this.buffer = buffer;
    this.codec = codec;
    this.maxFrameBytes = maxFrameBytes;
    this.fanout = fanout;
    this.metrics = metrics;
    this.sender = sender;
    this.merger = merger;
    this.peers = peers;
    this.canSend = canSend;
    this.repair = repair;
  }

  DeltaBuffer buffer() {
    return buffer;
  }

  /** Records a local write's delta of {@code key}. */
  void append(String key, TypedState<?> delta) {
    buffer.append(key, delta);
  }

  /**
   * One round: deltas to up to {@code fanout} peers that lack some, rotating; laggards repaired.
   */
  void tick() {
    List<String> all = peers.get();
    if (all.isEmpty()) {
      return;
    }
    int sent = 0;
    Map<Long, Deltas> prepared = new HashMap<>();
    for (int i = 0; i < all.size() && sent < fanout; i++) {
      String peer = all.get((fanoutCursor + i) % all.size());
      if (canSend.test(peer) && push(peer, prepared)) {
        sent++;
      }
    }
    fanoutCursor++;
    for (String laggard : buffer.takeLaggards()) {
      repair.accept(laggard);
    }
  }

  /** Sends {@code peer} its next unacknowledged interval, if any; true if a frame went out. */
  boolean push(String peer, Map<Long, Deltas> prepared) {
    Deltas frame = nextFrame(peer, prepared);
    if (frame != null && sender.send(peer, frame)) {
      metrics.deltasSent.add(frame.deltas().size());
      return true;
    }
    return false;
  }

  /*
   * The next delta frame for `peer`, shared by peers at the same acknowledgement (`prepared`). An
   * interval whose encoding would not fit a frame is halved until it does.
   */
  private Deltas nextFrame(String peer, Map<Long, Deltas> prepared) {
    int maxDeltas = MAX_DELTAS_PER_FRAME;
    while (true) {
      DeltaBuffer.Interval interval = buffer.next(peer, maxDeltas, MAX_KEYS_PER_FRAME);
      if (interval == null) {
        return null;
      }
      Deltas cached = prepared.get(interval.from());
      if (cached != null && cached.to() == interval.to()) {
        return cached;
      }
      Deltas frame = encode(interval);
      long size = 64;
      for (KeyBytes kb : frame.deltas()) {
        size += kb.key().length() * 3L + kb.state().length + 8;
      }
      long count = interval.to() - interval.from() + 1;
      if (size <= maxFrameBytes - 1024 || count == 1) {
        prepared.put(interval.from(), frame);
        return frame;
      }
      maxDeltas = (int) Math.max(1, count / 2);
    }
  }

  private Deltas encode(DeltaBuffer.Interval interval) {
    List<KeyBytes> entries = new ArrayList<>(interval.deltas().size());
    interval.deltas().forEach((key, delta) -> entries.add(new KeyBytes(key, codec.encode(delta))));
    return new Deltas(buffer.epoch(), interval.from(), interval.to(), entries);
  }

  /** Handles a delta frame or acknowledgement; false if {@code message} is neither. */
  boolean handle(String peer, Message message) {
    if (message instanceof Deltas m) {
      onDeltas(peer, m);
    } else if (message instanceof DeltaAck m) {
      buffer.ack(peer, m.epoch(), m.upTo());
    } else {
      return false;
    }
    return true;
  }

  private void onDeltas(String peer, Deltas m) {
    // Decode the whole frame first: a frame with one bad entry is rejected whole.
    List<TypedState<?>> deltas = AntiEntropy.decodeAll(codec, m.deltas());
    List<Future<Boolean>> merges = new ArrayList<>(deltas.size());
    for (int i = 0; i < deltas.size(); i++) {
      metrics.deltasReceived.increment();
      merges.add(merger.merge(peer, m.deltas().get(i).key(), deltas.get(i)));
    }
    // Acknowledge once every delta of the interval is durable here (or failed for good).
    Future.join(merges).onComplete(x -> sender.send(peer, new DeltaAck(m.epoch(), m.to())));
  }
}
