package dev.converge.sync.internal;

import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.sync.internal.Message.DeltaAck;
import dev.converge.sync.internal.Message.Deltas;
import dev.converge.sync.internal.Message.KeyBytes;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
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

  /** Most delta frames to one peer per tick. */
  private static final int MAX_FRAMES_PER_PUSH = 64;

  /** Most buffered deltas looked at for one peer per tick. */
  private static final int MAX_DELTAS_PER_PUSH = 4 * MAX_DELTAS_PER_FRAME;

  /**
   * Largest frame of several deltas: above it an interval is halved, so a delta that needs a
   * chunked transfer travels alone and deltas of other keys go in frames of their own.
   */
  static final int MAX_BATCH_BYTES = 256 * 1024;

  private final DeltaBuffer buffer;
  private final CrdtCodec codec;
  private final InboundStates decoder;
  private final int maxFrameBytes;
  private final int maxBatchBytes;
  private final int fanout;
  private final Metrics metrics;
  private final AntiEntropy.Sender sender;
  private final QuorumCoordinator.Merger merger;
  private final QuorumCoordinator.Merger largeMerger;
  private final Supplier<List<String>> peers;
  private final Predicate<String> canSend;
  private final Consumer<String> repair;
  private final Predicate<String> busy;
  private final long retransmitMillis;
  private final LongSupplier clock;
  private final Map<String, Flight> flights = new HashMap<>();
  /* Peers whose next frames are being built on a worker thread. */
  private final Set<String> building = new HashSet<>();
  private final Context context;
  private int fanoutCursor;

  /**
   * @param peers the members to gossip with, sorted
   * @param canSend whether a frame to a peer can go now (linked, not cut off)
   * @param largeMerger joins a delta larger than {@link InboundStates#DEFAULT_INLINE_BYTES} (off
   *     the event loop where the store would run it there)
   * @param repair starts anti-entropy with a peer that fell behind the buffer
   * @param busy whether the link to a peer still has a chunked frame queued
   * @param retransmitMillis how long an unacknowledged interval waits before it is sent again (plus
   *     1 ms per 10 KB of it)
   */
  DeltaGossip(
      Context context,
      DeltaBuffer buffer,
      InboundStates decoder,
      int maxFrameBytes,
      int fanout,
      Metrics metrics,
      AntiEntropy.Sender sender,
      QuorumCoordinator.Merger merger,
      QuorumCoordinator.Merger largeMerger,
      Supplier<List<String>> peers,
      Predicate<String> canSend,
      Consumer<String> repair,
      Predicate<String> busy,
      long retransmitMillis,
      LongSupplier clock) {
    this.context = context;
    this.buffer = buffer;
    this.decoder = decoder;
    this.codec = decoder.codec();
    this.maxFrameBytes = maxFrameBytes;
    this.maxBatchBytes = Math.min(maxFrameBytes - 1024, MAX_BATCH_BYTES);
    this.fanout = fanout;
    this.metrics = metrics;
    this.sender = sender;
    this.merger = merger;
    this.largeMerger = largeMerger;
    this.peers = peers;
    this.canSend = canSend;
    this.repair = repair;
    this.busy = busy;
    this.retransmitMillis = retransmitMillis;
    this.clock = clock;
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
    Map<Long, Future<List<Deltas>>> prepared = new HashMap<>();
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

  /** Sends {@code peer} what it lacks, outside a round (a graceful leave); see {@link #push}. */
  boolean push(String peer) {
    return push(peer, new HashMap<>());
  }

  /**
   * Sends {@code peer} its next deltas, if any; true if frames are on their way. The frames are
   * joined and encoded on a worker thread (a large delta takes long to encode), shared by the peers
   * at the same point ({@code prepared}), and sent in order once built.
   *
   * <p>What is in flight (sent, not acknowledged) is not sent again before its retransmission time:
   * only newer deltas go, in frames of their own, so a large frame still crossing the link holds up
   * no later write. Once the time passes with no acknowledgement (and no chunked frame still queued
   * for the peer), the peer gets the deltas after its acknowledgement again (go-back-N).
   */
  boolean push(String peer, Map<Long, Future<List<Deltas>>> prepared) {
    if (building.contains(peer)) {
      return true; // its frames are being built
    }
    long acked = buffer.ackedBy(peer);
    if (acked < 0) {
      return false;
    }
    Flight flight = flights.get(peer);
    if (flight != null
        && (flight.to <= acked
            || (clock.getAsLong() - flight.sentMillis >= flight.retransmitMillis(retransmitMillis)
                && !busy.test(peer)))) {
      flights.remove(peer); // acknowledged, or due again
      flight = null;
    }
    long after = flight == null ? acked : flight.to;
    Future<List<Deltas>> frames = prepared.get(after);
    if (frames == null) {
      List<DeltaBuffer.Entry> entries = buffer.entriesAfter(after, MAX_DELTAS_PER_PUSH);
      if (entries.isEmpty()) {
        return false;
      }
      long epoch = buffer.epoch();
      frames = context.executeBlocking(() -> frames(epoch, entries), false);
      prepared.put(after, frames);
    }
    building.add(peer);
    frames.onComplete(
        built -> {
          building.remove(peer);
          if (built.succeeded()) {
            send(peer, built.result());
          }
        });
    return true;
  }

  /* Sends built frames in order, skipping what the peer acknowledged meanwhile. */
  private void send(String peer, List<Deltas> frames) {
    for (Deltas frame : frames) {
      if (frame.to() <= buffer.ackedBy(peer)) {
        continue;
      }
      if (!canSend.test(peer) || !sender.send(peer, frame)) {
        return;
      }
      metrics.deltasSent.add(frame.deltas().size());
      Flight flight = flights.get(peer);
      if (flight == null) {
        flight = new Flight(clock.getAsLong());
        flights.put(peer, flight);
      }
      flight.to = Math.max(flight.to, frame.to());
      for (KeyBytes kb : frame.deltas()) {
        flight.bytes += kb.state().length;
      }
    }
  }

  /** Forgets what was in flight to {@code peer} (it left, or lost its state). */
  void forget(String peer) {
    flights.remove(peer);
  }

  /*
   * The deltas in flight to one peer: sent up to `to`, the oldest unacknowledged first sent at
   * `sentMillis`, `bytes` in all.
   */
  private static final class Flight {
    final long sentMillis;
    long to;
    long bytes;

    Flight(long sentMillis) {
      this.sentMillis = sentMillis;
    }

    /* The base time, plus 1 ms per 10 KB in flight (a large frame takes long to cross and decode). */
    long retransmitMillis(long base) {
      return base + bytes / 10_000;
    }
  }

  /*
   * Frames for consecutive deltas, built on a worker thread: each interval is joined per key and
   * halved until its encoding fits maxBatchBytes (or it is one delta), so a large delta travels
   * alone; at most MAX_FRAMES_PER_PUSH frames and a frame limit's worth of bytes.
   */
  private List<Deltas> frames(long epoch, List<DeltaBuffer.Entry> entries) {
    List<Deltas> frames = new ArrayList<>();
    long budget = maxFrameBytes;
    int start = 0;
    // Each frame starts from twice the count that fitted the last one, not from the maximum: a run
    // of large deltas is not joined and encoded whole once per frame.
    int maxDeltas = MAX_DELTAS_PER_FRAME;
    while (start < entries.size() && frames.size() < MAX_FRAMES_PER_PUSH && budget > 0) {
      while (true) {
        DeltaBuffer.Interval interval =
            DeltaBuffer.join(entries, start, maxDeltas, MAX_KEYS_PER_FRAME);
        Deltas frame = encode(epoch, interval);
        long size = 64;
        for (KeyBytes kb : frame.deltas()) {
          size += kb.key().length() * 3L + kb.state().length + 8;
        }
        long count = interval.to() - interval.from() + 1;
        if (size <= maxBatchBytes || count == 1) {
          frames.add(frame);
          budget -= size;
          start += (int) count;
          maxDeltas = (int) Math.min(MAX_DELTAS_PER_FRAME, 2 * count);
          break;
        }
        maxDeltas = (int) Math.max(1, count / 2);
      }
    }
    return frames;
  }

  private Deltas encode(long epoch, DeltaBuffer.Interval interval) {
    List<KeyBytes> entries = new ArrayList<>(interval.deltas().size());
    interval.deltas().forEach((key, delta) -> entries.add(new KeyBytes(key, codec.encode(delta))));
    return new Deltas(epoch, interval.from(), interval.to(), entries);
  }

  /** Handles a delta frame or acknowledgement; false if {@code message} is neither. */
  boolean handle(String peer, Message message) {
    if (message instanceof Deltas m) {
      onDeltas(peer, m);
    } else if (message instanceof DeltaAck m) {
      buffer.ack(peer, m.epoch(), m.from(), m.to());
    } else {
      return false;
    }
    return true;
  }

  private void onDeltas(String peer, Deltas m) {
    // The whole frame is decoded first: a frame with one bad entry is rejected whole. A delta of a
    // type this build cannot read is skipped and still acknowledged, so it is not sent again.
    decoder
        .decode(peer, m.deltas())
        .onSuccess(
            deltas -> {
              List<Future<Boolean>> merges = new ArrayList<>(deltas.size());
              for (int i = 0; i < deltas.size(); i++) {
                metrics.deltasReceived.increment();
                KeyBytes entry = m.deltas().get(i);
                if (deltas.get(i) != null) {
                  // A large delta's join is long too: off the event loop (see largeMerger).
                  merges.add(
                      (entry.state().length > InboundStates.DEFAULT_INLINE_BYTES
                              ? largeMerger
                              : merger)
                          .merge(peer, entry.key(), deltas.get(i)));
                }
              }
              // Acknowledge once every delta of the interval is durable here (or failed for good).
              Future.join(merges)
                  .onComplete(x -> sender.send(peer, new DeltaAck(m.epoch(), m.from(), m.to())));
            });
  }
}
