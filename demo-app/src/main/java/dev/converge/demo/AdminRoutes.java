package dev.converge.demo;

import static dev.converge.demo.HttpApi.json;
import static dev.converge.demo.HttpApi.jsonBody;

import dev.converge.demo.HttpApi.Running;
import dev.converge.sync.MemberStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The routes under {@code /admin}, each guarded by {@link AdminGuard}: fault injection ({@code
 * partition}, {@code heal}) and membership changes ({@code leave}, {@code remove}). The guard runs
 * first, so an unauthorised request learns nothing about its body. See the module README for the
 * contract.
 */
final class AdminRoutes {

  private static final Logger LOG = System.getLogger(AdminRoutes.class.getName());

  private final DemoConfig config;
  private final AdminGuard guard;

  AdminRoutes(DemoConfig config) {
    this.config = config;
    this.guard = new AdminGuard(config.adminToken());
  }

  void partition(RoutingContext ctx, Running r) {
    guard.check(ctx.request());
    JsonObject request = jsonBody(ctx);
    Object value = request.getValue("peers");
    if (!(value instanceof JsonArray array) || array.isEmpty()) {
      throw ApiException.badRequest("body must be {\"peers\": [\"node-id\", ...]} with 1 or more");
    }
    if (array.size() > HttpApi.MAX_PARTITION_PEERS) {
      throw ApiException.badRequest("at most " + HttpApi.MAX_PARTITION_PEERS + " peers");
    }
    Set<String> peers = new TreeSet<>(r.replicator().faults().partitioned());
    for (Object peer : array) {
      if (!(peer instanceof String s) || !Posts.validName(s)) {
        throw ApiException.badRequest(
            "peers must be node ids of 1-64 letters, digits, '-', '_', '.'");
      }
      if (s.equals(config.nodeId())) {
        throw ApiException.badRequest("a node cannot be partitioned from itself");
      }
      peers.add(s);
    }
    r.replicator().faults().partition(peers);
    LOG.log(Level.INFO, "node {0} partitioned from {1}", config.nodeId(), peers);
    json(ctx, 200, faultsJson(r).encode());
  }

  void heal(RoutingContext ctx, Running r) {
    guard.check(ctx.request());
    r.replicator().faults().heal();
    LOG.log(Level.INFO, "node {0} healed", config.nodeId());
    json(ctx, 200, faultsJson(r).encode());
  }

  void leave(RoutingContext ctx, Running r) {
    guard.check(ctx.request());
    if (ctx.body() != null && ctx.body().length() > 0) {
      throw ApiException.badRequest("POST /admin/leave takes no body");
    }
    Departure departure = r.departure();
    boolean finished = departure.finished();
    if (!departure.started()) {
      LOG.log(Level.INFO, "node {0} leaves the cluster (POST /admin/leave)", config.nodeId());
    }
    departure.leave().onComplete(done -> r.events().close());
    json(
        ctx,
        finished ? 200 : 202,
        new JsonObject()
            .put("node", config.nodeId())
            .put("status", Departure.name(departure.status()))
            .encode());
  }

  void remove(RoutingContext ctx, Running r) {
    guard.check(ctx.request());
    Object value = jsonBody(ctx).getValue("nodeId");
    if (!(value instanceof String nodeId) || !Posts.validName(nodeId)) {
      throw ApiException.badRequest(
          "body must be {\"nodeId\": \"...\"}, a node id of 1-64 letters, digits, '-', '_', '.'");
    }
    if (nodeId.equals(config.nodeId())) {
      throw ApiException.badRequest(
          "a node cannot remove itself; POST /admin/leave to leave the cluster gracefully");
    }
    if (r.departure().started()) {
      throw r.departure().refusal();
    }
    if (r.replicator().status() == MemberStatus.REMOVED) {
      throw r.departure().removedRefusal("this node is no longer a cluster member");
    }
    if (r.replicator().members().stream().noneMatch(m -> m.nodeId().equals(nodeId))) {
      throw unknownMember(nodeId);
    }
    r.replicator()
        .removeMember(nodeId)
        .onSuccess(
            v -> {
              LOG.log(Level.INFO, "node {0} removed member {1}", config.nodeId(), nodeId);
              json(
                  ctx,
                  200,
                  new JsonObject().put("node", config.nodeId()).put("removed", nodeId).encode());
            })
        .onFailure(
            // Self and malformed ids were refused above: the member went away meanwhile.
            e -> ctx.fail(e instanceof IllegalArgumentException ? unknownMember(nodeId) : e));
  }

  private static ApiException unknownMember(String nodeId) {
    return new ApiException(
        404, "no current member with node id " + nodeId, new JsonObject().put("nodeId", nodeId));
  }

  private JsonObject faultsJson(Running r) {
    return new JsonObject()
        .put("node", config.nodeId())
        .put(
            "partitioned",
            new JsonArray(List.copyOf(new TreeSet<>(r.replicator().faults().partitioned()))));
  }
}
