package dev.converge.sync.internal;

import dev.converge.sync.PeerAddress;
import dev.converge.sync.internal.Message.Hello;
import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * How a replicator reaches its peers: {@link PeerTransport} over TCP in production, a simulated
 * network in tests. Contract: (1) every method is called on the replicator's context and every
 * {@link Listener} callback runs on it; (2) {@link #send} never blocks and may lose frames; (3)
 * frames between two nodes arrive in the order sent unless a fault filter reorders them; (4) a
 * listener that throws {@link ProtocolException} closes the link the frame came on.
 */
interface Transport {

  /** What a transport tells its replicator. */
  interface Listener {
    /** A peer completed the handshake on an accepted connection. */
    void peerHello(Hello hello);

    /** A frame from {@code peer}. */
    void message(String peer, Message message);

    /** This node's link to {@code address} learnt the peer's node id and incarnation. */
    void linked(PeerAddress address, String peer, String incarnation);

    /**
     * Why a peer that completed the handshake must still be refused (its incarnation left or was
     * removed from the cluster), or null to admit it.
     */
    String refusal(Hello hello);

    /** The peer at {@code address} refused this node because this incarnation was removed. */
    void removed(PeerAddress address, String reason);
  }

  /** Creates the transport of one replicator. */
  @FunctionalInterface
  interface Factory {
    Transport create(Listener listener, Supplier<Hello> hello);
  }

  /** Starts accepting peers; completes with the bound port. */
  Future<Integer> listen();

  /** Ensures a link to {@code address}. */
  void connect(PeerAddress address);

  /**
   * Drops this node's link to {@code peer}, if any, and dials it again. Called when the peer stops
   * answering: a TCP connection stalled by a partition retransmits on an exponential back-off (up
   * to minutes after a long partition), while a fresh connection gets through as soon as the
   * network allows. Frames not yet sent are lost, as on any link failure.
   */
  void relink(String peer);

  /**
   * Closes every link with {@code peer} and stops dialling it: it left or was removed. A later
   * {@link #connect} to its address dials again.
   */
  void forget(String peer);

  /** True if frames can be sent to {@code peer} now. */
  boolean isLinked(String peer);

  /** True while a large frame sent to {@code peer} is still being encoded or written in chunks. */
  default boolean busy(String peer) {
    return false;
  }

  /** Sends a frame; false if there is no link. */
  boolean send(String peer, Message message);

  Future<Void> close();
}
