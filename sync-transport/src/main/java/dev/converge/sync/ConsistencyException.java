package dev.converge.sync;

import java.time.Duration;

/**
 * A read or write could not reach the replicas its {@link Consistency} asked for within the
 * timeout, typically because this node is in a minority partition. For a write, the data is <b>not
 * rolled back</b>: it is stored locally and will converge to the other replicas once they can be
 * reached.
 */
public final class ConsistencyException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Which operation failed. */
  public enum Operation {
    READ,
    WRITE
  }

  private final Operation operation;
  private final String key;
  private final transient Consistency consistency;
  private final int required;
  private final int acknowledged;
  private final int members;

  public ConsistencyException(
      Operation operation,
      String key,
      Consistency consistency,
      int required,
      int acknowledged,
      int members) {
    super(message(operation, key, consistency, required, acknowledged, members));
    this.operation = operation;
    this.key = key;
    this.consistency = consistency;
    this.required = required;
    this.acknowledged = acknowledged;
    this.members = members;
  }

  private static String message(
      Operation operation, String key, Consistency c, int required, int acked, int members) {
    Duration t = c.timeout();
    String verb = operation == Operation.WRITE ? "stored by" : "answered by";
    return operation.name().toLowerCase(java.util.Locale.ROOT)
        + " of key \""
        + key
        + "\" with consistency "
        + c
        + " was "
        + verb
        + " "
        + acked
        + " of the "
        + required
        + " replicas required ("
        + members
        + " members) within "
        + t.toMillis()
        + " ms"
        + (operation == Operation.WRITE
            ? "; the write is kept locally and will converge when the replicas are reachable"
            : "");
  }

  public Operation operation() {
    return operation;
  }

  public String key() {
    return key;
  }

  /** The consistency the operation asked for. */
  public Consistency consistency() {
    return consistency;
  }

  /** Replicas the consistency level required, this node included. */
  public int required() {
    return required;
  }

  /** Replicas that stored (write) or answered (read) in time, this node included. */
  public int acknowledged() {
    return acknowledged;
  }

  /** Members of the cluster as this node knew it, itself included. */
  public int members() {
    return members;
  }
}
