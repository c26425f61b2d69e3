package dev.converge.bench.cluster;

import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * One replicated key-value system under test, running {@link #size()} nodes on loopback in this
 * JVM: the same scenarios drive Converge and Pekko Distributed Data through this interface. Writes
 * are local (no quorum) and return when the writing node has applied them; reads are local and
 * block the calling thread. Node indices run from 0 to {@code size() - 1}.
 */
public interface ClusterDriver extends AutoCloseable {

  /** Short label used as the prefix of every figure, e.g. {@code converge}, {@code pekko-200ms}. */
  String label();

  int size();

  /** How often a node ships its deltas to peers, in milliseconds. */
  long deltaIntervalMillis();

  /** How often a node runs a full-state repair round (anti-entropy, gossip), in milliseconds. */
  long repairIntervalMillis();

  /** The system's settings that matter to the figures, printed and written to the JSON. */
  Map<String, Object> settings();

  /** Increments the PN-counter {@code key} on {@code node}. */
  CompletionStage<?> increment(int node, String key, long amount);

  /** Adds {@code element} to the OR-Set {@code key} on {@code node}. */
  CompletionStage<?> add(int node, String key, String element);

  /** Sets the LWW-register {@code key} on {@code node}. */
  CompletionStage<?> assign(int node, String key, String value);

  /** The counter's value on {@code node}; 0 if the node does not hold the key. */
  long counter(int node, String key);

  /** The set's size on {@code node}; 0 if the node does not hold the key. */
  int setSize(int node, String key);

  /** The register's value on {@code node}; null if unset. */
  String register(int node, String key);

  /** How many keys {@code node} holds. */
  int keyCount(int node);

  /** Cuts {@code node} off from every other node, both directions, until {@link #heal()}. */
  void isolate(int node);

  /** Removes every partition. */
  void heal();

  /** Whether {@code node} currently considers every other node unreachable. */
  boolean seesAllUnreachable(int node);

  /** Whether every node considers every other node a reachable member. */
  boolean membershipComplete();

  /**
   * Application-level bytes written to the wire by all nodes since start (TCP payload, framing
   * included), or -1 if this driver cannot measure them.
   */
  long wireBytes();

  @Override
  void close();
}
