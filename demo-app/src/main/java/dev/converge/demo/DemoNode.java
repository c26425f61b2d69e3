package dev.converge.demo;

import dev.converge.sync.Replicator;
import dev.converge.sync.SyncOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.PrintStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * One node of the like-counter demo: a {@link Replicator} and the HTTP API and page on top of it,
 * on a Vert.x instance of its own (so several nodes in one JVM behave like separate processes).
 *
 * <pre>{@code
 * java -jar demo-app/target/converge-demo.jar --node-id n1 --http-port 8081 --gossip-port 7001 \
 *     --seeds 127.0.0.1:7002,127.0.0.1:7003
 * }</pre>
 *
 * <p>In code: {@code try (DemoNode node = DemoNode.start(DemoConfig.ephemeral("n1"))) { ... }}.
 *
 * <p>Each node gossips its HTTP URL as member metadata {@code http}, so a page can find every
 * node's API through {@code GET /api/cluster}.
 */
public final class DemoNode implements AutoCloseable {

  /**
   * An HTTP connection on which nothing is sent or received for this long is closed: a client that
   * sends half a request and waits holds its connection this long at most. Three times the event
   * stream's heartbeat ({@link EventStream#HEARTBEAT_MILLIS}), so open event streams never idle.
   */
  static final int HTTP_IDLE_TIMEOUT_SECONDS = 30;

  private static final Logger LOG = System.getLogger(DemoNode.class.getName());

  /** Exit code when the node cannot start (port taken, unreadable data directory, ...). */
  public static final int EXIT_START_FAILED = 1;

  private final DemoConfig config;
  private final Vertx vertx;
  private final HttpApi api;
  private final HttpServer server;
  private final Replicator replicator;
  private final Departure departure;
  private final String url;
  private volatile boolean closed;

  private DemoNode(
      DemoConfig config,
      Vertx vertx,
      HttpApi api,
      HttpServer server,
      Replicator replicator,
      Departure departure,
      String url) {
    this.config = config;
    this.vertx = vertx;
    this.api = api;
    this.server = server;
    this.replicator = replicator;
    this.departure = departure;
    this.url = url;
  }

  /**
   * The replication timers of the demo: {@link SyncOptions#lan()} made snappier, so the page shows
   * a partition within about a second and convergence within a few hundred milliseconds: deltas
   * every 100 ms, heartbeats every 100 ms, a silent peer unreachable after ~1 s, anti-entropy every
   * 500 ms.
   */
  static SyncOptions demoTimers() {
    return SyncOptions.lan()
        .setGossipIntervalMillis(100)
        .setHeartbeatIntervalMillis(100)
        .setAcceptablePauseMillis(1_000)
        .setAntiEntropyIntervalMillis(500)
        .setReconnectMinMillis(50)
        .setReconnectMaxMillis(1_000);
  }

  /**
   * Starts a node and waits until it serves. Blocks; call it from a non-Vert.x thread.
   *
   * @throws IllegalStateException if it cannot start; everything it opened is closed again
   */
  public static DemoNode start(DemoConfig config) {
    Objects.requireNonNull(config, "config");
    Vertx vertx = Vertx.vertx();
    HttpServer server = null;
    Replicator replicator = null;
    try {
      HttpApi api = new HttpApi(vertx, config);
      server =
          vertx
              .createHttpServer(
                  // No cleartext HTTP/2: browsers never use it, and Vert.x leaves a connection
                  // open after refusing a malformed h2c upgrade with "Connection: close".
                  new HttpServerOptions()
                      .setHost(config.host())
                      .setPort(config.httpPort())
                      .setHttp2ClearTextEnabled(false)
                      .setIdleTimeout(HTTP_IDLE_TIMEOUT_SECONDS))
              .requestHandler(api.router())
              .invalidRequestHandler(api::invalidRequest)
              .listen()
              .await();
      String url = "http://" + advertisedHost(config.host()) + ":" + server.actualPort();
      replicator = Replicator.create(vertx, syncOptions(config, url));
      replicator.start().await();
      Departure departure = new Departure(replicator, config.nodeId());
      api.attach(replicator, url, departure);
      LOG.log(
          Level.INFO,
          "demo node {0} serves {1} (gossip {2}:{3}, {4})",
          config.nodeId(),
          url,
          config.host(),
          String.valueOf(replicator.port()),
          config.inMemory() ? "in memory" : "data in " + config.dataDir().toAbsolutePath());
      return new DemoNode(config, vertx, api, server, replicator, departure, url);
    } catch (Exception e) { // Future.await() rethrows checked causes such as BindException
      closeQuietly(server, replicator, vertx);
      throw new IllegalStateException(
          "node " + config.nodeId() + " could not start: " + describe(e), e);
    }
  }

  /** The replicator's options of a node with {@code config} that serves HTTP at {@code url}. */
  static SyncOptions syncOptions(DemoConfig config, String url) {
    SyncOptions options = config.membership().applyTo(config.security().applyTo(demoTimers()));
    return config
        .dnsSeeds()
        .applyTo(options)
        .setNodeId(config.nodeId())
        .setHost(config.host())
        .setPort(config.gossipPort())
        .setSeeds(config.seeds())
        .setClusterName(config.clusterName())
        .setDataDir(config.dataDir())
        .setMetadata(Map.of("http", url));
  }

  /** Runs the command line: {@code main} without {@code System.exit}, for tests. */
  static int launch(
      String[] args, PrintStream out, PrintStream err, Function<DemoConfig, Integer> starter) {
    DemoFlags.Result result = DemoFlags.parse(Arrays.asList(args));
    if (result instanceof DemoFlags.Help) {
      out.print(DemoFlags.usage());
      return 0;
    }
    if (result instanceof DemoFlags.Invalid invalid) {
      err.println("error: " + invalid.message());
      err.println();
      err.print(DemoFlags.usage());
      return DemoFlags.EXIT_USAGE;
    }
    return starter.apply(((DemoFlags.Run) result).config());
  }

  public static void main(String[] args) {
    int code =
        launch(
            args,
            System.out,
            System.err,
            config -> {
              try {
                DemoNode node = start(config);
                // SIGTERM (and Ctrl-C) leave the cluster gracefully: close() hands off what the
                // peers have not acknowledged, for at most --leave-timeout-ms. Printed, not logged:
                // java.util.logging's own shutdown hook may already have closed its handlers.
                Runtime.getRuntime()
                    .addShutdownHook(
                        new Thread(
                            () -> {
                              System.out.println(
                                  "node " + config.nodeId() + " stopping: leaving the cluster");
                              node.close();
                              System.out.println(
                                  "node "
                                      + config.nodeId()
                                      + " stopped (status "
                                      + Departure.name(node.replicator().status())
                                      + ")");
                            },
                            "converge-demo-shutdown"));
                System.out.println("node " + config.nodeId() + " ready: open " + node.url() + "/");
                return 0;
              } catch (IllegalStateException e) {
                System.err.println("error: " + e.getMessage());
                return EXIT_START_FAILED;
              }
            });
    if (code != 0) {
      System.exit(code);
    }
    // Vert.x's event-loop threads keep the JVM running until the shutdown hook closes the node.
  }

  public String nodeId() {
    return config.nodeId();
  }

  public DemoConfig config() {
    return config;
  }

  /** The HTTP URL other nodes and browsers use, e.g. {@code http://127.0.0.1:8081}. */
  public String url() {
    return url;
  }

  public int httpPort() {
    return server.actualPort();
  }

  public int gossipPort() {
    return replicator.port();
  }

  /** The node's replicator: for tests and embedding. */
  public Replicator replicator() {
    return replicator;
  }

  /**
   * Leaves the cluster gracefully (unless it has already, through {@code POST /admin/leave}), stops
   * serving, closes the store. Blocks for at most the leave timeout and the closing of the store;
   * idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    api.detach();
    try {
      server.close().await();
      departure.leave().await();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "error while stopping", e);
    } finally {
      vertx.close().await();
    }
    LOG.log(Level.INFO, "demo node {0} stopped", config.nodeId());
  }

  private static void closeQuietly(HttpServer server, Replicator replicator, Vertx vertx) {
    try {
      if (server != null) {
        server.close().await();
      }
      if (replicator != null) {
        replicator.close().await();
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "error while stopping", e);
    } finally {
      vertx.close().await();
    }
  }

  private static String advertisedHost(String host) {
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
      try {
        return java.net.InetAddress.getLocalHost().getHostAddress();
      } catch (java.net.UnknownHostException e) {
        return "127.0.0.1";
      }
    }
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  private static String describe(Throwable e) {
    StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      message.append(": ").append(c.getMessage());
    }
    return message.toString();
  }
}
