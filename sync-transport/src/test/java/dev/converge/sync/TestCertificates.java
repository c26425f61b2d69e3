package dev.converge.sync;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A throw-away certificate authority for TLS tests, made with the JDK's {@code keytool} (no extra
 * library): EC P-256 keys, node certificates signed by the authority with the given subject
 * alternative names, written as the PEM files {@link SyncOptions} takes.
 */
public final class TestCertificates {

  private static final String PASSWORD = "test-only";

  private final Path dir;
  private final String name;
  private final Path caStore;

  /** PEM files of one node: certificate chain, PKCS#8 private key, and its authority. */
  public record NodeFiles(Path cert, Path key, Path ca) {}

  private TestCertificates(Path dir, String name) {
    this.dir = dir;
    this.name = name;
    this.caStore = dir.resolve(name + "-ca.p12");
  }

  /** Creates an authority called {@code name} with its files under {@code dir}. */
  public static TestCertificates authority(Path dir, String name) throws IOException {
    TestCertificates ca = new TestCertificates(dir, name);
    ca.keytool(
        null,
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=" + name + " test CA",
        "-ext",
        "bc:c",
        "-validity",
        "2",
        "-keystore",
        ca.caStore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSWORD);
    Files.write(
        ca.caPem(),
        ca.keytool(
            null,
            "-exportcert",
            "-rfc",
            "-alias",
            "ca",
            "-keystore",
            ca.caStore.toString(),
            "-storepass",
            PASSWORD));
    return ca;
  }

  public Path caPem() {
    return dir.resolve(name + "-ca.pem");
  }

  /**
   * A node certificate signed by this authority for {@code san} (keytool syntax, e.g. {@code
   * ip:127.0.0.1} or {@code dns:node1.example}).
   */
  public NodeFiles node(String node, String san) throws IOException {
    Path store = dir.resolve(name + "-" + node + ".p12");
    keytool(
        null,
        "-genkeypair",
        "-alias",
        node,
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=" + node,
        "-validity",
        "2",
        "-keystore",
        store.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSWORD);
    byte[] request =
        keytool(
            null,
            "-certreq",
            "-alias",
            node,
            "-keystore",
            store.toString(),
            "-storepass",
            PASSWORD);
    byte[] signed =
        keytool(
            request,
            "-gencert",
            "-rfc",
            "-alias",
            "ca",
            "-keystore",
            caStore.toString(),
            "-storepass",
            PASSWORD,
            "-validity",
            "2",
            "-ext",
            "san=" + san,
            "-ext",
            "eku=serverAuth,clientAuth");
    Path cert = dir.resolve(name + "-" + node + ".pem");
    Files.write(cert, concat(signed, Files.readAllBytes(caPem())));
    Path key = dir.resolve(name + "-" + node + ".key");
    Files.writeString(key, privateKeyPem(store, node));
    return new NodeFiles(cert, key, caPem());
  }

  private static String privateKeyPem(Path store, String alias) throws IOException {
    try (InputStream in = Files.newInputStream(store)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, PASSWORD.toCharArray());
      PrivateKey key = (PrivateKey) ks.getKey(alias, PASSWORD.toCharArray());
      String base64 =
          Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
              .encodeToString(key.getEncoded());
      return "-----BEGIN PRIVATE KEY-----\n" + base64 + "\n-----END PRIVATE KEY-----\n";
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = new byte[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private byte[] keytool(byte[] stdin, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
    try {
      if (stdin != null) {
        p.getOutputStream().write(stdin);
      }
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IOException("keytool " + String.join(" ", args) + " failed: " + err);
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
