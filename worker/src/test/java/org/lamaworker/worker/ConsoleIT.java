package org.lamaworker.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.worker.testing.Corpus;
import org.lamaworker.worker.testing.DebianTools;
import org.lamaworker.worker.testing.ResultsReader;
import org.lamaworker.worker.testing.TestServers;
import org.lamaworker.worker.testing.WorkerProcess;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The browser console in a real browser (Debian's headless Chromium, driven through its
 * chromedriver) against the packaged worker configured for the shared test Kafka and S3, an
 * external Kafka and S3 from the worker's point of view: a picture uploaded through the file input,
 * a stroke painted with pointer events, the job submitted, its result shown and SUCCEEDED on the
 * results topic, the fleet view showing the worker and its finished job; then a job whose mask has
 * the wrong size shows its error code in the page. A second test checks that {@code run} on the
 * embedded default starts the console and prints its address.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ConsoleIT {
    private static final Duration WAIT = Duration.ofMinutes(2);

    @Test
    void paintSubmitAndWatchAJobAndTheFleetInABrowser(@TempDir Path dir) throws Exception {
        DebianTools.require("chromium", "chromium", "the console's browser test drives it");
        DebianTools.require(
                "chromedriver", "chromium-driver", "the console's browser test drives Chromium");
        TestServers servers = TestServers.get();
        String run = servers.coffeeRun("console");
        Map<String, String> environment = servers.workerEnvironment(run, run);
        environment.put("LAMA_CONSOLE_ENABLED", "true");
        environment.put("LAMA_CONSOLE_PORT", "0");
        Path picture = Corpus.copyTo(dir.resolve("pictures"), List.of("coffee.png"));
        try (WorkerProcess worker = WorkerProcess.start(dir, environment);
                ResultsReader<InpaintResult> results =
                        new ResultsReader<>(
                                        servers.bootstrapServers(),
                                        run + ".results",
                                        JsonCodec::decodeResult)
                                .fromNow()) {
            String url = consoleUrl(worker.awaitLine("Console: http://", WAIT));
            WebDriver browser = chromium();
            try {
                browser.get(url);
                WebDriverWait wait = new WebDriverWait(browser, WAIT);
                wait.until(b -> text(b, "worker-id").equals(run));

                // A corpus picture through the file input; the mask canvas takes its full size.
                browser.findElement(By.id("file"))
                        .sendKeys(picture.resolve("coffee.png").toAbsolutePath().toString());
                WebElement canvas = browser.findElement(By.id("mask-canvas"));
                wait.until(b -> "600".equals(canvas.getDomAttribute("width")));
                assertThat(canvas.getDomAttribute("height")).isEqualTo("400");
                assertThat(browser.findElement(By.id("submit")).isEnabled()).isFalse();

                // One stroke with the mouse (pointer events), left of centre to right of centre.
                new Actions(browser)
                        .moveToElement(canvas, -90, -10)
                        .clickAndHold()
                        .moveByOffset(45, 5)
                        .moveByOffset(45, 5)
                        .moveByOffset(45, 5)
                        .moveByOffset(45, 5)
                        .release()
                        .perform();
                WebElement submit = browser.findElement(By.id("submit"));
                wait.until(b -> submit.isEnabled());
                submit.click();

                wait.until(b -> !text(b, "job-id").equals("none yet"));
                String jobId = text(browser, "job-id");
                assertThat(jobId).startsWith("console-");
                wait.until(b -> finished(b));
                assertThat(state(browser))
                        .as(text(browser, "job-message") + " " + text(browser, "job-error"))
                        .isEqualTo("succeeded");
                wait.until(
                        b ->
                                (Boolean)
                                        script(
                                                b,
                                                "const i = document.getElementById('result-image');"
                                                        + " return i.complete && i.naturalWidth === 600"
                                                        + " && !document.getElementById('compare').hidden;"));
                assertThat(browser.findElement(By.id("download")).getDomAttribute("href"))
                        .isEqualTo("/api/jobs/" + jobId + "/output?download=1");
                assertThat(browser.findElements(By.cssSelector("#timings tbody tr"))).hasSize(7);

                // The real path: the job's one result on Kafka, its objects under console/.
                InpaintResult result = results.await(Set.of(jobId), WAIT).get(jobId);
                // Its start on the attempts topic reached the console too (the running state).
                JsonObject view = new JsonObject(getText(url + "api/jobs/" + jobId));
                assertThat(view.getString("state")).isEqualTo("succeeded");
                assertThat(view.getLong("startedAt")).as(view.encode()).isNotNull();
                assertThat(view.getString("workerId")).isEqualTo(run);
                assertThat(result.status()).isEqualTo(JobStatus.SUCCEEDED);
                assertThat(result.output().key()).isEqualTo("console/" + jobId + "/result.png");
                BufferedImage mask =
                        ImageIO.read(
                                new ByteArrayInputStream(
                                        object(servers, run, "console/" + jobId + "/mask.png")));
                assertThat(mask.getWidth()).isEqualTo(600);
                assertThat(mask.getHeight()).isEqualTo(400);
                // White along the stroke through the centre, black far from it.
                assertThat(mask.getRGB(300, 200) & 0xffffff).isEqualTo(0xffffff);
                assertThat(mask.getRGB(10, 10) & 0xffffff).isZero();
                assertThat(mask.getRGB(300, 380) & 0xffffff).isZero();
                BufferedImage output = ImageIO.read(new ByteArrayInputStream(download(url, jobId)));
                BufferedImage input =
                        ImageIO.read(new ByteArrayInputStream(Corpus.bytes("coffee.png")));
                assertThat(output.getRGB(10, 10)).isEqualTo(input.getRGB(10, 10));
                assertThat(output.getWidth()).isEqualTo(600);

                // The fleet view: this worker, with the finished job.
                wait.until(
                        b ->
                                b.findElements(
                                                                By.cssSelector(
                                                                        "#fleet-workers tbody"
                                                                                + " tr[data-worker-id]"))
                                                        .size()
                                                == 1
                                        && "1"
                                                .equals(
                                                        b.findElement(
                                                                        By.cssSelector(
                                                                                "#fleet-workers tr[data-worker-id='"
                                                                                        + run
                                                                                        + "'] td.succeeded"))
                                                                .getText()));
                assertThat(text(browser, "fleet-finished")).startsWith("1 succeeded");
                assertThat(browser.findElement(By.id("fleet-recent")).getText()).contains(jobId);
                assertThat(browser.findElement(By.id("reference-note")).isDisplayed()).isTrue();
                // Once the result is committed, nothing is left in flight or in the queue.
                wait.until(
                        b ->
                                text(b, "fleet-inflight").equals("0")
                                        && text(b, "fleet-lag").equals("0")
                                        && !text(b, "fleet-busy").equals("–"));
                saveScreenshot(browser, "console-screenshot.png", true);

                // At a tablet's width the panels stack and nothing needs scrolling sideways.
                browser.manage().window().setSize(new Dimension(820, 1180));
                wait.until(
                        b ->
                                browser.findElement(By.id("result-title")).getRect().getY()
                                        > browser.findElement(By.id("submit")).getRect().getY());
                assertThat(
                                (Boolean)
                                        script(
                                                browser,
                                                "const e = document.documentElement;"
                                                        + " return e.scrollWidth <= e.clientWidth;"))
                        .isTrue();
                saveScreenshot(browser, "console-tablet.png", false);
                browser.manage().window().setSize(new Dimension(1400, 2150));

                // A mask of another size than the picture's, sent through the API: the worker
                // fails the job, and the page that follows it shows the code.
                String failing = submitThroughApi(url, "coffee.png", "chelsea.mask.png");
                browser.get(url + "#job=" + failing);
                wait.until(b -> finished(b) && failing.equals(text(b, "job-id")));
                assertThat(state(browser)).isEqualTo("failed");
                assertThat(text(browser, "error-code")).isEqualTo("MASK_SIZE_MISMATCH");
                InpaintResult failed = results.await(Set.of(failing), WAIT).get(failing);
                assertThat(failed.error().code()).isEqualTo("MASK_SIZE_MISMATCH");

                // Painting without a pointer: Tab reaches the mask, Space puts the keyboard
                // brush down at the centre, the arrow keys paint to the right, Space lifts it.
                browser.get(url);
                wait.until(b -> text(b, "worker-id").equals(run));
                browser.findElement(By.id("file"))
                        .sendKeys(picture.resolve("coffee.png").toAbsolutePath().toString());
                WebElement mask2 = browser.findElement(By.id("mask-canvas"));
                wait.until(b -> "600".equals(mask2.getDomAttribute("width")));
                script(browser, "document.getElementById('mask-opacity').focus();");
                new Actions(browser).sendKeys(Keys.TAB).perform();
                assertThat(script(browser, "return document.activeElement.id;"))
                        .isEqualTo("mask-canvas");
                Actions keys = new Actions(browser).sendKeys(Keys.SPACE);
                for (int i = 0; i < 8; i++) {
                    keys.sendKeys(Keys.ARROW_RIGHT);
                }
                keys.sendKeys(Keys.SPACE).perform();
                // (a live region, visually hidden: read its text, not what is shown)
                wait.until(
                        b ->
                                "Brush lifted."
                                        .equals(
                                                script(
                                                        b,
                                                        "return document.getElementById("
                                                                + "'key-status').textContent;")));
                assertThat(browser.findElement(By.id("submit")).isEnabled()).isTrue();
                String alphaAt =
                        "const c = document.getElementById('mask-canvas').getContext('2d');"
                                + " return c.getImageData(arguments[0], arguments[1], 1, 1)"
                                + ".data[3];";
                assertThat(((Number) script(browser, alphaAt, 300, 200)).intValue())
                        .as("painted where the brush went down")
                        .isPositive();
                assertThat(((Number) script(browser, alphaAt, 350, 200)).intValue())
                        .as("painted along the arrow keys' way")
                        .isPositive();
                assertThat(((Number) script(browser, alphaAt, 300, 320)).intValue())
                        .as("not painted far from it")
                        .isZero();
            } finally {
                browser.quit();
            }
            assertThat(worker.output()).doesNotContain(servers.secretKey());
        }
    }

    @Test
    void runOnTheEmbeddedDefaultPrintsTheConsoleAddress(@TempDir Path dir) throws Exception {
        ProcessBuilder builder =
                WorkerProcess.packagedJar(dir, List.of("-Xmx1g"), "run").redirectErrorStream(true);
        builder.environment().put("LAMA_CONSOLE_PORT", "0");
        builder.environment().put("LAMA_MANAGEMENT_PORT", "0");
        Process process = builder.start();
        try {
            java.util.concurrent.CompletableFuture<String> line =
                    new java.util.concurrent.CompletableFuture<>();
            WorkerProcess.drain(process, "Console: http://", line);
            String url = consoleUrl(line.get(3, TimeUnit.MINUTES));
            assertThat(url).matches("http://127\\.0\\.0\\.1:\\d+/");
            assertThat(url).doesNotEndWith(":0/");
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> page =
                    http.send(
                            HttpRequest.newBuilder(URI.create(url)).build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("lama-worker console");
            JsonObject config =
                    new JsonObject(
                            http.send(
                                            HttpRequest.newBuilder(URI.create(url + "api/config"))
                                                    .build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .body());
            assertThat(config.getJsonObject("model").getBoolean("reference")).isTrue();
            assertThat(config.getString("bucket")).isEqualTo("inpaint");
        } finally {
            process.destroy();
            if (!process.waitFor(1, TimeUnit.MINUTES)) {
                process.destroyForcibly();
            }
        }
    }

    private static String consoleUrl(String line) {
        return line.substring(line.indexOf("http://")).trim();
    }

    private static WebDriver chromium() {
        ChromeOptions options = new ChromeOptions();
        // Debian's browser and driver, named outright: Selenium Manager never downloads one.
        options.setBinary("/usr/bin/chromium");
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=1400,2150");
        ChromeDriverService service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(new File("/usr/bin/chromedriver"))
                        .usingAnyFreePort()
                        .build();
        return new ChromeDriver(service, options);
    }

    private static String text(WebDriver browser, String id) {
        return browser.findElement(By.id(id)).getText().trim();
    }

    private static String state(WebDriver browser) {
        return browser.findElement(By.id("job-state")).getDomAttribute("data-state");
    }

    private static boolean finished(WebDriver browser) {
        String state = state(browser);
        return "succeeded".equals(state) || "failed".equals(state);
    }

    private static Object script(WebDriver browser, String script, Object... arguments) {
        return ((JavascriptExecutor) browser).executeScript(script, arguments);
    }

    /**
     * Saves what the browser shows under {@code target/}, a test artefact; the README's picture
     * also goes to {@code docs/console.png} when {@code -Dconsole.updateDocs=true} asks.
     */
    private static void saveScreenshot(WebDriver browser, String name, boolean forReadme)
            throws IOException {
        byte[] png = ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES);
        Path artefact = Path.of("target", name);
        Files.write(artefact, png);
        if (forReadme && Boolean.getBoolean("console.updateDocs")) {
            Files.copy(
                    artefact,
                    Path.of("..", "docs", "console.png"),
                    StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static byte[] object(TestServers servers, String bucket, String key) throws Exception {
        MinioClient s3 =
                MinioClient.builder()
                        .endpoint(servers.s3Endpoint())
                        .credentials(servers.accessKey(), servers.secretKey())
                        .region("us-east-1")
                        .build();
        try (InputStream in =
                s3.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return in.readAllBytes();
        }
    }

    private static String getText(String url) throws Exception {
        HttpResponse<String> response =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create(url)).build(),
                                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    private static byte[] download(String url, String jobId) throws Exception {
        HttpResponse<byte[]> response =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create(url + "api/jobs/" + jobId + "/output"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("image/png");
        return response.body();
    }

    /** Submits a picture and a mask from the corpus as the page would; returns the job id. */
    private static String submitThroughApi(String url, String image, String mask) throws Exception {
        String boundary = "console-it-" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (String[] part :
                List.of(
                        new String[] {"image", image, "image/png"},
                        new String[] {"mask", "mask.png", "image/png"})) {
            body.write(
                    ("--"
                                    + boundary
                                    + "\r\nContent-Disposition: form-data; name=\""
                                    + part[0]
                                    + "\"; filename=\""
                                    + part[1]
                                    + "\"\r\nContent-Type: "
                                    + part[2]
                                    + "\r\n\r\n")
                            .getBytes(StandardCharsets.UTF_8));
            body.write(Corpus.bytes(part[0].equals("image") ? image : mask));
            body.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.write(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"options\"\r\n\r\n"
                                + "{}\r\n--"
                                + boundary
                                + "--\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response =
                HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .build()
                        .send(
                                HttpRequest.newBuilder(URI.create(url + "api/jobs"))
                                        .header(
                                                "Content-Type",
                                                "multipart/form-data; boundary=" + boundary)
                                        .POST(
                                                HttpRequest.BodyPublishers.ofByteArray(
                                                        body.toByteArray()))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        return new JsonObject(response.body()).getString("jobId");
    }
}
