package dev.converge.demo;

import java.nio.file.Path;
import java.util.List;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium for end-to-end tests (see ENVIRONMENT.md), installed by {@link
 * SystemPackages} when missing. Never skips.
 */
final class Chromium {

  static final Path BROWSER = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");

  private static boolean checked;

  private Chromium() {}

  /** Makes sure Chromium and chromedriver are installed, installing them if it can. */
  static synchronized void ensureInstalled(Path logDir) {
    if (!checked) {
      SystemPackages.ensure(
          "the end-to-end test",
          List.of(BROWSER, DRIVER),
          List.of("chromium", "chromium-driver"),
          logDir);
      checked = true;
    }
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
}
