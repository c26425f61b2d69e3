package dev.converge.demo;

import dev.converge.sync.SyncOptions;
import java.nio.file.Path;

/**
 * How a demo node protects its gossip links: a cluster secret, and TLS (optionally mutual). Maps
 * one to one onto {@link SyncOptions}; validated there.
 *
 * @param clusterSecret the secret every node of the cluster shares, or null for none
 * @param tlsCert this node's certificate chain (PEM), or null for plaintext links
 * @param tlsKey the certificate's private key (PEM)
 * @param tlsCa the authorities (PEM) a peer's certificate must chain to
 * @param tlsClientAuth whether callers must present a certificate too (mutual TLS)
 */
public record NodeSecurity(
    String clusterSecret, Path tlsCert, Path tlsKey, Path tlsCa, boolean tlsClientAuth) {

  /** No secret, plaintext links. */
  public static final NodeSecurity NONE = new NodeSecurity(null, null, null, null, false);

  public NodeSecurity {
    // Reuse the library's checks, so the demo and the library accept the same settings.
    apply(
            new SyncOptions().setNodeId("check"),
            clusterSecret,
            tlsCert,
            tlsKey,
            tlsCa,
            tlsClientAuth)
        .validate();
  }

  /** Sets these options on {@code options}. */
  public SyncOptions applyTo(SyncOptions options) {
    return apply(options, clusterSecret, tlsCert, tlsKey, tlsCa, tlsClientAuth);
  }

  private static SyncOptions apply(
      SyncOptions o, String secret, Path cert, Path key, Path ca, boolean clientAuth) {
    return o.setClusterSecret(secret)
        .setTlsCertPath(cert)
        .setTlsKeyPath(key)
        .setTlsTrustPath(ca)
        .setTlsClientAuth(clientAuth);
  }

  @Override
  public String toString() {
    // Never print the secret.
    return "NodeSecurity[clusterSecret="
        + (clusterSecret == null ? "(none)" : "(set)")
        + ", tls="
        + (tlsCert == null ? "off" : tlsClientAuth ? "mutual" : "on")
        + "]";
  }
}
