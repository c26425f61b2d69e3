package dev.converge.store.internal;

import dev.converge.store.Durability;
import dev.converge.store.NodeIdentity;
import dev.converge.store.StoreException;
import dev.converge.store.StoreOptions;
import java.lang.System.Logger.Level;
import java.nio.file.Path;

/**
 * The durable store's {@code meta} map: format version, node id, incarnation, session epoch and the
 * marker of an open session under {@link Durability#NONE}. Not part of the public API.
 */
final class StoreMeta {

  /** Meta entry present while a session with {@link Durability#NONE} is open. */
  static final String UNSYNCED_SESSION = "unsyncedSession";

  private static final String FORMAT = "1";
  private static final System.Logger LOG = System.getLogger(DurableReplicaStore.class.getName());

  /** Who this session writes as, and its epoch (upper bits of its record sequence numbers). */
  record Session(NodeIdentity identity, long epoch) {}

  private StoreMeta() {}

  /**
   * Starts a session: establishes the identity, takes the next epoch and sets or clears the
   * unsynced-session marker. Writes the meta map but does not commit.
   *
   * @throws StoreException if the file belongs to another node or has an unknown format
   * @throws StoreException.Corrupted if the identity is missing from a file that holds data
   */
  static Session begin(StoreTables tables, StoreOptions options) {
    long epoch = parseLong(tables, "epoch", "0") + 1;
    NodeIdentity identity = identify(tables, options);
    tables.putMeta("epoch", Long.toString(epoch));
    if (options.getDurability() == Durability.NONE) {
      tables.putMeta(UNSYNCED_SESSION, "1");
    } else {
      tables.removeMeta(UNSYNCED_SESSION);
    }
    return new Session(identity, epoch);
  }

  /* The stored identity, a new one for a new file, or a new incarnation after an unsynced crash. */
  private static NodeIdentity identify(StoreTables tables, StoreOptions options) {
    Path file = tables.file();
    String format = tables.meta("format");
    String nodeId = options.getNodeId();
    if (format == null) {
      if (!tables.hasNoData()) {
        throw new StoreException.Corrupted(file, "it holds keys but no node identity", null);
      }
      NodeIdentity fresh = NodeIdentity.fresh(nodeId);
      tables.putMeta("format", FORMAT);
      tables.putMeta("nodeId", fresh.nodeId());
      tables.putMeta("incarnation", fresh.incarnation());
      return fresh;
    }
    if (!format.equals(FORMAT)) {
      throw new StoreException(
          "store file " + file + " has format " + format + "; this build reads format " + FORMAT);
    }
    String storedNode = tables.meta("nodeId");
    String incarnation = tables.meta("incarnation");
    if (storedNode == null || incarnation == null) {
      throw new StoreException.Corrupted(file, "its node identity is incomplete", null);
    }
    if (!storedNode.equals(nodeId)) {
      throw new StoreException(
          "data directory "
              + file.getParent()
              + " belongs to node \""
              + storedNode
              + "\", not \""
              + nodeId
              + "\"");
    }
    if (tables.meta(UNSYNCED_SESSION) != null) {
      NodeIdentity fresh = NodeIdentity.fresh(nodeId);
      LOG.log(
          Level.WARNING,
          "store {0} was not closed after a session with durability NONE; writes it acknowledged"
              + " may be lost, so this node takes a new incarnation {1} (was {2})",
          file,
          fresh.incarnation(),
          incarnation);
      tables.putMeta("incarnation", fresh.incarnation());
      return fresh;
    }
    return NodeIdentity.of(storedNode, incarnation);
  }

  private static long parseLong(StoreTables tables, String name, String absent) {
    String text = tables.meta(name);
    try {
      return Long.parseLong(text == null ? absent : text);
    } catch (NumberFormatException e) {
      throw new StoreException.Corrupted(tables.file(), "bad meta entry " + name, e);
    }
  }
}
