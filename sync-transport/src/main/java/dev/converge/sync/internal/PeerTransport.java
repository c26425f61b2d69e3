package dev.converge.sync.internal;

import dev.converge.sync.PeerAddress;
import dev.converge.sync.SyncOptions;
import dev.converge.sync.internal.Message.Hello;
import dev.converge.sync.internal.Message.HelloOk;
import dev.converge.sync.internal.Message.HelloReject;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * TCP links between nodes: a server that accepts peers after a handshake, and one outbound link per
 * known peer address that reconnects with exponential back-off. Frames are length-prefixed ({@link
 * FrameParser}, {@link FrameCodec}); a malformed, oversized or unexpected frame closes the
 * connection that carried it and nothing else.
 *
 * <p>Handshake: the client sends {@link Hello} (cluster name, protocol version, node id,
 * incarnation, address, delta epoch); the server answers {@link HelloOk} or {@link HelloReject} and
 * closes. After it, a connection carries frames one way only, client to server.
 *
 * <p>Every frame passes the {@link LinkFilter} on send and on receipt. Confined to the replicator's
 * context: every method must be called on it, and every callback runs on it.
 */
final class PeerTransport implements Transport {

  private static final Logger LOG = System.getLogger(PeerTransport.class.getName());

  private final Vertx vertx;
  private final SyncOptions options;
  private final LinkFilter filter;
  private final Metrics metrics;
  private final Listener listener;
  private final Supplier<Hello> hello;
  private final Map<PeerAddress, OutboundLink> outbound = new HashMap<>();
  private final Map<String, OutboundLink> byPeer = new HashMap<>();
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
    this.hello = hello;
  }

  @Override
  public Future<Integer> listen() {
    client =
        vertx.createNetClient(
            new NetClientOptions()
                .setConnectTimeout(2_000)
                .setTcpNoDelay(true)
                .setTcpKeepAlive(true));
    server =
        vertx.createNetServer(
            new NetServerOptions()
                .setHost(options.getHost())
                .setPort(options.getPort())
                .setTcpNoDelay(true));
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
  public boolean isLinked(String peer) {
    OutboundLink link = byPeer.get(peer);
    return link != null && link.ready;
  }

  /** Sends on this node's outbound link; a frame is never queued while the link is down. */
  @Override
  public boolean send(String peer, Message message) {
    OutboundLink link = byPeer.get(peer);
    if (link == null || !link.ready) {
      return false;
    }
    LinkFilter.Verdict verdict = filter.judge(peer);
    if (verdict.drop()) {
      return true;
    }
    Buffer frame = FrameCodec.encode(message);
    if (frame.length() - FrameCodec.LENGTH_BYTES > options.getMaxFrameBytes()) {
      LOG.log(Level.WARNING, "not sending an oversized {0} frame to {1}", kind(message), peer);
      return false;
    }
    boolean antiEntropy = kind(message).startsWith("Ae");
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
    String[] peer = {null};
    FrameParser parser =
        new FrameParser(
            options.getMaxFrameBytes(),
            new FrameParser.Sink() {
              @Override
              public void frame(Buffer body) {
                Message message;
                try {
                  message = FrameCodec.decode(body, 0, body.length(), options.getMaxFrameBytes());
                } catch (ProtocolException e) {
                  refused(e);
                  return;
                }
                if (peer[0] == null) {
                  peer[0] = handshake(socket, message);
                  return;
                }
                metrics.received(peer[0], body.length() + FrameCodec.LENGTH_BYTES);
                if (filter.isPartitioned(peer[0])) {
                  return;
                }
                try {
                  listener.message(peer[0], message);
                } catch (ProtocolException e) {
                  refused(e);
                } catch (RuntimeException e) {
                  LOG.log(Level.ERROR, "failed handling a frame from " + peer[0], e);
                }
              }

              @Override
              public void refused(ProtocolException reason) {
                metrics.protocolErrors.increment();
                LOG.log(
                    Level.WARNING,
                    "closing connection from {0} ({1}): {2}",
                    peer[0] == null ? "unidentified peer" : peer[0],
                    socket.remoteAddress(),
                    reason.getMessage());
                socket.close();
              }
            });
    socket.handler(
        data -> {
          try {
            parser.handle(data);
          } catch (RuntimeException e) {
            parser.fail();
            metrics.protocolErrors.increment();
            LOG.log(Level.WARNING, "closing connection after an error", e);
            socket.close();
          }
        });
    socket.exceptionHandler(e -> socket.close());
  }

  /* Returns the peer's node id if the handshake is accepted; else rejects and closes. */
  private String handshake(NetSocket socket, Message first) {
    String reason = null;
    if (!(first instanceof Hello h)) {
      reason = "expected a Hello frame first, got " + kind(first);
    } else if (h.protocolVersion() != Message.PROTOCOL_VERSION) {
      reason =
          "protocol version "
              + h.protocolVersion()
              + " is not supported (this node speaks "
              + Message.PROTOCOL_VERSION
              + ")";
    } else if (!options.getClusterName().equals(h.cluster())) {
      reason =
          "cluster \""
              + h.cluster()
              + "\" is not this node's cluster \""
              + options.getClusterName()
              + "\"";
    } else if (options.getNodeId().equals(h.nodeId())) {
      reason = "a node cannot connect to itself (node id " + h.nodeId() + ")";
    } else if (!h.nodeId().matches("[A-Za-z0-9._-]{1,64}") || h.port() < 1 || h.port() > 65_535) {
      reason = "malformed identity in Hello";
    }
    if (reason != null) {
      boolean self = first instanceof Hello h && options.getNodeId().equals(h.nodeId());
      if (!self) { // a seed list naming this very node is normal, not an attack
        metrics.protocolErrors.increment();
      }
      LOG.log(
          self ? Level.DEBUG : Level.WARNING,
          "refusing peer at {0}: {1}",
          socket.remoteAddress(),
          reason);
      socket.write(FrameCodec.encode(new HelloReject(reason))).onComplete(x -> socket.close());
      return null;
    }
    Hello h = (Hello) first;
    Hello mine = hello.get();
    socket.write(FrameCodec.encode(new HelloOk(mine.nodeId(), mine.incarnation())));
    listener.peerHello(h);
    return h.nodeId();
  }

  /* ------------------------------------------------------------------ client side */

  private final class OutboundLink {
    final PeerAddress address;
    NetSocket socket;
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
      FrameParser parser =
          new FrameParser(
              options.getMaxFrameBytes(),
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
                  if (reply instanceof HelloOk ok && !ready) {
                    established(ok);
                  } else if (reply instanceof HelloReject reject) {
                    boolean self = reject.reason().startsWith("a node cannot connect to itself");
                    if (self) {
                      stopped = true; // a seed that is this very node: stop dialling it
                    }
                    LOG.log(
                        self ? Level.DEBUG : Level.WARNING,
                        "{0} refused this node: {1}",
                        address,
                        reject.reason());
                    s.close();
                  } else {
                    refused(new ProtocolException("unexpected " + kind(reply) + " from server"));
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
      s.write(FrameCodec.encode(hello.get()));
    }

    private void established(HelloOk ok) {
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

    void close() {
      stopped = true;
      ready = false;
      if (socket != null) {
        socket.close();
      }
    }
  }
}
