package dev.converge.sync;

import java.util.Map;

/**
 * A snapshot of a node's replication counters since start.
 *
 * @param bytesSent frame bytes written to peers
 * @param bytesReceived frame bytes read from peers
 * @param framesSent frames written
 * @param framesReceived frames read
 * @param deltasSent keys shipped as deltas (one per key per delta frame)
 * @param deltasReceived keys received as deltas
 * @param fullStatesSent keys shipped as full states by anti-entropy
 * @param fullStatesReceived keys received as full states
 * @param antiEntropyRounds anti-entropy sessions this node started
 * @param antiEntropyBytesSent bytes of anti-entropy frames sent
 * @param keysRepaired keys whose state changed because of a received full state
 * @param protocolErrors connections closed for a protocol violation
 * @param authFailures handshakes refused because a side could not prove the cluster secret (a
 *     subset of {@code protocolErrors} on the refusing side)
 * @param pruneEpoch the highest prune record this node has switched to: the replica ids of gone
 *     incarnations that record and the earlier ones named are gone from its data
 * @param prunedReplicaIds replica ids of gone incarnations pruned from this node's data (in the
 *     prune records it still remembers)
 * @param unknownTypesSkipped received states or deltas skipped because this build does not know
 *     their type tag or reads only older versions of its format (a rolling upgrade in progress)
 * @param quorumReadsUnchanged quorum reads this node answered without its state, because the reader
 *     already held the same (equal digests)
 * @param peers per-peer counters by node id
 */
public record SyncMetrics(
    long bytesSent,
    long bytesReceived,
    long framesSent,
    long framesReceived,
    long deltasSent,
    long deltasReceived,
    long fullStatesSent,
    long fullStatesReceived,
    long antiEntropyRounds,
    long antiEntropyBytesSent,
    long keysRepaired,
    long protocolErrors,
    long authFailures,
    long pruneEpoch,
    long prunedReplicaIds,
    long unknownTypesSkipped,
    long quorumReadsUnchanged,
    Map<String, Peer> peers) {

  /**
   * Counters of one peer.
   *
   * @param bytesSent frame bytes written to it
   * @param bytesReceived frame bytes read from it
   * @param framesSent frames written to it
   * @param framesReceived frames read from it
   * @param unackedDeltas this node's deltas the peer has not acknowledged (replication lag)
   * @param lastInSyncMillis wall-clock time of the last anti-entropy round that found this node and
   *     the peer equal, 0 if never
   */
  public record Peer(
      long bytesSent,
      long bytesReceived,
      long framesSent,
      long framesReceived,
      long unackedDeltas,
      long lastInSyncMillis) {}
}
