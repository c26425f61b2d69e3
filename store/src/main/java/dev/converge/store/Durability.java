package dev.converge.store;

/**
 * When a write is acknowledged, and so what a crash can lose. A write is acknowledged when the
 * future returned by {@link ReplicaStore#update} or {@link ReplicaStore#merge} completes.
 *
 * <p>Under {@link #EVERY_WRITE} and {@link #GROUP_COMMIT} a durable store also shows nothing that
 * is not yet durable: reads return the state as of the last sync that covered the key, so nothing a
 * crash could take back ever leaves the node, and the node keeps its replica id across crashes. The
 * in-memory store keeps nothing across a restart whatever the policy and reports {@link #NONE}.
 */
public enum Durability {

  /**
   * Acknowledge after the write's delta is on disk and the file is synced ({@code fsync}), one sync
   * per write. Loses nothing acknowledged on process crash, {@code kill -9} or power loss. Slowest:
   * writes are serialized behind one sync each.
   */
  EVERY_WRITE,

  /**
   * Acknowledge after the sync that covers the write. The store's writer applies every write queued
   * while the previous sync ran (up to a few thousand) and covers them with one commit and one
   * sync, so a write waits at most for the sync in progress when it arrives plus the one of its own
   * batch. Loses nothing acknowledged, like {@link #EVERY_WRITE}, at a fraction of the cost per
   * write under concurrent or pipelined load; a single caller that waits for each write before the
   * next pays one sync per write, as with {@link #EVERY_WRITE}. The default.
   */
  GROUP_COMMIT,

  /**
   * Acknowledge once the write is applied in memory, and show it to readers at once; the disk is
   * written and synced in the background about once a second. A crash or {@code kill -9} loses the
   * writes since the last background commit, including acknowledged ones. Because peers may already
   * hold such a lost write, a durable store reopened after a session under this policy ended
   * without {@link ReplicaStore#close()} takes a new incarnation (a new replica id), so it never
   * reuses a dot or counter entry a peer has seen. For caches and tests.
   */
  NONE
}
