package dev.converge.demo;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium for end-to-end tests (see ENVIRONMENT.md). When the browser or its
 * driver is missing and the test runs as root, installs them once with apt-get; otherwise fails
 * with a message saying what to install. Never skips.
 */
final class Chromium {

  static final Path BROWSER = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");

  private static boolean checked;

  private Chromium() {}

  /** Makes sure Chromium and chromedriver are installed, installing them if it can. */
  static synchronized void ensureInstalled(Path logDir) {
    if (checked || installed()) {
      checked = true;
      return;
    }
    if (!isRoot()) {
      fail(
          "the end-to-end test needs "
              + BROWSER
              + " and "
              + DRIVER
              + " and can install them only as root; run: sudo apt-get install -y chromium"
              + " chromium-driver");
    }
    Path log = logDir.resolve("apt-get.log");
    run(List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "update"), log);
    run(
        List.of(
            "apt-get",
            "-o",
            "DPkg::Lock::Timeout=300",
            "install",
            "-y",
            "chromium",
            "chromium-driver"),
        log);
    if (!installed()) {
      fail("apt-get finished but " + BROWSER + " or " + DRIVER + " is still missing; see " + log);
    }
    checked = true;
  }

  /** A headless browser with the flags of ENVIRONMENT.md and a fresh profile in {@code profile}. */
  static ChromeDriver start(Path profile) {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--user-data-dir=" + profile.toAbsolutePath(),
        // Two tabs poll at once: keep timers of the background tab running at full speed.
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
        "--window-size=1440,1100");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(DRIVER.toFile())
            .usingAnyFreePort()
            .build();
    return new ChromeDriver(service, options);
  }

  private static boolean installed() {
    return Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER);
  }

  private static boolean isRoot() {
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
                + "; cannot install Chromium for the end-to-end test. Last output:\n"
                + tail(log));
      }
    } catch (IOException e) {
      fail("cannot run " + String.join(" ", command) + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted while installing Chromium", e);
    }
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }
}
