package dev.converge.demo;

import static dev.converge.demo.DemoCluster.awaitJson;
import static dev.converge.demo.DemoCluster.send;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The partition story in a real headless Chromium (issue 6): two nodes, both pages open; node 1 is
 * partitioned from node 2 with its button; likes on both sides make the replicas disagree in the
 * side-by-side panel; a majority write on the minority side is refused; heal makes them agree.
 * Saves {@code target/e2e-screenshot.png} (after heal) and {@code
 * target/e2e-screenshot-partitioned.png}.
 *
 * <p>And the member lifecycle (issue 12) from the cluster panel: three nodes; the panel shows every
 * member's status and reachability; a node cut off is removed with its Remove button and its own
 * page then says it was removed; another leaves with the Leave button. Saves {@code
 * target/e2e-screenshot-lifecycle.png} (the page of the node that left).
 */
class PageEndToEndTest {

  private static final Path TARGET = Path.of("target");
  private static final Duration WAIT = DemoCluster.DEADLINE;

  private static By testId(String id) {
    return By.cssSelector("[data-testid='" + id + "']");
  }

  private static <T> T await(WebDriver driver, String what, Function<WebDriver, T> condition) {
    // The page re-renders its panels every half second: an element found a moment ago may be gone,
    // so a stale reference just means "look again".
    return new WebDriverWait(driver, WAIT)
        .withMessage(what)
        .pollingEvery(Duration.ofMillis(100))
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(condition);
  }

  private static String text(WebDriver driver, By by) {
    return driver.findElements(by).stream().findFirst().map(WebElement::getText).orElse("");
  }

  private static String replicaLikes(WebDriver driver, String node) {
    return text(
        driver,
        By.cssSelector("[data-testid='replica-" + node + "'] " + "[data-testid='replica-likes']"));
  }

  private static String agreement(WebDriver driver) {
    return driver.findElement(By.id("agreement")).getAttribute("data-state");
  }

  private static WebElement postButton(WebDriver driver, String post, String button) {
    return driver.findElement(
        By.cssSelector("[data-testid='post-" + post + "'] [data-testid='" + button + "']"));
  }

  /** Clicks the post's like button; a card re-rendered under us (stale) is found again. */
  private static void clickLike(WebDriver driver) {
    await(
        driver,
        "click like",
        d -> {
          postButton(d, "hello", "like").click();
          return true;
        });
  }

  private static String cardLikes(WebDriver driver, String post) {
    return text(driver, By.cssSelector("[data-testid='post-" + post + "'] [data-testid='likes']"));
  }

  private static String memberCell(WebDriver driver, String node, String cell) {
    return text(
        driver, By.cssSelector("[data-testid='member-" + node + "'] [data-testid='" + cell + "']"));
  }

  /* The status shown (the badge is styled in capitals: compare its text ignoring case). */
  private static boolean shows(WebDriver driver, By by, String status) {
    return text(driver, by).equalsIgnoreCase(status);
  }

  private static boolean memberShows(WebDriver driver, String node, String status) {
    return memberCell(driver, node, "member-status").equalsIgnoreCase(status);
  }

  /* Clicks a button that asks for confirmation, and confirms. */
  private static void clickAndConfirm(WebDriver driver, By button) {
    await(
        driver,
        "click " + button,
        d -> {
          d.findElement(button).click();
          return true;
        });
    Alert confirm = await(driver, "the confirmation", ExpectedConditions.alertIsPresent());
    confirm.accept();
  }

  private static void screenshot(ChromeDriver driver, String name) throws IOException {
    Path file = driver.getScreenshotAs(OutputType.FILE).toPath();
    Files.createDirectories(TARGET);
    Files.copy(file, TARGET.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void partitionLikeOnBothSidesDisagreeHealAgree() throws Exception {
    Chromium.ensureInstalled(TARGET);
    Path profile = Files.createTempDirectory("converge-e2e-chromium");
    try (DemoCluster cluster = DemoCluster.start(2)) {
      String n1 = cluster.url(0);
      String n2 = cluster.url(1);
      send("PUT", n1 + "/api/posts/hello/title", "{\"title\": \"Hello, Converge\"}", Map.of());
      awaitJson(
          "GET",
          n2 + "/api/posts/hello",
          j -> j.getString("title").length() > 0,
          "n2 has the post");

      ChromeDriver driver = Chromium.start(profile);
      try {
        driver.get(n1 + "/#hello");
        String page1 = driver.getWindowHandle();
        await(
            driver, "page 1 shows the post", d -> !d.findElements(testId("post-hello")).isEmpty());
        await(
            driver,
            "page 1 compares both replicas and they agree",
            d -> "agree".equals(agreement(d)) && replicaLikes(d, "n2").equals("0"));
        assertThat(text(driver, By.id("node-id"))).isEqualTo("n1");

        driver.switchTo().newWindow(WindowType.TAB);
        String page2 = driver.getWindowHandle();
        driver.get(n2 + "/#hello");
        await(
            driver, "page 2 shows the post", d -> !d.findElements(testId("post-hello")).isEmpty());
        assertThat(text(driver, By.id("node-id"))).isEqualTo("n2");

        // Partition node 1 from node 2 with the button on node 1's page.
        driver.switchTo().window(page1);
        driver.findElement(testId("partition")).click();
        await(
            driver,
            "page 1 shows the partition",
            d ->
                d.findElement(By.id("partition-banner")).isDisplayed()
                    && "partitioned"
                        .equals(d.findElement(testId("peer-n2")).getAttribute("data-status")));
        assertThat(cluster.node(0).replicator().faults().partitioned()).containsExactly("n2");

        // Like on both sides.
        clickLike(driver);
        await(driver, "n1's first like", d -> cardLikes(d, "hello").equals("1"));
        clickLike(driver);
        await(driver, "n1's second like", d -> cardLikes(d, "hello").equals("2"));
        driver.switchTo().window(page2);
        clickLike(driver);
        await(driver, "n2's like", d -> cardLikes(d, "hello").equals("1"));

        // The replicas disagree, side by side, on both pages.
        await(
            driver,
            "page 2 sees the replicas disagree",
            d ->
                "disagree".equals(agreement(d))
                    && replicaLikes(d, "n1").equals("2")
                    && replicaLikes(d, "n2").equals("1"));
        driver.switchTo().window(page1);
        await(
            driver,
            "page 1 sees the replicas disagree",
            d ->
                "disagree".equals(agreement(d))
                    && replicaLikes(d, "n1").equals("2")
                    && replicaLikes(d, "n2").equals("1"));
        assertThat(text(driver, By.id("agreement"))).isEqualToIgnoringCase("disagree");

        // A majority write in the minority is refused, and kept locally.
        new Select(driver.findElement(By.id("consistency"))).selectByValue("majority");
        clickLike(driver);
        await(
            driver,
            "the majority write is refused",
            d -> text(d, By.id("message")).startsWith("Refused (503)"));
        assertThat(text(driver, By.id("message"))).contains("1 of the 2 replicas required");
        await(
            driver,
            "the refused write is kept locally",
            d -> cardLikes(d, "hello").equals("3") && replicaLikes(d, "n1").equals("3"));
        new Select(driver.findElement(By.id("consistency"))).selectByValue("local");
        screenshot(driver, "e2e-screenshot-partitioned.png");

        // Heal: the replicas agree again and no like is lost.
        driver.findElement(testId("heal")).click();
        await(
            driver,
            "page 1 sees the replicas agree after heal",
            d ->
                "agree".equals(agreement(d))
                    && replicaLikes(d, "n1").equals("4")
                    && replicaLikes(d, "n2").equals("4"));
        await(
            driver,
            "the peer is reachable again",
            d -> "reachable".equals(d.findElement(testId("peer-n2")).getAttribute("data-status")));
        driver.switchTo().window(page2);
        await(
            driver,
            "page 2 sees the replicas agree after heal",
            d -> "agree".equals(agreement(d)) && cardLikes(d, "hello").equals("4"));
        driver.switchTo().window(page1);
        DemoCluster.sleep(1_500); // let the chart draw a little of the converged line
        screenshot(driver, "e2e-screenshot.png");
      } catch (RuntimeException | AssertionError e) {
        screenshot(driver, "e2e-failure.png");
        throw e;
      } finally {
        driver.quit();
      }
    } finally {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void removeAndLeaveFromTheClusterPanel() throws Exception {
    Chromium.ensureInstalled(TARGET);
    Path profile = Files.createTempDirectory("converge-e2e-chromium");
    try (DemoCluster cluster = DemoCluster.start(3)) {
      String n1 = cluster.url(0);
      String n2 = cluster.url(1);
      String n3 = cluster.url(2);
      ChromeDriver driver = Chromium.start(profile);
      try {
        driver.get(n1 + "/");
        await(
            driver,
            "the panel shows n1 up and both peers up and reachable",
            d ->
                shows(d, testId("self-status"), "up")
                    && memberShows(d, "n2", "up")
                    && memberCell(d, "n2", "member-reachability").equals("reachable")
                    && memberShows(d, "n3", "up")
                    && memberCell(d, "n3", "member-reachability").equals("reachable"));

        // n3 is gone (cut off from both peers): still a member, unreachable.
        send("POST", n3 + "/admin/partition", "{\"peers\": [\"n1\", \"n2\"]}", Map.of());
        await(
            driver,
            "the panel shows n3 up but unreachable",
            d ->
                memberShows(d, "n3", "up")
                    && memberCell(d, "n3", "member-reachability").equals("unreachable"));

        // Remove it from n1's page.
        clickAndConfirm(driver, testId("remove-n3"));
        await(
            driver,
            "n3 leaves the panel and the page says it was removed",
            d ->
                d.findElements(testId("member-n3")).isEmpty()
                    && text(d, By.id("message")).equals("Removed n3 from the cluster."));
        assertThat(cluster.node(0).replicator().members())
            .extracting(m -> m.nodeId())
            .containsExactly("n2");

        // Back in touch, n3 learns it was removed; its own page says so.
        send("POST", n3 + "/admin/heal", null, Map.of());
        driver.get(n3 + "/");
        await(
            driver,
            "n3's page shows it was removed",
            d ->
                shows(d, testId("self-status"), "removed")
                    && d.findElement(testId("lifecycle-banner")).isDisplayed()
                    && text(d, testId("lifecycle-banner")).contains("n3 was removed"));

        // n2 leaves with its Leave button.
        driver.get(n2 + "/");
        await(driver, "n2's page shows it up", d -> shows(d, testId("self-status"), "up"));
        clickAndConfirm(driver, testId("leave"));
        await(
            driver,
            "n2's page shows it has left",
            d ->
                shows(d, testId("self-status"), "left")
                    && text(d, testId("lifecycle-banner")).contains("n2 has left the cluster")
                    && !d.findElement(testId("leave")).isEnabled());
        screenshot(driver, "e2e-screenshot-lifecycle.png");
        awaitJson(
            "GET",
            n1 + "/api/cluster",
            j -> j.getJsonArray("peers").isEmpty(),
            "n1 drops n2: it is the only member left");
        driver.get(n1 + "/");
        await(
            driver,
            "n1's panel lists only n1",
            d ->
                shows(d, testId("self-status"), "up")
                    && d.findElements(By.cssSelector("#member-rows tr")).size() == 1);
      } catch (RuntimeException | AssertionError e) {
        screenshot(driver, "e2e-failure-lifecycle.png");
        throw e;
      } finally {
        driver.quit();
      }
    } finally {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
