package dev.converge.demo;

import io.vertx.core.json.JsonObject;

/**
 * A request the API refuses with a status and a message; the router's failure handler turns it into
 * {@code {"error": message, ...details}}.
 */
final class ApiException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final transient JsonObject details;

  ApiException(int status, String message) {
    this(status, message, new JsonObject());
  }

  ApiException(int status, String message, JsonObject details) {
    super(message, null, false, false);
    this.status = status;
    this.details = details;
  }

  static ApiException badRequest(String message) {
    return new ApiException(400, message);
  }

  int status() {
    return status;
  }

  /** The JSON body: the error message first, then the details. */
  JsonObject body() {
    JsonObject body = new JsonObject().put("error", getMessage());
    details.forEach(e -> body.put(e.getKey(), e.getValue()));
    return body;
  }
}
