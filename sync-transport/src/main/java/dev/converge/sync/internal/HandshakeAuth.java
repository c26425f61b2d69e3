package dev.converge.sync.internal;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Proof of the cluster secret in the handshake: HMAC-SHA256 challenge-response in both directions
 * (RFC 2104; the shape of the mutual challenge-response of RFC 1994/CHAP, with distinct labels per
 * direction so that a proof cannot be reflected).
 *
 * <pre>
 *   client → server  Hello(..., nonceC)                       nonceC: 32 fresh random bytes
 *   server → client  HelloChallenge(nonceS, proofS)           proofS = HMAC(K, "server" | T)
 *   client → server  HelloAuth(proofC)                        proofC = HMAC(K, "client" | T)
 *   server → client  HelloOk | HelloReject
 *   where T = the exact bytes of the Hello frame body | nonceS
 * </pre>
 *
 * <p>The Hello body includes the client's nonce, cluster, node id and incarnation, so each proof is
 * bound to this connection's identity and fresh on both sides: a recorded handshake cannot be
 * replayed to either party. Proofs are compared in constant time. The secret authenticates the
 * handshake only: frames after it are not authenticated one by one, so an attacker on the network
 * path who can hijack a TCP connection needs TLS to be kept out (see the README's threat model).
 */
final class HandshakeAuth {

  /** Bytes of a fresh nonce. */
  static final int NONCE_BYTES = 32;

  /** Longest nonce or proof accepted from the wire. */
  static final int MAX_NONCE_BYTES = 64;

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] SERVER =
      "converge-handshake-v2 server".getBytes(StandardCharsets.UTF_8);
  private static final byte[] CLIENT =
      "converge-handshake-v2 client".getBytes(StandardCharsets.UTF_8);

  private final SecretKeySpec key;

  /** An authenticator for {@code secret}, or {@code null} if the node has none. */
  static HandshakeAuth forSecret(String secret) {
    return secret == null ? null : new HandshakeAuth(secret);
  }

  private HandshakeAuth(String secret) {
    this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
  }

  static byte[] nonce() {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    return nonce;
  }

  byte[] serverProof(Buffer helloBody, byte[] serverNonce) {
    return mac(SERVER, helloBody, serverNonce);
  }

  byte[] clientProof(Buffer helloBody, byte[] serverNonce) {
    return mac(CLIENT, helloBody, serverNonce);
  }

  /** Constant-time comparison, so that timing does not reveal how much of a proof was right. */
  static boolean matches(byte[] expected, byte[] actual) {
    return MessageDigest.isEqual(expected, actual);
  }

  private byte[] mac(byte[] label, Buffer helloBody, byte[] serverNonce) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      mac.update(label);
      mac.update(helloBody.getBytes());
      mac.update(serverNonce);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required by every Java platform", e);
    }
  }
}
