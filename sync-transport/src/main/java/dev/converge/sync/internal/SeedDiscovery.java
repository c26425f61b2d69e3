package dev.converge.sync.internal;

import dev.converge.sync.PeerAddress;
import dev.converge.sync.SyncOptions;
import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.dns.DnsClient;
import io.vertx.core.dns.DnsClientOptions;
import io.vertx.core.dns.DnsException;
import io.vertx.core.dns.DnsResponseCode;
import io.vertx.core.dns.SrvRecord;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The addresses a node dials to join: its static {@link SyncOptions#getSeeds() seeds}, and those
 * that its {@link SyncOptions#getSeedDns() seed DNS name} lists, looked up with Vert.x's {@link
 * DnsClient}. A failed lookup never fails the node: it yields the static seeds and a warning.
 * Confined to the replicator's context: create it and call every method there; its futures complete
 * there. Not part of the public API.
 */
final class SeedDiscovery {

  /*
   * Implementation notes.
   *
   * Lookups. A plain name is asked for A and AAAA records; each address found, with the seed DNS
   * port (or this node's port), is a seed. An "srv:" name is asked for SRV records (RFC 2782 [1]);
   * each names a target host and a port, and the target is then asked for A and AAAA records (a
   * target that is already an IP literal is taken as it is; the target "." means "no service" and
   * is skipped). Every query goes to the configured DNS servers in order: a server that times out
   * or answers with an error moves on to the next one [2], except NXDOMAIN, which is an answer:
   * the name does not exist, and another server of the same zone would say so too. The queries
   * of one lookup run concurrently; addresses found by the ones that succeeded are used even if
   * others failed.
   *
   * Dialling. dialNew hands the static seeds to the transport at once (they need no lookup), then
   * every address a lookup finds that it has not handed out before. An address is handed out only
   * once: the transport keeps redialling an address it was given (with back-off), and handing
   * again an address whose link the transport dropped because the same peer was reached at
   * another address (its advertised one) would make the two links replace each other at every
   * interval. Lookups never overlap: a tick that comes while one runs is skipped.
   *
   * Logging. A failed lookup logs one WARNING; the same failure again (same kind: the response
   * code, or the exception class, never a message that carries a query id or a port) logs at DEBUG
   * only, until a lookup succeeds (INFO, once) or fails differently (WARNING again). A node in a
   * cluster whose DNS is down for hours thus logs one line, not one per interval.
   *
   * [1] RFC 2782, A DNS RR for specifying the location of services (DNS SRV), 2000.
   * [2] resolv.conf(5): "If there are multiple servers, the resolver library queries them in the
   *     order listed."
   */

  private static final Logger LOG = System.getLogger(SeedDiscovery.class.getName());

  /** How long one DNS query may take before the next server is asked, or the query fails. */
  static final long QUERY_TIMEOUT_MILLIS = 5_000;

  private final Logger log;
  private final Set<PeerAddress> staticSeeds;
  private final String name;
  private final boolean srv;
  private final int port;
  private final List<DnsClient> clients = new ArrayList<>();
  private final Set<PeerAddress> handedOut = new HashSet<>();
  private boolean resolving;
  private int lookups;
  private boolean closed;
  private String lastFailure;
  private long repeatedFailures;

  /**
   * @param ownPort this node's bound gossip port: the port of A/AAAA addresses when the options set
   *     no seed DNS port
   */
  SeedDiscovery(Vertx vertx, SyncOptions options, int ownPort) {
    this(vertx, options, ownPort, LOG);
  }

  SeedDiscovery(Vertx vertx, SyncOptions options, int ownPort, Logger log) {
    this.log = log;
    Set<PeerAddress> seeds = new LinkedHashSet<>();
    options.getSeeds().forEach(seed -> seeds.add(PeerAddress.parse(seed)));
    this.staticSeeds = Collections.unmodifiableSet(seeds);
    String dns = options.getSeedDns();
    this.srv = dns != null && dns.startsWith(SyncOptions.SRV_PREFIX);
    this.name = srv ? dns.substring(SyncOptions.SRV_PREFIX.length()) : dns;
    this.port = options.getSeedDnsPort() != 0 ? options.getSeedDnsPort() : ownPort;
    if (name == null) {
      return;
    }
    DnsClientOptions base = new DnsClientOptions().setQueryTimeout(QUERY_TIMEOUT_MILLIS);
    if (options.getDnsServers().isEmpty()) {
      clients.add(vertx.createDnsClient(base)); // the system's first name server
    }
    for (String server : options.getDnsServers()) {
      PeerAddress address = PeerAddress.parse(server);
      clients.add(
          vertx.createDnsClient(
              new DnsClientOptions(base)
                  .setHost(unbracketed(address.host()))
                  .setPort(address.port())));
    }
  }

  /**
   * The static seeds and every address the seed DNS name lists now. Never fails: if the lookup
   * fails, or there is no DNS name, the static seeds alone.
   */
  Future<Set<PeerAddress>> resolve() {
    if (name == null || closed) {
      return Future.succeededFuture(staticSeeds);
    }
    lookups++;
    Future<Found> lookup = srv ? lookupSrv(name) : lookupHost(name, port);
    return lookup
        .otherwise(e -> Found.failed(kind(e), e))
        .map(
            found -> {
              if (--lookups == 0 && closed) {
                closeClients();
              }
              report(found);
              Set<PeerAddress> all = new LinkedHashSet<>(staticSeeds);
              all.addAll(found.addresses());
              return Collections.unmodifiableSet(all);
            });
  }

  /**
   * Hands to {@code dial} every seed not handed out before: the static seeds at once, then those a
   * lookup of the DNS name finds. Does nothing while a lookup runs, or once closed. The future
   * completes once this call has dialled all it will; it never fails.
   */
  Future<Void> dialNew(Consumer<PeerAddress> dial) {
    if (closed || resolving) {
      return Future.succeededFuture();
    }
    staticSeeds.stream().filter(handedOut::add).forEach(dial);
    if (name == null) {
      return Future.succeededFuture();
    }
    resolving = true;
    return resolve()
        .map(
            found -> {
              resolving = false;
              if (!closed) {
                found.stream().filter(handedOut::add).forEach(dial);
              }
              return null;
            });
  }

  /**
   * Stops: dials nothing more, and closes the DNS clients, once the lookup under way (if any) has
   * ended; that lookup yields the static seeds, silently.
   */
  void close() {
    closed = true;
    if (lookups == 0) {
      closeClients();
    }
    // Else the lookup closes them when it ends: a Vert.x 5.2 DnsClient closed with a query in
    // flight fails the query's promise twice and logs an IllegalStateException.
  }

  private void closeClients() {
    List<DnsClient> open = List.copyOf(clients);
    clients.clear(); // first: closing a client may complete a lookup, which comes back here
    open.forEach(DnsClient::close);
  }

  /* ------------------------------------------------------------------ lookups */

  /** What a lookup found, and what went wrong on the way (kinds and one example, for the log). */
  private record Found(Set<PeerAddress> addresses, Set<String> failures, Throwable example) {

    static Found of(Set<PeerAddress> addresses) {
      return new Found(addresses, Set.of(), null);
    }

    static Found failed(String kind, Throwable example) {
      return new Found(Set.of(), Set.of(kind), example);
    }

    static Found join(List<Found> parts) {
      Set<PeerAddress> addresses = new LinkedHashSet<>();
      Set<String> failures = new TreeSet<>();
      Throwable example = null;
      for (Found part : parts) {
        addresses.addAll(part.addresses());
        failures.addAll(part.failures());
        example = example != null ? example : part.example();
      }
      return new Found(addresses, failures, example);
    }
  }

  private Future<Found> lookupSrv(String srvName) {
    return ask(client -> client.resolveSRV(srvName))
        .transform(
            ar -> {
              if (ar.failed()) {
                return Future.succeededFuture(
                    Found.failed("SRV " + srvName + ": " + kind(ar.cause()), ar.cause()));
              }
              List<Future<Found>> targets = new ArrayList<>();
              for (SrvRecord record : ar.result()) {
                String target = trimDot(record.target());
                if (target.isEmpty() || record.port() < 1) {
                  continue; // "." (RFC 2782: the service is not available there) or no port
                }
                targets.add(lookupHost(target, record.port()));
              }
              return Future.all(targets)
                  .map(all -> Found.join(all.<Found>list()))
                  .map(found -> orNone(found, "no usable SRV records for " + srvName));
            });
  }

  /** The A and AAAA addresses of {@code host}, each with {@code hostPort}. */
  private Future<Found> lookupHost(String host, int hostPort) {
    if (isIpLiteral(host)) {
      return Future.succeededFuture(Found.of(Set.of(new PeerAddress(host, hostPort))));
    }
    Future<Found> a = addresses("A", host, hostPort, client -> client.resolveA(host));
    Future<Found> aaaa = addresses("AAAA", host, hostPort, client -> client.resolveAAAA(host));
    return Future.all(a, aaaa)
        .map(all -> Found.join(all.<Found>list()))
        .map(found -> orNone(found, "no A or AAAA records for " + host));
  }

  private Future<Found> addresses(
      String type, String host, int hostPort, Function<DnsClient, Future<List<String>>> query) {
    return ask(query)
        .transform(
            ar -> {
              if (ar.failed()) {
                return Future.succeededFuture(
                    Found.failed(type + " " + host + ": " + kind(ar.cause()), ar.cause()));
              }
              Set<PeerAddress> found = new LinkedHashSet<>();
              for (String ip : ar.result()) {
                found.add(new PeerAddress(ip, hostPort));
              }
              return Future.succeededFuture(Found.of(found));
            });
  }

  /* A lookup that found nothing and met no error still deserves a warning: no seeds came of it. */
  private static Found orNone(Found found, String why) {
    return found.addresses().isEmpty() && found.failures().isEmpty()
        ? Found.failed(why, null)
        : found;
  }

  /** Asks the servers in order until one answers; NXDOMAIN is an answer. */
  private <T> Future<List<T>> ask(Function<DnsClient, Future<List<T>>> query) {
    return ask(query, 0);
  }

  private <T> Future<List<T>> ask(Function<DnsClient, Future<List<T>>> query, int server) {
    if (closed) {
      return Future.failedFuture("seed discovery is closed");
    }
    return query
        .apply(clients.get(server))
        .recover(
            e ->
                server + 1 < clients.size() && !isNoSuchName(e) && !closed
                    ? ask(query, server + 1)
                    : Future.failedFuture(e));
  }

  private static boolean isNoSuchName(Throwable e) {
    return e instanceof DnsException d && d.code() == DnsResponseCode.NXDOMAIN;
  }

  /* A failure's kind: stable from one attempt to the next, unlike messages with query ids. */
  private static String kind(Throwable e) {
    return e instanceof DnsException d ? d.code().name() : e.getClass().getSimpleName();
  }

  /* ------------------------------------------------------------------ logging */

  private void report(Found found) {
    if (closed) {
      return; // the lookup was cut short by close(): nothing went wrong
    }
    if (found.failures().isEmpty()) {
      if (lastFailure != null) {
        log.log(
            Level.INFO,
            "seed DNS name {0} resolves again ({1} addresses), after {2} failed lookups",
            displayName(),
            found.addresses().size(),
            repeatedFailures + 1);
        lastFailure = null;
        repeatedFailures = 0;
      }
      log.log(Level.DEBUG, "seed DNS name {0}: {1}", displayName(), found.addresses());
      return;
    }
    String failure = String.join("; ", found.failures());
    Throwable example = found.example();
    String detail = example == null ? "" : " (" + example.getMessage() + ")";
    if (failure.equals(lastFailure)) {
      repeatedFailures++;
      log.log(Level.DEBUG, "seed DNS name {0} still fails: {1}{2}", displayName(), failure, detail);
      return;
    }
    lastFailure = failure;
    repeatedFailures = 0;
    log.log(
        Level.WARNING,
        "seed DNS name {0} failed: {1}{2}; using {3} static seeds and {4} addresses found, retrying"
            + " every interval (the same failure again is logged at DEBUG)",
        displayName(),
        failure,
        detail,
        staticSeeds.size(),
        found.addresses().size());
  }

  private String displayName() {
    return srv ? SyncOptions.SRV_PREFIX + name : name;
  }

  private static String trimDot(String host) {
    return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
  }

  private static String unbracketed(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  private static boolean isIpLiteral(String host) {
    return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host);
  }
}
