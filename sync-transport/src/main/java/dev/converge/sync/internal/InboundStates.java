package dev.converge.sync.internal;

import dev.converge.crdt.Key;
import dev.converge.crdt.TypedState;
import dev.converge.crdt.codec.CodecException;
import dev.converge.crdt.codec.CodecException.Reason;
import dev.converge.crdt.codec.CrdtCodec;
import dev.converge.sync.internal.Message.KeyBytes;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decodes the states and deltas peers send, for every part of the node that receives them (delta
 * gossip, anti-entropy, quorums, pruning). Two rules:
 *
 * <ol>
 *   <li><b>Large work off the event loop.</b> A frame whose states total more than {@code
 *       inlineBytes} is decoded on a worker thread; a small one at once, on the event loop. So a
 *       small frame may be handed over before a large one that arrived earlier: every state and
 *       delta is joined into the store, and a join does not depend on order (decision 0004).
 *   <li><b>Rolling upgrades.</b> A state whose type tag this build does not know, or whose format
 *       version is newer than it reads, is skipped: its entry is {@code null}, it is counted
 *       ({@code SyncMetrics.unknownTypesSkipped}) and logged once per tag; the rest of the frame
 *       applies and the link stays up. A malformed state or a bad key name still rejects the whole
 *       frame.
 * </ol>
 *
 * Confined to the replicator's context.
 */
final class InboundStates {

  /** Frames with more state bytes than this are decoded on a worker thread. */
  static final int DEFAULT_INLINE_BYTES = 64 * 1024;

  /** Most distinct unknown tags logged; past it, skips are only counted. */
  private static final int MAX_LOGGED_TAGS = 256;

  private static final Logger LOG = System.getLogger(InboundStates.class.getName());

  private final Context context;
  private final CrdtCodec codec;
  private final Metrics metrics;
  private final int inlineBytes;
  private final Set<String> loggedTags = ConcurrentHashMap.newKeySet();

  InboundStates(Context context, CrdtCodec codec, Metrics metrics, int inlineBytes) {
    this.context = context;
    this.codec = codec;
    this.metrics = metrics;
    this.inlineBytes = inlineBytes;
  }

  CrdtCodec codec() {
    return codec;
  }

  /**
   * Decodes {@code entries} of one frame from {@code peer}: a list as long as {@code entries},
   * {@code null} where a state was skipped (unknown type or newer format). Its callbacks run on the
   * context. A large frame that turns out bad is dropped, logged and counted as a protocol error
   * (its link stays up: the connection has moved on).
   *
   * @throws ProtocolException for a bad entry of a small frame, decoded at once: the link closes
   */
  Future<List<TypedState<?>>> decode(String peer, List<KeyBytes> entries) {
    long bytes = 0;
    for (KeyBytes kb : entries) {
      bytes += kb.state().length;
    }
    if (bytes <= inlineBytes) {
      return Future.succeededFuture(decodeNow(entries));
    }
    return context
        .executeBlocking(() -> decodeNow(entries), false)
        .onFailure(
            e -> {
              metrics.protocolErrors.increment();
              LOG.log(Level.WARNING, "dropped a frame from " + peer + ": " + e.getMessage());
            });
  }

  /**
   * Decodes a frame's entries now, on the calling thread; see {@link #decode}.
   *
   * @throws ProtocolException for the first bad key name or malformed state
   */
  List<TypedState<?>> decodeNow(List<KeyBytes> entries) {
    List<TypedState<?>> decoded = new ArrayList<>(entries.size());
    for (KeyBytes kb : entries) {
      decoded.add(decodeOne(kb.key(), kb.state()));
    }
    return decoded;
  }

  /**
   * Decodes one received state of {@code key}; {@code null} if its type or format version is
   * unknown here (skipped).
   *
   * @throws ProtocolException for a bad key name or malformed bytes
   */
  TypedState<?> decodeOne(String key, byte[] bytes) {
    String reason = Key.validateName(key);
    if (reason != null) {
      throw new ProtocolException("bad key name: " + reason);
    }
    try {
      return codec.decode(bytes);
    } catch (CodecException e) {
      if (e.reason() == Reason.UNKNOWN_TYPE || e.reason() == Reason.UNSUPPORTED_VERSION) {
        skipped(key, e);
        return null;
      }
      throw new ProtocolException("undecodable state of key " + key + ": " + e.getMessage(), e);
    }
  }

  private void skipped(String key, CodecException e) {
    metrics.unknownTypesSkipped.increment();
    String what = e.reason() + " " + e.getMessage();
    if (loggedTags.size() < MAX_LOGGED_TAGS && loggedTags.add(what)) {
      LOG.log(
          Level.WARNING,
          "skipping states this build cannot read (first: key {0}): {1}. Upgrade this node to"
              + " replicate them; everything else still replicates",
          key,
          e.getMessage());
    }
  }
}
