package dev.converge.sync;

/**
 * A member of the cluster as one node sees it. Unreachable members stay members: their
 * contributions are never dropped from any CRDT.
 *
 * @param nodeId the member's node id
 * @param incarnation its current incarnation, empty if not yet known
 * @param address its gossip address
 * @param reachable whether the failure detector currently hears it
 * @param phi the failure detector's suspicion level (0 = just heard)
 * @param lastHeardMillis wall-clock time anything was last received from it, 0 if never
 * @param metadata what the member tells about itself ({@link SyncOptions#setMetadata})
 */
public record ClusterMember(
    String nodeId,
    String incarnation,
    PeerAddress address,
    boolean reachable,
    double phi,
    long lastHeardMillis,
    java.util.Map<String, String> metadata) {}
