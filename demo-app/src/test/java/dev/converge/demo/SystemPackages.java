package dev.converge.demo;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian packages a test needs (Chromium, iptables): when a program is missing and the test runs as
 * root, installs its packages with apt-get; otherwise fails with a message saying what to install.
 * Never skips.
 */
public final class SystemPackages {

  private SystemPackages() {}

  /**
   * Makes sure every one of {@code programs} is executable, installing {@code packages} if not.
   *
   * @param purpose what needs them, for messages
   */
  public static synchronized void ensure(
      String purpose, List<Path> programs, List<String> packages, Path logDir) {
    if (installed(programs)) {
      return;
    }
    if (!isRoot()) {
      fail(
          purpose
              + " needs "
              + programs
              + " and can install them only as root; run: sudo apt-get install -y "
              + String.join(" ", packages));
    }
    Path log = logDir.resolve("apt-get.log");
    run(List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "update"), log);
    List<String> install =
        new ArrayList<>(List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y"));
    install.addAll(packages);
    run(install, log);
    if (!installed(programs)) {
      fail("apt-get finished but one of " + programs + " is still missing; see " + log);
    }
  }

  /** Whether this process runs as root (uid 0). */
  public static boolean isRoot() {
    try {
      Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String out = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return id.waitFor() == 0 && out.equals("0");
    } catch (IOException e) {
      return "root".equals(System.getProperty("user.name"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static boolean installed(List<Path> programs) {
    return programs.stream().allMatch(Files::isExecutable);
  }

  private static void run(List<String> command, Path log) {
    try {
      Files.createDirectories(log.getParent());
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
      Process process = builder.start();
      if (!process.waitFor(15, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        fail(String.join(" ", command) + " did not finish in 15 minutes; see " + log);
      }
      if (process.exitValue() != 0) {
        fail(
            String.join(" ", command)
                + " failed with exit code "
                + process.exitValue()
                + ". Last output:\n"
                + tail(log));
      }
    } catch (IOException e) {
      fail("cannot run " + String.join(" ", command) + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted while running " + String.join(" ", command), e);
    }
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }
}
