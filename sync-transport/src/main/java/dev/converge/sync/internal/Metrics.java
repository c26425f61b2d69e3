package dev.converge.sync.internal;

import dev.converge.sync.SyncMetrics;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToLongFunction;

/** The live counters behind {@link SyncMetrics}. Thread-safe. */
final class Metrics {

  final LongAdder bytesSent = new LongAdder();
  final LongAdder bytesReceived = new LongAdder();
  final LongAdder framesSent = new LongAdder();
  final LongAdder framesReceived = new LongAdder();
  final LongAdder deltasSent = new LongAdder();
  final LongAdder deltasReceived = new LongAdder();
  final LongAdder fullStatesSent = new LongAdder();
  final LongAdder fullStatesReceived = new LongAdder();
  final LongAdder antiEntropyRounds = new LongAdder();
  final LongAdder antiEntropyBytesSent = new LongAdder();
  final LongAdder keysRepaired = new LongAdder();
  final LongAdder protocolErrors = new LongAdder();
  final LongAdder authFailures = new LongAdder();
  final LongAdder unknownTypesSkipped = new LongAdder();
  final LongAdder quorumReadsUnchanged = new LongAdder();

  /** Per-peer counters. */
  static final class Peer {
    final LongAdder bytesSent = new LongAdder();
    final LongAdder bytesReceived = new LongAdder();
    final LongAdder framesSent = new LongAdder();
    final LongAdder framesReceived = new LongAdder();
    volatile long lastInSyncMillis;
  }

  private final Map<String, Peer> peers = new ConcurrentHashMap<>();

  Peer peer(String nodeId) {
    return peers.computeIfAbsent(nodeId, id -> new Peer());
  }

  void sent(String peer, int bytes, boolean antiEntropy) {
    bytesSent.add(bytes);
    framesSent.increment();
    if (antiEntropy) {
      antiEntropyBytesSent.add(bytes);
    }
    Peer p = peer(peer);
    p.bytesSent.add(bytes);
    p.framesSent.increment();
  }

  void received(String peer, int bytes) {
    bytesReceived.add(bytes);
    framesReceived.increment();
    Peer p = peer(peer);
    p.bytesReceived.add(bytes);
    p.framesReceived.increment();
  }

  SyncMetrics snapshot(ToLongFunction<String> unacked, long pruneEpoch, long prunedReplicaIds) {
    Map<String, SyncMetrics.Peer> perPeer = new HashMap<>();
    peers.forEach(
        (id, p) ->
            perPeer.put(
                id,
                new SyncMetrics.Peer(
                    p.bytesSent.sum(),
                    p.bytesReceived.sum(),
                    p.framesSent.sum(),
                    p.framesReceived.sum(),
                    unacked.applyAsLong(id),
                    p.lastInSyncMillis)));
    return new SyncMetrics(
        bytesSent.sum(),
        bytesReceived.sum(),
        framesSent.sum(),
        framesReceived.sum(),
        deltasSent.sum(),
        deltasReceived.sum(),
        fullStatesSent.sum(),
        fullStatesReceived.sum(),
        antiEntropyRounds.sum(),
        antiEntropyBytesSent.sum(),
        keysRepaired.sum(),
        protocolErrors.sum(),
        authFailures.sum(),
        pruneEpoch,
        prunedReplicaIds,
        unknownTypesSkipped.sum(),
        quorumReadsUnchanged.sum(),
        Map.copyOf(perPeer));
  }
}
