package dev.converge.demo;

import dev.converge.sync.ClusterMember;
import dev.converge.sync.MemberStatus;
import dev.converge.sync.SyncMetrics;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The node's counters in the Prometheus text exposition format (version 0.0.4), written by hand so
 * the demo needs no metrics library: HTTP requests by route, method and status, and the
 * replicator's {@link SyncMetrics}, per peer where it has them. Thread-safe.
 */
final class PrometheusMetrics {

  /** The content type of the exposition format. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private record RequestKey(String route, String method, int status) {}

  private final Map<RequestKey, LongAdder> requests = new ConcurrentHashMap<>();

  /** Counts one answered request; {@code route} is the route's pattern, not the raw path. */
  void countRequest(String route, String method, int status) {
    requests
        .computeIfAbsent(new RequestKey(route, method, status), k -> new LongAdder())
        .increment();
  }

  /** The exposition text; {@code self} is this node's own status. */
  String render(SyncMetrics sync, List<ClusterMember> members, MemberStatus self, int sseClients) {
    StringBuilder out = new StringBuilder(4096);
    header(out, "converge_http_requests_total", "counter", "HTTP requests answered.");
    Map<String, Long> sorted = new TreeMap<>();
    requests.forEach(
        (k, v) ->
            sorted.put(
                "{route=\""
                    + escape(k.route())
                    + "\",method=\""
                    + escape(k.method())
                    + "\",status=\""
                    + k.status()
                    + "\"}",
                v.sum()));
    sorted.forEach(
        (labels, n) ->
            out.append("converge_http_requests_total")
                .append(labels)
                .append(' ')
                .append(n)
                .append('\n'));

    counter(
        out,
        "converge_replication_bytes_sent_total",
        "Frame bytes written to peers.",
        sync.bytesSent());
    counter(
        out,
        "converge_replication_bytes_received_total",
        "Frame bytes read from peers.",
        sync.bytesReceived());
    counter(
        out,
        "converge_replication_frames_sent_total",
        "Frames written to peers.",
        sync.framesSent());
    counter(
        out,
        "converge_replication_frames_received_total",
        "Frames read from peers.",
        sync.framesReceived());
    counter(out, "converge_deltas_sent_total", "Keys shipped as deltas.", sync.deltasSent());
    counter(
        out, "converge_deltas_received_total", "Keys received as deltas.", sync.deltasReceived());
    counter(
        out,
        "converge_full_states_sent_total",
        "Keys shipped as full states by anti-entropy.",
        sync.fullStatesSent());
    counter(
        out,
        "converge_full_states_received_total",
        "Keys received as full states.",
        sync.fullStatesReceived());
    counter(
        out,
        "converge_anti_entropy_rounds_total",
        "Anti-entropy sessions started.",
        sync.antiEntropyRounds());
    counter(
        out,
        "converge_anti_entropy_bytes_sent_total",
        "Bytes of anti-entropy frames sent.",
        sync.antiEntropyBytesSent());
    counter(
        out,
        "converge_keys_repaired_total",
        "Keys changed by a full state received from anti-entropy.",
        sync.keysRepaired());
    counter(
        out,
        "converge_protocol_errors_total",
        "Connections closed for a protocol violation.",
        sync.protocolErrors());
    counter(
        out,
        "converge_auth_failures_total",
        "Handshakes refused because a side could not prove the cluster secret.",
        sync.authFailures());
    counter(
        out,
        "converge_unknown_types_skipped_total",
        "States or deltas skipped: their type or format version is unknown to this build.",
        sync.unknownTypesSkipped());
    header(
        out,
        "converge_prune_epoch",
        "gauge",
        "Highest prune record this node has switched to (replica ids of gone members pruned).");
    out.append("converge_prune_epoch ").append(sync.pruneEpoch()).append('\n');
    header(
        out,
        "converge_pruned_replica_ids",
        "gauge",
        "Replica ids of gone members pruned from this node's data (in the records it remembers).");
    out.append("converge_pruned_replica_ids ").append(sync.prunedReplicaIds()).append('\n');

    Map<String, SyncMetrics.Peer> peers = new TreeMap<>(sync.peers());
    header(
        out,
        "converge_peer_unacked_deltas",
        "gauge",
        "Deltas of this node a peer has not acknowledged (replication lag).");
    peers.forEach(
        (peer, p) -> sample(out, "converge_peer_unacked_deltas", peer, p.unackedDeltas()));
    header(out, "converge_peer_bytes_sent_total", "counter", "Frame bytes written to a peer.");
    peers.forEach((peer, p) -> sample(out, "converge_peer_bytes_sent_total", peer, p.bytesSent()));
    header(out, "converge_peer_bytes_received_total", "counter", "Frame bytes read from a peer.");
    peers.forEach(
        (peer, p) -> sample(out, "converge_peer_bytes_received_total", peer, p.bytesReceived()));
    header(
        out,
        "converge_peer_last_in_sync_seconds",
        "gauge",
        "Unix time of the last anti-entropy round that found the peer equal, 0 if never.");
    peers.forEach(
        (peer, p) ->
            out.append("converge_peer_last_in_sync_seconds{peer=\"")
                .append(escape(peer))
                .append("\"} ")
                .append(p.lastInSyncMillis() / 1000.0)
                .append('\n'));
    header(
        out,
        "converge_peer_reachable",
        "gauge",
        "1 if the failure detector hears the peer and it is not partitioned, else 0.");
    for (ClusterMember m : members) {
      sample(out, "converge_peer_reachable", m.nodeId(), m.reachable() ? 1 : 0);
    }
    header(
        out,
        "converge_peer_status",
        "gauge",
        "1 for the member's current lifecycle status (joining, up, leaving), 0 for the others.");
    for (ClusterMember m : members) {
      for (MemberStatus s : MemberStatus.values()) {
        out.append("converge_peer_status{peer=\"")
            .append(escape(m.nodeId()))
            .append("\",status=\"")
            .append(Departure.name(s))
            .append("\"} ")
            .append(m.status() == s ? 1 : 0)
            .append('\n');
      }
    }
    header(
        out,
        "converge_node_status",
        "gauge",
        "1 for this node's own lifecycle status (joining, up, leaving, left, removed), 0 for the"
            + " others.");
    for (MemberStatus s : MemberStatus.values()) {
      out.append("converge_node_status{status=\"")
          .append(Departure.name(s))
          .append("\"} ")
          .append(self == s ? 1 : 0)
          .append('\n');
    }
    header(out, "converge_sse_clients", "gauge", "Open /api/events streams.");
    out.append("converge_sse_clients ").append(sseClients).append('\n');
    return out.toString();
  }

  private static void counter(StringBuilder out, String name, String help, long value) {
    header(out, name, "counter", help);
    out.append(name).append(' ').append(value).append('\n');
  }

  private static void sample(StringBuilder out, String name, String peer, long value) {
    out.append(name)
        .append("{peer=\"")
        .append(escape(peer))
        .append("\"} ")
        .append(value)
        .append('\n');
  }

  private static void header(StringBuilder out, String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  /* Label values escape backslash, double quote and line feed. */
  static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
