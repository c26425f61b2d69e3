package dev.converge.demo;

import dev.converge.sync.SyncOptions;

/**
 * How a demo node takes part in membership changes: how long a graceful leave may take, whether a
 * long-unreachable member is removed automatically, the floor of a majority, and when a left
 * member's replica id is pruned. Maps one to one onto {@link SyncOptions}; the bounds here are the
 * demo's (its flags refuse anything outside them), the library accepts more.
 *
 * @param leaveTimeoutMillis bound on a graceful leave's hand-off ({@link
 *     SyncOptions#setLeaveTimeoutMillis}), {@value #MIN_LEAVE_TIMEOUT_MILLIS}–{@value
 *     #MAX_LEAVE_TIMEOUT_MILLIS}
 * @param autoRemoveUnreachableAfterMillis remove a member unreachable for this long, 0 for never
 *     ({@link SyncOptions#setAutoRemoveUnreachableAfterMillis}); else {@value
 *     #MIN_AUTO_REMOVE_MILLIS}–{@value #MAX_AUTO_REMOVE_MILLIS}
 * @param minQuorumSize floor of a {@code majority} ({@link SyncOptions#setMinQuorumSize}),
 *     1–{@value #MAX_MIN_QUORUM_SIZE}
 * @param pruneLeftAfterMillis how long after a graceful leave the left incarnation's replica id is
 *     pruned ({@link SyncOptions#setPruneLeftAfterMillis}), 0–{@value #MAX_PRUNE_LEFT_AFTER_MILLIS}
 */
public record MembershipSettings(
    long leaveTimeoutMillis,
    long autoRemoveUnreachableAfterMillis,
    int minQuorumSize,
    long pruneLeftAfterMillis) {

  /**
   * The library's defaults: a 10 s leave, no automatic removal, no floor beyond ⌊N/2⌋+1, left
   * incarnations pruned after 5 minutes.
   */
  public static final MembershipSettings DEFAULT =
      new MembershipSettings(
          SyncOptions.DEFAULT_LEAVE_TIMEOUT_MILLIS,
          SyncOptions.DEFAULT_AUTO_REMOVE_UNREACHABLE_AFTER_MILLIS,
          SyncOptions.DEFAULT_MIN_QUORUM_SIZE,
          SyncOptions.DEFAULT_PRUNE_LEFT_AFTER_MILLIS);

  /** Longest delay before a left incarnation is pruned: seven days (the tombstone retention). */
  public static final long MAX_PRUNE_LEFT_AFTER_MILLIS = 7L * 24 * 3600 * 1000;

  /** Shortest leave timeout: 1 ms (a leave that hands nothing off). */
  public static final long MIN_LEAVE_TIMEOUT_MILLIS = 1;

  /** Longest leave timeout: one hour. */
  public static final long MAX_LEAVE_TIMEOUT_MILLIS = 3_600_000;

  /**
   * Shortest automatic removal delay: 1 s. The demo's failure detector calls a peer unreachable
   * after about a second of silence, so anything shorter would remove a peer for a hiccup.
   */
  public static final long MIN_AUTO_REMOVE_MILLIS = 1_000;

  /** Longest automatic removal delay: seven days. */
  public static final long MAX_AUTO_REMOVE_MILLIS = 7L * 24 * 3600 * 1000;

  /** Largest floor of a majority. */
  public static final int MAX_MIN_QUORUM_SIZE = 1_024;

  public MembershipSettings {
    if (leaveTimeoutMillis < MIN_LEAVE_TIMEOUT_MILLIS
        || leaveTimeoutMillis > MAX_LEAVE_TIMEOUT_MILLIS) {
      throw new IllegalArgumentException(
          "leave timeout must be "
              + MIN_LEAVE_TIMEOUT_MILLIS
              + "-"
              + MAX_LEAVE_TIMEOUT_MILLIS
              + " ms, got "
              + leaveTimeoutMillis);
    }
    if (autoRemoveUnreachableAfterMillis != 0
        && (autoRemoveUnreachableAfterMillis < MIN_AUTO_REMOVE_MILLIS
            || autoRemoveUnreachableAfterMillis > MAX_AUTO_REMOVE_MILLIS)) {
      throw new IllegalArgumentException(
          "automatic removal must be 0 (off) or "
              + MIN_AUTO_REMOVE_MILLIS
              + "-"
              + MAX_AUTO_REMOVE_MILLIS
              + " ms, got "
              + autoRemoveUnreachableAfterMillis);
    }
    if (minQuorumSize < 1 || minQuorumSize > MAX_MIN_QUORUM_SIZE) {
      throw new IllegalArgumentException(
          "minimum quorum size must be 1-" + MAX_MIN_QUORUM_SIZE + ", got " + minQuorumSize);
    }
    if (pruneLeftAfterMillis < 0 || pruneLeftAfterMillis > MAX_PRUNE_LEFT_AFTER_MILLIS) {
      throw new IllegalArgumentException(
          "prune-left-after must be 0-"
              + MAX_PRUNE_LEFT_AFTER_MILLIS
              + " ms, got "
              + pruneLeftAfterMillis);
    }
  }

  /** Sets these options on {@code options}. */
  public SyncOptions applyTo(SyncOptions options) {
    return options
        .setLeaveTimeoutMillis(leaveTimeoutMillis)
        .setAutoRemoveUnreachableAfterMillis(autoRemoveUnreachableAfterMillis)
        .setMinQuorumSize(minQuorumSize)
        .setPruneLeftAfterMillis(pruneLeftAfterMillis);
  }
}
