package dev.converge.store.internal;

import dev.converge.store.StoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The length and CRC32C of a cleanly closed data file, kept next to it in {@code converge.seal}.
 *
 * <p>Why: MVStore opens a truncated file by silently rolling back to the newest chunk it still
 * finds complete (measured: cut at half its length, a store reopened at version 27 of 50; cut to
 * two blocks, it reopened empty), and it checksums page headers but not the bytes of values. Both
 * would lose or alter acknowledged writes without a word. A crashed process legitimately leaves an
 * incomplete last chunk, which is why MVStore behaves so; a closed file has no such excuse. So a
 * clean close seals the file, and the next open verifies the seal before MVStore touches the file:
 * any truncation, extension or flipped bit of a closed file is reported as {@link
 * StoreException.Corrupted}. The seal is removed before the first commit changes the file, so a
 * crash later leaves no stale seal. Not part of the public API.
 */
final class FileSeal {

  /** Name of the seal file inside the data directory. */
  static final String SEAL_FILE = "converge.seal";

  private static final String HEADER = "converge-seal 1";

  private FileSeal() {}

  /**
   * If {@code dataFile} was sealed, verifies it against the seal.
   *
   * @return true if a seal was found (and matched)
   * @throws StoreException.Corrupted if the file is missing, or differs from the sealed one
   */
  static boolean verify(Path dataFile) {
    Path seal = dataFile.resolveSibling(SEAL_FILE);
    try {
      Files.deleteIfExists(seal.resolveSibling(SEAL_FILE + ".tmp"));
      if (!Files.exists(seal)) {
        return false;
      }
      Map<String, String> fields = read(seal);
      if (!Files.exists(dataFile)) {
        throw new StoreException.Corrupted(
            dataFile, "it is missing, but " + SEAL_FILE + " says it was closed cleanly", null);
      }
      long sealedLength = Long.parseLong(fields.get("length"));
      long length = Files.size(dataFile);
      if (length != sealedLength) {
        throw new StoreException.Corrupted(
            dataFile,
            "it is "
                + length
                + " bytes long but was "
                + sealedLength
                + " when closed cleanly (truncated or overwritten)",
            null);
      }
      String sealedCrc = fields.get("crc32c");
      String crc = checksum(dataFile);
      if (!crc.equals(sealedCrc)) {
        throw new StoreException.Corrupted(
            dataFile,
            "its CRC32C is " + crc + " but was " + sealedCrc + " when closed cleanly (damaged)",
            null);
      }
      return true;
    } catch (IOException e) {
      throw new StoreException("cannot verify " + seal + ": " + e.getMessage(), e);
    }
  }

  /**
   * Removes the seal durably; called before the first commit changes the sealed file, so a crash
   * afterwards never leaves a seal that no longer matches.
   */
  static void remove(Path dataFile) throws IOException {
    Files.deleteIfExists(dataFile.resolveSibling(SEAL_FILE));
    syncDirectory(dataFile.getParent());
  }

  /** Seals the closed {@code dataFile}: writes a temporary seal, syncs it, renames it in place. */
  static void write(Path dataFile) throws IOException {
    Path seal = dataFile.resolveSibling(SEAL_FILE);
    Path tmp = seal.resolveSibling(SEAL_FILE + ".tmp");
    String body =
        HEADER
            + "\nfile="
            + dataFile.getFileName()
            + "\nlength="
            + Files.size(dataFile)
            + "\ncrc32c="
            + checksum(dataFile)
            + "\n";
    String text = body + "check=" + crcOf(body) + "\n";
    try (FileChannel out =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        out.write(bytes);
      }
      out.force(true);
    }
    try {
      Files.move(tmp, seal, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, seal, StandardCopyOption.REPLACE_EXISTING);
    }
    syncDirectory(dataFile.getParent());
  }

  private static Map<String, String> read(Path seal) throws IOException {
    String text = Files.readString(seal, StandardCharsets.UTF_8);
    int check = text.lastIndexOf("check=");
    Map<String, String> fields = new HashMap<>();
    if (text.startsWith(HEADER + "\n") && check > 0) {
      String body = text.substring(0, check);
      if (text.substring(check).equals("check=" + crcOf(body) + "\n")) {
        for (String line : body.split("\n")) {
          int eq = line.indexOf('=');
          if (eq > 0) {
            fields.put(line.substring(0, eq), line.substring(eq + 1));
          }
        }
      }
    }
    if (!fields.containsKey("length") || !fields.containsKey("crc32c")) {
      throw new StoreException.Corrupted(seal, "not a valid seal", null);
    }
    try {
      Long.parseLong(fields.get("length"));
    } catch (NumberFormatException e) {
      throw new StoreException.Corrupted(seal, "not a valid seal", e);
    }
    return fields;
  }

  private static String checksum(Path file) throws IOException {
    CRC32C crc = new CRC32C();
    ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      while (in.read(buffer) >= 0) {
        buffer.flip();
        crc.update(buffer);
        buffer.clear();
      }
    }
    return Long.toHexString(crc.getValue());
  }

  private static String crcOf(String text) {
    CRC32C crc = new CRC32C();
    crc.update(text.getBytes(StandardCharsets.UTF_8));
    return Long.toHexString(crc.getValue());
  }

  /** Makes a file creation, deletion or rename in {@code dir} durable (where the OS allows it). */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Windows cannot open a directory as a channel; there a rename is as durable as it gets.
      if (!System.getProperty("os.name", "").startsWith("Windows")) {
        throw e;
      }
    }
  }
}
