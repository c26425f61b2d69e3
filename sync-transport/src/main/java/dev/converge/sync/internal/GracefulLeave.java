package dev.converge.sync.internal;

import dev.converge.sync.MemberStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.Predicate;

/**
 * A node's graceful leave (decision 0010): wait for the local writes already accepted, announce
 * LEAVING, hand every delta the peers have not acknowledged to every reachable member until each
 * acknowledges all of them (bounded by {@code leaveTimeoutMillis}), then announce LEFT to everyone
 * ({@link #LEFT_ANNOUNCEMENTS} times, against lossy links). Peers stop counting the node in quorums
 * as soon as they hear LEFT. While members exist but none is reachable, it waits (a partition may
 * heal) until the timeout. Runs on the replicator's context. Not part of the public API.
 */
final class GracefulLeave {

  private static final Logger LOG = System.getLogger(GracefulLeave.class.getName());

  private GracefulLeave() {}

  /**
   * Leaves; completes once LEFT is announced.
   *
   * @param reachable whether a member can be handed deltas now
   * @param writesInFlight local writes accepted but not yet buffered
   */
  static Future<Void> run(
      Vertx vertx,
      String nodeId,
      long timeoutMillis,
      long gossipIntervalMillis,
      Membership membership,
      DeltaGossip gossip,
      Predicate<String> reachable,
      IntSupplier writesInFlight) {
    long started = System.currentTimeMillis();
    long deadline = started + timeoutMillis;
    long step = Math.max(5, Math.min(50, gossipIntervalMillis / 4));
    Promise<Void> left = Promise.promise();
    membership.advanceSelf(MemberStatus.LEAVING);
    membership.gossipToAll();
    vertx.setPeriodic(
        0,
        step,
        timer -> {
          List<String> members = membership.counted();
          List<String> targets = new ArrayList<>();
          for (String peer : members) {
            if (reachable.test(peer)) {
              targets.add(peer);
            }
          }
          boolean allAcked = true;
          for (String peer : targets) {
            if (gossip.buffer().unacked(peer) > 0) {
              allAcked = false;
              gossip.push(peer);
            }
          }
          boolean handedOff =
              writesInFlight.getAsInt() == 0
                  && allAcked
                  && (!targets.isEmpty() || members.isEmpty());
          boolean timedOut = System.currentTimeMillis() > deadline;
          if (!handedOff && !timedOut) {
            return;
          }
          vertx.cancelTimer(timer);
          long missing = targets.isEmpty() ? gossip.buffer().unackedByAll() : 0;
          for (String peer : targets) {
            missing = Math.max(missing, gossip.buffer().unacked(peer));
          }
          LOG.log(
              missing == 0 ? Level.INFO : Level.WARNING,
              "node {0} left the cluster after {1} ms{2}",
              nodeId,
              System.currentTimeMillis() - started,
              missing == 0
                  ? ", every delta acknowledged by every reachable member"
                  : ": leave timeout with "
                      + missing
                      + " deltas unacknowledged by some member (anti-entropy repairs those"
                      + " another member acknowledged; the rest never left this node)");
          membership.advanceSelf(MemberStatus.LEFT);
          announce(vertx, membership, step, LEFT_ANNOUNCEMENTS, left);
        });
    return left.future();
  }

  /**
   * How often LEFT is told to every member, {@code step} apart: the news travels in frames that a
   * lossy link may drop, and a member that misses it would count the node until it is removed.
   */
  static final int LEFT_ANNOUNCEMENTS = 3;

  private static void announce(
      Vertx vertx, Membership membership, long step, int times, Promise<Void> done) {
    membership.gossipToAll();
    if (times <= 1) {
      done.complete();
    } else {
      vertx.setTimer(step, t -> announce(vertx, membership, step, times - 1, done));
    }
  }
}
