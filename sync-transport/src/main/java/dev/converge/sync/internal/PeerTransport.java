package dev.converge.sync.internal;

import dev.converge.sync.PeerAddress;
import dev.converge.sync.SyncOptions;
import dev.converge.sync.internal.Message.Chunk;
import dev.converge.sync.internal.Message.Hello;
import dev.converge.sync.internal.Message.HelloAuth;
import dev.converge.sync.internal.Message.HelloChallenge;
import dev.converge.sync.internal.Message.HelloOk;
import dev.converge.sync.internal.Message.HelloReject;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * TCP links between nodes: a server that accepts peers after a handshake, and one outbound link per
 * known peer address that reconnects with exponential back-off. Frames are length-prefixed ({@link
 * FrameParser}, {@link FrameCodec}); a malformed, oversized or unexpected frame closes the
 * connection that carried it and nothing else.
 *
 * <p>Handshake: the client sends {@link Hello} (cluster name, protocol version, node id,
 * incarnation, address, delta epoch, nonce); with a cluster secret, the server answers {@link
 * HelloChallenge} and the client {@link HelloAuth} ({@link HandshakeAuth}: each side proves the
 * secret); the server then answers {@link HelloOk}, or {@link HelloReject} and closes. Only then
 * does the peer become a member or may send state. After it, a connection carries frames one way
 * only, client to server. With TLS options set, every link is TLS, optionally mutually
 * authenticated; the handshake runs inside it.
 *
 * <p>Every frame passes the {@link LinkFilter} on send and on receipt. Confined to the replicator's
 * context: every method must be called on it, and every callback runs on it.
 */
final class PeerTransport implements Transport {

  private static final Logger LOG = System.getLogger(PeerTransport.class.getName());

  /** Largest frame accepted before the handshake completes (a Hello is well under 16 KiB). */
  static final int HANDSHAKE_MAX_FRAME_BYTES = 16 * 1024;

  /** Most bytes of one chunk of a large frame ({@link ChunkedFrames}). */
  static final int MAX_CHUNK_BYTES = 256 * 1024;

  /** Frames carrying more state bytes than this are encoded on a worker thread. */
  static final int ENCODE_OFF_LOOP_BYTES = 1024 * 1024;

  /** Chunk bytes written to one connection and not yet flushed, at most. */
  static final int CHUNK_WINDOW_BYTES = 1024 * 1024;

  /** Room in a message beyond the states it carries (key names, headers). */
  static final int MESSAGE_ENVELOPE_BYTES = 1024 * 1024;

  /** An accepted connection that has not completed its handshake by then is closed. */
  static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;

  private final Vertx vertx;
  private final SyncOptions options;
  private final LinkFilter filter;
  private final Metrics metrics;
  private final Listener listener;
  private final Supplier<Hello> ownHello;
  private final HandshakeAuth auth;
  private final RefusalLog refusals = new RefusalLog(LOG, System::currentTimeMillis);
  private final Map<PeerAddress, OutboundLink> outbound = new HashMap<>();
  private final Map<String, OutboundLink> byPeer = new HashMap<>();
  private final Set<InboundLink> inbound = new HashSet<>();
  private final int maxMessageBytes;
  private final int chunkBytes;
  private NetServer server;
  private NetClient client;
  private boolean closed;

  PeerTransport(
      Vertx vertx,
      SyncOptions options,
      LinkFilter filter,
      Metrics metrics,
      Listener listener,
      Supplier<Hello> hello) {
    this.vertx = vertx;
    this.options = options;
    this.filter = filter;
    this.metrics = metrics;
    this.listener = listener;
    this.ownHello = hello;
    this.auth = HandshakeAuth.forSecret(options.getClusterSecret());
    this.maxMessageBytes = options.readLimitBytes() + MESSAGE_ENVELOPE_BYTES;
    this.chunkBytes = Math.min(MAX_CHUNK_BYTES, options.getMaxFrameBytes() / 2);
  }

  @Override
  public Future<Integer> listen() {
    NetClientOptions clientOptions =
        new NetClientOptions().setConnectTimeout(2_000).setTcpNoDelay(true).setTcpKeepAlive(true);
    NetServerOptions serverOptions =
        new NetServerOptions()
            .setHost(options.getHost())
            .setPort(options.getPort())
            .setTcpNoDelay(true);
    if (options.isTlsEnabled()) {
      PemKeyCertOptions keyCert =
          new PemKeyCertOptions()
              .setCertPath(options.getTlsCertPath().toString())
              .setKeyPath(options.getTlsKeyPath().toString());
      PemTrustOptions trust =
          new PemTrustOptions().addCertPath(options.getTlsTrustPath().toString());
      serverOptions
          .setSsl(true)
          .setKeyCertOptions(keyCert)
          .setTrustOptions(trust)
          .setClientAuth(options.isTlsClientAuth() ? ClientAuth.REQUIRED : ClientAuth.NONE);
      clientOptions
          .setSsl(true)
          .setKeyCertOptions(keyCert)
          .setTrustOptions(trust)
          .setHostnameVerificationAlgorithm(options.isTlsHostnameVerification() ? "HTTPS" : "");
    }
    client = vertx.createNetClient(clientOptions);
    server = vertx.createNetServer(serverOptions);
    server.connectHandler(this::accept);
    return server.listen().map(NetServer::actualPort);
  }

  @Override
  public Future<Void> close() {
    closed = true;
    outbound.values().forEach(OutboundLink::close);
    Future<Void> s = server == null ? Future.succeededFuture() : server.close();
    Future<Void> c = client == null ? Future.succeededFuture() : client.close();
    return Future.join(s, c).mapEmpty();
  }

  @Override
  public void connect(PeerAddress address) {
    if (!closed && !outbound.containsKey(address)) {
      OutboundLink link = new OutboundLink(address);
      outbound.put(address, link);
      link.connect();
    }
  }

  @Override
  public void relink(String peer) {
    OutboundLink link = byPeer.get(peer);
    if (link != null && link.socket != null) {
      LOG.log(Level.DEBUG, "relinking to {0}: it stopped answering", peer);
      link.socket.close(); // its close handler dials again, with back-off
    }
  }

  @Override
  public void forget(String peer) {
    OutboundLink link = byPeer.remove(peer);
    if (link != null) {
      outbound.remove(link.address);
      link.close();
    }
    for (InboundLink in : List.copyOf(inbound)) {
      if (peer.equals(in.peer)) {
        in.socket.close();
      }
    }
  }

  @Override
  public boolean isLinked(String peer) {
    OutboundLink link = byPeer.get(peer);
    return link != null && link.ready;
  }

  @Override
  public boolean busy(String peer) {
    OutboundLink link = byPeer.get(peer);
    return link != null
        && (link.encoding > 0 || (link.chunks != null && link.chunks.queuedBytes() > 0));
  }

  /**
   * Sends on this node's outbound link; a frame is never queued while the link is down. A frame
   * carrying more than {@link #ENCODE_OFF_LOOP_BYTES} of states is encoded (copied into one buffer)
   * on a worker thread and queued when done.
   */
  @Override
  public boolean send(String peer, Message message) {
    OutboundLink link = byPeer.get(peer);
    if (link == null || !link.ready) {
      return false;
    }
    if (Message.stateBytes(message) <= ENCODE_OFF_LOOP_BYTES) {
      return send(peer, link, message, FrameCodec.encode(message));
    }
    ChunkedFrames.Sender chunks = link.chunks;
    link.encoding++;
    vertx
        .executeBlocking(() -> FrameCodec.encode(message), false)
        .onComplete(
            encoded -> {
              link.encoding--;
              if (encoded.succeeded() && link.ready && link.chunks == chunks) {
                send(peer, link, message, encoded.result());
              }
            });
    return true;
  }

  private boolean send(String peer, OutboundLink link, Message message, Buffer frame) {
    LinkFilter.Verdict verdict = filter.judge(peer, frame.length());
    if (verdict.drop()) {
      return true;
    }
    if (frame.length() - FrameCodec.LENGTH_BYTES > maxMessageBytes) {
      LOG.log(Level.WARNING, "not sending an oversized {0} frame to {1}", kind(message), peer);
      return false;
    }
    boolean antiEntropy = kind(message).startsWith("Ae");
    ChunkedFrames.Sender chunks = link.chunks;
    if (chunks.needsChunks(frame.length())) {
      Runnable queue =
          () -> {
            if (link.ready && link.chunks == chunks && chunks.send(frame)) {
              metrics.sent(peer, frame.length(), antiEntropy);
            }
          };
      if (verdict.delayMillis() > 0) {
        vertx.setTimer(verdict.delayMillis(), t -> queue.run());
      } else {
        queue.run();
      }
      return true;
    }
    Runnable write =
        () -> {
          if (link.ready && !link.socket.writeQueueFull()) {
            link.socket.write(frame);
            metrics.sent(peer, frame.length(), antiEntropy);
          }
        };
    if (verdict.delayMillis() > 0) {
      vertx.setTimer(verdict.delayMillis(), t -> write.run());
    } else {
      write.run();
    }
    if (verdict.duplicate()) {
      vertx.setTimer(1 + verdict.delayMillis(), t -> write.run());
    }
    return true;
  }

  private static String kind(Message message) {
    return message.getClass().getSimpleName();
  }

  /* ------------------------------------------------------------------ server side */

  private void accept(NetSocket socket) {
    InboundLink link = new InboundLink(socket);
    inbound.add(link);
    socket.handler(
        data -> {
          try {
            link.parser.handle(data);
          } catch (RuntimeException e) {
            link.parser.fail();
            metrics.protocolErrors.increment();
            // An unexpected exception is a bug, not a refusal: logged in full, not rate-limited.
            LOG.log(Level.WARNING, "closing connection after an error", e);
            socket.close();
          }
        });
    socket.exceptionHandler(e -> socket.close());
    socket.closeHandler(
        v -> {
          vertx.cancelTimer(link.handshakeTimer);
          inbound.remove(link);
        });
  }

  /**
   * One accepted connection: the handshake (Hello, then HelloAuth if this node has a secret), then
   * frames from the peer it named. Until the handshake completes, frames are limited to {@link
   * #HANDSHAKE_MAX_FRAME_BYTES} and the connection to {@link #HANDSHAKE_TIMEOUT_MILLIS}, so an
   * unauthenticated caller cannot make the node buffer much or hold connections open.
   */
  private final class InboundLink implements FrameParser.Sink {
    final NetSocket socket;
    final FrameParser parser = new FrameParser(HANDSHAKE_MAX_FRAME_BYTES, this);
    final ChunkedFrames.Assembler assembler = new ChunkedFrames.Assembler(maxMessageBytes);
    boolean refusedOnce;
    final long handshakeTimer;
    Hello theirHello;
    Buffer helloBody;
    byte[] serverNonce;
    String peer;

    InboundLink(NetSocket socket) {
      this.socket = socket;
      this.handshakeTimer =
          vertx.setTimer(
              HANDSHAKE_TIMEOUT_MILLIS,
              t -> {
                if (peer == null) {
                  refused(new ProtocolException("handshake not completed in time"));
                }
              });
    }

    @Override
    public void frame(Buffer body) {
      Message message;
      try {
        message = FrameCodec.decode(body, 0, body.length(), options.getMaxFrameBytes());
      } catch (ProtocolException e) {
        refused(e);
        return;
      }
      if (peer != null && message instanceof Chunk chunk) {
        metrics.received(peer, body.length() + FrameCodec.LENGTH_BYTES);
        reassemble(chunk);
      } else if (peer != null) {
        metrics.received(peer, body.length() + FrameCodec.LENGTH_BYTES);
        deliver(message);
      } else if (theirHello == null) {
        onHello(body, message);
      } else {
        onAuth(message);
      }
    }

    /*
     * A chunk of a large frame; the frame is handled once whole. Its pieces are joined and decoded
     * on a worker thread (copying a large frame takes long), and it is handled on the context when
     * done: frames that arrive meanwhile may be handled before it, which every receiver allows.
     */
    private void reassemble(Chunk chunk) {
      ChunkedFrames.Whole whole;
      try {
        whole = assembler.accept(chunk);
      } catch (ProtocolException e) {
        refused(e);
        return;
      }
      if (whole == null) {
        return;
      }
      vertx
          .<Message>executeBlocking(
              () -> {
                Buffer body = whole.buffer();
                Message message = FrameCodec.decode(body, 0, body.length(), maxMessageBytes);
                if (message instanceof Chunk) {
                  throw new ProtocolException("a Chunk frame cannot travel in chunks");
                }
                return message;
              },
              false)
          // Received whole before anything later on the connection: handled even if a later
          // frame got the connection refused meanwhile, as a frame handled at once would be.
          .onSuccess(this::deliver)
          .onFailure(
              e -> {
                if (e instanceof ProtocolException p) {
                  refused(p);
                } else {
                  LOG.log(Level.ERROR, "failed decoding a chunked frame from " + peer, e);
                }
              });
    }

    private void deliver(Message message) {
      if (filter.isPartitioned(peer)) {
        return;
      }
      try {
        listener.message(peer, message);
      } catch (ProtocolException e) {
        refused(e);
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "failed handling a frame from " + peer, e);
      }
    }

    private void onHello(Buffer body, Message first) {
      String reason = helloProblem(first);
      if (reason != null) {
        boolean self = first instanceof Hello h && options.getNodeId().equals(h.nodeId());
        // A seed list naming this very node is normal, not an attack.
        reject(self ? Message.REJECT_SELF : Message.REJECT_OTHER, reason, !self);
        return;
      }
      theirHello = (Hello) first;
      String gone = listener.refusal(theirHello);
      if (gone != null) {
        reject(Message.REJECT_REMOVED, gone, false);
        return;
      }
      if (auth == null) {
        established();
        return;
      }
      helloBody = body;
      serverNonce = HandshakeAuth.nonce();
      socket.write(
          FrameCodec.encode(
              new HelloChallenge(serverNonce, auth.serverProof(helloBody, serverNonce))));
    }

    private void onAuth(Message message) {
      if (!(message instanceof HelloAuth a)) {
        reject(
            Message.REJECT_OTHER,
            "expected HelloAuth after the challenge, got " + kind(message),
            true);
      } else if (!HandshakeAuth.matches(auth.clientProof(helloBody, serverNonce), a.proof())) {
        metrics.authFailures.increment();
        reject(Message.REJECT_OTHER, "wrong cluster secret", true);
      } else {
        established();
      }
    }

    private void established() {
      vertx.cancelTimer(handshakeTimer);
      helloBody = null;
      parser.maxFrameBytes(options.getMaxFrameBytes());
      Hello mine = ownHello.get();
      socket.write(FrameCodec.encode(new HelloOk(mine.nodeId(), mine.incarnation())));
      peer = theirHello.nodeId();
      listener.peerHello(theirHello);
    }

    private void reject(int code, String reason, boolean count) {
      parser.fail();
      vertx.cancelTimer(handshakeTimer);
      if (count) {
        metrics.protocolErrors.increment();
        refusals.refused("refusing peer at {0}: {1}", socket.remoteAddress(), reason);
      } else {
        LOG.log(Level.DEBUG, "refusing peer at {0}: {1}", socket.remoteAddress(), reason);
      }
      socket
          .write(FrameCodec.encode(new HelloReject(code, reason)))
          .onComplete(x -> socket.close());
    }

    @Override
    public void refused(ProtocolException reason) {
      if (refusedOnce) {
        return; // already closing (a chunked frame decoded late may find it so)
      }
      refusedOnce = true;
      parser.fail();
      vertx.cancelTimer(handshakeTimer);
      metrics.protocolErrors.increment();
      refusals.refused(
          "closing connection from {0} ({1}): {2}",
          peer == null ? "unidentified peer" : peer, socket.remoteAddress(), reason.getMessage());
      socket.close();
    }
  }

  /* Why a first frame is not an acceptable Hello, or null if it is. */
  private String helloProblem(Message first) {
    if (!(first instanceof Hello h)) {
      return "expected a Hello frame first, got " + kind(first);
    } else if (h.protocolVersion() != Message.PROTOCOL_VERSION) {
      return "protocol version "
          + h.protocolVersion()
          + " is not supported (this node speaks "
          + Message.PROTOCOL_VERSION
          + ")";
    } else if (!options.getClusterName().equals(h.cluster())) {
      return "cluster \""
          + h.cluster()
          + "\" is not this node's cluster \""
          + options.getClusterName()
          + "\"";
    } else if (options.getNodeId().equals(h.nodeId())) {
      return "a node cannot connect to itself (node id " + h.nodeId() + ")";
    } else if (!h.nodeId().matches("[A-Za-z0-9._-]{1,64}")
        || h.host().isBlank()
        || h.port() < 1
        || h.port() > 65_535) {
      return "malformed identity in Hello";
    } else if (h.nonce().length != HandshakeAuth.NONCE_BYTES) {
      return "Hello nonce must be " + HandshakeAuth.NONCE_BYTES + " bytes";
    }
    return null;
  }

  /* ------------------------------------------------------------------ client side */

  private final class OutboundLink {
    final PeerAddress address;
    NetSocket socket;
    ChunkedFrames.Sender chunks;
    /* Large frames being encoded on a worker thread for this link. */
    int encoding;
    boolean ready;
    boolean stopped;
    long backoffMillis = options.getReconnectMinMillis();
    String peer;

    OutboundLink(PeerAddress address) {
      this.address = address;
    }

    void connect() {
      if (stopped || closed) {
        return;
      }
      client
          .connect(address.port(), address.host())
          .onSuccess(this::handshake)
          .onFailure(e -> retry("connect failed: " + e.getMessage()));
    }

    private void handshake(NetSocket s) {
      if (stopped || closed) {
        s.close();
        return;
      }
      socket = s;
      Buffer helloFrame = FrameCodec.encode(ownHello.get());
      Buffer helloBody = helloFrame.getBuffer(FrameCodec.LENGTH_BYTES, helloFrame.length());
      boolean[] challenged = {false};
      FrameParser parser =
          new FrameParser(
              HANDSHAKE_MAX_FRAME_BYTES,
              new FrameParser.Sink() {
                @Override
                public void frame(Buffer body) {
                  Message reply;
                  try {
                    reply = FrameCodec.decode(body, 0, body.length(), 1024);
                  } catch (ProtocolException e) {
                    refused(e);
                    return;
                  }
                  if (ready) {
                    refused(new ProtocolException("unexpected " + kind(reply) + " after HelloOk"));
                  } else if (reply instanceof HelloChallenge c && !challenged[0]) {
                    challenged[0] = true;
                    answer(c);
                  } else if (reply instanceof HelloOk ok) {
                    if (auth != null && !challenged[0]) {
                      metrics.authFailures.increment();
                      refused(new ProtocolException("peer did not prove the cluster secret"));
                    } else {
                      established(ok);
                    }
                  } else if (reply instanceof HelloReject reject) {
                    rejected(reject);
                  } else {
                    refused(new ProtocolException("unexpected " + kind(reply) + " from server"));
                  }
                }

                private void answer(HelloChallenge c) {
                  if (auth == null) {
                    refused(new ProtocolException("peer requires a cluster secret; none is set"));
                  } else if (c.nonce().length != HandshakeAuth.NONCE_BYTES
                      || !HandshakeAuth.matches(
                          auth.serverProof(helloBody, c.nonce()), c.proof())) {
                    metrics.authFailures.increment();
                    refused(new ProtocolException("peer has a different cluster secret"));
                  } else {
                    s.write(
                        FrameCodec.encode(new HelloAuth(auth.clientProof(helloBody, c.nonce()))));
                  }
                }

                @Override
                public void refused(ProtocolException reason) {
                  metrics.protocolErrors.increment();
                  LOG.log(Level.WARNING, "closing link to {0}: {1}", address, reason.getMessage());
                  s.close();
                }
              });
      s.handler(parser);
      s.exceptionHandler(e -> s.close());
      s.closeHandler(v -> disconnected());
      s.write(helloFrame);
    }

    private void rejected(HelloReject reject) {
      boolean self = reject.code() == Message.REJECT_SELF;
      if (self) {
        stopped = true; // a seed that is this very node: stop dialling it
      } else if (reject.code() == Message.REJECT_REMOVED) {
        stopped = true;
        listener.removed(address, reject.reason());
      }
      LOG.log(
          self ? Level.DEBUG : Level.WARNING,
          "{0} refused this node: {1}",
          address,
          reject.reason());
      socket.close();
    }

    private void established(HelloOk ok) {
      NetSocket s = socket;
      // Room for a whole frame beside chunks in flight: a small frame is dropped only when the
      // peer has not taken this much.
      s.setWriteQueueMaxSize(options.getMaxFrameBytes() + CHUNK_WINDOW_BYTES);
      chunks =
          new ChunkedFrames.Sender(
              chunkBytes,
              CHUNK_WINDOW_BYTES,
              maxMessageBytes,
              s::write,
              task -> vertx.runOnContext(v -> task.run()));
      ready = true;
      backoffMillis = options.getReconnectMinMillis();
      OutboundLink previous = byPeer.put(ok.nodeId(), this);
      if (previous != null && previous != this) {
        // The peer moved to a new address, or was reached by two addresses: keep the newest.
        previous.close();
        outbound.remove(previous.address);
      }
      peer = ok.nodeId();
      listener.linked(address, ok.nodeId(), ok.incarnation());
    }

    private void disconnected() {
      ready = false;
      socket = null;
      closeChunks();
      retry("connection closed");
    }

    private void retry(String why) {
      ready = false;
      if (stopped || closed) {
        return;
      }
      long delay = backoffMillis;
      backoffMillis = Math.min(backoffMillis * 2, options.getReconnectMaxMillis());
      LOG.log(Level.DEBUG, "link to {0}: {1}; retrying in {2} ms", address, why, delay);
      vertx.setTimer(delay, t -> connect());
    }

    private void closeChunks() {
      if (chunks != null) {
        chunks.close();
        chunks = null;
      }
    }

    void close() {
      stopped = true;
      ready = false;
      closeChunks();
      if (socket != null) {
        socket.close();
      }
    }
  }
}
