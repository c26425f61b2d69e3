package dev.converge.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * HTTP/1.1 over a plain socket, for what {@code java.net.http} refuses to send: bad request lines,
 * lying {@code Content-Length}, malformed chunks, raw bytes. Reads one answer (skipping {@code 1xx}
 * interim answers). A read that blocks for {@link #TIMEOUT} fails the test: the server neither
 * answered nor closed the connection, it hangs.
 */
final class RawHttp {

  /** Longest wait for a byte of the answer; far above what it takes, so never the flaky part. */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static final int MAX_LINE = 64 * 1024;
  private static final AtomicInteger SENT = new AtomicInteger();

  private RawHttp() {}

  /** Requests written so far. */
  static int sent() {
    return SENT.get();
  }

  /**
   * What came back: {@code statusLine} is null when the server closed (or reset) the connection
   * without a byte; {@code status} is -1 when the first line is not a status line ({@code
   * PROTOCOL/x.y NNN reason}; Vert.x echoes the request's version, e.g. {@code HTTP/9.9 501}).
   * Header names are lower case.
   */
  record Answer(String statusLine, int status, Map<String, String> headers, String body) {

    boolean closedWithoutAnswer() {
      return statusLine == null;
    }

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    @Override
    public String toString() {
      return statusLine == null ? "(closed without an answer)" : statusLine + " " + headers + body;
    }
  }

  /** A request in ISO-8859-1 (each char one byte, so raw bytes can be written as chars). */
  static byte[] bytes(String request) {
    return request.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Sends {@code request} and reads one whole answer. */
  static Answer exchange(int port, byte[] request) {
    return exchange(port, request, false, false);
  }

  /**
   * Sends {@code request}; if {@code halfClose}, then shuts the socket's output (the server sees
   * the end of the stream); reads one answer, its body too unless {@code headOnly}.
   */
  static Answer exchange(int port, byte[] request, boolean halfClose, boolean headOnly) {
    try (Socket socket = open(port)) {
      write(socket, request);
      if (halfClose) {
        shutdownOutput(socket);
      }
      return read(socket.getInputStream(), headOnly);
    } catch (IOException e) {
      throw new AssertionError("raw exchange failed: " + e, e);
    }
  }

  static Socket open(int port) throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout((int) TIMEOUT.toMillis());
    return socket;
  }

  /**
   * Writes {@code request}; a server that answers and closes before it has read everything may
   * reset the connection under the writer, which is not a failure: the answer is what counts.
   */
  static void write(Socket socket, byte[] request) {
    SENT.incrementAndGet();
    try {
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
    } catch (IOException e) {
      // the answer (or the close) is read next
    }
  }

  private static void shutdownOutput(Socket socket) {
    try {
      socket.shutdownOutput();
    } catch (IOException e) {
      // already closed by the server
    }
  }

  /**
   * Reads one answer from {@code in}. Fails as a hang if it does not end within {@link #TIMEOUT}
   * (also when bytes keep trickling in, e.g. an event stream's heartbeats).
   */
  static Answer read(InputStream in, boolean headOnly) throws IOException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    return read(in, headOnly, deadline);
  }

  private static Answer read(InputStream in, boolean headOnly, long deadline) throws IOException {
    try {
      while (true) {
        String statusLine = line(in, deadline);
        if (statusLine == null) {
          return new Answer(null, -1, Map.of(), "");
        }
        if (!statusLine.matches("[A-Z0-9]+/[0-9]+\\.[0-9]+ [0-9]{3}( .*)?")) {
          return new Answer(statusLine, -1, Map.of(), "");
        }
        int space = statusLine.indexOf(' ');
        int status = Integer.parseInt(statusLine.substring(space + 1, space + 4));
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(in, deadline); h != null && !h.isEmpty(); h = line(in, deadline)) {
          int colon = h.indexOf(':');
          if (colon > 0) {
            headers.put(
                h.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                h.substring(colon + 1).trim());
          }
        }
        if (status >= 100 && status < 200) {
          continue; // e.g. 100 Continue: the real answer follows
        }
        String body = headOnly ? "" : body(in, status, headers, deadline);
        return new Answer(statusLine, status, headers, body);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "no answer within " + TIMEOUT + " and the connection is still open: the server hangs", e);
    } catch (IOException e) {
      if (String.valueOf(e.getMessage()).contains("reset")) {
        return new Answer(null, -1, Map.of(), ""); // closed by a reset, without an answer
      }
      throw e;
    }
  }

  private static String body(InputStream in, int status, Map<String, String> headers, long deadline)
      throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      for (String size = line(in, deadline); size != null; size = line(in, deadline)) {
        int n = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (n == 0) {
          line(in, deadline); // the empty line after the last chunk (no trailers are sent)
          break;
        }
        body.write(in.readNBytes(n));
        line(in, deadline);
        checkDeadline(deadline);
      }
    } else if (headers.containsKey("content-length")) {
      body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
    } else if (status != 204 && status != 304) {
      body.write(in.readAllBytes()); // delimited by the close
    }
    return body.toString(StandardCharsets.UTF_8);
  }

  private static void checkDeadline(long deadline) {
    if (System.nanoTime() - deadline > 0) {
      throw new AssertionError("the answer did not end within " + TIMEOUT + ": the server hangs");
    }
  }

  /** One line without its CR LF; null at the end of the stream before any byte. */
  private static String line(InputStream in, long deadline) throws IOException {
    checkDeadline(deadline);
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != -1; b = in.read()) {
      if (b == '\n') {
        return line.toString(StandardCharsets.ISO_8859_1).replaceAll("\r$", "");
      }
      if (line.size() >= MAX_LINE) {
        break;
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }
}
