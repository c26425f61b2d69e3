package dev.converge.demo.fault;

import dev.converge.demo.fault.Op.Kind;
import dev.converge.demo.fault.Op.Status;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The clients of a fault run: {@code workers} threads that each send requests at a steady pace to
 * random nodes — like/unlike (PN-counter), view (G-counter), title sets (LWW register, every value
 * unique), likers add/remove (OR-Set) — a share of them with {@code consistency=majority}, and
 * record every request with its outcome ({@link Op}). Never retries: each request is one operation.
 */
final class Workload {

  static final List<String> POSTS = List.of("p0", "p1", "p2", "p3");
  static final List<String> USERS = List.of("u0", "u1", "u2", "u3", "u4", "u5");

  /* Above the node's quorum timeout (2 s) plus the read after the write. */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(6);

  private final NodeProcesses nodes;
  private final long seed;
  private final int workers;
  private final double opsPerSecond;
  private final double majorityShare;
  private final ConcurrentLinkedQueue<Op> history = new ConcurrentLinkedQueue<>();
  private final AtomicLong ids = new AtomicLong();
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(1))
          .build();
  private volatile boolean stopping;
  private final List<Thread> threads = new ArrayList<>();

  Workload(NodeProcesses nodes, long seed, int workers, double opsPerSecond, double majorityShare) {
    this.nodes = nodes;
    this.seed = seed;
    this.workers = workers;
    this.opsPerSecond = opsPerSecond;
    this.majorityShare = majorityShare;
  }

  void start() {
    for (int w = 0; w < workers; w++) {
      Random random = new Random(seed * 31 + w);
      Thread t = new Thread(() -> loop(random), "client-" + w);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /** Stops sending and waits for requests in flight to finish. */
  List<Op> stop() throws InterruptedException {
    stopping = true;
    for (Thread t : threads) {
      t.join();
    }
    List<Op> ops = new ArrayList<>(history);
    ops.sort(java.util.Comparator.comparingLong(Op::id));
    return ops;
  }

  private void loop(Random random) {
    long periodNanos = (long) (1e9 * workers / opsPerSecond);
    long next = System.nanoTime() + (long) (random.nextDouble() * periodNanos);
    while (!stopping) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        try {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        } catch (InterruptedException e) {
          return;
        }
      }
      next += periodNanos;
      history.add(request(random));
    }
  }

  private Op request(Random random) {
    long id = ids.incrementAndGet();
    int node = random.nextInt(nodes.size());
    String post = POSTS.get(random.nextInt(POSTS.size()));
    String user = USERS.get(random.nextInt(USERS.size()));
    boolean majority = random.nextDouble() < majorityShare;
    int roll = random.nextInt(100);
    Kind kind =
        roll < 25
            ? Kind.LIKE
            : roll < 35
                ? Kind.UNLIKE
                : roll < 45
                    ? Kind.VIEW
                    : roll < 60 ? Kind.TITLE : roll < 85 ? Kind.ADD_LIKER : Kind.REMOVE_LIKER;
    String arg =
        switch (kind) {
          case TITLE -> "t" + id;
          case ADD_LIKER, REMOVE_LIKER -> user;
          default -> "";
        };
    String base = nodes.url(node) + "/api/posts/" + post;
    String query = "?consistency=" + (majority ? "majority" : "local");
    HttpRequest.Builder b = HttpRequest.newBuilder().timeout(REQUEST_TIMEOUT);
    HttpRequest req =
        switch (kind) {
          case LIKE -> b.uri(URI.create(base + "/like" + query)).POST(noBody()).build();
          case UNLIKE -> b.uri(URI.create(base + "/unlike" + query)).POST(noBody()).build();
          case VIEW -> b.uri(URI.create(base + "/view" + query)).POST(noBody()).build();
          case TITLE ->
              b.uri(URI.create(base + "/title" + query))
                  .header("Content-Type", "application/json")
                  .PUT(HttpRequest.BodyPublishers.ofString("{\"title\":\"" + arg + "\"}"))
                  .build();
          case ADD_LIKER ->
              b.uri(URI.create(base + "/likers/" + enc(user) + query)).PUT(noBody()).build();
          case REMOVE_LIKER ->
              b.uri(URI.create(base + "/likers/" + enc(user) + query)).DELETE().build();
        };
    long invokeNanos = System.nanoTime();
    long invokeMillis = System.currentTimeMillis();
    Status status;
    int code = 0;
    String error = "";
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      code = r.statusCode();
      if (code / 100 == 2) {
        status = Status.OK;
      } else if (code / 100 == 4) {
        status = Status.FAIL; // refused as invalid: nothing was written
        error = r.body();
      } else {
        status = Status.INFO; // e.g. 503: the quorum was not reached, the write was kept locally
        error = r.body();
      }
    } catch (HttpConnectTimeoutException | ConnectException e) {
      status = Status.FAIL; // no connection: the request never reached the node
      error = e.toString();
    } catch (IOException e) {
      status = Status.INFO; // sent, but the answer was lost: it may or may not have happened
      error = e.toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      status = Status.INFO;
      error = e.toString();
    }
    return new Op(
        id,
        node,
        kind,
        post,
        arg,
        majority,
        invokeNanos,
        System.nanoTime(),
        invokeMillis,
        System.currentTimeMillis(),
        status,
        code,
        error.length() > 300 ? error.substring(0, 300) : error);
  }

  private static HttpRequest.BodyPublisher noBody() {
    return HttpRequest.BodyPublishers.noBody();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
