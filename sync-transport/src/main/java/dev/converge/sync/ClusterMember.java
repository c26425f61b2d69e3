package dev.converge.sync;

/**
 * A member of the cluster as one node sees it. Unreachable members stay members (and count in
 * quorums) until they leave or are removed.
 *
 * @param nodeId the member's node id
 * @param status where the member is in its lifecycle (never {@code LEFT} or {@code REMOVED} in
 *     {@link Replicator#members()}, which lists current members only)
 * @param incarnation its current incarnation, empty if not yet known
 * @param address its gossip address
 * @param reachable whether the failure detector currently hears it
 * @param phi the failure detector's suspicion level (0 = just heard)
 * @param lastHeardMillis wall-clock time anything was last received from it, 0 if never
 * @param metadata what the member tells about itself ({@link SyncOptions#setMetadata})
 */
public record ClusterMember(
    String nodeId,
    MemberStatus status,
    String incarnation,
    PeerAddress address,
    boolean reachable,
    double phi,
    long lastHeardMillis,
    java.util.Map<String, String> metadata) {}
